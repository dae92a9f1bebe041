//! `cargo xtask bench package`: writing a delivery package (chorus-package's
//! streaming `PackageWriter`, clips Stored) against Info-ZIP's `zip -0` on
//! the same files in the same run.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::bench::{median, time};
use crate::{sh, tools};

const FILES: usize = 40;
const FILE_BYTES: usize = 5 << 20;
const RUNS: usize = 5;

pub fn package() -> anyhow::Result<()> {
    tools::ensure_apt(&[("zip", "zip"), ("unzip", "unzip")])?;
    // The dev profile optimises every dependency (the zip crate's CRC and
    // copy); a release build would rebuild the whole media stack.
    sh::run(sh::cargo().args([
        "build",
        "-p",
        "chorus-package",
        "--example",
        "package_files",
    ]))?;
    let ours = sh::target_dir()
        .join("debug")
        .join("examples")
        .join("package_files");
    let scratch = std::env::temp_dir().join(format!("chorus-bench-package-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let result = measure(&ours, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Bytes no compressor can shrink (xorshift), like encoded video.
fn incompressible(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn measure(ours: &Path, scratch: &Path) -> anyhow::Result<()> {
    let clips = scratch.join("clips");
    std::fs::create_dir_all(&clips)?;
    let files: Vec<PathBuf> = (0..FILES)
        .map(|i| {
            let path = clips.join(format!("clip_{i:02}_en_9x16_v1.mp4"));
            std::fs::write(&path, incompressible(i as u64 + 1, FILE_BYTES)).map(|()| path)
        })
        .collect::<Result<_, _>>()?;
    let total_mb = (FILES * FILE_BYTES) as f64 / (1 << 20) as f64;
    let ours_zip = scratch.join("ours.zip");
    let zip_zip = scratch.join("zip0.zip");

    let mut ours_s = Vec::new();
    let mut zip_s = Vec::new();
    for _ in 0..RUNS {
        // Interleaved, so load on the machine hits both alike; zip adds to
        // an existing archive, so each run starts from none.
        let _ = std::fs::remove_file(&ours_zip);
        ours_s.push(time(Command::new(ours).arg(&ours_zip).args(&files))?);
        let _ = std::fs::remove_file(&zip_zip);
        zip_s.push(time(
            Command::new("zip")
                .args(["-0", "-q", "-j"])
                .arg(&zip_zip)
                .args(&files)
                .current_dir(&clips),
        )?);
    }
    // Ours must be a ZIP the system's unzip accepts, or the speed is moot.
    sh::output(Command::new("unzip").arg("-tq").arg(&ours_zip))
        .context("unzip -t refused our package")?;
    let ours_s = median(&mut ours_s);
    let zip_s = median(&mut zip_s);
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());

    println!();
    println!(
        "Delivery package benchmark: {FILES} × {} MiB incompressible clips, Stored (median of {RUNS})",
        FILE_BYTES >> 20
    );
    println!(
        "  {:<44} {:>8} {:>9} {:>12}",
        "what", "seconds", "MiB/s", "zip bytes"
    );
    println!(
        "  {:<44} {:>8.3} {:>9.0} {:>12}",
        "chorus-package PackageWriter (streamed)",
        ours_s,
        total_mb / ours_s,
        size(&ours_zip)
    );
    println!(
        "  {:<44} {:>8.3} {:>9.0} {:>12}",
        "reference: zip -0 -q (Info-ZIP)",
        zip_s,
        total_mb / zip_s,
        size(&zip_zip)
    );
    println!(
        "  {:<44} {:>8.2}   (target ≥ 1.00)",
        "throughput ours / zip -0",
        zip_s / ours_s
    );
    Ok(())
}
