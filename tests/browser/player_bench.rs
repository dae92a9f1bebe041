//! The seek benchmark (`cargo xtask bench seek` makes the clip and runs
//! it; ignored in the suite). One headless Chromium session: the clip is
//! imported twice (one job, two takes), then
//! - 200 random seeks in the Library's player, by the timeline, timed from
//!   the press to the animation frame that puts it on screen, and the
//!   frame read back from the canvas's pixels;
//! - the same 200 targets in an `HTMLVideoElement` (`currentTime`, then
//!   `seeked` and `requestVideoFrameCallback`, then read back the same way);
//! - both takes playing side by side in the compare view: straight after
//!   opening it, again once both are read whole and measured, and a third
//!   time with every frame read back from the pixels.
//!
//! Players run as users have them, without the pixel checksum the tests
//! turn on. `CHORUS_PROFILE=file` also writes a DevTools CPU profile of
//! the page while the two takes play, and `CHORUS_BENCH_DUMP=file` every
//! seek (target, time, fill state) and every animation frame of the three
//! plays, as JSON.
//!
//! Every frame of the clip carries its number as a barcode (12 cells, then
//! the same 12 inverted) that the page reads back from the pixels shown,
//! so "exact" means the picture on screen, not what the player says.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::harness::{PROBE_OFF, Studio};

/// Seeks measured in each player, after a few unmeasured ones.
const SEEKS: u64 = 200;
const WARM_UP: u64 = 5;
/// How long both takes play side by side.
const PLAY_S: u64 = 10;

/// Reads the barcode of whatever `source` shows (a canvas or a video);
/// `null` when the cells do not read as a number and its inverse.
const BARCODE: &str = r"
window.__readBarcode = (source) => {
  const probe = window.__barcodeCanvas ??= Object.assign(document.createElement('canvas'), { width: 384, height: 216 });
  const g = probe.getContext('2d', { willReadFrequently: true });
  g.imageSmoothingEnabled = false;
  g.drawImage(source, 0, 0, 384, 216);
  const row = g.getImageData(0, 8, 384, 1).data;
  const white = (x) => { const i = Math.floor(x) * 4; return row[i] + row[i + 1] + row[i + 2] > 384; };
  let n = 0;
  for (let k = 0; k < 12; k++) {
    const bit = white((k + 0.5) * 16);
    if (bit === white((k + 12.5) * 16)) return null;
    if (bit) n |= 1 << k;
  }
  return n;
};
";

/// Starts the seek loop in the page; results land on `window.__seekBench`.
/// Arguments: which player, the number of seeks and warm-up seeks, the
/// frame count and rate, and (for the video) the clip's URL.
const SEEK_LOOP: &str = r"
const [kind, seeks, warmUp, frameCount, fps, src] = arguments;
const state = { done: false, error: null, seeks: [], steps: [] };
window.__seekBench = state;
let seed = 20261206;
const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const within = (promise, ms, what) => Promise.race([promise,
  new Promise((_, fail) => setTimeout(() => fail(new Error(`${what}: nothing after ${ms} ms`)), ms))]);
