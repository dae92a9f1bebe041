//! The sound side of face-based lip-sync: log energy in seven bands of the
//! voice, every 5 ms. A mouth's shape shows in more than loudness: the jaw
//! opening moves the first formant (300–900 Hz), rounding and spreading the
//! lips move the second (900–2500 Hz), closing them cuts the highs. One
//! overall envelope throws that away and leaves a rhythm that matches the
//! mouth at every syllable's lag; seven bands keep the shape, and the lag
//! where picture predicts sound stands out.
//!
//! Each band is a 4th-order high-pass then low-pass (two RBJ Butterworth
//! biquads of [`crate::audio`] each side, so a loud neighbouring formant
//! leaks in 24 dB per octave down), squared and averaged per 5 ms step, smoothed
//! over 25 ms, and taken as `ln(rms + 0.001)`: on a log scale a quiet
//! consonant and a loud vowel both count, and the floor keeps silence from
//! diving to minus infinity.

use crate::audio::Biquad;
use crate::{AudioClip, SyncError};

/// Band edges in Hz: seven bands from 150 Hz to 7 kHz.
const EDGES_HZ: [f64; 8] = [150.0, 400.0, 800.0, 1300.0, 2000.0, 3000.0, 4500.0, 7000.0];
pub(crate) const BANDS: usize = EDGES_HZ.len() - 1;
/// Steps per second (5 ms).
pub(crate) const STEP_RATE: f64 = 200.0;
/// Smoothing, in steps (25 ms, centred).
const SMOOTH_STEPS: usize = 5;
/// Added to the RMS before the log, so silence has a floor.
const FLOOR: f64 = 1e-3;

/// Log band energies, `values[step * BANDS + band]`; step `j` is centred at
/// `(j + 0.5) / STEP_RATE` seconds of the clip's sound.
#[derive(Clone, Debug)]
pub(crate) struct BandEnvelope {
    values: Vec<f32>,
    steps: usize,
    /// The loudest and a quiet (10th percentile) step of the summed bands,
    /// as RMS (linear): how far speech stands out of the floor.
    pub peak_rms: f64,
    pub quiet_rms: f64,
}

impl BandEnvelope {
    pub(crate) fn new(audio: &AudioClip<'_>) -> Result<Self, SyncError> {
        if audio.sample_rate < 1000 {
            return Err(SyncError::InvalidSampleRate(audio.sample_rate));
        }
        if audio.channels == 0 {
            return Err(SyncError::NoChannels);
        }
        let rate = f64::from(audio.sample_rate);
        let channels = usize::from(audio.channels);
        let top = 0.45 * rate;
        let mut filters: Vec<[Biquad; 4]> = EDGES_HZ
            .windows(2)
            .map(|edge| {
                let high = edge[1].min(top);
                let low = edge[0].min(high / 2.0);
                [
                    Biquad::butterworth(low, rate, true),
                    Biquad::butterworth(low, rate, true),
                    Biquad::butterworth(high, rate, false),
                    Biquad::butterworth(high, rate, false),
                ]
            })
            .collect();
        let frames = audio.samples.len() / channels;
        let per_step = rate / STEP_RATE;
        let steps = (frames as f64 / per_step) as usize;
        let mut energy = vec![0.0f64; steps * BANDS];
        let mut counts = vec![0u32; steps];
        let scale = 1.0 / channels as f64;
        for (i, frame) in audio.samples.chunks_exact(channels).enumerate() {
            let step = (i as f64 / per_step) as usize;
            if step >= steps {
                break;
            }
            let mono = frame.iter().map(|&s| f64::from(s)).sum::<f64>() * scale;
            counts[step] += 1;
            for (band, [h1, h2, l1, l2]) in filters.iter_mut().enumerate() {
                let y = l2.process(l1.process(h2.process(h1.process(mono))));
                energy[step * BANDS + band] += y * y;
            }
        }
        let mut rms = vec![0.0f64; steps * BANDS];
        for step in 0..steps {
            let n = f64::from(counts[step].max(1));
            for band in 0..BANDS {
                rms[step * BANDS + band] = (energy[step * BANDS + band] / n).sqrt();
            }
        }
        let half = SMOOTH_STEPS / 2;
        let mut values = vec![0.0f32; steps * BANDS];
        let mut total = Vec::with_capacity(steps);
        for step in 0..steps {
            let from = step.saturating_sub(half);
            let to = (step + half + 1).min(steps);
            let mut sum_all = 0.0;
            for band in 0..BANDS {
                let mean =
                    (from..to).map(|j| rms[j * BANDS + band]).sum::<f64>() / (to - from) as f64;
                sum_all += mean * mean;
                values[step * BANDS + band] = (mean + FLOOR).ln() as f32;
            }
            total.push(sum_all.sqrt());
        }
        let mut sorted = total.clone();
        sorted.sort_by(f64::total_cmp);
        let peak_rms = sorted.last().copied().unwrap_or(0.0);
        let quiet_rms = sorted.get(sorted.len() / 10).copied().unwrap_or(0.0);
        Ok(Self {
            values,
            steps,
            peak_rms,
            quiet_rms,
        })
    }

    /// Length of the sound in seconds.
    pub(crate) fn seconds(&self) -> f64 {
        self.steps as f64 / STEP_RATE
    }

    /// The bands at `seconds` (linear between steps), or `None` outside the
    /// sound.
    pub(crate) fn at(&self, seconds: f64, out: &mut [f64; BANDS]) -> bool {
        let pos = seconds * STEP_RATE - 0.5;
        if !(pos >= 0.0 && pos <= (self.steps.saturating_sub(1)) as f64) || self.steps == 0 {
            return false;
        }
        let j = (pos as usize).min(self.steps - 1);
        let next = (j + 1).min(self.steps - 1);
        let f = pos - j as f64;
        for (band, o) in out.iter_mut().enumerate() {
            let a = f64::from(self.values[j * BANDS + band]);
            let b = f64::from(self.values[next * BANDS + band]);
            *o = a + (b - a) * f;
        }
        true
    }

    /// The mean of the bands at `seconds` (a loudness on the log scale).
    pub(crate) fn level(&self, seconds: f64) -> Option<f64> {
        let mut bands = [0.0; BANDS];
        self.at(seconds, &mut bands)
            .then(|| bands.iter().sum::<f64>() / BANDS as f64)
    }
}
