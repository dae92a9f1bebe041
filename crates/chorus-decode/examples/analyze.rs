//! Times the whole native path on one file:
//! `cargo run --release -p chorus-decode --example analyze -- clip.mp4 [--rendered] [--full-only]`.
//! With `--full-only` only `analyze_file` runs, so `time` gives its CPU use.

use std::path::PathBuf;
use std::time::Instant;

use chorus_decode::{Mp4Source, analyze_file, motion_series};
use chorus_sync::AnalysisConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: analyze FILE [--rendered]")?);
    let flags: Vec<String> = args.collect();
    let config = if flags.iter().any(|f| f == "--rendered") {
        AnalysisConfig::rendered()
    } else {
        AnalysisConfig::default()
    };
    if !flags.iter().any(|f| f == "--full-only") {
        let bytes = std::fs::read(&path)?;
        let source = Mp4Source::parse(path.display().to_string(), &bytes)?;
        let start = Instant::now();
        let motion = motion_series(&source)?;
        println!(
            "video decode + motion: {} frames {}x{} in {:.3} s",
            motion.info.frames,
            motion.info.width,
            motion.info.height,
            start.elapsed().as_secs_f64()
        );
    }
    let start = Instant::now();
    let report = analyze_file(&path, &config)?;
    println!(
        "analyze_file: {:.3} s; offset {:.1} ms (confidence {:.2}, {} frames at {} fps)",
        start.elapsed().as_secs_f64(),
        report.av_offset_ms,
        report.confidence,
        report.frames,
        report.fps
    );
    Ok(())
}
