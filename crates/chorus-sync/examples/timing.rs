//! How long the analysis takes on 15 s of 1080p at 24 fps (360 frames) plus
//! 48 kHz stereo audio, decode excluded. Run with
//! `cargo run --release -p chorus-sync --example timing`.

use std::f64::consts::TAU;
use std::time::{Duration, Instant};

use chorus_sync::{
    AnalysisConfig, AudioClip, LumaFrame, MotionAnalyzer, MotionGrid, analyze_motion,
};

const W: usize = 1920;
const H: usize = 1080;
const FPS: f64 = 24.0;
const FRAMES: usize = 360;

/// Loudness of a made-up, irregular syllable train at `t` seconds, 0..1.
/// Irregular so the correlation has one peak, not one per period.
fn syllables(t: f64) -> f64 {
    let mut start = 0.2;
    let mut k = 1u32;
    while start <= t {
        let len = 0.12 + f64::from(k.wrapping_mul(2_654_435_761) % 180) / 1000.0;
        let gap = 0.05 + f64::from(k.wrapping_mul(40_503) % 150) / 1000.0;
        if t < start + len {
            return (std::f64::consts::PI * (t - start) / len).sin().powi(2);
        }
        start += len + gap;
        k += 1;
    }
    0.0
}

fn main() -> Result<(), chorus_sync::SyncError> {
    // A fixed noise picture; each frame draws the mouth opening into a copy,
    // so frame synthesis costs a memcpy, which is left out of the timing.
    let mut seed = 0x1234_5678_u32;
    let background: Vec<u8> = (0..W * H)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed >> 24) as u8
        })
        .collect();
    let mut frame = background.clone();
    let grid = MotionGrid::for_frame(W as u32, H as u32)?;
    let mut motion = MotionAnalyzer::new(grid, FPS, FRAMES)?;
    let mut in_analysis = Duration::ZERO;
    for k in 0..FRAMES {
        frame.copy_from_slice(&background);
        let open = (syllables(k as f64 / FPS) * 80.0) as usize;
        for y in 700..700 + open {
            frame[y * W + 860..y * W + 1060].fill(20);
        }
        let start = Instant::now();
        motion.push(&LumaFrame {
            data: &frame,
            width: W as u32,
            height: H as u32,
            stride: W,
        })?;
        in_analysis += start.elapsed();
    }
    let motion_time = in_analysis;

    let rate = 48_000u32;
    let audio: Vec<f32> = (0..(FRAMES as f64 / FPS * f64::from(rate)) as usize)
        .flat_map(|i| {
            let t = i as f64 / f64::from(rate);
            let s = ((TAU * 220.0 * t).sin() * syllables(t) * 0.3) as f32;
            [s, s]
        })
        .collect();
    let start = Instant::now();
    let report = analyze_motion(
        &AudioClip {
            samples: &audio,
            sample_rate: rate,
            channels: 2,
        },
        &motion.finish(),
        &AnalysisConfig::rendered(),
    )?;
    let rest = start.elapsed();
    println!(
        "{FRAMES} frames of {W}x{H}: block motion {:.0} ms ({:.2} ms/frame), envelope + search + report {:.0} ms, total {:.0} ms",
        motion_time.as_secs_f64() * 1000.0,
        motion_time.as_secs_f64() * 1000.0 / FRAMES as f64,
        rest.as_secs_f64() * 1000.0,
        (motion_time + rest).as_secs_f64() * 1000.0
    );
    println!(
        "offset {:+.1} ms, confidence {:.2}",
        report.av_offset_ms, report.confidence
    );
    Ok(())
}
