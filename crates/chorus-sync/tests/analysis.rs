//! End-to-end behaviour beyond the offset sweep: fractional lags through the
//! precomputed-motion (GPU) path, natural lead, drift, disagreement spans,
//! the JSON shape, and clear errors for unusable input.

mod common;

use chorus_sync::{
    AnalysisConfig, AudioClip, MotionGrid, MotionSeries, Side, SyncError, SyncVerdict, analyze,
    analyze_motion,
};
use common::{ClipSpec, Syllables, make_clip, noisy_motion, syllable_audio};

/// Block motion as a shader would hand it over: an 8x6 grid where block
/// (5, 4) is the mouth, one block sways, the rest is sensor noise.
fn precomputed_motion(syl: &Syllables, fps: f64, seconds: f64) -> MotionSeries {
    let grid = MotionGrid::new(128, 96, 4, 4).expect("grid");
    noisy_motion(
        grid,
        fps,
        (seconds * fps) as usize,
        3,
        |b, _, t, _| match b {
            37 => 40.0 * (syl.at(t) - syl.at(t - 1.0 / fps)).abs(),
            10 => 8.0 * (t * 3.7).sin().abs(),
            _ => 0.0,
        },
    )
}

#[test]
fn fractional_and_whole_frame_lags_of_both_signs_via_precomputed_motion() {
    let (fps, seconds) = (25.0, 8.0);
    let spec = ClipSpec {
        fps,
        seconds,
        seed: 5,
        ..ClipSpec::default()
    };
    let syl = Syllables::new(spec.seed, seconds, true);
    let motion = precomputed_motion(&syl, fps, seconds);
    for lag_frames in [-3.5, -1.0, -0.25, 0.0, 0.5, 1.75, 6.0] {
        let shift_ms = lag_frames * 1000.0 / fps;
        let audio = syllable_audio(
            &ClipSpec {
                shift_ms,
                ..spec.clone()
            },
            &syl,
        );
        let clip = AudioClip {
            samples: &audio,
            sample_rate: spec.sample_rate,
            channels: 1,
        };
        let r = analyze_motion(&clip, &motion, &AnalysisConfig::rendered()).unwrap();
        eprintln!(
            "lag {lag_frames:+} frames: measured {:+.3} frames ({:+.1} ms)",
            r.av_offset_frames,
            r.av_offset_ms - shift_ms
        );
        assert!(
            (r.av_offset_ms - shift_ms).abs() <= 10.0,
            "lag {lag_frames}: {}",
            r.av_offset_ms
        );
        assert_eq!(r.mouth_region.blocks, vec![[5, 4]]);
        assert_eq!(
            (
                r.mouth_region.x,
                r.mouth_region.y,
                r.mouth_region.w,
                r.mouth_region.h
            ),
            (
                5.0 * 16.0 / 128.0,
                4.0 * 16.0 / 96.0,
                16.0 / 128.0,
                16.0 / 96.0
            )
        );
    }
}

#[test]
fn natural_lead_is_subtracted_and_verdict_follows_bt1359() {
    let spec = ClipSpec {
        seconds: 6.0,
        shift_ms: 140.0,
        seed: 21,
        ..ClipSpec::default()
    };
    let syl = Syllables::new(spec.seed, spec.seconds, true);
    let motion = precomputed_motion(&syl, spec.fps, spec.seconds);
    let audio = syllable_audio(&spec, &syl);
    let clip = AudioClip {
        samples: &audio,
        sample_rate: spec.sample_rate,
        channels: 1,
    };
    let real = analyze_motion(&clip, &motion, &AnalysisConfig::default()).unwrap();
    let drawn = analyze_motion(&clip, &motion, &AnalysisConfig::rendered()).unwrap();
    assert!((real.raw_offset_ms - drawn.raw_offset_ms).abs() < 1e-9);
    assert!(
        (drawn.av_offset_ms - real.av_offset_ms - chorus_sync::NATURAL_MOUTH_LEAD_MS).abs() < 1e-9
    );
    // 140 ms late: detectable; minus 25 ms of natural lead: in sync.
    assert_eq!(drawn.verdict, SyncVerdict::Detectable(Side::SoundLate));
    assert_eq!(real.verdict, SyncVerdict::InSync);
}

