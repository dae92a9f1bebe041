//! "Can't tell" is an answer: clips that give the lip-sync analysis no
//! footing get the reason, not a verdict. Each case is made here from the
//! real footage in `../shared/footage` (never copied into the repository):
//! its decoded frames and sound, rearranged.

use std::path::PathBuf;
use std::sync::OnceLock;

use chorus_decode::{Mp4Source, decode_audio, decode_luma_frames};
use chorus_sync::{AnalysisConfig, AudioClip, CantTellReason, FaceAnalyzer, LumaFrame};

/// One clip, decoded: frames (luma, `width × height`), their times, sound.
struct Clip {
    width: u32,
    height: u32,
    frames: Vec<Vec<u8>>,
    times: Vec<f64>,
    samples: Vec<f32>,
    sample_rate: u32,
    channels: u16,
}

fn footage(name: &str) -> PathBuf {
    let dir = std::env::var_os("CHORUS_FOOTAGE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/footage"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.exists(),
        "real footage missing: {} (the shared folder beside the repository, or CHORUS_FOOTAGE)",
        path.display()
    );
    path
}

fn decode(name: &str) -> Clip {
    let bytes = std::fs::read(footage(name)).expect("read footage");
    let source = Mp4Source::parse(name.to_owned(), &bytes).expect("parse");
    let audio = decode_audio(&source).expect("sound");
    let mut frames = Vec::new();
    let mut size = (0, 0);
    let info = decode_luma_frames(&source, |_, frame| {
        size = (frame.width, frame.height);
        let mut plane = Vec::with_capacity((frame.width * frame.height) as usize);
        for row in frame.data.chunks(frame.stride).take(frame.height as usize) {
            plane.extend_from_slice(&row[..frame.width as usize]);
        }
        frames.push(plane);
        Ok(())
    })
    .expect("pictures");
    let times = (0..frames.len()).map(|k| k as f64 / info.fps).collect();
    // The sound from the first frame on, as chorus-decode's analysis does.
    let skip = (info.start_seconds * f64::from(audio.sample_rate)).round() as usize
        * usize::from(audio.channels);
    Clip {
        width: size.0,
        height: size.1,
        frames,
        times,
        samples: audio.samples[skip.min(audio.samples.len())..].to_vec(),
        sample_rate: audio.sample_rate,
        channels: audio.channels,
    }
}

fn talking(n: usize) -> &'static Clip {
    static CLIPS: [OnceLock<Clip>; 6] = [const { OnceLock::new() }; 6];
    CLIPS[n].get_or_init(|| decode(&format!("talking-{n}.mp4")))
}

/// Analyses `frames` (each `width × height`) at `times` against a sound.
fn analyse(
    width: u32,
    height: u32,
    frames: &[Vec<u8>],
    times: &[f64],
    samples: &[f32],
    sample_rate: u32,
    channels: u16,
) -> chorus_sync::SyncReport {
    let mut analyzer = FaceAnalyzer::new();
    for (frame, &t) in frames.iter().zip(times) {
        let luma = LumaFrame {
            data: frame,
            width,
            height,
            stride: width as usize,
        };
        analyzer.push(&luma, t).expect("push");
    }
    let audio = AudioClip {
        samples,
        sample_rate,
        channels,
    };
    analyzer
        .finish(&audio, &AnalysisConfig::default())
        .expect("analysis runs")
}

fn reason(report: &chorus_sync::SyncReport) -> Option<CantTellReason> {
    report.cant_tell.as_ref().map(|c| c.reason)
}

fn assert_cant_tell(report: &chorus_sync::SyncReport, want: &[CantTellReason], case: &str) {
    let got = reason(report);
    assert!(
        got.is_some_and(|r| want.contains(&r)),
        "{case}: expected can't tell ({want:?}), got {got:?} with offset {:.0} ms (confidence {:.2})",
        report.av_offset_ms,
        report.confidence
    );
    assert_eq!(report.verdict, chorus_sync::SyncVerdict::CantTell, "{case}");
    let message = &report.cant_tell.as_ref().expect("reason").message;
    assert!(
        message.len() > 20,
        "{case}: the reason is said in words: {message}"
    );
}

#[test]
fn a_real_talking_clip_gets_a_verdict() {
    let c = talking(5);
    let report = analyse(
        c.width,
        c.height,
        &c.frames,
        &c.times,
        &c.samples,
        c.sample_rate,
        c.channels,
    );
    assert_eq!(reason(&report), None, "{:?}", report.cant_tell);
    assert!(report.face.is_some(), "the face is reported");
    assert!(
        report.av_offset_ms.abs() <= 80.0,
        "{} ms",
        report.av_offset_ms
    );
}

