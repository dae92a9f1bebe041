//! The frame-exact player in the Library: a real draft job rendered by the
//! server, opened in the player, seeked at random through the timeline, and
//! checked against what the canvas actually shows (frame number and a hash
//! of the pixels read back from the canvas).

use std::collections::HashMap;

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::harness::Studio;

/// Posts a draft job from the page (same origin) and waits until it has
/// rendered; returns the job id.
const CREATE_DRAFT_JOB: &str = r"
const done = arguments[arguments.length - 1];
(async () => {
  const request = {
    model: 'draft', mode: 'text-to-video',
    prompt: 'A presenter leans in and speaks to the camera.',
    duration_s: 3, resolution: '720p', aspect_ratio: '16:9', seed: 7,
    dialogue: [{ language: 'en', text: 'Every frame, exactly where you asked.' }],
  };
  const created = await fetch('/api/jobs', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const job = await created.json();
  if (!created.ok) return done({ error: JSON.stringify(job) });
  for (let i = 0; i < 600; i++) {
    const now = await (await fetch(`/api/jobs/${job.id}`)).json();
    if (now.status === 'succeeded') return done({ id: job.id });
    if (now.status === 'failed' || now.status === 'canceled') return done({ error: JSON.stringify(now) });
    await new Promise((r) => setTimeout(r, 200));
  }
  done({ error: 'the draft job did not finish in two minutes' });
})().catch((e) => done({ error: String(e) }));
";

/// Presses the timeline where `frame` sits (the middle of its slot), the way
/// a pointer would: pointerdown then pointerup at that x.
pub(crate) const CLICK_TIMELINE_AT_FRAME: &str = r"
const [frame] = arguments;
const player = document.querySelector('[data-testid=player]');
const bar = player.querySelector('[data-testid=player-timeline]');
const count = Number(player.dataset.frameCount);
const rect = bar.getBoundingClientRect();
const x = rect.left + (frame + 0.5) * rect.width / count;
const y = rect.top + rect.height / 2;
const init = { bubbles: true, clientX: x, clientY: y, pointerId: 1, isPrimary: true };
bar.dispatchEvent(new PointerEvent('pointerdown', init));
bar.dispatchEvent(new PointerEvent('pointerup', init));
";

/// What the player says it shows: data attributes and the window hook,
/// which must agree.
const READ_SHOWN: &str = r"
const player = document.querySelector('[data-testid=player]');
const hook = window.__chorusPlayer || {};
return {
  frame: player.dataset.frame === undefined ? null : Number(player.dataset.frame),
  checksum: player.dataset.checksum === undefined ? null : Number(player.dataset.checksum),
  count: Number(player.dataset.frameCount || 0),
  backend: player.dataset.backend || null,
  hookFrame: hook.frame ?? null,
  hookChecksum: hook.checksum ?? null,
  error: player.querySelector('.player-error')?.textContent ?? null,
};
";

struct Shown {
    frame: Option<u64>,
    checksum: Option<u64>,
    count: u64,
    backend: Option<String>,
}

async fn read_shown(s: &Studio) -> Result<Shown> {
    let v: Value = s.client.execute(READ_SHOWN, vec![]).await?;
    if let Some(error) = v["error"].as_str() {
        bail!("the player shows an error: {error}");
    }
    let shown = Shown {
        frame: v["frame"].as_u64(),
        checksum: v["checksum"].as_u64(),
        count: v["count"].as_u64().unwrap_or(0),
        backend: v["backend"].as_str().map(str::to_string),
    };
    ensure!(
        v["hookFrame"].as_u64() == shown.frame && v["hookChecksum"].as_u64() == shown.checksum,
        "window.__chorusPlayer disagrees with the player: {v}"
    );
    Ok(shown)
}

/// Waits until the player shows `frame`, and returns its pixel checksum.
async fn wait_for_frame(s: &Studio, frame: u64) -> Result<u64> {
    s.until(&format!("frame {frame} on screen"), || async {
        let shown = read_shown(s).await?;
        Ok((shown.frame == Some(frame))
            .then_some(shown.checksum)
            .flatten())
    })
    .await
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
async fn the_player_shows_exactly_the_frame_asked_for() -> Result<()> {
    Studio::run("player", async |s: &Studio| {
        s.open("/library").await?;
        let made = s.client.execute_async(CREATE_DRAFT_JOB, vec![]).await?;
        if let Some(error) = made["error"].as_str() {
            bail!("the draft job failed: {error}");
        }
        let id = made["id"].as_str().context("no job id")?.to_string();

        s.client.refresh().await?;
        s.find(&format!("[data-job-id='{id}'] [data-testid=take-poster]"))
            .await
            .context("the succeeded job has no take")?
            .click()
            .await?;
        s.find(&format!("[data-job-id='{id}'] [data-testid=player]"))
            .await
            .context("opening the take shows no player")?;
        let first = wait_for_frame(s, 0).await?;
        let shown = read_shown(s).await?;
        let count = shown.count;
        ensure!(
            count >= 60,
            "a 3 s clip should have at least 60 frames, the player says {count}"
        );
        let backend = shown.backend.unwrap_or_default();
        ensure!(
            backend == "WebGPU" || backend == "WebGL2",
            "backend {backend:?}"
        );
        s.screenshot("player-first-frame").await?;

        let mut seen: HashMap<u64, u64> = HashMap::from([(0, first)]);
        for target in targets(count, 20) {
            s.client
                .execute(CLICK_TIMELINE_AT_FRAME, vec![json!(target)])
                .await?;
            let checksum = wait_for_frame(s, target).await?;
            if let Some(&before) = seen.get(&target) {
                ensure!(
                    before == checksum,
                    "frame {target} looked different the second time"
                );
            }
            seen.insert(target, checksum);
        }
        // Different frames must look different. A draft animatic can hold
        // still for a frame or two, so a few equal neighbours are allowed;
        // a player stuck on one picture (or drawing nothing) is not.
        let distinct_pictures: std::collections::HashSet<u64> = seen.values().copied().collect();
        ensure!(
            seen.len() >= 10,
            "too few distinct frames were visited: {}",
            seen.len()
        );
        ensure!(
            distinct_pictures.len() * 10 >= seen.len() * 8,
            "{} frames showed only {} different pictures: {seen:?}",
            seen.len(),
            distinct_pictures.len()
        );
        s.screenshot("player-after-seeks").await?;

        // → moves exactly one frame; ← comes back to the same pixels.
        let player = s.find("[data-testid=player]").await?;
        let at = read_shown(s).await?.frame.context("no frame shown")?;
        let at = if at + 1 >= count { 0 } else { at };
        s.client
            .execute(CLICK_TIMELINE_AT_FRAME, vec![json!(at)])
            .await?;
        let before = wait_for_frame(s, at).await?;
        player.send_keys("\u{e014}").await?;
        wait_for_frame(s, at + 1).await?;
        player.send_keys("\u{e012}").await?;
        ensure!(
            wait_for_frame(s, at).await? == before,
            "← did not return to the same picture"
        );
        // Home and End reach the ends, and Home shows frame 0's pixels as a
        // seek to frame 0 does (the very first draw may predate the final
        // layout, so it is not the reference).
        s.client
            .execute(CLICK_TIMELINE_AT_FRAME, vec![json!(0)])
            .await?;
        let zero = wait_for_frame(s, 0).await?;
        // WebDriver key codes: U+E010 is End, U+E011 is Home.
        player.send_keys("\u{e010}").await?;
        wait_for_frame(s, count - 1).await?;
        player.send_keys("\u{e011}").await?;
        ensure!(
            wait_for_frame(s, 0).await? == zero,
            "Home did not show frame 0 again"
        );
        s.screenshot("player-keys").await?;
        Ok(())
    })
    .await
}
