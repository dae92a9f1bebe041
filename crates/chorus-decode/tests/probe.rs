//! The import check by bytes (`probe_file`) on clips made here with the
//! ffmpeg CLI from a synthetic source, in every codec pair import takes
//! (H.264 + AAC MP4, HEVC + AAC MOV with its index at the end, AV1 + Opus
//! MP4), on copies broken the ways files arrive broken (cut short, no
//! sound, no picture, a codec Chorus does not take, an image renamed,
//! damaged samples), and on real footage; and `chorus sync`'s analysis of
//! HEVC and AV1 copies of a real recording reading what the H.264
//! original reads.

use std::path::{Path, PathBuf};
use std::process::Command;

use chorus_decode::{
    AudioFormat, Container, Mp4Source, ProbeError, Still, VideoFormat, analyze_file,
    keyframe_stills, keyframe_stills_file, probe_file,
};
use chorus_sync::AnalysisConfig;

/// The synthetic source: two seconds of test card and a 440 Hz tone.
const SOURCE: [&str; 8] = [
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x240:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440",
];

/// Runs ffmpeg quietly with `args`, writing `out`.
fn ffmpeg(args: &[&str], out: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg runs (cargo xtask installs it)");
    assert!(status.success(), "ffmpeg {args:?} {} failed", out.display());
}

/// Encodes the two-second synthetic source with `codecs` into `dir/name`.
fn encode(dir: &Path, name: &str, codecs: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args = SOURCE.to_vec();
    args.extend(["-t", "2", "-pix_fmt", "yuv420p"]);
    args.extend(codecs);
    ffmpeg(&args, &out);
    out
}

const H264: [&str; 4] = ["-c:v", "libx264", "-preset", "ultrafast"];
const HEVC: [&str; 8] = [
    "-c:v",
    "libx265",
    "-preset",
    "ultrafast",
    "-tag:v",
    "hvc1",
    "-x265-params",
    "log-level=error",
];
const AV1: [&str; 6] = ["-c:v", "libaom-av1", "-cpu-used", "8", "-usage", "realtime"];
const AAC: [&str; 2] = ["-c:a", "aac"];
const OPUS: [&str; 2] = ["-c:a", "libopus"];

/// Whether a picture has colour: some pixel's red and green differ widely.
fn colourful(still: &Still) -> bool {
    still
        .rgb
        .chunks_exact(3)
        .any(|p| p[0].abs_diff(p[1]) > 100 || p[1].abs_diff(p[2]) > 100)
}

/// Mean absolute difference of two pictures' channels.
fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.len().max(1) as f64
}

/// The top-level boxes of a file: (kind, start).
fn top_level_boxes(path: &Path) -> Vec<(String, u64)> {
    let bytes = std::fs::read(path).expect("read");
    let mut at = 0_usize;
    let mut boxes = Vec::new();
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        boxes.push((
            String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned(),
            at as u64,
        ));
        assert!(size >= 8, "simple box sizes in ffmpeg's output");
        at += size;
    }
    boxes
}

fn refused(path: &Path) -> ProbeError {
    probe_file(path).expect_err("the file should be refused")
}

fn assert_close(what: &str, got: u64, want: u64, within: u64) {
    assert!(
        got.abs_diff(want) <= within,
        "{what}: {got}, expected {want} ± {within}"
    );
}

