//! `cargo xtask bench seek`: the frame-exact player against the browser's
//! own `<video>`, in one headless Chromium session on the release build.
//! The clip (made here with ffmpeg, kept under target/) is 1080p, 15 s at
//! 24 fps, H.264 with B-frames and a keyframe every 2 s, and every frame
//! carries its number as a barcode the page reads back from pixels. The
//! figures (seek latency, exact frames, two players playing side by side)
//! are printed by the browser test `player_bench::bench_seek`.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::{sh, tools};

/// Width of one barcode cell, in pixels of the 1920-wide frame: 12 bits
/// and then the same 12 inverted fill the width.
const CELL: u32 = 80;
/// Height of the barcode band.
const BAND: u32 = 80;

pub fn seek() -> anyhow::Result<()> {
    tools::ensure_native_deps()?;
    tools::ensure_chromium()?;
    tools::trunk_build(true)?;
    sh::run(sh::cargo().args(["build", "--release", "-p", "chorus-server"]))?;
    let clip = counting_clip()?;
    let out = crate::bench::browser_bench_with(
        "player_bench::bench_seek",
        &sh::target_dir().join("release").join("chorus"),
        &[("CHORUS_BENCH_CLIP", clip.display().to_string())],
    )?;
    for line in out.lines() {
        if let Some(figure) = line.strip_prefix("bench-seek\t") {
            println!("{}", figure.replace('\t', "  "));
        }
    }
    Ok(())
}

/// The benchmark clip, made once.
fn counting_clip() -> anyhow::Result<PathBuf> {
    let dir = sh::target_dir().join("bench").join("seek");
    let clip = dir.join("counting-1080p24.mp4");
    if clip.exists() {
        return Ok(clip);
    }
    std::fs::create_dir_all(&dir)?;
    let mut filter = format!("drawbox=x=0:y=0:w=1920:h={BAND}:color=black:t=fill");
    for bit in 0..12 {
        let on = format!("eq(mod(floor(n/{}),2),1)", 1 << bit);
        let off = format!("eq(mod(floor(n/{}),2),0)", 1 << bit);
        for (cell, when) in [(bit, on), (bit + 12, off)] {
            let x = cell * CELL;
            write!(
                filter,
                ",drawbox=x={x}:y=0:w={CELL}:h={BAND}:color=white:t=fill:enable='{when}'"
            )?;
        }
    }
    filter.push_str(
        ",drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='%{frame_num}':fontsize=160:fontcolor=white:box=1:boxcolor=black@0.5:x=(w-text_w)/2:y=(h-text_h)/2",
    );
    let partial = dir.join("counting.partial.mp4");
    sh::run(
        std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(crate::bench::test_card_inputs(330))
            .args(["-vf", &filter])
            .args([
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
            ])
            .args([
                "-g",
                "48",
                "-keyint_min",
                "48",
                "-sc_threshold",
                "0",
                "-bf",
                "2",
            ])
            .args(["-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart"])
            .arg(&partial),
    )?;
    std::fs::rename(&partial, &clip)?;
    Ok(clip)
}
