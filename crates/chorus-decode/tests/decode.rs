//! End-to-end checks on the committed fixtures (see tests/fixtures/make.sh):
//! known audio shifts are recovered, decoded frames come out in the order
//! and with the content ffmpeg gives, and unusable files fail clearly.

use std::path::{Path, PathBuf};
use std::process::Command;

use chorus_decode::{
    DecodeError, Mp4Source, analyze_file, decode_audio, decode_luma_frames, motion_series,
};
use chorus_sync::{AnalysisConfig, MotionGrid};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture file")
}

#[test]
fn recovers_known_audio_shifts_within_40_ms() {
    // The bar is drawn exactly at its sound, like our draft engine's clips.
    let config = AnalysisConfig::rendered();
    // ffmpeg wrote the 200 ms delay as a 178 ms empty edit (whole ms) that
    // also shows the 1024-sample AAC priming, so the sound really moved by
    // 178 + 1024/48 ms; the 120 ms advance is exact (media_time 6784).
    for (name, expected_ms) in [
        ("talk.mp4", 0.0),
        ("talk_late200.mp4", 178.0 + 1024.0 / 48.0),
        ("talk_early120.mp4", -120.0),
    ] {
        let report = analyze_file(&fixture(name), &config).unwrap();
        let error = report.av_offset_ms - expected_ms;
        println!(
            "{name}: measured {:.1} ms, expected {expected_ms} ms, error {error:.1} ms, confidence {:.2}",
            report.av_offset_ms, report.confidence
        );
        assert!(error.abs() <= 40.0, "{name}: {report:?}");
        assert!(report.confidence > 0.2, "{name}: {}", report.confidence);
        assert_eq!(report.frames, 192);
    }
}

