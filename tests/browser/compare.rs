//! The compare view from a reviewer's seat: English and German of one draft
//! job side by side, frame steps that move both screens together, a sync
//! meter per variant (measured in the browser, GPU against CPU), and a
//! correction that makes the next version and measures as intended.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::harness::Studio;

/// Decoding and measuring every frame of a clip in software is slow.
pub(crate) const MEASURING: Duration = Duration::from_mins(2);

/// Creates a job through the API from inside the page and returns its id.
const CREATE_JOB: &str = r"
const done = arguments[arguments.length - 1];
fetch('/api/jobs', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(arguments[0]),
}).then((r) => r.json()).then((job) => done(job.id ?? JSON.stringify(job)), (e) => done(String(e)));
";

const JOB_STATUS: &str = r"
const done = arguments[arguments.length - 1];
fetch('/api/jobs/' + arguments[0]).then((r) => r.json()).then((job) => done(job), (e) => done(null));
";

/// What the compare view shows: each screen's frame and checksum, each
/// meter's reading.
const READ_COMPARE: &str = r"
const view = document.querySelector('[data-testid=compare-view]');
if (!view) return null;
const num = (v) => (v === undefined || v === null || v === '' ? null : Number(v));
return {
  stage: document.querySelector('[data-testid=compare-stage]').className,
  screens: [...document.querySelectorAll('[data-testid=compare-screen]')].map((s) => ({
    frame: num(s.dataset.frame),
    checksum: num(s.dataset.checksum),
    output: num(s.dataset.output),
    version: num(s.dataset.version),
    style: s.getAttribute('style') || '',
    role: s.className,
    error: s.querySelector('.player-error')?.textContent ?? null,
  })),
  meters: [...document.querySelectorAll('[data-testid=sync-meter]')].map((m) => ({
    state: m.dataset.state,
    level: m.dataset.level,
    offset: num(m.dataset.offsetMs),
    confidence: num(m.dataset.confidence),
    path: m.dataset.path ?? null,
    ms: num(m.dataset.analysisMs),
    frames_ms: num(m.dataset.framesMs),
    gpuCpuAbs: num(m.dataset.gpuCpuAbs),
    gpuCpuRel: num(m.dataset.gpuCpuRel),
    text: m.textContent,
  })),
  versions: [...document.querySelectorAll('[data-testid=variant-version]')].map((v) => v.value),
  frameText: document.querySelector('[data-testid=compare-frame]')?.textContent ?? '',
};
";

/// Counts, from the moment a document starts, every GPU context the page
/// opens: WebGL contexts and WebGPU canvas contexts (each canvas counted
/// once), WebGPU devices, the WebGL contexts the page gave back
/// (`WEBGL_lose_context`) and those the browser took (what Chromium does
/// past its limit of live contexts). Installed before the app's own code.
pub(crate) const COUNT_GPU_CONTEXTS: &str = r"
(() => {
  const counts = { webgl: 0, released: 0, lost: 0, webgpuCanvas: 0, devices: 0 };
  window.__gpuContexts = counts;
  const seen = new WeakSet();
  const givenBack = new WeakSet();
  const wrap = (proto) => {
    const original = proto.getContext;
    proto.getContext = function (kind, ...rest) {
      const context = original.call(this, kind, ...rest);
      if (context && !seen.has(context)) {
        seen.add(context);
        if (kind === 'webgl' || kind === 'webgl2' || kind === 'experimental-webgl') {
          counts.webgl += 1;
          if (this.addEventListener) this.addEventListener('webglcontextlost', () => {
            if (!givenBack.has(context)) counts.lost += 1;
          });
        }
        if (kind === 'webgpu') counts.webgpuCanvas += 1;
      }
      return context;
    };
  };
  wrap(HTMLCanvasElement.prototype);
  if (self.OffscreenCanvas) wrap(OffscreenCanvas.prototype);
  for (const gl of [self.WebGLRenderingContext, self.WebGL2RenderingContext]) {
    if (!gl) continue;
    const extension = gl.prototype.getExtension;
    gl.prototype.getExtension = function (name, ...rest) {
      const found = extension.call(this, name, ...rest);
      if (found && name === 'WEBGL_lose_context' && !found.__counted) {
        const context = this;
        const lose = found.loseContext;
        found.loseContext = function () {
          if (!givenBack.has(context)) { givenBack.add(context); counts.released += 1; }
          return lose.call(this);
        };
        found.__counted = true;
      }
      return found;
    };
  }
  if (self.GPUAdapter) {
    const request = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = function (...args) {
      counts.devices += 1;
      return request.apply(this, args);
    };
  }
})();
";

