//! The real-footage half of `cargo xtask bench sync`: every recording in
//! `../shared/footage` (or `$CHORUS_FOOTAGE`), unshifted and with its sound
//! moved by each of [`SHIFTS_MS`], the copies made twice, by our own remux
//! (`chorus shift-audio`) and independently by ffmpeg, each measured with
//! `chorus sync --json`. Judged against issue #15's goal: each shifted
//! reading minus the unshifted one within 40 ms of the shift, each
//! unshifted reading within ±80 ms, and how often a reading the analysis
//! calls confident is right.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::{sh, tools};

const SHIFTS_MS: [i32; 7] = [-200, -120, -40, 40, 120, 200, 320];

/// One reading of `chorus sync`.
#[derive(Clone)]
struct Reading {
    offset_ms: f64,
    confidence: f64,
    confident: bool,
    cant_tell: Option<String>,
}

pub(crate) fn footage_dir() -> PathBuf {
    std::env::var_os("CHORUS_FOOTAGE").map_or_else(
        || sh::root().join("..").join("shared").join("footage"),
        PathBuf::from,
    )
}

fn read(chorus: &Path, clip: &Path) -> anyhow::Result<Reading> {
    let out = sh::output(Command::new(chorus).arg("sync").arg(clip).arg("--json"))?;
    let report: serde_json::Value =
        serde_json::from_str(&out).context("chorus sync printed no JSON")?;
    Ok(Reading {
        offset_ms: report["av_offset_ms"].as_f64().context("no av_offset_ms")?,
        confidence: report["confidence"].as_f64().unwrap_or(0.0),
        confident: report["confident"].as_bool().unwrap_or(false),
        cant_tell: report["cant_tell"]["message"].as_str().map(str::to_owned),
    })
}

fn ffmpeg_shift(input: &Path, output: &Path, ms: i32) -> anyhow::Result<()> {
    let filter = if ms >= 0 {
        format!("adelay={ms}:all=1")
    } else {
        format!(
            "atrim=start={:.3},asetpts=PTS-STARTPTS",
            f64::from(-ms) / 1000.0
        )
    };
    sh::output(
        Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-i"])
            .arg(input)
            .args(["-af", &filter, "-c:v", "copy", "-c:a", "aac", "-shortest"])
            .arg(output),
    )
    .map(drop)
}

/// Tallies of one way of making the copies.
#[derive(Default)]
struct Tally {
    shifted: usize,
    shifted_ok: usize,
    unshifted: usize,
    unshifted_ok: usize,
    confident: usize,
    confident_ok: usize,
    cant_tell: usize,
}

impl Tally {
    fn add(&mut self, shift: i32, error: f64, reading: &Reading) {
        if reading.cant_tell.is_some() {
            self.cant_tell += 1;
            return;
        }
        let ok = if shift == 0 {
            self.unshifted += 1;
            error.abs() <= 80.0
        } else {
            self.shifted += 1;
            error.abs() <= 40.0
        };
        if shift == 0 {
            self.unshifted_ok += usize::from(ok);
        } else {
            self.shifted_ok += usize::from(ok);
        }
        if reading.confident {
            self.confident += 1;
            self.confident_ok += usize::from(ok);
        }
    }
}

pub fn run(chorus: &Path, scratch: &Path) -> anyhow::Result<()> {
    let dir = footage_dir();
    let mut clips: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("no footage folder at {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("mp4")))
        .collect();
    clips.sort();
    if clips.is_empty() {
        bail!("no MP4 in {}", dir.display());
    }
    tools::ensure_apt(&[("ffmpeg", "ffmpeg")])?;
    let mut tallies = [Tally::default(), Tally::default()];
    let mut confidences: Vec<(f64, bool)> = Vec::new();
    println!();
    println!(
        "Lip-sync on real faces ({} recordings × {} shifts; error = reading − unshifted reading − shift; * = confident)",
        clips.len(),
        SHIFTS_MS.len() + 1
    );
    println!(
        "  {:<16} {:>6}   {:>12} {:>9}   {:>12} {:>9}",
        "clip", "shift", "remux ms", "error", "ffmpeg ms", "error"
    );
    for clip in &clips {
        let name = clip
            .file_name()
            .context("name")?
            .to_string_lossy()
            .into_owned();
        let base = read(chorus, clip)?;
        let mut cells = Vec::new();
        for shift in std::iter::once(0).chain(SHIFTS_MS) {
            let mut row = format!("  {name:<16} {shift:>+6}");
            for (method, tally) in tallies.iter_mut().enumerate() {
                let reading = if shift == 0 {
                    base.clone()
                } else {
                    let copy = scratch.join(format!("real-{method}-{shift}.mp4"));
                    if method == 0 {
                        sh::output(
                            Command::new(chorus)
                                .arg("shift-audio")
                                .arg(clip)
                                .arg(&copy)
                                .arg(format!("--ms={shift}")),
                        )?;
                    } else {
                        ffmpeg_shift(clip, &copy, shift)?;
                    }
                    read(chorus, &copy)?
                };
                let error = if shift == 0 {
                    reading.offset_ms
                } else {
                    reading.offset_ms - base.offset_ms - f64::from(shift)
                };
                tally.add(shift, error, &reading);
                if reading.cant_tell.is_none() {
                    confidences.push((
                        reading.confidence,
                        error.abs() <= if shift == 0 { 80.0 } else { 40.0 },
                    ));
                }
                let mark = if reading.confident { "*" } else { " " };
                match &reading.cant_tell {
                    Some(_) => write!(row, "   {:>12} {:>9}", "can't tell", "")?,
                    None => write!(row, "   {:>+11.1}{mark} {error:>+9.1}", reading.offset_ms)?,
                }
            }
            cells.push(row);
        }
        for row in cells {
            println!("{row}");
        }
    }
    println!();
    for (name, t) in ["our remux", "ffmpeg"].iter().zip(&tallies) {
        println!(
            "  {name:<10} shifted within 40 ms: {:>2}/{:<2} (goal: all)   unshifted within ±80 ms: {}/{} (goal: all)   can't tell: {}",
            t.shifted_ok, t.shifted, t.unshifted_ok, t.unshifted, t.cant_tell
        );
        println!(
            "  {:<10} confident readings right: {}/{}",
            "", t.confident_ok, t.confident
        );
    }
    println!("  calibration (both copies): share right among readings at or above a confidence");
    for threshold in [0.15, 0.2, 0.25, 0.3, 0.35, 0.4] {
        let above: Vec<bool> = confidences
            .iter()
            .filter(|(c, _)| *c >= threshold)
            .map(|(_, ok)| *ok)
            .collect();
        let right = above.iter().filter(|ok| **ok).count();
        println!(
            "    ≥ {threshold:.2}: {right:>2}/{:<2} right{}",
            above.len(),
            if (threshold - 0.3).abs() < 1e-9 {
                "   ← the studio's \"confident\""
            } else {
                ""
            }
        );
    }
    Ok(())
}