#[test]
fn drift_shows_in_the_windows() {
    // Sound starts 60 ms early and slips 14 ms per second: +150 ms at 15 s.
    // 48 kHz stereo, as browsers decode it.
    let clip = make_clip(ClipSpec {
        seconds: 15.0,
        shift_ms: -60.0,
        drift_ms_per_s: 14.0,
        sample_rate: 48_000,
        channels: 2,
        seed: 9,
        ..ClipSpec::default()
    });
    let r = clip.analyze(&AnalysisConfig::rendered());
    assert!(r.windows.len() >= 12, "{} windows", r.windows.len());
    let mut checked = 0;
    for w in &r.windows {
        let centre_s = (w.start_frame + w.end_frame) as f64 / 2.0 / r.fps;
        let expected = -60.0 + 14.0 * centre_s;
        eprintln!(
            "window {}..{}: {:+.1} ms (expected {expected:+.1}), confidence {:.2}",
            w.start_frame, w.end_frame, w.offset_ms, w.confidence
        );
        if w.confidence > 0.3 {
            assert!((w.offset_ms - expected).abs() < 15.0, "{w:?}");
            checked += 1;
        }
    }
    assert!(checked >= 10);
    let drift = r.drift_ms_per_minute.unwrap();
    eprintln!("drift {drift:.0} ms/min (true 840)");
    assert!((drift - 840.0).abs() < 84.0, "{drift}");

    let steady = make_clip(ClipSpec {
        seconds: 9.0,
        shift_ms: 80.0,
        seed: 9,
        ..ClipSpec::default()
    })
    .analyze(&AnalysisConfig::rendered());
    let drift = steady.drift_ms_per_minute.unwrap();
    assert!(drift.abs() < 30.0, "{drift}");
}

#[test]
fn finds_silent_mouth_and_still_mouth_spans() {
    let clip = make_clip(ClipSpec {
        seconds: 12.0,
        shift_ms: 40.0,
        pauses: false,
        mute: Some((3.04, 5.04)),
        freeze: Some((7.5, 9.5)),
        seed: 4,
        ..ClipSpec::default()
    });
    let r = clip.analyze(&AnalysisConfig::rendered());
    eprintln!(
        "silent {:?}\nstill {:?}",
        r.silent_mouth_spans, r.still_mouth_spans
    );
    assert!((r.av_offset_ms - 40.0).abs() < 10.0);
    // The sound is 40 ms late, so the mouth's silent span is 3.0..5.0 s.
    let [silent] = r.silent_mouth_spans.as_slice() else {
        panic!("{:?}", r.silent_mouth_spans)
    };
    assert!((silent.start_ms - 3000.0).abs() < 300.0 && (silent.end_ms - 5000.0).abs() < 300.0);
    let [still] = r.still_mouth_spans.as_slice() else {
        panic!("{:?}", r.still_mouth_spans)
    };
    assert!((still.start_ms - 7500.0).abs() < 300.0 && (still.end_ms - 9500.0).abs() < 300.0);

    // A clip where they agree has neither.
    let calm = make_clip(ClipSpec {
        seconds: 8.0,
        seed: 4,
        ..ClipSpec::default()
    })
    .analyze(&AnalysisConfig::rendered());
    assert!(
        calm.silent_mouth_spans.is_empty(),
        "{:?}",
        calm.silent_mouth_spans
    );
    assert!(
        calm.still_mouth_spans.is_empty(),
        "{:?}",
        calm.still_mouth_spans
    );
}

