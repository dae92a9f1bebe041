//! Spans where picture and sound disagree about whether someone is talking:
//! the mouth moves during silence, or speech plays over a still mouth. Users
//! notice these more than a small constant offset.
//!
//! Both tests compare the offset-corrected speech level with the mouth's
//! motion. Speech is "on" above −26 dB under the clip's 95th-percentile level
//! (and above an absolute floor), with gaps under 0.25 s bridged because
//! syllables inside a phrase are separated by short closures. Mouth activity
//! is the running maximum of mouth motion over ±0.15 s, so the still instant
//! at full opening between two movements does not read as "still". It is
//! judged against the median activity while speaking: above 30 % is moving,
//! below 15 % is still.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::audio::{STEPS_PER_FRAME, SpeechEnvelope};

/// A span of frames `[start_frame, end_frame)` and the same in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub start_frame: usize,
    pub end_frame: usize,
    pub start_ms: f64,
    pub end_ms: f64,
}

impl Span {
    fn new(frames: Range<usize>, fps: f64) -> Self {
        Self {
            start_frame: frames.start,
            end_frame: frames.end,
            start_ms: frames.start as f64 * 1000.0 / fps,
            end_ms: frames.end as f64 * 1000.0 / fps,
        }
    }
}

/// Band-limited RMS below which audio is silence whatever the clip's level
/// (−80 dBFS).
const SILENCE_FLOOR: f32 = 1e-4;
const SPEECH_BELOW_PEAK: f32 = 0.05;
const BRIDGE_SECONDS: f64 = 0.25;
const ACTIVITY_HALF_WINDOW_SECONDS: f64 = 0.15;
const MOVING_FRACTION: f32 = 0.3;
const STILL_FRACTION: f32 = 0.15;

/// The two kinds of disagreement found in a clip.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Disagreements {
    pub silent_mouth: Vec<Span>,
    pub still_mouth: Vec<Span>,
}

/// `speech[k]` is the offset-corrected speech level at frame `k` (`None`
/// past the audio's end, which counts as silence); `mouth[k]` the mouth
/// motion. Runs shorter than `min_frames` are ignored.
pub(crate) fn disagreements(
    speech: &[Option<f32>],
    mouth: &[f32],
    fps: f64,
    min_frames: usize,
) -> Disagreements {
    let talking = speech_mask(speech, fps);
    let activity = running_max(mouth, (ACTIVITY_HALF_WINDOW_SECONDS * fps).round() as usize);
    let mut while_talking: Vec<f32> = activity
        .iter()
        .zip(&talking)
        .filter(|&(_, &t)| t)
        .map(|(&a, _)| a)
        .collect();
    if while_talking.is_empty() {
        return Disagreements::default();
    }
    let mid = while_talking.len() / 2;
    let reference = *while_talking.select_nth_unstable_by(mid, f32::total_cmp).1;
    if reference <= 0.0 {
        return Disagreements::default();
    }
    let silent: Vec<bool> = activity
        .iter()
        .zip(&talking)
        .map(|(&a, &t)| !t && a > MOVING_FRACTION * reference)
        .collect();
    let still: Vec<bool> = activity
        .iter()
        .zip(&talking)
        .map(|(&a, &t)| t && a < STILL_FRACTION * reference)
        .collect();
    let spans = |mask: &[bool]| {
        runs(mask, min_frames)
            .into_iter()
            .map(|r| Span::new(r, fps))
            .collect()
    };
    Disagreements {
        silent_mouth: spans(&silent),
        still_mouth: spans(&still),
    }
}

/// Where the sound carries speech, in the envelope's frames: the test the
/// disagreement spans use, on the sound alone (captions for clips with no
/// timing of their own are laid on these spans).
pub fn speech_spans(envelope: &SpeechEnvelope) -> Vec<Span> {
    let levels: Vec<Option<f32>> = (0..envelope.frames())
        .map(|k| envelope.level((k * STEPS_PER_FRAME) as i64))
        .collect();
    let mask = speech_mask(&levels, envelope.fps());
    runs(&mask, 1)
        .into_iter()
        .map(|r| Span::new(r, envelope.fps()))
        .collect()
}

