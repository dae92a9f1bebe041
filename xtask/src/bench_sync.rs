//! `cargo xtask bench sync`: how well `chorus sync` measures lip-sync.
//! Accuracy on real faces (`bench_sync_real`), on draft clips with known
//! offsets in every language and three frame shapes, and the analysis time
//! of 15 s of 1080p (a draft take, and a real face made from the footage),
//! decode included, natively and in the compare view. `--real-only` stops after the
//! real faces; `--quick` takes one frame shape; `--no-browser` skips the
//! compare view's timing.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use crate::{bench, sh, tools};

const OFFSETS_MS: [i32; 8] = [-200, -120, -40, 0, 40, 120, 200, 320];
const RATIOS: [&str; 3] = ["16:9", "9:16", "1:1"];
const LINES: [(&str, &str); 7] = [
    (
        "en",
        "Fresh tulips every morning, picked at dawn and here by nine.",
    ),
    ("cmn", "每天早上有新鲜的花。"),
    ("yue", "每朝都有新鮮嘅花。"),
    ("ja", "まいあさ、しんせんな はなを おとどけします。"),
    ("ko", "매일 아침 신선한 꽃을 배달해 드립니다."),
    (
        "de",
        "Frische Tulpen jeden Morgen, um neun schon bei Ihnen.",
    ),
    (
        "fr",
        "Des tulipes fraîches chaque matin, chez vous à neuf heures.",
    ),
];

pub fn sync(args: &[String]) -> anyhow::Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let browser = !args.iter().any(|a| a == "--no-browser");
    let real_only = args.iter().any(|a| a == "--real-only");
    tools::ensure_native_deps()?;
    sh::run(sh::cargo().args(["build", "--release", "-p", "chorus-server"]))?;
    let chorus = sh::target_dir().join("release").join("chorus");
    let scratch = std::env::temp_dir().join(format!("chorus-bench-sync-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let result = crate::bench_sync_real::run(&chorus, &scratch).and_then(|()| {
        if real_only {
            Ok(())
        } else {
            run(&chorus, &scratch, quick, browser)
        }
    });
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn run(chorus: &Path, scratch: &Path, quick: bool, browser: bool) -> anyhow::Result<()> {
    let ratios: &[&str] = if quick { &RATIOS[..1] } else { &RATIOS };
    let mut errors: Vec<(String, f64)> = Vec::new();
    let mut per_language: Vec<(&str, Vec<f64>)> = Vec::new();
    for (lang, line) in LINES {
        let mut lang_errors = Vec::new();
        for ratio in ratios {
            for offset in OFFSETS_MS {
                let clip = scratch.join(format!("{lang}.mp4"));
                let status = Command::new(chorus)
                    .args([
                        "draft",
                        "--lang",
                        lang,
                        "--text",
                        line,
                        "--duration",
                        "5",
                        "--aspect",
                        ratio,
                    ])
                    .args([
                        "--resolution",
                        "720p",
                        "--prompt",
                        "A presenter in a bright studio",
                    ])
                    .arg(format!("--av-offset-ms={offset}"))
                    .arg("--out")
                    .arg(&clip)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()?;
                if !status.success() {
                    bail!("chorus draft failed for {lang} {ratio} {offset} ms");
                }
                let measured = measure(chorus, &clip)?;
                let error = measured - f64::from(offset);
                lang_errors.push(error);
                errors.push((
                    format!("{lang} {ratio} {offset:+} ms → {measured:+.1} ms"),
                    error,
                ));
            }
        }
        per_language.push((lang, lang_errors));
    }

    let timing = time_1080p(chorus, scratch)?;
    let face_clip = face_clip_1080p(scratch)?;
    let face_timing = time_sync(chorus, &face_clip, false)?;

    println!();
    println!(
        "Lip-sync accuracy on draft clips ({} clips: 7 languages × {} ratios × 8 offsets)",
        errors.len(),
        ratios.len()
    );
    println!(
        "  {:<6} {:>14} {:>14} {:>14}",
        "lang", "mean |err| ms", "worst |err| ms", "mean err ms"
    );
    for (lang, errs) in &per_language {
        println!(
            "  {lang:<6} {:>14.1} {:>14.1} {:>14.1}",
            mean_abs(errs),
            worst(errs),
            errs.iter().sum::<f64>() / errs.len() as f64
        );
    }
    let all: Vec<f64> = errors.iter().map(|(_, e)| *e).collect();
    println!(
        "  {:<6} {:>14.1} {:>14.1}   (targets: mean ≤ 20, worst ≤ 40)",
        "all",
        mean_abs(&all),
        worst(&all)
    );
    if let Some((label, e)) = errors.iter().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())) {
        println!("  worst clip: {label} (error {e:+.1} ms)");
    }
    println!();
    println!("Analysis speed, 15 s of 1080p, decode included (median of 3)");
    println!("  draft take: 24 fps, drawn presenter; real face: {FACE_CLIP}");
    println!(
        "  {:<50} {:>8.2} s   (target ≤ 2.00)",
        "chorus sync (CLI, native), draft take", timing
    );
    println!(
        "  {:<50} {:>8.2} s   (target ≤ 2.00)",
        "chorus sync (CLI, native), real face", face_timing
    );
    if browser {
        for (path, ms) in browser_times(chorus, &face_clip)? {
            println!(
                "  {:<50} {:>8.2} s   (target ≤ 1.00)",
                format!("compare view in Chromium, {path}"),
                ms / 1000.0
            );
        }
    } else {
        println!(
            "  {:<50} {:>8}",
            "compare view in Chromium", "skipped (--no-browser)"
        );
    }
    Ok(())
}

