//! `shift_audio` round trips on the fixtures: same sample bytes, audio
//! presentation times moved by exactly the offset, faststart layout, and
//! (when installed) ffprobe agreeing on the new audio start.

use std::process::Command;

use chorus_media::{Movie, Track, parse_file, shift_audio};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(path).expect("fixture file")
}

fn sample_bytes<'a>(file: &'a [u8], track: &Track) -> Vec<&'a [u8]> {
    track
        .samples
        .iter()
        .map(|s| &file[s.offset as usize..s.offset as usize + s.size as usize])
        .collect()
}

fn top_level_kinds(file: &[u8]) -> Vec<String> {
    let mut kinds = Vec::new();
    let mut pos = 0;
    while pos + 8 <= file.len() {
        let size = u32::from_be_bytes(file[pos..pos + 4].try_into().expect("four bytes")) as usize;
        kinds.push(String::from_utf8_lossy(&file[pos + 4..pos + 8]).into_owned());
        assert!(size >= 8, "box size {size} at {pos}");
        pos += size;
    }
    assert_eq!(pos, file.len());
    kinds
}

/// Checks everything that must hold for any offset; returns the two movies.
fn check_shift(name: &str, offset_ms: i32) -> (Movie, Movie, Vec<u8>) {
    let input = fixture(name);
    let output = shift_audio(&input, offset_ms).expect("shift_audio");
    let before = parse_file(&input).expect("input parses");
    let after = parse_file(&output).expect("output parses");
    assert_eq!(top_level_kinds(&output), ["ftyp", "moov", "mdat"], "{name}");

    let (v0, v1) = (
        before.video_track().expect("video in input"),
        after.video_track().expect("video in output"),
    );
    assert_eq!(sample_bytes(&input, v0), sample_bytes(&output, v1));
    let times = |t: &Track| {
        t.samples
            .iter()
            .map(|s| (s.decode_time, s.presentation_time, s.is_shown))
            .collect::<Vec<_>>()
    };
    assert_eq!(times(v0), times(v1), "video timing must not change");
    assert_eq!(v0.codec, v1.codec);

    let (a0, a1) = (
        before.audio_track().expect("audio in input"),
        after.audio_track().expect("audio in output"),
    );
    assert_eq!(sample_bytes(&input, a0), sample_bytes(&output, a1));
    assert_eq!(a0.codec, a1.codec);
    let ticks = (i64::from(offset_ms) * i64::from(a0.timescale)
        + 500 * i64::from(offset_ms.signum()))
        / 1000;
    for (i, (s0, s1)) in a0.samples.iter().zip(&a1.samples).enumerate() {
        assert_eq!(
            s1.presentation_time,
            s0.presentation_time + ticks,
            "{name} sample {i}"
        );
    }
    (before, after, output)
}

#[test]
fn delay_moves_every_audio_sample_later() {
    let (before, after, _) = check_shift("av_aac.mp4", 150);
    let (a0, a1) = (before.audio_track().unwrap(), after.audio_track().unwrap());
    // 150 ms at 44.1 kHz.
    assert_eq!(a1.edit.empty_delay, a0.edit.empty_delay + 6615);
    assert_eq!(
        a0.samples.iter().filter(|s| s.is_shown).count(),
        a1.samples.iter().filter(|s| s.is_shown).count()
    );
}

#[test]
fn advance_moves_every_audio_sample_earlier() {
    let (_, after, _) = check_shift("av_aac.mp4", -50);
    let a1 = after.audio_track().unwrap();
    // The first shown sample now starts on a whole sample, after a short
    // empty edit that keeps the shift exact.
    let first = a1.samples.iter().find(|s| s.is_shown).unwrap();
    assert!(first.presentation_time >= 0 && first.presentation_time < 1024);
    assert!(
        a1.samples
            .iter()
            .filter(|s| !s.is_shown)
            .all(|s| s.presentation_time < 0)
    );
}

#[test]
fn odd_offsets_are_exact_and_shifts_undo() {
    for offset in [0, 1, -1, 333, -777] {
        check_shift("av_aac.mp4", offset);
    }
    // Shifting back after a shift gives the original times.
    let input = fixture("av_aac.mp4");
    let there = shift_audio(&input, 240).unwrap();
    let back = shift_audio(&there, -240).unwrap();
    let (a, b) = (parse_file(&input).unwrap(), parse_file(&back).unwrap());
    let times = |m: &Movie| {
        m.audio_track()
            .unwrap()
            .samples
            .iter()
            .map(|s| s.presentation_time)
            .collect::<Vec<_>>()
    };
    assert_eq!(times(&a), times(&b));
}

#[test]
fn file_without_audio_is_refused() {
    let err = shift_audio(&fixture("cfr24_bframes.mp4"), 100).unwrap_err();
    assert!(err.to_string().contains("no audio track"), "{err}");
    let err = shift_audio(&fixture("av_aac.mp4"), -5000).unwrap_err();
    assert!(err.to_string().contains("all of the audio"), "{err}");
}

fn ffprobe_audio_start(file: &[u8]) -> Option<f64> {
    let dir = std::env::temp_dir().join(format!("chorus-remux-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(format!("{}.mp4", file.len()));
    std::fs::write(&path, file).ok()?;
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=start_time",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&path);
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

#[test]
fn ffprobe_sees_the_audio_start_move() {
    let input = fixture("av_aac.mp4");
    let Some(start) = ffprobe_audio_start(&input) else {
        println!("ffprobe not installed: skipping the ffprobe cross-check");
        return;
    };
    let delayed = shift_audio(&input, 150).unwrap();
    let moved = ffprobe_audio_start(&delayed).unwrap();
    assert!((moved - start - 0.150).abs() < 0.001, "{start} -> {moved}");

    // Advanced: ffprobe starts the audio at the first shown sample, which
    // our parse puts at the same time.
    let advanced = shift_audio(&input, -50).unwrap();
    let moved = ffprobe_audio_start(&advanced).unwrap();
    let track = parse_file(&advanced).unwrap();
    let audio = track.audio_track().unwrap();
    let first = audio.samples.iter().find(|s| s.is_shown).unwrap();
    let expected = first.presentation_time as f64 / f64::from(audio.timescale);
    assert!((moved - expected).abs() < 0.001, "{moved} vs {expected}");
}

#[test]
fn damaged_input_is_an_error_not_a_panic() {
    let file = fixture("av_aac.mp4");
    for cut in (0..file.len()).step_by(61) {
        let _ = shift_audio(&file[..cut], 120);
    }
    // Flip bytes across the index; any outcome but a panic is fine.
    for at in (0..2200).step_by(7) {
        let mut bad = file.clone();
        bad[at] ^= 0xa5;
        let _ = shift_audio(&bad, -80);
    }
}
