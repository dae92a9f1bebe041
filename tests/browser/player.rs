//! The frame-exact player in a real browser. A counting clip (every frame
//! carries its number in a band of pixels, see fixtures/make.sh) proves what
//! is on screen from the pixels themselves: random seeks on WebGPU and on
//! WebGL2, every key of the keyboard table, dragging on the timeline and the
//! in/out loop. A real draft take in the Library checks thumbnails, the
//! frame cache and that every decoded frame is released on leaving the
//! page; a 15 s take checks that picture and sound stay locked.

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::harness::Studio;

const COUNTING: &[u8] = include_bytes!("fixtures/counting.mp4");
/// 96 frames at 24 fps, keyframe every 24.
const COUNTING_FRAMES: u64 = 96;

/// WebDriver key codes.
const LEFT: &str = "\u{e012}";
const RIGHT: &str = "\u{e014}";
const HOME: &str = "\u{e011}";
const END: &str = "\u{e010}";
/// Shift held for the next key, then NULL releases it.
const SHIFT: &str = "\u{e008}";
const RELEASE: &str = "\u{e000}";

/// Posts a draft job of `arguments[0]` seconds saying `arguments[1]` from the page and waits until
/// it has rendered; returns the job id.
const CREATE_DRAFT_JOB: &str = r"
const [seconds, line, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
(async () => {
  const request = {
    model: 'draft', mode: 'text-to-video',
    prompt: 'A presenter leans in and speaks to the camera.',
    duration_s: seconds, resolution: '720p', aspect_ratio: '16:9', seed: 7,
    dialogue: [{ language: 'en', text: line }],
  };
  const created = await fetch('/api/jobs', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const job = await created.json();
  if (!created.ok) return done({ error: JSON.stringify(job) });
  for (let i = 0; i < 900; i++) {
    const now = await (await fetch(`/api/jobs/${job.id}`)).json();
    if (now.status === 'succeeded') return done({ id: job.id });
    if (now.status === 'failed' || now.status === 'canceled') return done({ error: JSON.stringify(now) });
    await new Promise((r) => setTimeout(r, 200));
  }
  done({ error: 'the draft job did not finish in three minutes' });
})().catch((e) => done({ error: String(e) }));
";

/// Pointer events on the timeline at the middle of each frame's slot:
/// down at the first, moves through the rest, up at the last.
const DRAG_TIMELINE: &str = r"
const frames = arguments[0];
const player = document.querySelector('[data-testid=player]');
const bar = player.querySelector('[data-testid=player-timeline]');
const count = Number(player.dataset.frameCount);
const rect = bar.getBoundingClientRect();
const at = (f) => ({ bubbles: true, pointerId: 1, isPrimary: true,
  clientX: rect.left + (f + 0.5) * rect.width / count, clientY: rect.top + rect.height / 2 });
bar.dispatchEvent(new PointerEvent('pointerdown', at(frames[0])));
for (const f of frames.slice(1)) bar.dispatchEvent(new PointerEvent('pointermove', at(f)));
bar.dispatchEvent(new PointerEvent('pointerup', at(frames[frames.length - 1])));
";

/// What the player says it shows (data attributes) and what the hook read
/// from the pixels; the two must agree on the frame number.
const READ: &str = r"
const player = document.querySelector('[data-testid=player]');
const hook = window.__chorusPlayer || {};
const d = player ? player.dataset : {};
return {
  frame: d.frame === undefined ? null : Number(d.frame),
  checksum: d.checksum === undefined ? null : Number(d.checksum),
  count: Number(d.frameCount || 0),
  backend: d.backend || null,
  speed: Number(d.speed || 0),
  markIn: d.in === undefined ? null : Number(d.in),
  markOut: d.out === undefined ? null : Number(d.out),
  cached: Number(d.cached || 0),
  hookFrame: hook.frame ?? null,
  band: hook.band ?? null,
  liveFrames: hook.liveFrames ?? null,
  cachedBytes: hook.cachedBytes ?? null,
  budget: hook.budget ?? null,
  error: player?.querySelector('.player-error')?.textContent ?? null,
};
";

async fn read(s: &Studio) -> Result<Value> {
    let v: Value = s.client.execute(READ, vec![]).await?;
    if let Some(error) = v["error"].as_str() {
        bail!("the player shows an error: {error}");
    }
    Ok(v)
}

/// Waits until `frame` is on screen and returns its pixel checksum.
async fn wait_for_frame(s: &Studio, frame: u64) -> Result<u64> {
    s.until(&format!("frame {frame} on screen"), || async {
        let v = read(s).await?;
        if v["frame"].as_u64() != Some(frame) || v["hookFrame"].as_u64() != Some(frame) {
            return Ok(None);
        }
        Ok(v["checksum"].as_u64())
    })
    .await
}

/// Waits for `frame`, and checks the pixels on screen carry its number.
async fn expect_frame(s: &Studio, frame: u64, what: &str) -> Result<()> {
    wait_for_frame(s, frame)
        .await
        .with_context(|| format!("after {what}"))?;
    let band = read(s).await?["band"].as_u64();
    ensure!(
        band == Some(frame),
        "after {what} the player says frame {frame} but its pixels show {band:?}"
    );
    Ok(())
}

/// Every frame drawn since playback last started: frame, the number in
/// its pixels, its time and the audio clock's when it was drawn.
async fn playback_log(s: &Studio) -> Result<Vec<Value>> {
    Ok(s.client
        .execute("return window.__chorusPlayer.log;", vec![])
        .await?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

async fn seek_by_timeline(s: &Studio, frame: u64) -> Result<()> {
    s.client
        .execute(DRAG_TIMELINE, vec![json!([frame])])
        .await?;
    Ok(())
}

async fn open_counting(s: &Studio, query: &str) -> Result<()> {
    s.open(&format!(
        "/bench/player?src=/counting.mp4&w=384&h=216&probe=1{query}"
    ))
    .await?;
    s.find("[data-testid=player]").await?;
    wait_for_frame(s, 0).await?;
    Ok(())
}

/// A small deterministic generator so a failure repeats exactly.
fn targets(count: u64, n: usize) -> Vec<u64> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % count
        })
        .collect()
}

#[tokio::test]
async fn random_seeks_show_the_exact_frame_on_webgpu_and_on_webgl2() -> Result<()> {
    Studio::run_with_files(
        "player-seeks",
        &[("counting.mp4", COUNTING)],
        async |s: &Studio| {
            // The test browser has a (software) WebGPU adapter, so WebGPU is
            // chosen; `?gpu=webgl` forces the WebGL2 path.
            for (query, backend) in [("", "WebGPU"), ("&gpu=webgl", "WebGL2")] {
                open_counting(s, query).await?;
                let v = read(s).await?;
                ensure!(
                    v["count"] == json!(COUNTING_FRAMES),
                    "frame count {}",
                    v["count"]
                );
                ensure!(
                    v["backend"] == json!(backend),
                    "backend {} for {query:?}",
                    v["backend"]
                );
                let overlay = s.find_text("[data-testid=player-overlay]", backend).await?;
                ensure!(overlay.contains("384×216"), "{overlay}");
                for target in targets(COUNTING_FRAMES, 24) {
                    seek_by_timeline(s, target).await?;
                    expect_frame(s, target, &format!("a seek to {target} on {backend}")).await?;
                }
                s.screenshot(&format!("player-seeks-{backend}")).await?;
            }
            Ok(())
        },
    )
    .await
}

#[tokio::test]
async fn every_key_does_what_the_table_says() -> Result<()> {
    Studio::run_with_files(
        "player-keys",
        &[("counting.mp4", COUNTING)],
        async |s: &Studio| {
            open_counting(s, "").await?;
            let player = s.find("[data-testid=player]").await?;
            seek_by_timeline(s, 40).await?;
            expect_frame(s, 40, "a click at frame 40").await?;
            // Frame steps, each landing exactly (checked from the pixels).
            let steps = [
                (RIGHT.to_string(), 41, "→"),
                (LEFT.to_string(), 40, "←"),
                (
                    format!("{SHIFT}{RIGHT}{RELEASE}"),
                    64,
                    "Shift+→ (one second: 24 frames)",
                ),
                (format!("{SHIFT}{LEFT}{RELEASE}"), 40, "Shift+←"),
                (END.to_string(), COUNTING_FRAMES - 1, "End"),
                (HOME.to_string(), 0, "Home"),
            ];
            for (keys, frame, name) in &steps {
                player.send_keys(keys).await?;
                expect_frame(s, *frame, name).await?;
            }
            // ← at the first frame stays there.
            player.send_keys(LEFT).await?;
            expect_frame(s, 0, "← at frame 0").await?;

            // J / K / L shuttle: L plays, L again goes faster, K stops, J backwards.
            let speed_after = async |keys: &str, speed: f64| -> Result<()> {
                player.send_keys(keys).await?;
                s.until(&format!("speed {speed} after {keys:?}"), || async {
                    Ok(
                        ((read(s).await?["speed"].as_f64().unwrap_or(f64::NAN) - speed).abs()
                            < 1e-9)
                            .then_some(()),
                    )
                })
                .await
            };
            speed_after("l", 1.0).await?;
            speed_after("l", 2.0).await?;
            speed_after("l", 4.0).await?;
            speed_after("k", 0.0).await?;
            let stopped = read(s).await?["frame"].as_u64().context("no frame")?;
            ensure!(stopped > 0, "L did not move the playhead");
            speed_after("j", -1.0).await?;
            speed_after("j", -2.0).await?;
            speed_after("k", 0.0).await?;
            // Space plays and pauses.
            speed_after(" ", 1.0).await?;
            speed_after(" ", 0.0).await?;

            // I and O mark the playhead; Space then loops between them.
            seek_by_timeline(s, 10).await?;
            expect_frame(s, 10, "a click at frame 10").await?;
            player.send_keys("i").await?;
            seek_by_timeline(s, 20).await?;
            expect_frame(s, 20, "a click at frame 20").await?;
            player.send_keys("o").await?;
            let v = read(s).await?;
            ensure!(
                v["markIn"] == json!(10) && v["markOut"] == json!(20),
                "marks {v}"
            );
            player.send_keys(" ").await?;
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            player.send_keys(" ").await?;
            let log = playback_log(s).await?;
            let frames: Vec<u64> = log.iter().filter_map(|e| e["frame"].as_u64()).collect();
            ensure!(
                frames.len() >= 12,
                "too few frames played in 1.5 s: {frames:?}"
            );
            ensure!(
                frames.iter().all(|f| (10..=20).contains(f)),
                "playback left the in/out span: {frames:?}"
            );
            ensure!(
                frames.windows(2).any(|w| w[1] < w[0]),
                "playback never looped back to the in point: {frames:?}"
            );
            for entry in &log {
                ensure!(
                    entry["band"] == entry["frame"],
                    "a played frame's pixels disagree: {entry}"
                );
            }
            s.screenshot("player-keys").await?;
            Ok(())
        },
    )
    .await
}

#[tokio::test]
async fn dragging_on_the_timeline_scrubs_frame_by_frame() -> Result<()> {
    Studio::run_with_files(
        "player-drag",
        &[("counting.mp4", COUNTING)],
        async |s: &Studio| {
            open_counting(s, "").await?;
            let path: Vec<u64> = (5..=80).step_by(5).collect();
            s.client.execute(DRAG_TIMELINE, vec![json!(path)]).await?;
            expect_frame(s, 80, "dragging from 5 to 80").await?;
            // A drag that goes back and forth ends where the pointer was let go.
            s.client
                .execute(DRAG_TIMELINE, vec![json!([70, 50, 30, 33])])
                .await?;
            expect_frame(s, 33, "dragging back to 33").await?;
            let playhead = s.find_text("[data-testid=player-playhead]", "33").await?;
            ensure!(playhead.trim() == "33", "playhead label {playhead:?}");
            s.find_text("[data-testid=player-timecode]", "00:00:01:09")
                .await?;
            Ok(())
        },
    )
    .await
}

async fn draft_take_in_library(s: &Studio, seconds: u32, line: &str) -> Result<()> {
    s.open("/library?probe=1").await?;
    let made = s
        .client
        .execute_async(CREATE_DRAFT_JOB, vec![json!(seconds), json!(line)])
        .await?;
    if let Some(error) = made["error"].as_str() {
        bail!("the draft job failed: {error}");
    }
    let id = made["id"].as_str().context("no job id")?.to_string();
    s.client.refresh().await?;
    s.find(&format!("[data-job-id='{id}'] [data-testid=player]"))
        .await
        .context("the succeeded job has no player")?;
    wait_for_frame(s, 0).await?;
    Ok(())
}

#[tokio::test]
async fn a_draft_take_in_the_library_scrubs_and_releases_its_frames() -> Result<()> {
    Studio::run("player-library", async |s: &Studio| {
        draft_take_in_library(s, 3, "Every frame, exactly.").await?;
        let v = read(s).await?;
        let count = v["count"].as_u64().unwrap_or(0);
        ensure!(count >= 72, "a 3 s take has at least 72 frames, the player says {count}");
        // Thumbnails: one per keyframe (draft takes have one every second).
        let thumbs = s
            .until("keyframe thumbnails", || async {
                let loaded = s
                    .client
                    .execute(
                        "const imgs = [...document.querySelectorAll('[data-testid=player-thumbnails] img')];
                         return imgs.length && imgs.every((i) => i.complete && i.naturalWidth > 0)
                           ? imgs.map((i) => Number(i.dataset.frame)) : null;",
                        vec![],
                    )
                    .await?;
                Ok(loaded.as_array().cloned())
            })
            .await?;
        ensure!(thumbs.len() >= 3, "thumbnails at {thumbs:?}");
        ensure!(thumbs.first() == Some(&json!(0)), "the first thumbnail is frame 0: {thumbs:?}");

        // Random seeks: a frame shows the same pixels each time it is shown,
        // and different frames of a moving take look different.
        let mut seen = std::collections::HashMap::new();
        for target in targets(count, 16).into_iter().chain(targets(count, 4)) {
            seek_by_timeline(s, target).await?;
            let checksum = wait_for_frame(s, target).await?;
            if let Some(before) = seen.insert(target, checksum) {
                ensure!(before == checksum, "frame {target} looked different the second time");
            }
        }
        let distinct: std::collections::HashSet<u64> = seen.values().copied().collect();
        ensure!(
            distinct.len() * 10 >= seen.len() * 8,
            "{} frames showed only {} different pictures",
            seen.len(),
            distinct.len()
        );
        // The whole take is decoded in the background, within the budget.
        s.until("the whole take decoded", || async {
            let v = read(s).await?;
            Ok((v["cached"].as_u64() == Some(count)).then_some(()))
        })
        .await?;
        let v = read(s).await?;
        ensure!(
            v["cachedBytes"].as_u64() <= v["budget"].as_u64(),
            "cache over budget: {v}"
        );
        ensure!(v["liveFrames"].as_u64() >= Some(count), "live frames {v}");
        s.screenshot("player-library").await?;

        // Leaving the Library closes the decoder and every VideoFrame.
        s.click("a[href='/']").await?;
        s.find("[data-testid=compose-page]").await?;
        let live = s
            .until("every VideoFrame closed", || async {
                let live = s
                    .client
                    .execute("return window.__chorusPlayer.liveFrames;", vec![])
                    .await?;
                Ok((live == json!(0)).then_some(live))
            })
            .await?;
        ensure!(live == json!(0));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn sound_and_picture_stay_locked_over_fifteen_seconds() -> Result<()> {
    Studio::run("player-av-lock", async |s: &Studio| {
        draft_take_in_library(
            s,
            15,
            "Every frame lands exactly where you asked, and the sound stays right with the \
             picture from the first word to the very last one, fifteen seconds later.",
        )
        .await?;
        let count = read(s).await?["count"].as_u64().unwrap_or(0);
        // Decoded before playing, so what is measured is the clock, not
        // whether this machine decodes 720p in real time.
        s.until("the whole take decoded", || async {
            Ok((read(s).await?["cached"].as_u64() == Some(count)).then_some(()))
        })
        .await?;
        let player = s.find("[data-testid=player]").await?;
        // A key press is a user gesture: the browser lets the sound start.
        player.send_keys(" ").await?;
        tokio::time::sleep(std::time::Duration::from_millis(15_800)).await;
        let log = playback_log(s).await?;
        let fps = count as f64 / 15.0;
        let frame_s = 1.0 / fps;
        let offsets: Vec<f64> = log
            .iter()
            .filter_map(|e| Some(e["audioTime"].as_f64()? - e["frameTime"].as_f64()?))
            .collect();
        ensure!(
            offsets.len() * 10 >= log.len() * 9 && log.len() as f64 >= 14.0 * fps * 0.8,
            "the sound clock ran for {} of {} drawn frames",
            offsets.len(),
            log.len()
        );
        let second = fps.round() as usize;
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let first = mean(&offsets[..second.min(offsets.len())]);
        let last = mean(&offsets[offsets.len().saturating_sub(second)..]);
        let drift = last - first;
        let worst = offsets.iter().fold(0.0_f64, |m, o| m.max(o.abs()));
        eprintln!(
            "A/V lock over {} frames: offset first second {:.1} ms, last second {:.1} ms, \
             drift {:.1} ms (one frame {:.1} ms), worst {:.1} ms",
            offsets.len(),
            first * 1000.0,
            last * 1000.0,
            drift * 1000.0,
            frame_s * 1000.0,
            worst * 1000.0
        );
        ensure!(
            drift.abs() < frame_s,
            "drift {drift:.4} s is a frame or more"
        );
        ensure!(
            worst < 2.0 * frame_s,
            "a frame was drawn {worst:.4} s away from the sound"
        );
        Ok(())
    })
    .await
}