(async () => {
  let seekTo, surface;
  if (kind === 'ours') {
    const player = document.querySelector('[data-testid=player]');
    const bar = player.querySelector('[data-testid=player-timeline]');
    surface = player.querySelector('[data-testid=player-canvas]');
    seekTo = (target) => {
      // Drawn into the canvas, then on screen at the next animation
      // frame: the moment requestVideoFrameCallback marks for <video>.
      // (Waiting for it also lets the page's tasks run between seeks, as
      // they do between a person's clicks; a chain of cache hits would
      // otherwise run as microtasks alone and starve them.)
      const drawn = new Promise((resolve) => {
        const watch = new MutationObserver(() => {
          if (Number(player.dataset.frame) === target) {
            watch.disconnect();
            requestAnimationFrame(() => resolve(performance.now()));
          }
        });
        watch.observe(player, { attributes: true, attributeFilter: ['data-frame'] });
      });
      const rect = bar.getBoundingClientRect();
      const init = { bubbles: true, clientX: rect.left + (target + 0.5) * rect.width / frameCount,
        clientY: rect.top + rect.height / 2, pointerId: 1, isPrimary: true };
      const started = performance.now();
      bar.dispatchEvent(new PointerEvent('pointerdown', init));
      bar.dispatchEvent(new PointerEvent('pointerup', init));
      return [started, drawn];
    };
  } else {
    const video = document.createElement('video');
    Object.assign(video, { muted: true, preload: 'auto', playsInline: true, src });
    video.style.cssText = 'position:fixed;right:0;bottom:0;width:480px;height:270px;z-index:9999';
    document.body.append(video);
    await within(new Promise((r) => video.addEventListener('loadeddata', r, { once: true })), 30000, 'the video loading');
    surface = video;
    seekTo = (target) => {
      const presented = new Promise((r) => video.requestVideoFrameCallback(() => r(performance.now())));
      const seeked = new Promise((r) => video.addEventListener('seeked', r, { once: true }));
      const started = performance.now();
      video.currentTime = (target + 0.5) / fps;
      return [started, seeked.then(() => presented)];
    };
  }
  let previous = 0;
  for (let i = 0; i < warmUp + seeks; i++) {
    let target;
    do { target = Math.floor(random() * frameCount); } while (target === previous);
    const [started, shown] = seekTo(target);
    await within(shown, 20000, `seek ${i} to frame ${target}`);
    previous = target;
    // Whether the player's whole-take fill was still running (a cold
    // seek may then decode its GOP) or done.
    const fill = kind === 'ours' ? document.querySelector('[data-testid=player]').dataset.fill : null;
    // The time runs until the frame is read back from the pixels: a
    // canvas may report a frame drawn before the GPU has finished it.
    const read = window.__readBarcode(surface);
    if (i >= warmUp) state.seeks.push({ target, at: started, ms: performance.now() - started, read, fill });
    // The next frame: a step an editor makes after landing.
    if (i >= warmUp && target + 1 < frameCount) {
      const [stepped, next] = seekTo(target + 1);
      await within(next, 20000, `step after seek ${i} to frame ${target + 1}`);
      const nextRead = window.__readBarcode(surface);
      state.steps.push({ target: target + 1, ms: performance.now() - stepped, read: nextRead });
      previous = target + 1;
    }
  }
  state.done = true;
})().catch((e) => { state.error = String(e); state.done = true; });
";

/// Samples the compare view (just set playing) for `seconds` on every
/// animation frame: the page's frame times, and each screen's frame, read
/// back from its pixels when `read` is true. Reading a canvas back makes
/// the page wait for the GPU to finish it, so the frame rate is measured
/// in a play without reads and the pixels checked in a second one.
const PLAY_LOOP: &str = r"
const [seconds, read] = arguments;
const state = { done: false, error: null, ticks: [], screens: [] };
window.__playBench = state;
const canvases = [...document.querySelectorAll('[data-testid=compare-screen] canvas')];
state.screens = canvases.map(() => ({ frames: [], read: 0, wrong: 0, unread: 0 }));
const tick = (now) => {
  state.ticks.push(now);
  const frames = window.__chorusCompare?.frames ?? [];
  canvases.forEach((canvas, i) => {
    const screen = state.screens[i];
    const frame = frames[i];
    if (frame === null || frame === undefined || screen.frames.at(-1)?.[0] === frame) return;
    if (read) {
      const seen = window.__readBarcode(canvas);
      screen.read += 1;
      if (seen === null) screen.unread += 1; else if (seen !== frame) screen.wrong += 1;
    }
    screen.frames.push([frame, now]);
  });
  if (now - state.ticks[0] < seconds * 1000) requestAnimationFrame(tick);
  else state.done = true;
};
requestAnimationFrame(tick);
";