#[test]
fn one_track_files_say_what_is_missing() {
    let config = AnalysisConfig::default();
    let err = analyze_file(&fixture("video_only.mp4"), &config).unwrap_err();
    assert!(matches!(err, DecodeError::NoAudio { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message
            .ends_with("video_only.mp4 has no audio track: lip-sync needs both picture and sound"),
        "{message}"
    );

    let err = analyze_file(&fixture("audio_only.mp4"), &config).unwrap_err();
    assert!(matches!(err, DecodeError::NoVideo { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("audio_only.mp4 has no video track"),
        "{err}"
    );
}

#[test]
fn other_inputs_fail_with_their_reason() {
    let err = Mp4Source::parse("notes.txt", b"just some text, not a movie").unwrap_err();
    assert!(matches!(err, DecodeError::NotMp4 { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("notes.txt is not a readable MP4 file"),
        "{err}"
    );

    let err = analyze_file(&fixture("missing.mp4"), &AnalysisConfig::default()).unwrap_err();
    assert!(matches!(err, DecodeError::Io { .. }), "{err:?}");

    // chorus-media's VP9 fixture: the codec is named in the message.
    let vp9 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../chorus-media/tests/fixtures/vp9.mp4");
    let bytes = std::fs::read(vp9).unwrap();
    let source = Mp4Source::parse("vp9.mp4", &bytes).unwrap();
    let err = decode_luma_frames(&source, |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(err, DecodeError::UnsupportedCodec { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("video codec is not supported (vp09."),
        "{err}"
    );
}

#[test]
fn chorus_medias_hevc_and_av1_fixtures_decode() {
    for name in ["hevc.mp4", "av1.mp4"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../chorus-media/tests/fixtures")
            .join(name);
        let bytes = std::fs::read(path).unwrap();
        let source = Mp4Source::parse(name, &bytes).unwrap();
        let expected = source.movie().video_track().unwrap().frames.len();
        let mut sizes = Vec::new();
        let info = decode_luma_frames(&source, |n, frame| {
            assert_eq!(n, sizes.len());
            sizes.push((frame.width, frame.height));
            Ok(())
        })
        .unwrap();
        assert_eq!((info.frames, expected), (6, 6), "{name}");
        assert!(sizes.iter().all(|&s| s == (96, 64)), "{name}: {sizes:?}");
    }
}

/// Mean luma per frame, as ffmpeg's signalstats printed it (make.sh).
fn ffmpeg_means() -> Vec<f64> {
    std::fs::read_to_string(fixture("talk_yavg.txt"))
        .expect("talk_yavg.txt")
        .lines()
        .map(|l| l.parse().expect("a number per line"))
        .collect()
}

#[test]
fn frames_come_out_in_presentation_order_with_ffmpegs_content() {
    let bytes = read("talk.mp4");
    let source = Mp4Source::parse("talk.mp4", &bytes).unwrap();
    let expected = ffmpeg_means();
    let mut means = Vec::new();
    let info = decode_luma_frames(&source, |n, frame| {
        assert_eq!(n, means.len());
        let rows = frame.data.chunks(frame.stride).take(frame.height as usize);
        let sum: u64 = rows
            .map(|r| {
                r[..frame.width as usize]
                    .iter()
                    .map(|&p| u64::from(p))
                    .sum::<u64>()
            })
            .sum();
        means.push(sum as f64 / f64::from(frame.width * frame.height));
        Ok(())
    })
    .unwrap();
    assert_eq!((info.width, info.height, info.frames), (256, 144, 192));
    assert!((info.fps - 24.0).abs() < 1e-9);
    assert_eq!(means.len(), expected.len());
    for (n, (ours, theirs)) in means.iter().zip(&expected).enumerate() {
        // H.264 decoding is bit-exact; only signalstats' rounding differs.
        assert!(
            (ours - theirs).abs() < 0.01,
            "frame {n}: {ours} vs ffmpeg {theirs}"
        );
    }
}

fn ffprobe(file: &Path, stream: &str, entries: &str) -> Option<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", stream])
        .args([
            "-show_entries",
            &format!("stream={entries}"),
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn frame_count_and_sample_rate_match_ffprobe() {
    let path = fixture("talk.mp4");
    let bytes = read("talk.mp4");
    let source = Mp4Source::parse("talk.mp4", &bytes).unwrap();
    let motion = motion_series(&source).unwrap();
    let audio = decode_audio(&source).unwrap();
    let probed = ffprobe(&path, "v:0", "nb_read_frames").zip(ffprobe(&path, "a:0", "sample_rate"));
    let (frames, rate) = if let Some((frames, rate)) = probed {
        (frames.parse().unwrap(), rate.parse().unwrap())
    } else {
        println!("ffprobe not installed: comparing with the values it printed for make.sh");
        (192usize, 48_000u32)
    };
    assert_eq!(motion.info.frames, frames);
    assert_eq!(motion.series.frames(), frames);
    assert_eq!(audio.sample_rate, rate);
    assert_eq!(audio.channels, 1);
    // 8 s of sound; the last AAC frame may run up to 1024 samples over.
    let seconds = audio.frames() as f64 / f64::from(rate);
    assert!((8.0..8.03).contains(&seconds), "{seconds} s");
}

#[test]
fn delayed_audio_starts_with_silence_on_the_movie_timeline() {
    let bytes = read("talk_late200.mp4");
    let source = Mp4Source::parse("talk_late200.mp4", &bytes).unwrap();
    let late = decode_audio(&source).unwrap();
    let bytes = read("talk.mp4");
    let plain = decode_audio(&Mp4Source::parse("talk.mp4", &bytes).unwrap()).unwrap();
    // The delayed copy's empty edit is 178 ms (8544 samples) and shows the
    // 1024 priming samples, so the sound itself starts 9568 samples late.
    let shift = 8544 + 1024;
    let peak = |s: &[f32]| s.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(peak(&late.samples[..8544]) < 1e-3);
    let n = 100_000;
    let diff = late.samples[shift..shift + n]
        .iter()
        .zip(&plain.samples[..n])
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(diff < 1e-4, "largest difference {diff}");
}

#[test]
fn motion_values_are_chorus_syncs_block_motion() {
    let bytes = read("talk.mp4");
    let source = Mp4Source::parse("talk.mp4", &bytes).unwrap();
    let motion = motion_series(&source).unwrap();
    let grid = MotionGrid::for_frame(256, 144).unwrap();
    assert_eq!(motion.series.grid, grid);
    // The bar (x 110..146, centred at y 72) is the only thing that moves:
    // all motion summed over the clip peaks in a block it covers.
    let blocks = grid.blocks();
    let mut totals = vec![0f64; blocks];
    for k in 0..motion.series.frames() {
        for (t, v) in totals.iter_mut().zip(motion.series.frame(k)) {
            *t += f64::from(*v);
        }
    }
    let best = (0..blocks)
        .max_by(|&a, &b| totals[a].total_cmp(&totals[b]))
        .unwrap();
    let side = grid.block_pixels() as usize;
    let (x, y) = (
        (best % grid.cols as usize) * side,
        (best / grid.cols as usize) * side,
    );
    assert!(
        (104..150).contains(&x) && (24..120).contains(&y),
        "block at {x},{y}"
    );
    let far = totals[0];
    assert!(far < 1e-3 * totals[best], "corner block moved: {far}");
}

#[test]
fn applying_the_measured_offset_with_shift_audio_fixes_the_sync() {
    let config = AnalysisConfig::rendered();
    for name in ["talk_late200.mp4", "talk_early120.mp4"] {
        let measured = analyze_file(&fixture(name), &config).unwrap().av_offset_ms;
        // "Apply offset": move the sound by minus what was measured.
        let fixed = chorus_media::shift_audio(&read(name), -(measured.round() as i32)).unwrap();
        let source = Mp4Source::parse(format!("{name} (fixed)"), &fixed).unwrap();
        let after = chorus_decode::analyze_source(&source, &config).unwrap();
        println!(
            "{name}: measured {measured:.1} ms, after shift_audio {:.1} ms",
            after.av_offset_ms
        );
        assert!(
            after.av_offset_ms.abs() <= 40.0,
            "{name}: {}",
            after.av_offset_ms
        );
    }
    // And a clean clip shifted on purpose reads back the shift.
    let late = chorus_media::shift_audio(&read("talk.mp4"), 100).unwrap();
    let source = Mp4Source::parse("talk.mp4 +100 ms", &late).unwrap();
    let report = chorus_decode::analyze_source(&source, &config).unwrap();
    println!(
        "talk.mp4 shifted +100 ms: measured {:.1} ms",
        report.av_offset_ms
    );
    assert!(
        (report.av_offset_ms - 100.0).abs() <= 40.0,
        "{}",
        report.av_offset_ms
    );
}