/// What ARCHITECTURE.md promises: each screen on show holds one WebGL
/// context and gives it back when it closes, so the page never holds more
/// than `screens` live ones and the browser never has to take one; and at
/// most one WebGPU device besides (the compare view's motion check). wgpu
/// opens one 1×1 WebGPU canvas per device to probe a texture format and
/// never draws on it; those may not outnumber devices.
pub(crate) async fn gpu_contexts_within_budget(
    s: &Studio,
    when: &str,
    screens: u64,
) -> Result<Value> {
    let counts = s
        .client
        .execute("return window.__gpuContexts ?? null;", vec![])
        .await?;
    let webgl = counts["webgl"]
        .as_u64()
        .context("the context counter is not installed")?;
    let released = counts["released"].as_u64().unwrap_or(0);
    let canvases = counts["webgpuCanvas"].as_u64().unwrap_or(0);
    let devices = counts["devices"].as_u64().unwrap_or(0);
    ensure!(
        counts["lost"].as_u64() == Some(0),
        "{when}: the browser took a picture context, counted {counts}"
    );
    ensure!(
        webgl.saturating_sub(released) == screens,
        "{when}: the page should hold one live picture context per screen ({screens}), counted {counts}"
    );
    ensure!(
        devices <= 1,
        "{when}: at most one WebGPU device, counted {counts}"
    );
    ensure!(
        canvases <= devices,
        "{when}: a WebGPU canvas beyond the devices' probes: {counts}"
    );
    Ok(counts)
}

pub(crate) async fn read(s: &Studio) -> Result<Value> {
    Ok(s.client.execute(READ_COMPARE, vec![]).await?)
}

/// Waits until both screens show `frame`; returns their checksums.
async fn both_at(s: &Studio, frame: u64) -> Result<Vec<u64>> {
    s.until(&format!("both screens at frame {frame}"), || async {
        let v = read(s).await?;
        let screens = v["screens"].as_array().cloned().unwrap_or_default();
        if let Some(error) = screens.iter().find_map(|x| x["error"].as_str()) {
            bail!("a screen failed: {error}");
        }
        let at = screens.len() == 2 && screens.iter().all(|x| x["frame"].as_u64() == Some(frame));
        Ok(at.then(|| {
            screens
                .iter()
                .filter_map(|x| x["checksum"].as_u64())
                .collect()
        }))
    })
    .await
}

/// Waits until every meter has finished; fails on a measurement error.
pub(crate) async fn measured(s: &Studio) -> Result<Vec<Value>> {
    s.until_within("both meters to measure", MEASURING, || async {
        let v = read(s).await?;
        let meters = v["meters"].as_array().cloned().unwrap_or_default();
        if let Some(m) = meters.iter().find(|m| m["state"] == "failed") {
            bail!("a measurement failed: {}", m["text"]);
        }
        Ok((meters.len() == 2 && meters.iter().all(|m| m["state"] == "done")).then_some(meters))
    })
    .await
}

/// Creates a job through the API (as the Compose page would) and waits
/// until it has rendered; returns its id.
pub(crate) async fn render(s: &Studio, request: Value) -> Result<String> {
    let id = s.client.execute_async(CREATE_JOB, vec![request]).await?;
    let id = id.as_str().context("no job id")?.to_string();
    ensure!(id.starts_with("job_"), "the job was refused: {id}");
    s.until_within("the job to render", MEASURING, || async {
        let job = s.client.execute_async(JOB_STATUS, vec![json!(id)]).await?;
        match job["status"].as_str() {
            Some("succeeded") => Ok(Some(())),
            Some("failed") => bail!("the job failed: {}", job["error"]),
            _ => Ok(None),
        }
    })
    .await?;
    Ok(id)
}

pub(crate) fn offset(meter: &Value) -> Result<f64> {
    meter["offset"]
        .as_f64()
        .context("a meter without an offset")
}