#[test]
fn report_json_has_the_promised_fields_and_round_trips() {
    let spec = ClipSpec {
        seconds: 4.0,
        seed: 2,
        ..ClipSpec::default()
    };
    let syl = Syllables::new(spec.seed, spec.seconds, true);
    let motion = precomputed_motion(&syl, spec.fps, spec.seconds);
    let audio = syllable_audio(&spec, &syl);
    let clip = AudioClip {
        samples: &audio,
        sample_rate: spec.sample_rate,
        channels: 1,
    };
    let r = analyze_motion(&clip, &motion, &AnalysisConfig::rendered()).unwrap();
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "av_offset_ms",
        "av_offset_frames",
        "confidence",
        "fps",
        "frames",
        "mouth_region",
        "windows",
        "silent_mouth_spans",
        "still_mouth_spans",
        "verdict",
    ] {
        assert!(json.get(key).is_some(), "{key} missing");
    }
    for key in [
        "x", "y", "w", "h", "block_x", "block_y", "block_w", "block_h",
    ] {
        assert!(
            json["mouth_region"].get(key).is_some(),
            "mouth_region.{key} missing"
        );
    }
    for key in ["start_frame", "end_frame", "offset_ms", "confidence"] {
        assert!(
            json["windows"][0].get(key).is_some(),
            "windows[].{key} missing"
        );
    }
    assert_eq!(json["frames"], 100);
    let back: chorus_sync::SyncReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn unusable_input_gives_clear_errors() {
    let config = AnalysisConfig::default();
    let spec = ClipSpec {
        seconds: 3.0,
        seed: 8,
        ..ClipSpec::default()
    };
    let clip = make_clip(spec.clone());
    let no_frames: Vec<chorus_sync::LumaFrame<'_>> = Vec::new();
    assert!(matches!(
        analyze(&clip.audio_clip(), no_frames, 25.0, &config),
        Err(SyncError::TooShort { frames: 0, .. })
    ));
    // One second of picture.
    assert!(matches!(
        analyze(&clip.audio_clip(), clip.luma().take(25), 25.0, &config),
        Err(SyncError::TooShort {
            frames: 25,
            min: 50
        })
    ));
    let no_audio = AudioClip {
        samples: &[],
        sample_rate: 16_000,
        channels: 1,
    };
    assert!(matches!(
        analyze(&no_audio, clip.luma(), 25.0, &config),
        Err(SyncError::AudioTooShort { frames: 0, .. })
    ));
    let silence = vec![0.0f32; clip.audio.len()];
    let silent = AudioClip {
        samples: &silence,
        ..clip.audio_clip()
    };
    assert_eq!(
        analyze(&silent, clip.luma(), 25.0, &config).unwrap_err(),
        SyncError::NoSpeech
    );
    let still = vec![clip.frames[0].clone(); clip.frames.len()];
    let still_frames = still.iter().map(|data| chorus_sync::LumaFrame {
        data,
        width: spec.width,
        height: spec.height,
        stride: clip.stride,
    });
    assert_eq!(
        analyze(&clip.audio_clip(), still_frames, 25.0, &config).unwrap_err(),
        SyncError::NoMotion
    );
    assert!(matches!(
        analyze(&clip.audio_clip(), clip.luma(), 0.0, &config),
        Err(SyncError::InvalidFrameRate(_))
    ));
    let bad = AnalysisConfig {
        max_lag_frames: 0,
        ..AnalysisConfig::default()
    };
    assert!(matches!(
        analyze(&clip.audio_clip(), clip.luma(), 25.0, &bad),
        Err(SyncError::InvalidConfig(_))
    ));
    let envelope = chorus_sync::SpeechEnvelope::from_samples(&clip.audio, 16_000, 1, 30.0).unwrap();
    let grid = MotionGrid::new(128, 96, 4, 4).unwrap();
    let motion = MotionSeries::from_values(25.0, grid, vec![0.0; grid.blocks() * 75]).unwrap();
    assert!(matches!(
        chorus_sync::analyze_envelope(&envelope, &motion, &config),
        Err(SyncError::FrameRateMismatch { .. })
    ));
    // Every error says something a person can act on.
    assert!(
        SyncError::TooShort {
            frames: 25,
            min: 50
        }
        .to_string()
        .contains("too short")
    );
}

/// The browser's way through the face analysis (told the frame count up
/// front, the sound heard while frames still arrive) reads exactly what the
/// plain way reads, also when the count it was told is wrong; and
/// `finish_heard` without the sound is a clear error.
#[test]
fn face_analysis_read_as_frames_arrive_reads_the_same() {
    let clip = make_clip(ClipSpec {
        seconds: 6.0,
        shift_ms: 80.0,
        seed: 11,
        ..ClipSpec::default()
    });
    let config = AnalysisConfig::rendered();
    let times = |k: usize| k as f64 / clip.spec.fps;
    let mut plain = chorus_sync::FaceAnalyzer::new();
    for (k, frame) in clip.luma().enumerate() {
        plain.push(&frame, times(k)).expect("frame");
    }
    let expected = plain
        .finish(&clip.audio_clip(), &config)
        .expect("plain reading");
    assert!(expected.cant_tell.is_none(), "{:?}", expected.cant_tell);
    assert!(
        (expected.av_offset_ms - 80.0).abs() < 40.0,
        "{}",
        expected.av_offset_ms
    );
    let n = clip.frames.len();
    for told in [n, n + 7, n / 2] {
        let mut streamed = chorus_sync::FaceAnalyzer::expecting(told);
        for (k, frame) in clip.luma().enumerate() {
            streamed.push(&frame, times(k)).expect("frame");
            if k == 3 {
                streamed.hear(&clip.audio_clip());
            }
        }
        let report = streamed.finish_heard(&config).expect("streamed reading");
        assert_eq!(report, expected, "told {told} frames of {n}");
    }
    let unheard = chorus_sync::FaceAnalyzer::expecting(n);
    assert!(matches!(
        unheard.finish_heard(&config),
        Err(SyncError::InvalidConfig(_))
    ));
}
