//! `cargo xtask bench <name>`: benchmarks that print figures beside a
//! reference measured in the same run, since these machines are noisy.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::{http, sh, tools};

pub fn bench(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("draft") => draft(),
        Some("sync") => crate::bench_sync::sync(&args[1..]),
        Some("queue") => queue(),
        Some("load") => crate::bench_load::load(&args[1..]),
        Some("library") => crate::bench_library::library(),
        Some("seek") => crate::bench_seek::seek(),
        Some("package") => crate::bench_package::package(),
        Some("campaign") => crate::bench_campaign::campaign(),
        Some(other) => {
            bail!(
                "unknown benchmark `{other}`; available: draft, sync, queue, load, library, seek, package, campaign"
            )
        }
        None => {
            bail!(
                "name a benchmark: cargo xtask bench draft|sync|queue|load|library|seek|package|campaign"
            )
        }
    }
}

const RUNS: usize = 3;

/// The queue and API benchmark: an in-process load generator against the
/// server and a bare axum floor (`crates/chorus-server/benches/queue`); it
/// starts its own PostgreSQL.
fn queue() -> anyhow::Result<()> {
    tools::ensure_native_deps()?;
    tools::ensure_services()?;
    sh::run(
        sh::cargo()
            .args(["bench", "-p", "chorus-server", "--bench", "queue"])
            .env("PATH", tools::tool_path()),
    )
}

