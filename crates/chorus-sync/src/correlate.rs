//! Correlation of mouth motion with speech activity across lags, and the
//! sub-step peak of the resulting curve.
//!
//! Pearson correlation, not a raw dot product, so loud passages and large
//! mouths do not win by scale alone, and so curves from windows of different
//! lengths compare.

use std::ops::Range;

use crate::audio::SpeechEnvelope;

/// Running sums for a Pearson correlation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Moments {
    n: f64,
    sx: f64,
    sy: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

/// Fewer pairs than this give correlations that mean nothing.
const MIN_PAIRS: f64 = 8.0;

impl Moments {
    #[inline]
    pub(crate) fn add(&mut self, x: f32, y: f32) {
        let (x, y) = (f64::from(x), f64::from(y));
        self.n += 1.0;
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.syy += y * y;
        self.sxy += x * y;
    }

    /// Builds moments from precomputed sums (the block search keeps prefix
    /// sums per block and per lag).
    pub(crate) fn from_sums(n: usize, x: (f64, f64), y: (f64, f64), xy: f64) -> Self {
        Self {
            n: n as f64,
            sx: x.0,
            sxx: x.1,
            sy: y.0,
            syy: y.1,
            sxy: xy,
        }
    }

    /// The moments of both sets of pairs together.
    pub(crate) fn plus(&self, other: &Self) -> Self {
        Self {
            n: self.n + other.n,
            sx: self.sx + other.sx,
            sy: self.sy + other.sy,
            sxx: self.sxx + other.sxx,
            syy: self.syy + other.syy,
            sxy: self.sxy + other.sxy,
        }
    }

    /// The moments without `part`, a subset of these pairs.
    pub(crate) fn minus(&self, part: &Self) -> Self {
        Self {
            n: self.n - part.n,
            sx: self.sx - part.sx,
            sy: self.sy - part.sy,
            sxx: self.sxx - part.sxx,
            syy: self.syy - part.syy,
            sxy: self.sxy - part.sxy,
        }
    }

    pub(crate) fn pearson(&self) -> Option<f64> {
        if self.n < MIN_PAIRS {
            return None;
        }
        let vx = self.n * self.sxx - self.sx * self.sx;
        let vy = self.n * self.syy - self.sy * self.sy;
        // Relative floor: a constant series has vx ≈ 0 up to rounding.
        if vx <= 1e-12 * self.n * self.sxx.max(f64::MIN_POSITIVE)
            || vy <= 1e-12 * self.n * self.syy.max(f64::MIN_POSITIVE)
        {
            return None;
        }
        Some(((self.n * self.sxy - self.sx * self.sy) / (vx * vy).sqrt()).clamp(-1.0, 1.0))
    }
}

/// Correlation of `mouth[k]` with the speech activity of transition `k`
/// shifted by `lag_steps`, over the frames in `frames` that have audio.
/// Degenerate windows (no audio, no variance) count as 0.
pub(crate) fn correlation_at(
    mouth: &[f32],
    frames: Range<usize>,
    envelope: &SpeechEnvelope,
    lag_steps: i64,
) -> f64 {
    let mut m = Moments::default();
    let start = frames.start.max(1);
    let end = frames.end.min(mouth.len()).max(start);
    for (k, &x) in mouth.iter().enumerate().take(end).skip(start) {
        if let Some(a) = envelope.activity(k, lag_steps) {
            m.add(x, a);
        }
    }
    m.pearson().unwrap_or(0.0)
}

/// Correlation for every lag in `-max_steps..=max_steps`; index `i` is lag
/// `i - max_steps`.
pub(crate) fn lag_curve(
    mouth: &[f32],
    frames: &Range<usize>,
    envelope: &SpeechEnvelope,
    max_steps: i64,
) -> Vec<f64> {
    (-max_steps..=max_steps)
        .map(|lag| correlation_at(mouth, frames.clone(), envelope, lag))
        .collect()
}

/// The best point of a lag curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Peak {
    /// Fractional index into the curve.
    pub position: f64,
    /// Interpolated correlation at `position`.
    pub value: f64,
    /// The maximum sits on the first or last lag: the true offset may lie
    /// outside the searched range.
    pub at_edge: bool,
}

/// Maximum of `curve`, refined by a parabola through it and its neighbours.
pub(crate) fn find_peak(curve: &[f64]) -> Option<Peak> {
    let (i, &best) = curve.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    if i == 0 || i + 1 == curve.len() {
        return Some(Peak {
            position: i as f64,
            value: best,
            at_edge: true,
        });
    }
    let (y0, y1, y2) = (curve[i - 1], best, curve[i + 1]);
    let curvature = y0 - 2.0 * y1 + y2;
    let delta = if curvature < 0.0 {
        (0.5 * (y0 - y2) / curvature).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    Some(Peak {
        position: i as f64 + delta,
        value: y1 - 0.25 * (y0 - y2) * delta,
        at_edge: false,
    })
}

/// Median of a curve (SyncNet's confidence compares the best offset with
/// the median of all offsets tried).
pub(crate) fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        0.5 * (v[mid - 1] + v[mid])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_of_linear_and_constant_series() {
        let mut m = Moments::default();
        for i in 0..20 {
            m.add(i as f32, 3.0 * i as f32 + 1.0);
        }
        assert!((m.pearson().unwrap() - 1.0).abs() < 1e-9);
        let mut c = Moments::default();
        for i in 0..20 {
            c.add(i as f32, 5.0);
        }
        assert_eq!(c.pearson(), None);
        let mut short = Moments::default();
        short.add(1.0, 2.0);
        assert_eq!(short.pearson(), None);
    }

    #[test]
    fn parabolic_peak_recovers_a_sampled_parabola() {
        let true_peak = 4.3;
        let curve: Vec<f64> = (0..9)
            .map(|i| 1.0 - 0.1 * (i as f64 - true_peak).powi(2))
            .collect();
        let p = find_peak(&curve).unwrap();
        assert!((p.position - true_peak).abs() < 1e-9);
        assert!((p.value - 1.0).abs() < 1e-9);
        assert!(!p.at_edge);
        let edge = find_peak(&[3.0, 2.0, 1.0]).unwrap();
        assert!(edge.at_edge);
        assert_eq!(find_peak(&[]), None);
    }

    #[test]
    fn median_of_odd_and_even_lengths() {
        assert!((median(&[3.0, 1.0, 2.0]) - 2.0).abs() < 1e-12);
        assert!((median(&[4.0, 1.0, 2.0, 3.0]) - 2.5).abs() < 1e-12);
        assert!(median(&[]).abs() < 1e-12);
    }
}
