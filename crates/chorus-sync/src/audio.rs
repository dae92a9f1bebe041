//! Speech activity envelope from PCM audio, sampled finer than the picture so
//! the offset search can slide the sound by fractions of a frame.
//!
//! Choice: band-limited energy, not onset strength. Samples are down-mixed to
//! mono, band-passed to the telephone speech band (300–3400 Hz, a 2nd-order
//! Butterworth high-pass then low-pass, RBJ biquads in f64) so hum, rumble and
//! hiss barely count, squared, and summed per *step*: one step is `1 /
//! (fps · STEPS_PER_FRAME)` seconds. The level at step boundary `j` is the RMS
//! over the one-frame window centred there (steps `j − S/2 .. j + S/2`, zero
//! outside the audio), the same integration time a video frame has. It is kept
//! linear (no log): a log envelope jumps wildly at every silence/speech edge,
//! where the noise floor sets its value, and those jumps would drown the
//! syllable structure the correlation needs.
//!
//! [`EnvelopeBuilder`] is streaming: push any number of sample chunks (they
//! may split interleaved frames), then `finish`.

use crate::SyncError;

/// Envelope steps per video frame; 8 gives a lag grid of 4–5 ms at 24–30 fps,
/// fine enough that parabolic refinement lands within a millisecond or two.
pub const STEPS_PER_FRAME: usize = 8;

/// Lower and upper edge of the speech band, in Hz.
const BAND_LOW_HZ: f64 = 300.0;
const BAND_HIGH_HZ: f64 = 3400.0;

/// One RBJ biquad section in transposed direct form II.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Biquad {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
    z1: f64,
    z2: f64,
}

impl Biquad {
    fn new(b: [f64; 3], a: [f64; 3]) -> Self {
        Self {
            b0: b[0] / a[0],
            b1: b[1] / a[0],
            b2: b[2] / a[0],
            a1: a[1] / a[0],
            a2: a[2] / a[0],
            z1: 0.0,
            z2: 0.0,
        }
    }

    /// Butterworth (Q = 1/√2) low-pass or high-pass at `cutoff` Hz.
    pub(crate) fn butterworth(cutoff: f64, rate: f64, high_pass: bool) -> Self {
        let w0 = std::f64::consts::TAU * cutoff / rate;
        let alpha = w0.sin() / std::f64::consts::SQRT_2;
        let cos = w0.cos();
        let a = [1.0 + alpha, -2.0 * cos, 1.0 - alpha];
        if high_pass {
            let b = f64::midpoint(1.0, cos);
            Self::new([b, -2.0 * b, b], a)
        } else {
            let b = f64::midpoint(1.0, -cos);
            Self::new([b, 2.0 * b, b], a)
        }
    }

    #[inline]
    pub(crate) fn process(&mut self, x: f64) -> f64 {
        let y = self.b0 * x + self.z1;
        self.z1 = self.b1 * x - self.a1 * y + self.z2;
        self.z2 = self.b2 * x - self.a2 * y;
        y
    }
}

/// Streaming builder of a [`SpeechEnvelope`].
#[derive(Clone, Debug)]
pub struct EnvelopeBuilder {
    fps: f64,
    channels: usize,
    high_pass: Biquad,
    low_pass: Biquad,
    samples_per_step: f64,
    /// Mono samples consumed so far.
    mono_index: u64,
    /// Mono sample index at which the step being filled ends.
    step_end: u64,
    step_sum: f64,
    step_count: u32,
    /// Channel samples of a partly received interleaved frame.
    partial_sum: f64,
    partial_channels: usize,
    step_energy: Vec<f32>,
}

impl EnvelopeBuilder {
    /// A builder for audio at `sample_rate` Hz with `channels` interleaved
    /// channels, for a picture at `fps` frames per second.
    pub fn new(sample_rate: u32, channels: u16, fps: f64) -> Result<Self, SyncError> {
        if sample_rate < 1000 {
            return Err(SyncError::InvalidSampleRate(sample_rate));
        }
        if channels == 0 {
            return Err(SyncError::NoChannels);
        }
        check_fps(fps)?;
        let rate = f64::from(sample_rate);
        // Keep the band inside Nyquist for low-rate audio (8 kHz telephony).
        let high = BAND_HIGH_HZ.min(0.45 * rate);
        let low = BAND_LOW_HZ.min(high / 2.0);
        let samples_per_step = rate / (fps * STEPS_PER_FRAME as f64);
        Ok(Self {
            fps,
            channels: usize::from(channels),
            high_pass: Biquad::butterworth(low, rate, true),
            low_pass: Biquad::butterworth(high, rate, false),
            samples_per_step,
            mono_index: 0,
            step_end: samples_per_step.round().max(1.0) as u64,
            step_sum: 0.0,
            step_count: 0,
            partial_sum: 0.0,
            partial_channels: 0,
            step_energy: Vec::new(),
        })
    }

