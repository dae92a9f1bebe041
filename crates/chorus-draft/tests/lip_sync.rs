//! Rendered takes measured by the lip-sync analysis (chorus-decode's native
//! path, as `chorus sync --rendered` runs it) must come out at the A/V
//! offset they were rendered with.

mod support;

use chorus_core::{AspectRatio, Language, Resolution};
use chorus_sync::AnalysisConfig;
use support::{request, take};

/// The English line of `cargo xtask bench sync`, rendered as its CLI does.
fn measured_error_ms(ratio: AspectRatio, av_offset_ms: i32) -> f64 {
    let mut req = request(ratio, Resolution::P720, 5, 24);
    req.seed = None;
    req.prompt = "A presenter in a bright studio".into();
    let line = "Fresh tulips every morning, picked at dawn and here by nine.";
    let r = take(req, Some((Language::English, line)), av_offset_ms);
    let source = chorus_decode::Mp4Source::parse("take.mp4", &r.mp4).expect("parses");
    let report =
        chorus_decode::analyze_source(&source, &AnalysisConfig::rendered()).expect("analyses");
    println!(
        "{ratio} rendered {av_offset_ms:+} ms, measured {:+.1} ms (confidence {:.2}, mouth blocks {:?})",
        report.av_offset_ms, report.confidence, report.mouth_region.blocks
    );
    report.av_offset_ms - f64::from(av_offset_ms)
}

#[test]
fn analysis_recovers_the_rendered_offset() {
    // The presenter blinks once in these 5 s; at +200 ms that blink used to
    // line up with loud speech well enough for the mouth search to pick the
    // eyes and measure −335 ms.
    for offset in [0, 200] {
        let error = measured_error_ms(AspectRatio::Landscape16x9, offset);
        assert!(
            error.abs() <= 20.0,
            "rendered at {offset:+} ms, measured {error:+.1} ms off"
        );
    }
}

#[test]
fn a_blink_on_loud_speech_does_not_capture_the_square_clips() {
    // `cargo xtask bench sync` measured two of these eight English 1:1
    // clips about 540 ms off: the mouth search took the eyes, one blink of
    // which lined up with a loud syllable at a wrong lag.
    let errors: Vec<(i32, f64)> = [-200, -120, -40, 0, 40, 120, 200, 320]
        .into_iter()
        .map(|offset| (offset, measured_error_ms(AspectRatio::Square, offset)))
        .collect();
    for (offset, error) in &errors {
        assert!(
            error.abs() <= 40.0,
            "1:1 rendered at {offset:+} ms, measured {error:+.1} ms off ({errors:?})"
        );
    }
}
