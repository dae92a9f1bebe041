//! Synthetic talking clips with a known audio-visual offset: a noisy
//! background, a "mouth" whose opening follows a syllable envelope, blinking
//! eyes and a swaying bar whose motion has nothing to do with the sound.

#![allow(
    dead_code,
    reason = "shared by several test files, each using only some helpers"
)]

use std::f64::consts::{PI, TAU};

/// SplitMix64: small, seedable, good enough for test noise.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// Syllables: (start s, attack s, decay s, peak 0..1). Attack shorter than
/// decay, as in speech, so the shape is not symmetric.
pub struct Syllables(Vec<(f64, f64, f64, f64)>);

impl Syllables {
    pub fn new(seed: u64, seconds: f64, pauses: bool) -> Self {
        let mut rng = Rng::new(seed);
        let mut out = Vec::new();
        let mut t = rng.range(0.2, 0.5);
        while t < seconds {
            let dur = rng.range(0.12, 0.30);
            let attack = dur * rng.range(0.3, 0.45);
            out.push((t, attack, dur - attack, rng.range(0.5, 1.0)));
            t += dur + rng.range(0.04, 0.2);
            if pauses && rng.unit() < 0.1 {
                t += rng.range(0.4, 0.8);
            }
        }
        Self(out)
    }

    /// Mouth opening / loudness at time `t`, 0..1.
    pub fn at(&self, t: f64) -> f64 {
        let i = self.0.partition_point(|s| s.0 <= t);
        if i == 0 {
            return 0.0;
        }
        let (start, attack, decay, peak) = self.0[i - 1];
        let x = t - start;
        let shape = if x < attack {
            0.5 - 0.5 * (PI * x / attack).cos()
        } else if x < attack + decay {
            0.5 + 0.5 * (PI * (x - attack) / decay).cos()
        } else {
            0.0
        };
        peak * shape
    }
}

/// Block motion as a shader would hand it over: sensor noise (0.5–1.5) in
/// every block of every frame, plus what `extra(block, frame, t, rng)` adds
/// to it; frame 0 has no motion.
pub fn noisy_motion(
    grid: chorus_sync::MotionGrid,
    fps: f64,
    frames: usize,
    seed: u64,
    mut extra: impl FnMut(usize, usize, f64, &mut Rng) -> f64,
) -> chorus_sync::MotionSeries {
    let mut rng = Rng::new(seed);
    let mut values = Vec::with_capacity(frames * grid.blocks());
    for k in 0..frames {
        let t = k as f64 / fps;
        for b in 0..grid.blocks() {
            let noise = rng.range(0.5, 1.5);
            let v = if k == 0 {
                0.0
            } else {
                noise + extra(b, k, t, &mut rng)
            };
            values.push(v as f32);
        }
    }
    chorus_sync::MotionSeries::from_values(fps, grid, values).expect("motion")
}

#[derive(Clone, Debug)]
pub struct ClipSpec {
    pub fps: f64,
    pub seconds: f64,
    /// Positive: the sound comes later than the picture.
    pub shift_ms: f64,
    /// Extra shift growing with time (sound clock slower than picture).
    pub drift_ms_per_s: f64,
    pub seed: u64,
    pub width: u32,
    pub height: u32,
    pub sample_rate: u32,
    pub channels: u16,
    pub pauses: bool,
    /// Sound muted over this span (seconds on the sound's clock).
    pub mute: Option<(f64, f64)>,
    /// Mouth held closed over this span (seconds on the picture's clock).
    pub freeze: Option<(f64, f64)>,
}

impl Default for ClipSpec {
    fn default() -> Self {
        Self {
            fps: 25.0,
            seconds: 10.0,
            shift_ms: 0.0,
            drift_ms_per_s: 0.0,
            seed: 7,
            width: 192,
            height: 108,
            sample_rate: 16_000,
            channels: 1,
            pauses: true,
            mute: None,
            freeze: None,
        }
    }
}

pub struct Clip {
    pub spec: ClipSpec,
    pub frames: Vec<Vec<u8>>,
    pub stride: usize,
    pub audio: Vec<f32>,
    /// Where the mouth is, normalized (x, y, w, h).
    pub mouth: (f64, f64, f64, f64),
}

const MOUTH: (u32, u32, u32, u32) = (84, 66, 24, 16);

pub fn syllable_audio(spec: &ClipSpec, syl: &Syllables) -> Vec<f32> {
    let mut rng = Rng::new(spec.seed ^ 0xA0D1);
    let rate = f64::from(spec.sample_rate);
    let n = (spec.seconds * rate) as usize;
    let phases: Vec<f64> = (0..8).map(|_| rng.range(0.0, TAU)).collect();
    let mut out = Vec::with_capacity(n * usize::from(spec.channels));
    for i in 0..n {
        let t = i as f64 / rate;
        let delay = (spec.shift_ms + spec.drift_ms_per_s * t) / 1000.0;
        let muted = spec.mute.is_some_and(|(a, b)| (a..b).contains(&t));
        let level = if muted { 0.0 } else { syl.at(t - delay) };
        // A 140 Hz voice with 8 harmonics, plus a faint noise floor.
        let voice: f64 = phases
            .iter()
            .enumerate()
            .map(|(h, &p)| (TAU * 140.0 * (h + 1) as f64 * t + p).sin() / ((h + 1) as f64).sqrt())
            .sum::<f64>()
            * 0.12;
        let s = (voice * level + rng.range(-0.003, 0.003)) as f32;
        out.extend(std::iter::repeat_n(s, usize::from(spec.channels)));
    }
    out
}

