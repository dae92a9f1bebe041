//! The offset is recovered from synthetic talking clips at every shift and
//! frame rate the issue names. Per frame rate the picture is made and turned
//! into block motion once (the picture does not depend on the shift); each
//! shift then gets its own audio.

mod common;

use chorus_sync::{AnalysisConfig, MotionAnalyzer, MotionGrid, analyze_motion};
use common::{ClipSpec, Syllables, make_clip, syllable_audio};

const SHIFTS_MS: [f64; 8] = [-200.0, -120.0, -40.0, 0.0, 40.0, 120.0, 200.0, 320.0];

fn sweep(fps: f64) {
    let spec = ClipSpec {
        fps,
        seconds: 8.0,
        seed: fps as u64,
        ..ClipSpec::default()
    };
    let clip = make_clip(spec.clone());
    let grid = MotionGrid::for_frame(spec.width, spec.height).expect("grid");
    let mut motion = MotionAnalyzer::new(grid, fps, clip.frames.len()).expect("analyzer");
    for frame in clip.luma() {
        motion.push(&frame).expect("frame");
    }
    let motion = motion.finish();
    let syllables = Syllables::new(spec.seed, spec.seconds, spec.pauses);
    let mut worst: f64 = 0.0;
    for shift_ms in SHIFTS_MS {
        let audio = syllable_audio(
            &ClipSpec {
                shift_ms,
                ..spec.clone()
            },
            &syllables,
        );
        let r = analyze_motion(
            &chorus_sync::AudioClip {
                samples: &audio,
                sample_rate: spec.sample_rate,
                channels: spec.channels,
            },
            &motion,
            &AnalysisConfig::rendered(),
        )
        .expect("analysis");
        let err = r.av_offset_ms - shift_ms;
        let m = &r.mouth_region;
        eprintln!(
            "{fps} fps, shift {shift_ms:+} ms: measured {:+.1} ms (error {err:+.1}), confidence {:.2}, blocks {:?}",
            r.av_offset_ms, r.confidence, m.blocks
        );
        assert!(
            err.abs() <= 10.0,
            "{fps} fps, shift {shift_ms} ms: measured {}",
            r.av_offset_ms
        );
        assert!((r.av_offset_frames - shift_ms * fps / 1000.0).abs() <= 0.01 * fps);
        assert!(clip.region_on_mouth(m), "{m:?}");
        assert!(r.confidence > 0.3, "confidence {}", r.confidence);
        assert!(!r.at_search_edge);
        worst = worst.max(err.abs());
    }
    eprintln!("{fps} fps: worst error {worst:.1} ms");
}

#[test]
fn offsets_at_24_fps() {
    sweep(24.0);
}

#[test]
fn offsets_at_25_fps() {
    sweep(25.0);
}

#[test]
fn offsets_at_30_fps() {
    sweep(30.0);
}
