//! Runs the face detector on one raw 8-bit luma picture and prints the boxes
//! as JSON, one a line, then the time one detection takes. For comparing
//! with other detectors (OpenCV's `detectMultiScale` with the same cascade)
//! on real frames, e.g. from
//! `ffmpeg -i clip.mp4 -vf "select=eq(n\,30)" -pix_fmt gray -f rawvideo f.raw`:
//!
//! `cargo run --release -p chorus-sync --example face_detect -- f.raw WIDTH HEIGHT [MIN_NEIGHBORS [MAX_WIDTH]]`

use std::time::Instant;

use chorus_sync::LumaFrame;
use chorus_sync::face::{DetectParams, detect_faces};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, width, height, rest @ ..] = args.as_slice() else {
        return Err("usage: face_detect FILE.raw WIDTH HEIGHT [MIN_NEIGHBORS [MAX_WIDTH]]".into());
    };
    let (width, height): (u32, u32) = (width.parse()?, height.parse()?);
    let mut params = DetectParams::default();
    if let Some(n) = rest.first() {
        params.min_neighbors = n.parse()?;
    }
    if let Some(w) = rest.get(1) {
        params.max_width = w.parse()?;
    }
    let data = std::fs::read(path)?;
    let frame = LumaFrame {
        data: &data,
        width,
        height,
        stride: width as usize,
    };
    let faces = detect_faces(&frame, &params)?;
    for face in &faces {
        println!("{}", serde_json::to_string(face)?);
    }
    // The fastest of many runs, and the median: other work on the machine
    // only ever adds time.
    let mut times = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        std::hint::black_box(detect_faces(std::hint::black_box(&frame), &params)?);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    eprintln!(
        "{width}x{height}: {} faces, {:.2} ms per detection (fastest of {}; median {:.2} ms)",
        faces.len(),
        times[0],
        times.len(),
        times[times.len() / 2]
    );
    Ok(())
}