    /// Feeds interleaved samples; chunks may end in the middle of a frame.
    pub fn push(&mut self, samples: &[f32]) {
        let scale = 1.0 / self.channels as f64;
        for &s in samples {
            self.partial_sum += f64::from(s);
            self.partial_channels += 1;
            if self.partial_channels == self.channels {
                let mono = self.partial_sum * scale;
                self.partial_sum = 0.0;
                self.partial_channels = 0;
                self.push_mono(mono);
            }
        }
    }

    #[inline]
    fn push_mono(&mut self, x: f64) {
        let y = self.low_pass.process(self.high_pass.process(x));
        self.step_sum += y * y;
        self.step_count += 1;
        self.mono_index += 1;
        if self.mono_index >= self.step_end {
            self.close_step();
        }
    }

    fn close_step(&mut self) {
        let mean = if self.step_count == 0 {
            0.0
        } else {
            self.step_sum / f64::from(self.step_count)
        };
        self.step_energy.push(mean as f32);
        self.step_sum = 0.0;
        self.step_count = 0;
        // Boundaries are rounded from the exact position so that 44.1 kHz at
        // 29.97 fps does not drift by a sample per step.
        let next = (self.step_energy.len() + 1) as f64 * self.samples_per_step;
        self.step_end = (next.round() as u64).max(self.mono_index + 1);
    }

    /// Closes the last partial step and computes the envelope.
    pub fn finish(mut self) -> SpeechEnvelope {
        if self.step_count > 0 {
            self.close_step();
        }
        // Whole frames of audio received; the last partial step still has a
        // level, but a partial frame is not a frame.
        let whole_frames = (self.mono_index as f64
            / (self.samples_per_step * STEPS_PER_FRAME as f64)
            + 1e-9) as usize;
        SpeechEnvelope::from_step_energy(self.fps, &self.step_energy, whole_frames)
    }
}

pub(crate) fn check_fps(fps: f64) -> Result<(), SyncError> {
    if fps.is_finite() && fps > 0.0 && fps <= 1000.0 {
        Ok(())
    } else {
        Err(SyncError::InvalidFrameRate(fps))
    }
}

/// Speech level (band-limited RMS over one frame period) at every step
/// boundary, `STEPS_PER_FRAME` per video frame.
#[derive(Clone, Debug, PartialEq)]
pub struct SpeechEnvelope {
    fps: f64,
    /// `levels[j]` is centred at `j / (fps · STEPS_PER_FRAME)` seconds.
    levels: Vec<f32>,
    frames: usize,
}

impl SpeechEnvelope {
    /// Builds the envelope of a whole clip in one call.
    pub fn from_samples(
        samples: &[f32],
        sample_rate: u32,
        channels: u16,
        fps: f64,
    ) -> Result<Self, SyncError> {
        let mut builder = EnvelopeBuilder::new(sample_rate, channels, fps)?;
        builder.push(samples);
        Ok(builder.finish())
    }

    fn from_step_energy(fps: f64, energy: &[f32], frames: usize) -> Self {
        let half = STEPS_PER_FRAME / 2;
        // Prefix sums make every one-frame window an O(1) difference.
        let mut prefix = Vec::with_capacity(energy.len() + 1);
        let mut acc = 0.0f64;
        prefix.push(0.0);
        for &e in energy {
            acc += f64::from(e);
            prefix.push(acc);
        }
        let n = energy.len();
        let levels = if n == 0 {
            Vec::new()
        } else {
            (0..=n)
                .map(|j| {
                    let lo = j.saturating_sub(half);
                    let hi = (j + half).min(n);
                    let mean = (prefix[hi] - prefix[lo]) / STEPS_PER_FRAME as f64;
                    mean.max(0.0).sqrt() as f32
                })
                .collect()
        };
        Self {
            fps,
            levels,
            frames,
        }
    }

