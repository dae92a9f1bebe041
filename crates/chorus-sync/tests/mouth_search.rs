//! The mouth search must pick the region that moves with the speech all
//! through the clip, not one that moved once at the right moment: a single
//! blink landing on the loudest syllable at some lag used to beat a mouth
//! whose motion is only moderately clean, and the offset came out as that
//! blink's lag.

mod common;

use chorus_sync::{
    AnalysisConfig, AudioClip, MotionGrid, MotionSeries, STEPS_PER_FRAME, SpeechEnvelope,
    analyze_motion,
};
use common::{ClipSpec, Syllables, noisy_motion, syllable_audio};

const MOUTH: usize = 37; // block (5, 4) of the 8x6 grid
const EYE: usize = 10; // block (2, 1)
/// Motion of the eye block over one blink, frame by frame.
const BLINK: [f64; 5] = [60.0, 60.0, -1.0, 60.0, 60.0];

/// Speech activity of frame transition `k − 1 → k` with the sound `lag`
/// frames later, computed from the public envelope levels the way the
/// analysis defines it (absolute level change over one frame).
fn activity(envelope: &SpeechEnvelope, k: usize, lag: usize) -> f32 {
    let levels = envelope.levels();
    let end = (k + lag) * STEPS_PER_FRAME;
    match (levels.get(end), levels.get(end - STEPS_PER_FRAME)) {
        (Some(a), Some(b)) => (a - b).abs(),
        _ => 0.0,
    }
}

/// Block motion of a talking clip: a mouth moving with every syllable, but
/// with uneven strength and sensor noise; one blink, placed on the five
/// frames whose speech activity `blink_lag` frames later matches its shape
/// best in the whole clip; noise everywhere else.
fn motion_with_a_lucky_blink(
    syl: &Syllables,
    envelope: &SpeechEnvelope,
    fps: f64,
    frames: usize,
    blink_lag: usize,
) -> MotionSeries {
    let grid = MotionGrid::new(128, 96, 4, 4).expect("grid");
    // Two frames of closing lid, one shut, two opening: the same rise, dip
    // and rise that speech activity shows over one syllable.
    let window = |k: usize| -> f32 {
        BLINK
            .iter()
            .enumerate()
            .map(|(i, &m)| m.signum() as f32 * activity(envelope, k + i, blink_lag))
            .sum()
    };
    let blink = (1..frames - blink_lag - 5)
        .max_by(|&a, &b| window(a).total_cmp(&window(b)))
        .expect("frames");
    noisy_motion(grid, fps, frames, 11, |b, k, t, rng| match b {
        MOUTH => {
            let change = (syl.at(t) - syl.at(t - 1.0 / fps)).abs();
            rng.range(0.0, 5.0) + 12.0 * change * rng.range(0.0, 1.0)
        }
        EYE if (blink..blink + 5).contains(&k) => BLINK[k - blink],
        _ => 0.0,
    })
}

#[test]
fn a_single_blink_on_a_loud_syllable_does_not_win_the_mouth_search() {
    let fps = 25.0;
    for seed in [3, 4, 5, 6, 7, 8, 9, 10] {
        let spec = ClipSpec {
            fps,
            seconds: 5.0,
            seed,
            ..ClipSpec::default()
        };
        let syl = Syllables::new(spec.seed, spec.seconds, true);
        let audio = syllable_audio(&spec, &syl);
        let envelope =
            SpeechEnvelope::from_samples(&audio, spec.sample_rate, 1, fps).expect("envelope");
        let frames = (spec.seconds * fps) as usize;
        // The blink lines up with the speech 8 frames (320 ms) later.
        let motion = motion_with_a_lucky_blink(&syl, &envelope, fps, frames, 8);
        let clip = AudioClip {
            samples: &audio,
            sample_rate: spec.sample_rate,
            channels: 1,
        };
        let r = analyze_motion(&clip, &motion, &AnalysisConfig::rendered()).expect("analysis");
        eprintln!(
            "seed {seed}: measured {:+.1} ms, blocks {:?}, confidence {:.2}",
            r.av_offset_ms, r.mouth_region.blocks, r.confidence
        );
        assert_eq!(
            r.mouth_region.blocks[0],
            [5, 4],
            "seed {seed}: not the mouth"
        );
        assert!(
            r.av_offset_ms.abs() <= 10.0,
            "seed {seed}: measured {:+.1} ms",
            r.av_offset_ms
        );
    }
}

#[test]
fn a_short_line_in_a_long_clip_is_still_found() {
    // 12 s of picture; the person speaks for about two seconds in the middle.
    let fps = 25.0;
    let spec = ClipSpec {
        fps,
        seconds: 12.0,
        seed: 9,
        shift_ms: 120.0,
        pauses: false,
        ..ClipSpec::default()
    };
    let talk = Syllables::new(spec.seed, 2.2, false);
    let syl = |t: f64| talk.at(t - 5.0);
    let grid = MotionGrid::new(128, 96, 4, 4).expect("grid");
    let frames = (spec.seconds * fps) as usize;
    let motion = noisy_motion(grid, fps, frames, 2, |b, _, t, _| match b {
        MOUTH => 20.0 * (syl(t) - syl(t - 1.0 / fps)).abs(),
        // A slow sway all through, unrelated to the speech.
        12 => 6.0 * (t * 2.1).sin().abs(),
        _ => 0.0,
    });
    // The same syllables as sound, 120 ms late, silent outside the line.
    let rate = f64::from(spec.sample_rate);
    let audio: Vec<f32> = (0..(spec.seconds * rate) as usize)
        .map(|i| {
            let t = i as f64 / rate;
            let level = syl(t - 0.12);
            let voice = (std::f64::consts::TAU * 150.0 * t).sin()
                + 0.5 * (std::f64::consts::TAU * 450.0 * t).sin();
            (0.1 * voice * level) as f32
        })
        .collect();
    let clip = AudioClip {
        samples: &audio,
        sample_rate: spec.sample_rate,
        channels: 1,
    };
    let r = analyze_motion(&clip, &motion, &AnalysisConfig::rendered()).expect("analysis");
    assert_eq!(r.mouth_region.blocks[0], [5, 4], "{:?}", r.mouth_region);
    assert!(
        (r.av_offset_ms - 120.0).abs() <= 10.0,
        "measured {:+.1} ms",
        r.av_offset_ms
    );
}