#[test]
fn every_codec_pair_import_takes_probes_with_its_size_and_length() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let cases = [
        (
            encode(
                dir,
                "h264_aac.mp4",
                &[&H264[..], &AAC, &["-movflags", "+faststart"]].concat(),
            ),
            Container::Mp4,
            VideoFormat::H264,
            AudioFormat::Aac,
            "avc1.",
            "mp4a.40.2",
        ),
        // ffmpeg writes a MOV's index after its samples, as cameras do.
        (
            encode(dir, "hevc_aac.mov", &[&HEVC[..], &AAC].concat()),
            Container::Mov,
            VideoFormat::Hevc,
            AudioFormat::Aac,
            "hvc1.1.",
            "mp4a.40.2",
        ),
        (
            encode(dir, "av1_opus.mp4", &[&AV1[..], &OPUS].concat()),
            Container::Mp4,
            VideoFormat::Av1,
            AudioFormat::Opus,
            "av01.0.",
            "opus",
        ),
    ];
    let mut posters: Vec<(String, Still)> = Vec::new();
    for (path, container, video, audio, video_codec, audio_codec) in cases {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let probe = probe_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        println!("{name}: {probe:?}");
        assert_eq!(probe.container, container, "{name}");
        assert_eq!(probe.video, video, "{name}");
        assert_eq!(probe.audio, audio, "{name}");
        assert_eq!((probe.width, probe.height), (320, 240), "{name}");
        assert_close(&name, probe.duration_ms, 2_000, 50);
        assert!((probe.fps - 25.0).abs() < 0.01, "{name}: {} fps", probe.fps);
        let (v, a) = probe.codecs.split_once(", ").expect("two codec strings");
        assert!(v.starts_with(video_codec), "{name}: {}", probe.codecs);
        assert_eq!(a, audio_codec, "{name}");
        let bytes = std::fs::read(&path).expect("read the clip");
        let source = Mp4Source::parse(&name, &bytes).expect("parse");
        let first = keyframe_stills(&source, 1)
            .unwrap_or_else(|e| panic!("{name}: no poster: {e}"))
            .remove(0);
        // Read from the file in part, the same picture.
        let from_file = keyframe_stills_file(&path, 1).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            from_file,
            std::slice::from_ref(&first),
            "{name}: the file's poster differs"
        );
        posters.push((name, first));
    }
    // Every codec's poster is the same test card, in the same colours.
    let (reference, card) = &posters[0];
    assert!(colourful(card), "{reference}: the test card is grey");
    for (name, still) in &posters[1..] {
        assert_eq!(
            (still.width, still.height),
            (card.width, card.height),
            "{name}"
        );
        assert!(colourful(still), "{name}: its poster is grey");
        let differs = mean_difference(&still.rgb, &card.rgb);
        assert!(
            differs < 10.0,
            "{name}: differs from {reference}'s poster by {differs:.1} a channel"
        );
    }
    // The MOV's index does come after its samples.
    let boxes = top_level_boxes(&dir.join("hevc_aac.mov"));
    let position = |kind: &str| boxes.iter().position(|(k, _)| k == kind);
    assert!(position("mdat") < position("moov"), "{boxes:?}");
    assert_eq!(Container::Mov.label(), "QuickTime MOV");
    assert_eq!(VideoFormat::Hevc.label(), "HEVC");
    assert_eq!(AudioFormat::Opus.label(), "Opus");
}