    /// Frame rate this envelope was made for.
    pub fn fps(&self) -> f64 {
        self.fps
    }

    /// Levels at every step boundary (`STEPS_PER_FRAME` per frame).
    pub fn levels(&self) -> &[f32] {
        &self.levels
    }

    /// Level at step boundary `step`, if inside the audio.
    #[inline]
    pub(crate) fn level(&self, step: i64) -> Option<f32> {
        usize::try_from(step)
            .ok()
            .and_then(|j| self.levels.get(j).copied())
    }

    /// Number of whole frames of audio.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Speech activity for the picture's frame transition `k − 1 → k` when
    /// the sound is `lag_steps` steps later than the picture: the absolute
    /// change of level over one frame period. `None` outside the audio.
    #[inline]
    pub(crate) fn activity(&self, frame: usize, lag_steps: i64) -> Option<f32> {
        let end = (frame * STEPS_PER_FRAME) as i64 + lag_steps;
        let start = end - STEPS_PER_FRAME as i64;
        Some((self.level(end)? - self.level(start)?).abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, seconds: f64) -> Vec<f32> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    fn middle_level(freq: f64) -> f32 {
        let env = SpeechEnvelope::from_samples(&tone(freq, 16_000, 1.0), 16_000, 1, 25.0).unwrap();
        env.levels()[env.levels().len() / 2]
    }

    #[test]
    fn band_pass_keeps_speech_band_and_drops_hum_and_hiss() {
        let rms = std::f32::consts::FRAC_1_SQRT_2;
        assert!(
            (middle_level(1000.0) - rms).abs() < 0.03,
            "{}",
            middle_level(1000.0)
        );
        assert!(middle_level(50.0) < 0.05 * rms, "{}", middle_level(50.0));
        assert!(
            middle_level(7000.0) < 0.35 * rms,
            "{}",
            middle_level(7000.0)
        );
    }

    #[test]
    fn chunked_and_interleaved_input_gives_the_same_envelope() {
        let mono = tone(700.0, 44_100, 0.5);
        let whole = SpeechEnvelope::from_samples(&mono, 44_100, 1, 29.97).unwrap();
        let stereo: Vec<f32> = mono.iter().flat_map(|&s| [s, s]).collect();
        let mut builder = EnvelopeBuilder::new(44_100, 2, 29.97).unwrap();
        for chunk in stereo.chunks(333) {
            builder.push(chunk);
        }
        let chunked = builder.finish();
        assert_eq!(whole.levels().len(), chunked.levels().len());
        for (a, b) in whole.levels().iter().zip(chunked.levels()) {
            assert!((a - b).abs() < 1e-6);
        }
        // 0.5 s at 29.97 fps is 14.985 frames.
        assert_eq!(whole.frames(), 14);
    }

    #[test]
    fn level_window_is_centred_on_its_step() {
        // A 1 kHz burst from 0.4 s to 0.6 s at 25 fps: half-level at the edges.
        let rate = 16_000;
        let mut s = vec![0.0f32; rate as usize];
        let burst = tone(1000.0, rate, 1.0);
        s[6400..9600].copy_from_slice(&burst[6400..9600]);
        let env = SpeechEnvelope::from_samples(&s, rate, 1, 25.0).unwrap();
        let at = |t: f64| env.levels()[(t * 25.0 * STEPS_PER_FRAME as f64).round() as usize];
        let full = at(0.5);
        assert!((at(0.4) / full - std::f32::consts::FRAC_1_SQRT_2).abs() < 0.1);
        assert!((at(0.6) / full - std::f32::consts::FRAC_1_SQRT_2).abs() < 0.1);
        assert!(at(0.3) < 0.05 * full);
    }

    #[test]
    fn rejects_bad_rates() {
        assert_eq!(
            EnvelopeBuilder::new(0, 1, 25.0).unwrap_err(),
            SyncError::InvalidSampleRate(0)
        );
        assert_eq!(
            EnvelopeBuilder::new(16_000, 0, 25.0).unwrap_err(),
            SyncError::NoChannels
        );
        assert!(matches!(
            EnvelopeBuilder::new(16_000, 1, f64::NAN),
            Err(SyncError::InvalidFrameRate(_))
        ));
        let empty = SpeechEnvelope::from_samples(&[], 16_000, 1, 25.0).unwrap();
        assert_eq!(empty.frames(), 0);
        assert_eq!(empty.activity(1, 0), None);
    }
}