/// Plays the compare view from the first frame for [`PLAY_S`], sampling
/// it with [`PLAY_LOOP`]; returns what the loop saw, paused again.
async fn play_compare(s: &Studio, read: bool) -> Result<Value> {
    let view = s.find("[data-testid=compare-view]").await?;
    view.send_keys("\u{e011}").await?; // Home
    s.until("both screens at the first frame", || async {
        let v = s
            .client
            .execute("return window.__chorusCompare?.frames ?? null;", vec![])
            .await?;
        Ok((v == json!([0, 0])).then_some(()))
    })
    .await?;
    // A real click: the page may start its sound only on a person's
    // gesture.
    s.click("[data-testid=compare-play]").await?;
    s.client
        .execute(PLAY_LOOP, vec![json!(PLAY_S), json!(read)])
        .await?;
    let played = finished(s, "__playBench", Duration::from_secs(PLAY_S + 60)).await?;
    s.click("[data-testid=compare-play]").await?;
    Ok(played)
}

/// The page's frame rate from a play's animation-frame times: frames/s,
/// longest gap and p95 gap in ms.
fn page_rate(played: &Value) -> Result<(f64, f64, f64)> {
    let ticks: Vec<f64> = played["ticks"]
        .as_array()
        .context("no ticks")?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let span =
        (ticks.last().copied().unwrap_or(0.0) - ticks.first().copied().unwrap_or(0.0)) / 1000.0;
    let fps = (ticks.len().saturating_sub(1)) as f64 / span.max(1e-9);
    let mut gaps: Vec<f64> = ticks.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_by(f64::total_cmp);
    Ok((
        fps,
        gaps.last().copied().unwrap_or(f64::NAN),
        percentile(&gaps, 0.95),
    ))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// Waits for a loop started in the page to finish; returns its state.
async fn finished(s: &Studio, hook: &str, within: Duration) -> Result<Value> {
    let started = Instant::now();
    loop {
        let state = s
            .client
            .execute(&format!("return window.{hook} ?? null;"), vec![])
            .await?;
        if state["done"] == true {
            if let Some(error) = state["error"].as_str() {
                bail!("the page's {hook} failed: {error}");
            }
            return Ok(state);
        }
        ensure!(
            started.elapsed() < within,
            "{hook} did not finish within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// p50, p95, max and exact share of one player's seeks; prints its row.
fn report(name: &str, state: &Value, key: &str) -> Result<(f64, usize, usize)> {
    let seeks = state[key].as_array().context("no seeks")?;
    let mut ms: Vec<f64> = seeks.iter().filter_map(|s| s["ms"].as_f64()).collect();
    ms.sort_by(f64::total_cmp);
    let exact = seeks.iter().filter(|s| s["read"] == s["target"]).count();
    let unreadable = seeks.iter().filter(|s| s["read"].is_null()).count();
    let p95 = percentile(&ms, 0.95);
    println!(
        "bench-seek\t{name:<26}\t{:>7.1}\t{p95:>7.1}\t{:>7.1}\t{:>5.1} % ({exact}/{}, {unreadable} unreadable)",
        percentile(&ms, 0.5),
        ms.last().copied().unwrap_or(f64::NAN),
        exact as f64 * 100.0 / seeks.len().max(1) as f64,
        seeks.len()
    );
    Ok((p95, exact, seeks.len()))
}

#[tokio::test]
#[ignore = "a benchmark: run it with `cargo xtask bench seek`"]
async fn bench_seek() -> Result<()> {
    let clip = std::env::var("CHORUS_BENCH_CLIP")
        .context("CHORUS_BENCH_CLIP names the clip (cargo xtask bench seek makes it)")?;
    Studio::run("bench-seek", async |s: &Studio| {
        // Players as users have them: no pixel checksum after each draw.
        s.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": PROBE_OFF })).await?;
        // The clip twice: one job with two takes.
        let second = s.scratch().join("counting-1080p24 copy.mp4");
        std::fs::copy(&clip, &second)?;
        let job = s.import(&format!("{clip}\n{}", second.display())).await?;
        let id = job["id"].as_str().context("no job")?.to_string();
        let video = job["outputs"][0]["video"].as_str().context("no take")?.to_string();
        s.client.execute(BARCODE, vec![]).await?;

        // Our player, opened on the first take.
        s.click("[data-testid=job-card] [data-testid=take-poster]").await?;
        let count = s
            .until("the player's first frame", || async {
                let v = s
                    .client
                    .execute(
                        "const p = document.querySelector('[data-testid=player]'); return p && p.dataset.frame === '0' ? Number(p.dataset.frameCount) : null;",
                        vec![],
                    )
                    .await?;
                Ok(v.as_u64())
            })
            .await?;
        ensure!(count == 360, "the clip has 15 s at 24 fps, the player says {count} frames");
        let fps = 24.0;
        let backend = s
            .client
            .execute("return document.querySelector('[data-testid=player]').dataset.backend;", vec![])
            .await?;
        s.client
            .execute(SEEK_LOOP, vec![json!("ours"), json!(SEEKS), json!(WARM_UP), json!(count), json!(fps), json!(null)])
            .await?;
        let ours = finished(s, "__seekBench", Duration::from_mins(10)).await?;
        s.screenshot("bench-seek-ours").await?;
        s.client
            .execute(
                SEEK_LOOP,
                vec![json!("video"), json!(SEEKS), json!(WARM_UP), json!(count), json!(fps), json!(format!("/api/assets/{video}"))],
            )
            .await?;
        let theirs = finished(s, "__seekBench", Duration::from_mins(10)).await?;
        s.screenshot("bench-seek-video").await?;

        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        println!(
            "bench-seek\tSeek, 1080p H.264, 15 s at 24 fps, keyframe every 2 s, B-frames; {SEEKS} random seeks each, same targets; headless Chromium, {backend} backend, {cores} cores"
        );
        println!("bench-seek\t{:<26}\t{:>7}\t{:>7}\t{:>7}\texact frame (read from pixels)", "seek → frame read from screen", "p50 ms", "p95 ms", "max ms");
        let (our_p95, exact, seeks) = report("Chorus player", &ours, "seeks")?;
        let (video_p95, _, _) = report("HTMLVideoElement", &theirs, "seeks")?;
        let (_, exact_steps, steps) = report("  then the next frame: ours", &ours, "steps")?;
        report("  then the next frame: <video>", &theirs, "steps")?;
        // Seeks made while the whole take was still being decoded ahead.
        let cold: Vec<&Value> = ours["seeks"]
            .as_array()
            .context("no seeks")?
            .iter()
            .filter(|s| s["fill"].as_str().is_some_and(|f| !f.starts_with("done")))
            .collect();
        let mut cold_ms: Vec<f64> = cold.iter().filter_map(|s| s["ms"].as_f64()).collect();
        cold_ms.sort_by(f64::total_cmp);
        let fill = s
            .client
            .execute("return document.querySelector('[data-testid=player]').dataset.fill;", vec![])
            .await?;
        println!(
            "bench-seek\tWhole take decoded ahead: {} ({} of the measured seeks came before that, p50 {:.1} ms, max {:.1} ms)",
            match fill.as_str().unwrap_or("off") {
                "off" => "not done (it did not fit)".to_string(),
                state => state
                    .strip_prefix("done ")
                    .map_or_else(|| format!("not done ({state})"), |ms| format!("in {ms} ms")),
            },
            cold.len(),
            percentile(&cold_ms, 0.5),
            cold_ms.last().copied().unwrap_or(f64::NAN),
        );
        let ratio = our_p95 / video_p95;
        println!(
            "bench-seek\tp95 ours / <video>: {ratio:.2} (target ≤ 0.25: {})",
            if ratio <= 0.25 { "met" } else { "missed" }
        );

        // Both takes side by side, playing.
        s.open(&format!("/compare/{id}?takes=0,1")).await?;
        s.client.execute(BARCODE, vec![]).await?;
        let profile = std::env::var_os("CHORUS_PROFILE");
        if profile.is_some() {
            s.cdp("Profiler.enable", json!({})).await?;
            s.cdp("Profiler.setSamplingInterval", json!({"interval": 200})).await?;
            s.cdp("Profiler.start", json!({})).await?;
        }
        // Straight after opening: the takes' whole-take reads and the
        // meter's measuring run beside the playback.
        let played = play_compare(s, false).await?;
        if let Some(path) = &profile {
            let stopped = s.cdp("Profiler.stop", json!({})).await?;
            std::fs::write(path, serde_json::to_vec(&stopped)?)?;
            println!("bench-seek\tCPU profile of the playback written to {}", std::path::Path::new(path).display());
        }
        let (page_fps, longest, p95) = page_rate(&played)?;
        println!(
            "bench-seek\tTwo 1080p takes playing side by side for {PLAY_S} s in the compare view, from opening it: the page drew {page_fps:.1} frames/s (from animation-frame timestamps; longest gap {longest:.0} ms, p95 {p95:.0} ms; target ≥ 60: {})",
            if page_fps >= 59.0 { "met" } else { "missed" }
        );
        for (i, screen) in played["screens"].as_array().context("no screens")?.iter().enumerate() {
            let frames: Vec<(u64, f64)> = screen["frames"]
                .as_array()
                .context("no frames")?
                .iter()
                .filter_map(|f| Some((f[0].as_u64()?, f[1].as_f64()?)))
                .collect();
            let (Some(first), Some(last)) = (frames.first(), frames.last()) else {
                bail!("screen {i} showed no frame while playing");
            };
            let seconds = (last.1 - first.1) / 1000.0;
            let skipped: u64 = frames.windows(2).map(|w| w[1].0.saturating_sub(w[0].0 + 1)).sum();
            println!(
                "bench-seek\t  screen {}: {} new frames/s over {seconds:.1} s (clip 24); {} shown, {skipped} skipped",
                i + 1,
                format_args!("{:.1}", frames.len().saturating_sub(1) as f64 / seconds.max(1e-9)),
                frames.len(),
            );
            ensure!(last.0 > first.0, "screen {i} did not move while playing");
        }
        // Again once both takes are read whole and measured: the page's
        // rate with nothing else running.
        s.until_within("both takes read whole and measured", Duration::from_mins(2), || async {
            let v = s
                .client
                .execute(
                    "const fills = [...document.querySelectorAll('[data-testid=compare-screen]')].map((e) => e.dataset.fill ?? '');
                     const meters = [...document.querySelectorAll('[data-testid=sync-meter]')].map((e) => e.dataset.state ?? '');
                     return fills.length > 0 && fills.every((f) => f.startsWith('done'))
                       && meters.every((m) => m !== 'waiting' && m !== 'measuring');",
                    vec![],
                )
                .await?;
            Ok((v == json!(true)).then_some(()))
        })
        .await?;
        let warm = play_compare(s, false).await?;
        let (warm_fps, warm_longest, warm_p95) = page_rate(&warm)?;
        println!(
            "bench-seek	Played again once both takes were read whole and measured: the page drew {warm_fps:.1} frames/s (longest gap {warm_longest:.0} ms, p95 {warm_p95:.0} ms; target ≥ 60: {})",
            if warm_fps >= 59.0 { "met" } else { "missed" }
        );
        // Again, every new frame read back from both screens' pixels.
        let checked = play_compare(s, true).await?;
        s.screenshot("bench-seek-playback").await?;
        let (checked_fps, _, _) = page_rate(&checked)?;
        let mut all_right = true;
        for (i, screen) in checked["screens"].as_array().context("no screens")?.iter().enumerate() {
            let count = |key: &str| screen[key].as_u64().unwrap_or(0);
            let (read, wrong, unread) = (count("read"), count("wrong"), count("unread"));
            all_right &= read > 0 && wrong == 0 && unread == 0;
            println!(
                "bench-seek\t  screen {}, played again with every new frame read back from its pixels: {read} read, {wrong} wrong, {unread} unreadable (the page drew {checked_fps:.1} frames/s while reading)",
                i + 1,
            );
        }
        if let Some(path) = std::env::var_os("CHORUS_BENCH_DUMP") {
            let all = json!({ "ours": ours, "video": theirs, "played": [played, warm, checked] });
            std::fs::write(&path, serde_json::to_vec(&all)?)?;
        }
        // Latency and frame rates depend on the machine and are reported;
        // a wrong frame is a bug anywhere.
        ensure!(exact == seeks, "our player showed {} wrong frames: {}", seeks - exact, ours["seeks"]);
        ensure!(exact_steps == steps, "our player stepped to {} wrong frames: {}", steps - exact_steps, ours["steps"]);
        ensure!(all_right, "a screen showed a frame other than the one it reported while playing");
        Ok(())
    })
    .await
}