#[tokio::test]
async fn english_and_german_side_by_side_measured_and_corrected() -> Result<()> {
    Studio::run("compare", async |s: &Studio| {
        s.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": COUNT_GPU_CONTEXTS }))
            .await?;
        s.open("/library").await?;
        let request = json!({
            "model": "draft",
            "mode": "text-to-video",
            "prompt": "A florist talks about her tulips",
            "dialogue": [
                {"language": "en", "text": "Fresh tulips, every single morning, from our own fields."},
                {"language": "de", "text": "Frische Tulpen, jeden Morgen, von unseren Feldern."}
            ],
            "duration_s": 5,
            "resolution": "720p",
            "aspect_ratio": "16:9"
        });
        let id = render(s, request).await?;

        // Both takes show as posters (images, no GPU); the one opened plays
        // on its screen's one GPU context.
        s.until("both Library posters", || async {
            let shown = s
                .client
                .execute(
                    "return [...document.querySelectorAll('[data-testid=take-poster] img')].filter((i) => i.complete && i.naturalWidth > 0).length;",
                    vec![],
                )
                .await?;
            Ok((shown.as_u64() == Some(2)).then_some(()))
        })
        .await?;
        s.click("[data-testid=take-poster]").await?;
        s.until("the opened take to draw", || async {
            let drawn = s
                .client
                .execute("return document.querySelectorAll('[data-testid=player][data-frame]').length;", vec![])
                .await?;
            Ok((drawn.as_u64() == Some(1)).then_some(()))
        })
        .await?;
        gpu_contexts_within_budget(s, "the Library with a take open", 1).await?;

        // The Library offers the comparison once both takes are there.
        s.find("[data-testid=job-compare]").await?.click().await?;
        s.find("[data-testid=compare-view]").await?;
        let url = s.client.current_url().await?;
        ensure!(
            url.path() == format!("/compare/{id}"),
            "the link opens this job's comparison, not {url}"
        );
        let first = both_at(s, 0).await?;
        ensure!(first.len() == 2, "both screens hash what they show");

        // Frame steps move both variants together, exactly.
        let view = s.find("[data-testid=compare-view]").await?;
        for _ in 0..3 {
            view.send_keys("\u{e014}").await?; // →
        }
        let third = both_at(s, 3).await?;
        ensure!(third != first, "stepping changed the pictures");
        view.send_keys("\u{e008}\u{e014}\u{e000}").await?; // Shift+→: one second
        both_at(s, 27).await?;
        view.send_keys("\u{e012}").await?; // ←
        both_at(s, 26).await?;
        s.screenshot("compare-grid").await?;

        // Each variant gets a verdict; draft clips are drawn in sync.
        let meters = measured(s).await?;
        let counts = gpu_contexts_within_budget(s, "the Library's player, then a measured compare view", 2).await?;
        eprintln!("GPU contexts after the Library and a measured compare view: {counts}");
        for m in &meters {
            let ms = offset(m)?;
            ensure!(ms.abs() <= 40.0, "a draft take should measure in sync, got {ms} ms: {m}");
            ensure!(m["level"] == "in-sync", "{m}");
            ensure!(m["confidence"].as_f64().unwrap_or(0.0) >= 0.1, "{m}");
        }
        s.screenshot("compare-measured").await?;

        // Stacked layouts show the same two screens on top of each other.
        s.click("[data-testid=layout-wipe]").await?;
        s.until("the wipe layout", || async {
            let v = read(s).await?;
            let wiped = v["stage"].as_str().unwrap_or_default().contains("mode-wipe")
                && v["screens"][1]["style"].as_str().unwrap_or_default().contains("clip-path");
            Ok(wiped.then_some(()))
        })
        .await?;
        s.click("[data-testid=layout-difference]").await?;
        s.screenshot("compare-difference").await?;
        s.click("[data-testid=layout-grid]").await?;

        // Move the German sound 200 ms later: a new version, measured late.
        let nudge = s.find("[data-testid=variant-head][data-slot='1'] [data-testid=variant-nudge]").await?;
        nudge.clear().await?;
        nudge.send_keys("200\u{e004}").await?; // Tab commits the value
        s.click("[data-testid=variant-head][data-slot='1'] [data-testid=variant-apply]").await?;
        s.until_within("version 2 on screen", MEASURING, || async {
            let v = read(s).await?;
            Ok((v["screens"][1]["version"].as_u64() == Some(2)).then_some(()))
        })
        .await?;
        let meters = measured(s).await?;
        let late = offset(&meters[1])?;
        ensure!((late - 200.0).abs() <= 40.0, "the corrected take should measure ~+200 ms, got {late}");
        ensure!(meters[1]["level"] == "unacceptable", "{}", meters[1]);
        ensure!(offset(&meters[0])?.abs() <= 40.0, "English is untouched");
        // The correction shows the meter before and after, and warns.
        let result = s
            .find("[data-testid=variant-head][data-slot='1'] [data-testid=correction-result]")
            .await?;
        let said = result.text().await?;
        ensure!(
            result.attr("data-after-level").await?.as_deref() == Some("unacceptable")
                && said.contains("Before:")
                && said.contains("in sync")
                && said.contains("does not read in sync"),
            "before/after after the +200 ms version: {said}"
        );

        // Its suggested correction puts it back: version 3 measures in sync.
        s.click("[data-testid=variant-head][data-slot='1'] [data-testid=variant-apply]").await?;
        s.until_within("version 3 on screen", MEASURING, || async {
            let v = read(s).await?;
            Ok((v["screens"][1]["version"].as_u64() == Some(3)).then_some(()))
        })
        .await?;
        let meters = measured(s).await?;
        let fixed = offset(&meters[1])?;
        ensure!(fixed.abs() <= 40.0, "the correction should bring it back, got {fixed}");
        let result = s
            .find("[data-testid=variant-head][data-slot='1'] [data-testid=correction-result]")
            .await?;
        ensure!(
            result.attr("data-after-level").await?.as_deref() == Some("in-sync"),
            "after the correction: {}",
            result.text().await?
        );
        both_at(s, 26).await?;
        s.screenshot("compare-corrected").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn the_gpu_motion_shader_matches_the_cpu_definition() -> Result<()> {
    Studio::run("compare-gpu", async |s: &Studio| {
        s.open("/library").await?;
        let request = json!({
            "model": "draft",
            "mode": "text-to-video",
            "prompt": "A presenter greets the viewers",
            "dialogue": [
                {"language": "fr", "text": "Bonjour à tous, et bienvenue."},
                {"language": "ko", "text": "안녕하세요, 반갑습니다."}
            ],
            "duration_s": 3,
            "resolution": "720p",
            "aspect_ratio": "9:16"
        });
        let id = render(s, request).await?;
        s.open(&format!("/compare/{id}?crosscheck=1")).await?;
        let meters = measured(s).await?;
        for m in &meters {
            let path = m["path"].as_str().unwrap_or_default();
            ensure!(path.contains("GPU"), "WebGPU compute did not run: {m}");
            let rel = m["gpuCpuRel"].as_f64().context("no GPU/CPU comparison")?;
            let abs = m["gpuCpuAbs"].as_f64().context("no GPU/CPU comparison")?;
            // Integer sums on both sides; only the final f32 division may differ.
            ensure!(rel <= 1e-6 && abs <= 1e-3, "GPU and CPU motion differ: {m}");
        }
        Ok(())
    })
    .await
}

/// `cargo xtask bench sync` runs this (it is ignored by plain `cargo test`):
/// the time the compare view takes to measure a 15 s 1080p take, decode
/// included (the face analysis in wasm), and, for reference, the same with
/// the GPU motion check added.
/// The real-face clip `cargo xtask bench sync` makes (`CHORUS_BENCH_FACE_CLIP`),
/// imported; returns its job.
async fn import_face_clip(s: &Studio) -> Result<String> {
    let clip = std::env::var("CHORUS_BENCH_FACE_CLIP")
        .context("CHORUS_BENCH_FACE_CLIP names the face clip (cargo xtask bench sync makes it)")?;
    let clip = std::path::Path::new(&clip).canonicalize()?;
    let job = s.import(&clip.display().to_string()).await?;
    Ok(job["id"]
        .as_str()
        .context("the import made no job")?
        .to_string())
}

#[tokio::test]
#[ignore = "a benchmark: run by `cargo xtask bench sync`"]
async fn bench_browser_analysis() -> Result<()> {
    Studio::run("bench-sync", async |s: &Studio| {
        s.open("/library").await?;
        let request = json!({
            "model": "draft",
            "mode": "text-to-video",
            "prompt": "A presenter introduces the spring collection",
            "dialogue": [{"language": "en", "text":
                "Welcome to the spring collection. Every piece is made by hand, from linen grown \
                 on our own farm, and dyed with plants from the hills around it. Take a look."}],
            "duration_s": 15,
            "resolution": "1080p",
            "aspect_ratio": "16:9"
        });
        let drawn = render(s, request).await?;
        let face = import_face_clip(s).await?;
        let mut rows = Vec::new();
        for (name, id, query) in [
            ("face analysis (wasm)", &drawn, ""),
            ("with the GPU motion check", &drawn, "&crosscheck=1"),
            ("a real face, 15 s 1080p", &face, ""),
        ] {
            for run in 0..3 {
                s.open(&format!("/compare/{id}?takes=0{query}")).await?;
                let meter = s
                    .until_within("the measurement", MEASURING, || async {
                        let v = read(s).await?;
                        let m = v["meters"][0].clone();
                        if m["state"] == "failed" {
                            bail!("the measurement failed: {}", m["text"]);
                        }
                        Ok((m["state"] == "done").then_some(m))
                    })
                    .await?;
                let ms = meter["ms"].as_f64().context("no time")?;
                let frames_ms = meter["frames_ms"].as_f64().context("no frames time")?;
                println!(
                    "bench-sync-browser\t{name}\trun {run}\t{ms:.0} ms\t(frames {frames_ms:.0} ms, finish {:.0} ms)\t{}\toffset {:+.1} ms",
                    ms - frames_ms,
                    meter["path"].as_str().unwrap_or("?"),
                    offset(&meter)?
                );
                rows.push((name, ms));
            }
        }
        for name in [
            "face analysis (wasm)",
            "with the GPU motion check",
            "a real face, 15 s 1080p",
        ] {
            let mut times: Vec<f64> = rows.iter().filter(|r| r.0 == name).map(|r| r.1).collect();
            times.sort_by(f64::total_cmp);
            println!(
                "bench-sync-browser-median\t{name}\t{:.0} ms",
                times[times.len() / 2]
            );
        }
        Ok(())
    })
    .await
}
