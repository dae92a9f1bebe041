//! The soundtrack: a quiet seeded music bed and room ambience under the
//! scratch voice, ducked while the voice speaks. Everything is 48 kHz mono
//! and computed from the seed alone, so it is the same on every run.

use crate::scene::Rng;

pub const SAMPLE_RATE: u32 = 48_000;

/// Music bed level at rest (about −26 dBFS) and while ducked.
const BED_LEVEL: f32 = 0.05;
const DUCKED: f32 = 0.3;
const AMBIENCE_LEVEL: f32 = 0.012;

/// Mixes the soundtrack.
///
/// `voice` starts at `voice_at` samples (may be negative: it then starts cut).
pub fn mix(total: usize, seed: u64, voice: &[f32], voice_at: i64) -> Vec<i16> {
    let mut rng = Rng::new(seed ^ 0xA0D1_0000);
    let mut out = vec![0.0f32; total];
    music_bed(&mut out, &mut rng);
    ambience(&mut out, &mut rng);

    // Duck envelope: follows where the voice is, attack 60 ms, release 350 ms.
    let mut target = vec![1.0f32; total];
    let vstart = voice_at.max(0) as usize;
    let vend = (voice_at + voice.len() as i64).clamp(0, total as i64) as usize;
    for t in target.iter_mut().take(vend).skip(vstart) {
        *t = DUCKED;
    }
    let attack = 1.0 - (-1.0 / (0.06 * SAMPLE_RATE as f32)).exp();
    let release = 1.0 - (-1.0 / (0.35 * SAMPLE_RATE as f32)).exp();
    // Run the envelope backwards first so the bed dips just before speech.
    let mut g = 1.0f32;
    let mut gains = vec![1.0f32; total];
    for i in (0..total).rev() {
        let k = if target[i] < g { attack } else { release };
        g += (target[i] - g) * k;
        gains[i] = g;
    }
    let mut g = 1.0f32;
    for i in 0..total {
        let k = if target[i] < g { attack } else { release };
        g += (target[i] - g) * k;
        out[i] *= g.min(gains[i]);
    }

    let peak = voice.iter().fold(0.0f32, |m, s| m.max(s.abs())).max(1e-3);
    let voice_gain = 0.7 / peak;
    for (i, s) in voice.iter().enumerate() {
        let at = voice_at + i as i64;
        if at >= 0 && (at as usize) < total {
            out[at as usize] += s * voice_gain;
        }
    }
    // Short fades at both ends avoid clicks.
    let fade = (SAMPLE_RATE as usize / 50).min(total / 2);
    for i in 0..fade {
        let g = i as f32 / fade as f32;
        out[i] *= g;
        out[total - 1 - i] *= g;
    }
    out.iter()
        .map(|s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
        .collect()
}

/// A slow pad: four chords from a seeded progression, soft sine voices with a
/// gentle swell on each chord.
fn music_bed(out: &mut [f32], rng: &mut Rng) {
    // Chords as semitone offsets from the key's root (I, vi, IV, V and kin).
    const PROGRESSIONS: [[[i32; 3]; 4]; 3] = [
        [[0, 4, 7], [-3, 0, 4], [-7, -3, 0], [-5, -1, 2]],
        [[0, 4, 7], [-5, -1, 2], [-3, 0, 4], [-7, -3, 0]],
        [[-3, 0, 4], [-7, -3, 0], [0, 4, 7], [-5, -1, 2]],
    ];
    let progression = PROGRESSIONS[rng.below(3) as usize];
    let root = 196.0 * 2f32.powf(rng.below(7) as f32 / 12.0); // G3 and up
    let chord_len = (SAMPLE_RATE as f32 * (2.0 + rng.unit() * 0.8)) as usize;
    let sr = SAMPLE_RATE as f32;
    let mut phases = [0.0f32; 4];
    for (i, s) in out.iter_mut().enumerate() {
        let chord = progression[(i / chord_len) % 4];
        let within = (i % chord_len) as f32 / chord_len as f32;
        let swell = (std::f32::consts::PI * within).sin().powf(0.6) * 0.8 + 0.2;
        let mut v = 0.0;
        for (k, semis) in chord
            .iter()
            .chain(std::iter::once(&(chord[0] - 12)))
            .enumerate()
        {
            let f = root * 2f32.powf(*semis as f32 / 12.0);
            phases[k] = (phases[k] + f / sr).fract();
            let p = phases[k] * std::f32::consts::TAU;
            // A touch of the second harmonic warms the pure sine.
            v += p.sin() + 0.18 * (2.0 * p).sin();
        }
        *s += v * 0.25 * swell * BED_LEVEL;
    }
}

/// Room tone: low-passed noise with a slow breathing level.
fn ambience(out: &mut [f32], rng: &mut Rng) {
    let mut lp = 0.0f32;
    let mut lp2 = 0.0f32;
    let drift = rng.unit() * 6.0;
    for (i, s) in out.iter_mut().enumerate() {
        let n = rng.unit() * 2.0 - 1.0;
        lp += (n - lp) * 0.08;
        lp2 += (lp - lp2) * 0.08;
        let t = i as f32 / SAMPLE_RATE as f32;
        let level = 0.75 + 0.25 * (t * 0.4 + drift).sin();
        *s += lp2 * 4.0 * level * AMBIENCE_LEVEL;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms(s: &[i16]) -> f64 {
        (s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
    }

    #[test]
    fn the_bed_is_seeded_and_ducked_under_the_voice() {
        let sr = SAMPLE_RATE as usize;
        let total = 5 * sr;
        let bed = mix(total, 9, &[], 0);
        assert_eq!(
            bed,
            mix(total, 9, &[], 0),
            "the same seed gives the same bed"
        );
        assert!(bed != mix(total, 10, &[], 0), "another seed, another bed");
        // Music and room tone are there, quietly (about −26 dBFS at rest).
        let rest = rms(&bed[sr / 2..2 * sr]) / 32768.0;
        assert!((0.005..0.06).contains(&rest), "bed level {rest}");

        // A voice from 2 s to 3 s. A silent one ducks the bed and adds nothing,
        // so the bed alone can be measured under it.
        let silent = vec![0.0f32; sr];
        let ducked = mix(total, 9, &silent, 2 * sr as i64);
        let under = rms(&ducked[2 * sr + sr / 5..3 * sr - sr / 10])
            / rms(&bed[2 * sr + sr / 5..3 * sr - sr / 10]);
        assert!(
            (under - f64::from(DUCKED)).abs() < 0.05,
            "ducked to {under}"
        );
        // It dips just before the voice and comes back after it.
        let before = rms(&ducked[sr / 2..sr]) / rms(&bed[sr / 2..sr]);
        let after = rms(&ducked[4 * sr + sr / 2..total - sr / 10])
            / rms(&bed[4 * sr + sr / 2..total - sr / 10]);
        assert!(
            before > 0.95 && after > 0.9,
            "before {before}, after {after}"
        );

        // A real voice is normalised to a 0.7 peak on top of the ducked bed.
        let tone: Vec<f32> = (0..sr).map(|i| 0.1 * (i as f32 * 0.05).sin()).collect();
        let voiced = mix(total, 9, &tone, 2 * sr as i64);
        let peak = voiced[2 * sr..3 * sr]
            .iter()
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap_or(0);
        assert!(
            (f64::from(peak) / 32767.0 - 0.7).abs() < 0.05,
            "voice peak {peak}"
        );
    }
}