/// Which frames carry speech.
pub(crate) fn speech_mask(speech: &[Option<f32>], fps: f64) -> Vec<bool> {
    let mut present: Vec<f32> = speech.iter().flatten().copied().collect();
    if present.is_empty() {
        return vec![false; speech.len()];
    }
    let p95 = (present.len() - 1) * 95 / 100;
    let loud = *present.select_nth_unstable_by(p95, f32::total_cmp).1;
    let threshold = (loud * SPEECH_BELOW_PEAK).max(SILENCE_FLOOR);
    let mut mask: Vec<bool> = speech
        .iter()
        .map(|l| l.is_some_and(|l| l > threshold))
        .collect();
    // Bridge short closures between syllables.
    let bridge = (BRIDGE_SECONDS * fps).round() as usize;
    let mut last_on: Option<usize> = None;
    for k in 0..mask.len() {
        if mask[k] {
            if let Some(prev) = last_on
                && k - prev > 1
                && k - prev - 1 <= bridge
            {
                mask[prev + 1..k].fill(true);
            }
            last_on = Some(k);
        }
    }
    mask
}

fn running_max(values: &[f32], half: usize) -> Vec<f32> {
    // O(n·w) with w ≈ 9 frames: cheaper to read than a monotone deque.
    (0..values.len())
        .map(|k| {
            let lo = k.saturating_sub(half);
            let hi = (k + half + 1).min(values.len());
            values[lo..hi].iter().copied().fold(0.0, f32::max)
        })
        .collect()
}

fn runs(mask: &[bool], min_len: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (k, &on) in mask.iter().chain([&false]).enumerate() {
        match (on, start) {
            (true, None) => start = Some(k),
            (false, Some(s)) => {
                if k - s >= min_len.max(1) {
                    out.push(s..k);
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_spans_of_sound_follow_the_bursts() {
        // 16 kHz: 0.5 s silence, 1 s of a 1 kHz tone, 0.6 s silence, 0.4 s tone.
        let rate = 16_000.0;
        let samples: Vec<f32> = (0..40_000)
            .map(|i| {
                let t = f64::from(i) / rate;
                let on = (0.5..1.5).contains(&t) || (2.1..2.5).contains(&t);
                if on {
                    (0.3 * (std::f64::consts::TAU * 1000.0 * t).sin()) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let env = SpeechEnvelope::from_samples(&samples, 16_000, 1, 100.0).unwrap();
        let spans = speech_spans(&env);
        assert_eq!(spans.len(), 2, "{spans:?}");
        for (span, (start, end)) in spans.iter().zip([(500.0, 1500.0), (2100.0, 2500.0)]) {
            assert!((span.start_ms - start).abs() <= 20.0, "{spans:?}");
            assert!((span.end_ms - end).abs() <= 20.0, "{spans:?}");
        }
        let silent = SpeechEnvelope::from_samples(&vec![0.0; 16_000], 16_000, 1, 100.0).unwrap();
        assert!(speech_spans(&silent).is_empty());
    }

    #[test]
    fn runs_respect_minimum_length() {
        let m = [true, true, false, true, true, true, false, true];
        assert_eq!(runs(&m, 3), vec![3..6]);
        assert_eq!(runs(&m, 1), vec![0..2, 3..6, 7..8]);
    }

    #[test]
    fn short_closures_are_bridged_but_pauses_are_not() {
        let mut s = vec![Some(0.5f32); 40];
        s[10] = Some(0.0);
        s[11] = Some(0.0);
        for v in &mut s[20..35] {
            *v = Some(0.0);
        }
        s[39] = None;
        let mask = speech_mask(&s, 25.0);
        assert!(mask[10] && mask[11]);
        assert!(!mask[20..35].iter().any(|&m| m));
        assert!(!mask[39]);
    }

    #[test]
    fn moving_mouth_over_silence_and_still_mouth_over_speech() {
        let fps = 25.0;
        // Speech 0..100, silence 100..150, speech 150..250.
        let speech: Vec<Option<f32>> = (0..250)
            .map(|k| Some(if (100..150).contains(&k) { 0.0 } else { 0.3 }))
            .collect();
        // The mouth wiggles everywhere except 180..220.
        let mouth: Vec<f32> = (0..250)
            .map(|k| {
                if (180..220).contains(&k) {
                    0.0
                } else {
                    (k % 3) as f32
                }
            })
            .collect();
        let d = disagreements(&speech, &mouth, fps, 12);
        assert_eq!(d.silent_mouth.len(), 1);
        assert_eq!(d.silent_mouth[0].start_frame, 100);
        assert_eq!(d.silent_mouth[0].end_frame, 150);
        assert_eq!(d.still_mouth.len(), 1);
        // The running max reaches 4 frames into the still span on each side.
        assert_eq!(
            (d.still_mouth[0].start_frame, d.still_mouth[0].end_frame),
            (184, 216)
        );
        assert!((d.still_mouth[0].start_ms - 7360.0).abs() < 1e-9);
    }
}