/// The draft engine against ffmpeg/libx264 for the same length and size, and
/// the time from submitting a job over HTTP to its success.
fn draft() -> anyhow::Result<()> {
    tools::ensure_native_deps()?;
    tools::ensure_apt(&[("ffmpeg", "ffmpeg")])?;
    sh::run(sh::cargo().args(["build", "--release", "-p", "chorus-server"]))?;
    let chorus = sh::target_dir().join("release").join("chorus");
    let scratch = std::env::temp_dir().join(format!("chorus-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;

    let ours = scratch.join("draft-15s-1080p.mp4");
    let reference = scratch.join("ffmpeg-15s-1080p.mp4");
    let line = "Welcome to Chorus. Every market hears its own voice: we write the line once, \
                and each language gets a take of its own, in sync, before lunch.";
    let mut draft_times = Vec::new();
    let mut ffmpeg_times = Vec::new();
    for _ in 0..RUNS {
        // Interleaved, so load on the machine hits both alike.
        draft_times.push(time(
            Command::new(&chorus)
                .args([
                    "draft",
                    "--lang",
                    "en",
                    "--text",
                    line,
                    "--duration",
                    "15",
                    "--aspect",
                    "16:9",
                ])
                .args([
                    "--resolution",
                    "1080p",
                    "--fps",
                    "24",
                    "--prompt",
                    "A presenter in a bright studio",
                ])
                .arg("--out")
                .arg(&ours),
        )?);
        ffmpeg_times.push(time(
            Command::new("ffmpeg")
                .args(["-loglevel", "error", "-y"])
                .args(test_card_inputs(440))
                .args([
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                ])
                .args(["-c:a", "aac", "-b:a", "128k", "-shortest"])
                .arg(&reference),
        )?);
    }
    let ours_s = median(&mut draft_times);
    let ffmpeg_s = median(&mut ffmpeg_times);

    let submit = submit_to_succeeded(&chorus, &scratch)?;
    let _ = std::fs::remove_dir_all(&scratch);

    println!();
    println!(
        "Draft engine benchmark (median of {RUNS} runs, {} cores)",
        cores()
    );
    println!("  {:<58} {:>8}", "what", "seconds");
    println!(
        "  {:<58} {:>8.2}",
        "chorus draft: 15 s 1080p 24 fps, H.264 + AAC, speech", ours_s
    );
    println!(
        "  {:<58} {:>8.2}",
        "ffmpeg testsrc2 + sine, libx264 veryfast + AAC, same size", ffmpeg_s
    );
    println!(
        "  {:<58} {:>8.2}   (target ≤ 1.00)",
        "ratio draft / ffmpeg",
        ours_s / ffmpeg_s
    );
    println!(
        "  {:<58} {:>8.2}   (target ≤ 2.00)",
        "HTTP submit → succeeded, 5 s 720p job (median)", submit
    );
    Ok(())
}

pub fn time(cmd: &mut Command) -> anyhow::Result<f64> {
    let started = Instant::now();
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
    if !out.status.success() {
        bail!(
            "`{}` failed: {}",
            sh::describe(cmd),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Runs one ignored browser test (a benchmark in `tests/browser`) against
/// the server binary `chorus` and the built app, and returns what it printed.
pub fn browser_bench(test: &str, chorus: &std::path::Path) -> anyhow::Result<String> {
    browser_bench_with(test, chorus, &[])
}

/// `browser_bench` with more environment for the test.
pub fn browser_bench_with(
    test: &str,
    chorus: &std::path::Path,
    env: &[(&str, String)],
) -> anyhow::Result<String> {
    let root = sh::root();
    let out = sh::output(
        sh::cargo()
            .current_dir(&root)
            .envs(env.iter().map(|(k, v)| (*k, v)))
            .args(["test", "-p", "chorus-studio", "--test", "browser", "--"])
            .args(["--ignored", "--exact", test])
            .args(["--nocapture", "--test-threads=1"])
            .env("CHORUS_BIN", chorus)
            .env("CHORUS_DIST", root.join("dist")),
    )?;
    Ok(figures(&out))
}

/// The figure lines of a benchmark's output, each from its `bench-` tag
/// on: the test runner writes "test name ... " without a newline, so the
/// first figure line would otherwise start with it.
fn figures(out: &str) -> String {
    out.lines()
        .filter_map(|line| line.find("bench-").map(|at| &line[at..]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// ffmpeg's inputs for 15 s of a 1080p, 24 fps test card and a tone.
pub fn test_card_inputs(tone_hz: u32) -> Vec<String> {
    [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1920x1080:rate=24:duration=15",
        "-f",
        "lavfi",
        "-i",
    ]
    .iter()
    .map(ToString::to_string)
    .chain([format!(
        "sine=frequency={tone_hz}:sample_rate=48000:duration=15"
    )])
    .collect()
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Starts a server, then times POST /api/jobs → status succeeded, by polling
/// the job every 10 ms. Each run speaks a new line, so none is served from
/// the server's memory of lines it spoke: every one pays for its voice
/// helper process.
fn submit_to_succeeded(chorus: &std::path::Path, scratch: &std::path::Path) -> anyhow::Result<f64> {
    let addr = http::free_addr()?;
    let mut server = Command::new(chorus)
        .arg("serve")
        .arg("--addr")
        .arg(addr.to_string())
        .arg("--data")
        .arg(scratch.join("data"))
        .arg("--dist")
        .arg(scratch.join("no-dist"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start chorus serve")?;
    let result = (|| {
        http::wait_until_listening(addr, Duration::from_secs(20))?;
        let mut times = Vec::new();
        for run in 0..RUNS {
            let body = format!(
                r#"{{"model":"draft","mode":"text-to-video","prompt":"A barista smiles, take {run}","duration_s":5,
                    "resolution":"720p","aspect_ratio":"16:9",
                    "dialogue":[{{"language":"en","text":"Your usual, number {run}? Coming right up."}}]}}"#
            );
            let started = Instant::now();
            let (status, created) = http::request(addr, "POST", "/api/jobs", Some(&body))?;
            if status != 201 {
                bail!("job creation answered {status}: {created}");
            }
            let id = created
                .split("\"id\":\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .context("no job id in the answer")?
                .to_string();
            loop {
                let (_, job) = http::request(addr, "GET", &format!("/api/jobs/{id}"), None)?;
                if job.contains("\"status\":\"succeeded\"") {
                    break;
                }
                if job.contains("\"status\":\"failed\"") {
                    bail!("the benchmark job failed: {job}");
                }
                if started.elapsed() > Duration::from_mins(1) {
                    bail!("the benchmark job did not finish in 60 s");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            times.push(started.elapsed().as_secs_f64());
        }
        Ok(median(&mut times))
    })();
    let _ = server.kill();
    let _ = server.wait();
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn figure_lines_start_at_their_tag() {
        let out = "running 1 test\ntest library::bench ... bench-library\tfirst\t30\nbench-library\tfirst\t31\ntest result: ok";
        assert_eq!(
            super::figures(out),
            "bench-library\tfirst\t30\nbench-library\tfirst\t31"
        );
    }
}