pub fn make_clip(spec: ClipSpec) -> Clip {
    let syl = Syllables::new(spec.seed, spec.seconds, spec.pauses);
    let audio = syllable_audio(&spec, &syl);
    let (width, height) = (spec.width as usize, spec.height as usize);
    // Rows padded, as decoders do.
    let stride = width + 16;
    let mut rng = Rng::new(spec.seed ^ 0x5EED);
    let background: Vec<u8> = (0..stride * height)
        .map(|_| rng.range(50.0, 200.0) as u8)
        .collect();
    let blinks: Vec<f64> = {
        let mut t = rng.range(0.5, 2.0);
        let mut v = Vec::new();
        while t < spec.seconds {
            v.push(t);
            t += rng.range(1.5, 4.0);
        }
        v
    };
    let sway_phase = rng.range(0.0, TAU);
    let frame_count = (spec.seconds * spec.fps).floor() as usize;
    let mut frames = Vec::with_capacity(frame_count);
    for k in 0..frame_count {
        let t = k as f64 / spec.fps;
        let mut f = background.clone();
        for p in &mut f {
            *p = (i32::from(*p) + (rng.next_u64() % 7) as i32 - 3) as u8;
        }
        let mut fill = |x0: usize, y0: usize, fw: usize, fh: usize, v: u8| {
            for y in y0..y0 + fh {
                f[y * stride + x0..y * stride + x0 + fw].fill(v);
            }
        };
        // Eyes, closed for 150 ms at each blink.
        let closed = blinks.iter().any(|&b| (b..b + 0.15).contains(&t));
        for ex in [60, 112] {
            fill(ex, 28, 20, 8, if closed { 120 } else { 225 });
            if !closed {
                fill(ex + 7, 29, 6, 6, 20);
            }
        }
        // A swaying bar at 0.6 Hz.
        let bx = (20.0 + 10.0 * (TAU * 0.6 * t + sway_phase).sin()).round() as usize;
        fill(bx, 40, 6, 30, 240);
        // The mouth: lips with a dark opening, anti-aliased top and bottom.
        let frozen = spec.freeze.is_some_and(|(a, b)| (a..b).contains(&t));
        let open = if frozen { 0.0 } else { syl.at(t) };
        let (mx, my, mw, mh) = MOUTH;
        fill(mx as usize, my as usize, mw as usize, mh as usize, 170);
        let centre = f64::from(my) + f64::from(mh) / 2.0;
        let half = open * 7.0;
        for y in my as usize..(my + mh) as usize {
            let cover =
                ((y as f64 + 1.0).min(centre + half) - (y as f64).max(centre - half)).max(0.0);
            let v = (170.0 * (1.0 - cover) + 30.0 * cover).round() as u8;
            f[y * stride + mx as usize..y * stride + (mx + mw) as usize].fill(v);
        }
        frames.push(f);
    }
    let (fw, fh) = (f64::from(spec.width), f64::from(spec.height));
    Clip {
        mouth: (
            f64::from(MOUTH.0) / fw,
            f64::from(MOUTH.1) / fh,
            f64::from(MOUTH.2) / fw,
            f64::from(MOUTH.3) / fh,
        ),
        spec,
        frames,
        stride,
        audio,
    }
}

impl Clip {
    pub fn luma(&self) -> impl Iterator<Item = chorus_sync::LumaFrame<'_>> {
        self.frames.iter().map(|data| chorus_sync::LumaFrame {
            data,
            width: self.spec.width,
            height: self.spec.height,
            stride: self.stride,
        })
    }

    pub fn audio_clip(&self) -> chorus_sync::AudioClip<'_> {
        chorus_sync::AudioClip {
            samples: &self.audio,
            sample_rate: self.spec.sample_rate,
            channels: self.spec.channels,
        }
    }

    pub fn analyze(&self, config: &chorus_sync::AnalysisConfig) -> chorus_sync::SyncReport {
        chorus_sync::analyze(&self.audio_clip(), self.luma(), self.spec.fps, config)
            .expect("analysis succeeds")
    }

    /// Whether the region is on the mouth: every chosen block overlaps it
    /// and the region's centre is within one block of it.
    pub fn region_on_mouth(&self, r: &chorus_sync::MouthRegion) -> bool {
        let (mx, my, mw, mh) = self.mouth;
        let (bw, bh) = (r.w / f64::from(r.block_w), r.h / f64::from(r.block_h));
        let overlaps = r.blocks.iter().all(|&[bx, by]| {
            let (x, y) = (f64::from(bx) * bw, f64::from(by) * bh);
            x < mx + mw && x + bw > mx && y < my + mh && y + bh > my
        });
        let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
        overlaps && (mx - bw..mx + mw + bw).contains(&cx) && (my - bh..my + mh + bh).contains(&cy)
    }
}