#[test]
fn broken_and_foreign_files_are_refused_saying_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let whole = encode(
        dir,
        "whole.mp4",
        &[&H264[..], &AAC, &["-movflags", "+faststart"]].concat(),
    );
    let bytes = std::fs::read(&whole).expect("read");
    let size = bytes.len() as u64;

    // Cut short after its index (faststart): the samples run past the end.
    let cut = dir.join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() * 7 / 10]).expect("write");
    let err = refused(&cut);
    let ProbeError::Truncated {
        size: cut_size,
        runs_to: Some(end),
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*cut_size, size * 7 / 10);
    assert!(*end > *cut_size && *end <= size, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("cut short") && text.contains("incomplete download or copy"),
        "{text}"
    );
    println!("{text}");

    // Cut short before its index (index at the end): found by walking the
    // boxes, without reading the samples.
    let late = encode(dir, "late.mov", &[&H264[..], &AAC].concat());
    let late_bytes = std::fs::read(&late).expect("read");
    let late_cut = dir.join("late_cut.mov");
    std::fs::write(&late_cut, &late_bytes[..late_bytes.len() * 7 / 10]).expect("write");
    let err = refused(&late_cut);
    assert!(
        matches!(&err, ProbeError::Truncated { part, runs_to: Some(_), .. } if part.contains("mdat")),
        "{err:?}"
    );
    println!("{err}");
    // Stopped right after its samples: the index never comes.
    let (_, moov_at) = top_level_boxes(&late)
        .into_iter()
        .find(|(kind, _)| kind == "moov")
        .expect("moov");
    let no_index = dir.join("no_index.mov");
    std::fs::write(
        &no_index,
        &late_bytes[..usize::try_from(moov_at).expect("offset")],
    )
    .expect("write");
    let err = refused(&no_index);
    assert!(
        matches!(err, ProbeError::Truncated { runs_to: None, .. }),
        "{err:?}"
    );
    println!("{err}");

    // Written in pieces for streaming: refused by name, not as damaged.
    let pieces = encode(
        dir,
        "pieces.mp4",
        &[&H264[..], &AAC, &["-movflags", "frag_keyframe+empty_moov"]].concat(),
    );
    let err = refused(&pieces);
    assert!(matches!(err, ProbeError::Fragmented), "{err:?}");

    let silent = encode(dir, "silent.mp4", &[&H264[..], &["-an"]].concat());
    let err = refused(&silent);
    assert!(matches!(err, ProbeError::NoSound), "{err:?}");
    println!("{err}");
    let blind = encode(dir, "blind.mp4", &[&AAC[..], &["-vn"]].concat());
    let err = refused(&blind);
    assert!(matches!(err, ProbeError::NoPicture), "{err:?}");
    println!("{err}");

    let vp9 = encode(
        dir,
        "vp9.mp4",
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-c:a",
            "libopus",
        ],
    );
    let err = refused(&vp9);
    assert!(
        matches!(&err, ProbeError::UnsupportedVideo { codec } if codec == "VP9"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("VP9") && text.contains("H.264, HEVC and AV1"),
        "{text}"
    );
    println!("{text}");
    let mpeg4 = encode(dir, "mpeg4.mov", &["-c:v", "mpeg4", "-c:a", "aac"]);
    let err = refused(&mpeg4);
    assert!(err.to_string().contains("MPEG-4 Part 2"), "{err}");
    println!("{err}");
    let pcm = encode(
        dir,
        "pcm.mov",
        &[&H264[..], &["-c:a", "pcm_s16le"]].concat(),
    );
    let err = refused(&pcm);
    assert!(
        matches!(&err, ProbeError::UnsupportedAudio { codec } if codec == "uncompressed PCM"),
        "{err:?}"
    );
    assert!(err.to_string().contains("AAC and Opus"), "{err}");
    println!("{err}");

    let png = dir.join("still.png");
    ffmpeg(
        &["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1"],
        &png,
    );
    let renamed = dir.join("still.mp4");
    std::fs::rename(&png, &renamed).expect("rename");
    let err = refused(&renamed);
    assert_eq!(
        err.to_string(),
        "This file is not an MP4 or MOV movie (it starts like a PNG image). Chorus imports MP4 and MOV files with H.264, HEVC or AV1 video and AAC or Opus sound."
    );
    let notes = dir.join("notes.mov");
    std::fs::write(&notes, "Shot list for Tuesday:\n1. intro\n").expect("write");
    assert!(
        refused(&notes)
            .to_string()
            .contains("(it starts like plain text)")
    );

    let missing = dir.join("gone.mp4");
    let err = refused(&missing);
    assert!(
        matches!(&err, ProbeError::Io { path, .. } if path == &missing),
        "{err:?}"
    );
    assert!(err.to_string().contains("gone.mp4"), "{err}");
}

/// `path`'s copy with the first `count` samples of its video (or audio)
/// track overwritten with noise; picture samples keep their NAL unit
/// lengths and headers, so the damage reaches the decoder.
fn damaged(path: &Path, out: &Path, video: bool, count: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    let source = chorus_decode::Mp4Source::parse("clip", &bytes).expect("index");
    let movie = source.movie().clone();
    let track = if video {
        movie.video_track()
    } else {
        movie.audio_track()
    }
    .expect("track");
    let mut noise = 0x2545_F491_u32;
    let mut next = move || {
        noise ^= noise << 13;
        noise ^= noise >> 17;
        noise ^= noise << 5;
        noise as u8
    };
    for sample in track.samples.iter().take(count) {
        let start = usize::try_from(sample.offset).expect("offset");
        let sample = &mut bytes[start..start + sample.size as usize];
        if !video {
            sample.fill_with(&mut next);
            continue;
        }
        let mut at = 0;
        while at + 4 <= sample.len() {
            let len = u32::from_be_bytes(sample[at..at + 4].try_into().expect("4")) as usize;
            let end = (at + 4 + len).min(sample.len());
            sample[(at + 6).min(end)..end].fill_with(&mut next);
            at = end;
        }
    }
    std::fs::write(out, bytes).expect("write");
}