/// The compare view's own measurement of a 15 s 1080p take in headless
/// Chromium (release wasm), alone and with the GPU motion check, median of
/// 3 each: the
/// ignored browser test `compare::bench_browser_analysis` prints them.
fn browser_times(chorus: &Path, face_clip: &Path) -> anyhow::Result<Vec<(String, f64)>> {
    tools::ensure_chromium()?;
    tools::trunk_build(true)?;
    let out = bench::browser_bench_with(
        "compare::bench_browser_analysis",
        chorus,
        &[("CHORUS_BENCH_FACE_CLIP", face_clip.display().to_string())],
    )?;
    let rows: Vec<(String, f64)> = out
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('\t');
            (cells.next()? == "bench-sync-browser-median").then_some(())?;
            let path = cells.next()?.to_string();
            let ms = cells.next()?.trim_end_matches(" ms").parse().ok()?;
            Some((path, ms))
        })
        .collect();
    if rows.is_empty() {
        bail!("the browser benchmark printed no figures:\n{out}");
    }
    Ok(rows)
}

fn measure(chorus: &Path, clip: &Path) -> anyhow::Result<f64> {
    let out = sh::output(
        Command::new(chorus)
            .arg("sync")
            .arg(clip)
            .args(["--json", "--rendered"]),
    )?;
    let report: serde_json::Value =
        serde_json::from_str(&out).context("chorus sync printed no JSON")?;
    report["av_offset_ms"]
        .as_f64()
        .context("no av_offset_ms in the report")
}

fn time_1080p(chorus: &Path, scratch: &Path) -> anyhow::Result<f64> {
    let clip = scratch.join("talk-1080p.mp4");
    sh::run(
        Command::new(chorus)
            .args(["draft", "--lang", "en", "--duration", "15", "--resolution", "1080p", "--aspect", "16:9"])
            .args(["--text", "Every market hears its own voice: one line, seven languages, each take in sync before lunch."])
            .arg("--out")
            .arg(&clip)
            .stderr(Stdio::null()),
    )?;
    time_sync(chorus, &clip, true)
}

/// The median of three timed `chorus sync` runs on `clip`.
fn time_sync(chorus: &Path, clip: &Path, rendered: bool) -> anyhow::Result<f64> {
    let mut times = Vec::new();
    for _ in 0..3 {
        let mut sync = Command::new(chorus);
        sync.arg("sync").arg(clip).arg("--json");
        if rendered {
            sync.arg("--rendered");
        }
        times.push(bench::time(&mut sync)?);
    }
    Ok(bench::median(&mut times))
}

/// How the real-face speed clip is made, for the table.
const FACE_CLIP: &str = "talking-4 forwards, backwards, forwards (no cut), \
                         cut to 15 s, scaled into 1920×1080, 30 fps, x264 High";

/// A real face at the speed benchmark's size, made by ffmpeg: talking-4
/// from the shared footage played forwards, backwards and forwards again
/// (so no cut stops the analysis early), cut to 15 s, scaled to 1080 lines
/// and centred in 1920 × 1080. Its reading means nothing (a third of the
/// sound runs backwards); it times the face path, which imported and
/// provider clips take.
fn face_clip_1080p(scratch: &Path) -> anyhow::Result<std::path::PathBuf> {
    let source = crate::bench_sync_real::footage_dir().join("talking-4.mp4");
    if !source.is_file() {
        bail!("real footage missing: {}", source.display());
    }
    let clip = scratch.join("face-1080p-15s.mp4");
    let graph = "[0:v]scale=1080:1080,pad=1920:1080:420:0,split=3[v1][v2][v3];[v2]reverse[r];\
                 [v1][r][v3]concat=n=3:v=1:a=0,trim=duration=15[v];\
                 [0:a]asplit=3[a1][a2][a3];[a2]areverse[ra];\
                 [a1][ra][a3]concat=n=3:v=0:a=1,atrim=duration=15[a]";
    sh::run(
        Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(&source)
            .args(["-filter_complex", graph, "-map", "[v]", "-map", "[a]"])
            .args([
                "-c:v", "libx264", "-preset", "fast", "-crf", "20", "-g", "48",
            ])
            .args([
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-movflags",
                "+faststart",
            ])
            .arg(&clip),
    )?;
    Ok(clip)
}

fn mean_abs(values: &[f64]) -> f64 {
    values.iter().map(|v| v.abs()).sum::<f64>() / values.len().max(1) as f64
}

fn worst(values: &[f64]) -> f64 {
    values.iter().map(|v| v.abs()).fold(0.0, f64::max)
}
