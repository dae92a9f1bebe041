//! Rendered takes measured by the lip-sync analysis (chorus-decode's native
//! path, as `chorus sync --rendered` runs it) must come out at the A/V
//! offset they were rendered with.

mod support;

use chorus_core::{AspectRatio, Language, Resolution};
use chorus_sync::AnalysisConfig;
use support::{request, take};

/// The English line of `cargo xtask bench sync`, rendered as its CLI does.
fn measured_error_ms(av_offset_ms: i32) -> f64 {
    let mut req = request(AspectRatio::Landscape16x9, Resolution::P720, 5, 24);
    req.seed = None;
    req.prompt = "A presenter in a bright studio".into();
    let line = "Fresh tulips every morning, picked at dawn and here by nine.";
    let r = take(req, Some((Language::English, line)), av_offset_ms);
    let source = chorus_decode::Mp4Source::parse("take.mp4", &r.mp4).expect("parses");
    let report =
        chorus_decode::analyze_source(&source, &AnalysisConfig::rendered()).expect("analyses");
    println!(
        "rendered {av_offset_ms:+} ms, measured {:+.1} ms (confidence {:.2}, mouth blocks {:?})",
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
        let error = measured_error_ms(offset);
        assert!(
            error.abs() <= 20.0,
            "rendered at {offset:+} ms, measured {error:+.1} ms off"
        );
    }
}