#[test]
fn a_picture_or_sound_that_does_not_decode_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let hevc = encode(dir, "hevc.mov", &[&HEVC[..], &AAC].concat());
    let bad_picture = dir.join("bad_picture.mov");
    damaged(&hevc, &bad_picture, true, 30);
    let err = refused(&bad_picture);
    assert!(
        matches!(
            err,
            ProbeError::PictureUndecodable {
                codec: VideoFormat::Hevc,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("The first picture of this HEVC video cannot be decoded ("),
        "{err}"
    );
    println!("{err}");
    let bad_sound = dir.join("bad_sound.mov");
    damaged(&hevc, &bad_sound, false, 10);
    let err = refused(&bad_sound);
    assert!(
        matches!(
            err,
            ProbeError::SoundUndecodable {
                codec: AudioFormat::Aac,
                ..
            }
        ),
        "{err:?}"
    );
    println!("{err}");
}

fn footage(name: &str) -> PathBuf {
    let dir = std::env::var_os("CHORUS_FOOTAGE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/footage"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "real footage missing: {} (the shared folder beside the repository, or CHORUS_FOOTAGE)",
        path.display()
    );
    path
}

#[test]
fn real_footage_probes_and_its_codec_names_are_read_from_the_index() {
    let path = footage("talking-5.mp4");
    let probe = probe_file(&path).expect("talking-5 passes");
    assert_eq!(probe.container, Container::Mp4);
    assert_eq!(probe.video, VideoFormat::H264);
    assert_eq!(probe.audio, AudioFormat::Aac);
    assert_eq!((probe.width, probe.height), (524, 524));
    assert!((probe.fps - 25.0).abs() < 0.01, "{}", probe.fps);
    assert_close("talking-5 length", probe.duration_ms, 4_900, 50);
    assert!(probe.codecs.starts_with("avc1.64"), "{}", probe.codecs);
    assert!(probe.codecs.ends_with(", mp4a.40.2"), "{}", probe.codecs);

    // Sample entries renamed in place: the codec is named from its code.
    let bytes = std::fs::read(&path).expect("read");
    let dir = tempfile::tempdir().expect("tempdir");
    let patched = |from: &[u8; 4], to: &[u8; 4]| {
        let mut out = bytes.clone();
        // The sample entry, after the brands in `ftyp` (which may name avc1).
        let stsd = out.windows(4).position(|w| w == b"stsd").expect("stsd");
        let at = stsd
            + out[stsd..]
                .windows(4)
                .position(|w| w == from)
                .expect("code in the index");
        out[at..at + 4].copy_from_slice(to);
        let file = dir
            .path()
            .join(format!("{}.mp4", String::from_utf8_lossy(to).trim()));
        std::fs::write(&file, out).expect("write");
        refused(&file)
    };
    let err = patched(b"avc1", b"apcn");
    assert!(
        matches!(&err, ProbeError::UnsupportedVideo { codec } if codec == "Apple ProRes"),
        "{err:?}"
    );
    let err = patched(b"mp4a", b"ac-3");
    assert!(err.to_string().contains("Dolby Digital (AC-3)"), "{err}");
    let err = patched(b"soun", b"text");
    assert!(matches!(err, ProbeError::NoSound), "{err:?}");
}

#[test]
fn hevc_and_av1_copies_read_like_the_h264_original() {
    let original = footage("talking-5.mp4");
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = |name: &str, codecs: &[&str]| {
        let out = dir.path().join(name);
        let source = original.to_str().expect("utf-8 path");
        let mut args = vec!["-i", source, "-t", "8", "-pix_fmt", "yuv420p"];
        args.extend(codecs);
        ffmpeg(&args, &out);
        out
    };
    let hevc = copy(
        "talking-5-hevc.mov",
        &[&HEVC[..], &["-crf", "26"], &AAC].concat(),
    );
    let av1 = copy(
        "talking-5-av1.mp4",
        &[&AV1[..], &["-crf", "30"], &OPUS].concat(),
    );
    assert_eq!(
        probe_file(&hevc).expect("HEVC copy passes").video,
        VideoFormat::Hevc
    );
    assert_eq!(
        probe_file(&av1).expect("AV1 copy passes").audio,
        AudioFormat::Opus
    );

    let config = AnalysisConfig::default();
    let read = |path: &Path| {
        let report = analyze_file(path, &config).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            report.cant_tell.is_none(),
            "{}: {:?}",
            path.display(),
            report.cant_tell
        );
        report
    };
    let base = read(&original);
    for path in [&hevc, &av1] {
        let report = read(path);
        println!(
            "{}: {:+.1} ms (H.264 original {:+.1} ms), {} frames (original {})",
            path.file_name().expect("name").to_string_lossy(),
            report.av_offset_ms,
            base.av_offset_ms,
            report.frames,
            base.frames
        );
        assert!(
            (report.av_offset_ms - base.av_offset_ms).abs() <= 80.0,
            "{}: {report:?}\noriginal: {base:?}",
            path.display()
        );
        assert!(report.frames.abs_diff(base.frames) <= 1, "{report:?}");
    }
}