#[test]
fn a_still_photo_over_speech_cannot_be_judged() {
    let c = talking(5);
    let still = vec![c.frames[40].clone(); c.frames.len()];
    let report = analyse(
        c.width,
        c.height,
        &still,
        &c.times,
        &c.samples,
        c.sample_rate,
        c.channels,
    );
    assert_cant_tell(&report, &[CantTellReason::StillMouth], "still photo");
}

#[test]
fn music_with_no_voice_cannot_be_judged() {
    let c = talking(5);
    // Chords (three partials each) changing every half second, with a soft
    // tremolo: music, no one speaking.
    let rate = c.sample_rate;
    let seconds = c.samples.len() as f64 / f64::from(c.channels) / f64::from(rate);
    let chords = [
        [220.0, 277.2, 329.6],
        [196.0, 246.9, 293.7],
        [174.6, 220.0, 261.6],
    ];
    let music: Vec<f32> = (0..(seconds * f64::from(rate)) as usize)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let chord = chords[(t * 2.0) as usize % chords.len()];
            let tremolo = 0.8 + 0.2 * (std::f64::consts::TAU * 5.0 * t).sin();
            let v: f64 = chord
                .iter()
                .map(|f| (std::f64::consts::TAU * f * t).sin())
                .sum();
            (0.1 * tremolo * v) as f32
        })
        .collect();
    let report = analyse(c.width, c.height, &c.frames, &c.times, &music, rate, 1);
    assert_cant_tell(
        &report,
        &[CantTellReason::NoSpeech, CantTellReason::NoMatch],
        "music",
    );
}

#[test]
fn silence_cannot_be_judged() {
    let c = talking(5);
    let silence = vec![0.0f32; c.samples.len()];
    let report = analyse(
        c.width,
        c.height,
        &c.frames,
        &c.times,
        &silence,
        c.sample_rate,
        c.channels,
    );
    assert_cant_tell(&report, &[CantTellReason::NoSpeech], "silence");
}

#[test]
fn a_hard_cut_to_another_person_cannot_be_judged_as_one_shot() {
    let (a, b) = (talking(2), talking(5));
    // The second person, enlarged (nearest pixel) to the first's frame.
    let enlarge = |frame: &[u8]| -> Vec<u8> {
        let mut out = Vec::with_capacity((a.width * a.height) as usize);
        for y in 0..a.height {
            let sy = (y * b.height / a.height) as usize;
            for x in 0..a.width {
                let sx = (x * b.width / a.width) as usize;
                out.push(frame[sy * b.width as usize + sx]);
            }
        }
        out
    };
    let half = a.frames.len() / 2;
    let frames: Vec<Vec<u8>> = a.frames[..half]
        .iter()
        .cloned()
        .chain(b.frames[half..].iter().map(|f| enlarge(f)))
        .collect();
    let times = &a.times[..frames.len()];
    let report = analyse(
        a.width,
        a.height,
        &frames,
        times,
        &a.samples,
        a.sample_rate,
        a.channels,
    );
    assert_cant_tell(&report, &[CantTellReason::Cut], "hard cut");
}

#[test]
fn no_face_and_two_faces_cannot_be_judged() {
    let c = talking(5);
    // The same sound over a picture of moving noise: nobody there.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<Vec<u8>> = (0..c.frames.len())
        .map(|_| {
            (0..c.width * c.height)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 56) as u8
                })
                .collect()
        })
        .collect();
    let report = analyse(
        c.width,
        c.height,
        &noise,
        &c.times,
        &c.samples,
        c.sample_rate,
        c.channels,
    );
    assert_cant_tell(&report, &[CantTellReason::NoFace], "noise");

    // Two people side by side (the same recording twice): which one speaks?
    let w = c.width as usize;
    let pairs: Vec<Vec<u8>> = c
        .frames
        .iter()
        .map(|f| {
            f.chunks(w)
                .flat_map(|row| row.iter().chain(row.iter()).copied())
                .collect()
        })
        .collect();
    let report = analyse(
        2 * c.width,
        c.height,
        &pairs,
        &c.times,
        &c.samples,
        c.sample_rate,
        c.channels,
    );
    assert_cant_tell(&report, &[CantTellReason::SeveralFaces], "two faces");
}
