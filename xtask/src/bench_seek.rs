//! `cargo xtask bench seek`: our player against an `HTMLVideoElement` in one
//! headless Chromium session. Makes the clips with ffmpeg (a reference tool
//! here, not something the product needs), builds the app and the server,
//! puts the clips beside the built app, and runs the ignored browser test
//! `bench::seek_benchmark`, which opens `/bench/seek` and prints the table.
//!
//! The clips carry their frame number in the top band (12 bits and their
//! inverse, white = 1; `src/player/bench/barcode.rs` reads it back) and in
//! large digits for people watching.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::{sh, tools};

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
const BITS: u32 = 12;

pub fn seek(args: &[String]) -> anyhow::Result<()> {
    let mut seeks = 200_u32;
    let mut seconds = 10_u32;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut number = || -> anyhow::Result<u32> {
            rest.next()
                .with_context(|| format!("{arg} needs a number"))?
                .parse()
                .with_context(|| format!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--seeks" => seeks = number()?,
            "--seconds" => seconds = number()?,
            other => bail!("unknown option `{other}` (try --seeks N, --seconds N)"),
        }
    }
    tools::ensure_apt(&[("ffmpeg", "ffmpeg")])?;
    tools::ensure_chromium()?;
    let root = sh::root();
    let bench = root.join("target").join("bench");
    std::fs::create_dir_all(&bench)?;
    // 1080p, 15 s, H.264 with B-frames and a keyframe every 2 s: 24 fps for
    // the seeks, 30 fps for the two-player playback run.
    let seek_clip = bench.join("bench-seek-24.mp4");
    let play_clip = bench.join("bench-play-30.mp4");
    make_clip(&seek_clip, 24)?;
    make_clip(&play_clip, 30)?;

    tools::trunk_build(true)?;
    // CHORUS_BIN names a server binary already built (it only serves files
    // here); otherwise the debug server is built, as for the browser tests.
    let server = if let Some(bin) = std::env::var_os("CHORUS_BIN") {
        std::path::PathBuf::from(bin)
    } else {
        sh::run(sh::cargo().args(["build", "-p", "chorus-server"]))?;
        root.join("target").join("debug").join("chorus")
    };
    let dist = bench.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    copy_dir(&root.join("dist"), &dist)?;
    for clip in [&seek_clip, &play_clip] {
        let name = clip.file_name().context("clip name")?;
        std::fs::copy(clip, dist.join(name))?;
    }
    sh::run(
        sh::cargo()
            .args(["test", "-p", "chorus-studio", "--test", "browser", "--"])
            .args(["--ignored", "--exact", "bench::seek_benchmark"])
            .args(["--nocapture", "--test-threads=1"])
            .env("CHORUS_BIN", &server)
            .env("CHORUS_DIST", &dist)
            .env("CHORUS_BENCH_SEEKS", seeks.to_string())
            .env("CHORUS_BENCH_SECONDS", seconds.to_string()),
    )
}

/// The ffmpeg filter that draws the band: black, then one white box per set
/// bit (cells 0–11) and per clear bit (cells 12–23), each shown only on the
/// frames its `enable` expression selects (`n` is the frame number).
fn barcode_filter() -> String {
    let cell = 1920 / (2 * BITS);
    let mut filter = String::from("drawbox=x=0:y=0:w=1920:h=96:color=black:t=fill");
    for k in 0..BITS {
        let bit = format!("mod(floor(n/{}),2)", 1_u32 << k);
        for (slot, value) in [(k, 1), (BITS + k, 0)] {
            let _ = write!(
                filter,
                ",drawbox=x={}:y=0:w={cell}:h=96:color=white:t=fill:enable='eq({bit},{value})'",
                slot * cell
            );
        }
    }
    if Path::new(FONT).is_file() {
        let _ = write!(
            filter,
            ",drawtext=fontfile={FONT}:text='%{{frame_num}}':fontsize=160:fontcolor=white\
             :box=1:boxcolor=black@0.6:boxborderw=24:x=(w-text_w)/2:y=(h-text_h)/2"
        );
    }
    filter
}

/// Writes the clip unless it is already there (ffmpeg takes a minute).
fn make_clip(out: &Path, fps: u32) -> anyhow::Result<()> {
    if out.is_file() {
        return Ok(());
    }
    let partial = out.with_extension("partial.mp4");
    sh::run(
        Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg(format!("testsrc2=size=1920x1080:rate={fps}:duration=15"))
            .args(["-vf", &barcode_filter()])
            .args([
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            ])
            .args([
                "-g",
                &(2 * fps).to_string(),
                "-keyint_min",
                &(2 * fps).to_string(),
            ])
            .args(["-sc_threshold", "0", "-bf", "2", "-movflags", "+faststart"])
            .arg(&partial),
    )?;
    std::fs::rename(&partial, out)?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
