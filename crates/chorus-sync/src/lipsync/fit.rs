//! The statistics of face-based lip-sync: the mouth's main shapes (principal
//! components of its pictures), and how well those shapes predict the
//! sound at each lag, measured honestly.
//!
//! "Honestly" is the point. A regression from a dozen mouth shapes to seven
//! sound bands fits *something* at every lag; its in-sample fit rises with
//! noise as much as with truth. So the fit is cross-validated: the clip is
//! cut into short blocks dealt round-robin to four folds, each fold is
//! predicted by a ridge regression trained on the other three, and the
//! score at a lag is the correlation of the held-out predictions with the
//! sound, averaged over the bands (FaceSync's canonical correlation, kept
//! from overfitting the way SyncNet's learned embedding is, by testing on
//! what it did not see). Six such fits (8 and 12 shapes, blocks of 0.35,
//! 0.5 and 0.7 s) are averaged, so no one way of dealing the folds decides.
//! All of it is computed from per-fold sums, so a lag costs one pass over
//! the frames whatever the number of fits and folds.
//!
//! Both sides are high-passed first (the mean of the surrounding second is
//! subtracted): a pause or a head turn moves everything for a second, and
//! the offset lives in the syllables.

use super::bands::{BANDS, BandEnvelope};

/// Ridge strength, as a share of the Gram matrix's trace.
const RIDGE: f64 = 0.003;
/// Block lengths, seconds, for dealing the frames into folds.
const BLOCKS: [f64; 3] = [0.35, 0.5, 0.7];
/// The fits averaged: number of mouth shapes, and which of [`BLOCKS`].
const FITS: [(usize, usize); 6] = [(8, 0), (8, 1), (8, 2), (12, 0), (12, 1), (12, 2)];
const FOLDS: usize = 4;
/// Shapes computed: the most any fit uses.
pub(crate) const SHAPES: usize = 12;
/// Half-width of the high-pass window, seconds.
const HIGH_PASS_HALF_S: f64 = 0.5;

/// Principal-component scores of `rows` (n × `width`, row-major): n ×
/// [`SHAPES`], strongest component first. Subspace iteration with a
/// Rayleigh–Ritz step; deterministic, so wasm and native agree.
pub(crate) fn principal_scores(rows: &[f64], width: usize) -> Vec<f64> {
    let n = rows.len() / width;
    let k = SHAPES.min(n.saturating_sub(1)).max(1);
    let extra = (k + 4).min(width);
    let mut mean = vec![0.0; width];
    for row in rows.chunks_exact(width) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    for m in &mut mean {
        *m /= n.max(1) as f64;
    }
    let centred: Vec<f64> = rows
        .chunks_exact(width)
        .flat_map(|row| row.iter().zip(&mean).map(|(v, m)| v - m))
        .collect();
    // basis: width × extra, column c at basis[p * extra + c].
    let mut basis: Vec<f64> = (0..width * extra)
        .map(|i| {
            let (p, c) = (i / extra, i % extra);
            ((p + 1) as f64 * (c as f64 + 1.3) * 0.618_034).sin()
        })
        .collect();
    orthonormalise(&mut basis, width, extra);
    let mut scores = vec![0.0; n * extra];
    for _ in 0..24 {
        project(&centred, &basis, n, width, extra, &mut scores);
        // basis = Xᵀ scores
        basis.fill(0.0);
        for (row, s) in centred.chunks_exact(width).zip(scores.chunks_exact(extra)) {
            for (p, &x) in row.iter().enumerate() {
                let out = &mut basis[p * extra..(p + 1) * extra];
                for (o, &sv) in out.iter_mut().zip(s) {
                    *o += x * sv;
                }
            }
        }
        orthonormalise(&mut basis, width, extra);
    }
    project(&centred, &basis, n, width, extra, &mut scores);
    // Rayleigh–Ritz: rotate the scores to the eigenvectors of their Gram.
    let mut gram = vec![0.0; extra * extra];
    for s in scores.chunks_exact(extra) {
        for a in 0..extra {
            for b in 0..extra {
                gram[a * extra + b] += s[a] * s[b];
            }
        }
    }
    let (values, vectors) = jacobi_eigen(&gram, extra);
    let mut order: Vec<usize> = (0..extra).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut out = vec![0.0; n * SHAPES];
    for (i, s) in scores.chunks_exact(extra).enumerate() {
        for (c, &e) in order.iter().take(k).enumerate() {
            out[i * SHAPES + c] = (0..extra).map(|a| s[a] * vectors[a * extra + e]).sum();
        }
    }
    out
}

fn project(x: &[f64], basis: &[f64], n: usize, width: usize, extra: usize, out: &mut [f64]) {
    for i in 0..n {
        let row = &x[i * width..(i + 1) * width];
        let o = &mut out[i * extra..(i + 1) * extra];
        o.fill(0.0);
        for (p, &xv) in row.iter().enumerate() {
            let b = &basis[p * extra..(p + 1) * extra];
            for (ov, &bv) in o.iter_mut().zip(b) {
                *ov += xv * bv;
            }
        }
    }
}

/// Modified Gram–Schmidt on the columns of a `rows × cols` matrix.
fn orthonormalise(m: &mut [f64], rows: usize, cols: usize) {
    for c in 0..cols {
        for prev in 0..c {
            let dot: f64 = (0..rows)
                .map(|r| m[r * cols + c] * m[r * cols + prev])
                .sum();
            for r in 0..rows {
                m[r * cols + c] -= dot * m[r * cols + prev];
            }
        }
        let norm = (0..rows)
            .map(|r| m[r * cols + c].powi(2))
            .sum::<f64>()
            .sqrt();
        let inv = if norm > 1e-300 { 1.0 / norm } else { 0.0 };
        for r in 0..rows {
            m[r * cols + c] *= inv;
        }
    }
}

/// Eigenvalues and eigenvectors (columns) of a small symmetric matrix, by
/// cyclic Jacobi rotations.
#[expect(
    clippy::many_single_char_names,
    reason = "single letters as in the textbook"
)]
fn jacobi_eigen(matrix: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = matrix.to_vec();
    let mut v: Vec<f64> = (0..n * n)
        .map(|i| if i / n == i % n { 1.0 } else { 0.0 })
        .collect();
    for _ in 0..60 {
        let off: f64 = (0..n)
            .flat_map(|p| (0..n).filter(move |&q| q != p).map(move |q| (p, q)))
            .map(|(p, q)| a[p * n + q].powi(2))
            .sum();
        let total: f64 = a.iter().map(|x| x * x).sum();
        if off <= 1e-22 * total.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// Subtracts from each value the mean of the valid values within
/// ±[`HIGH_PASS_HALF_S`] of it. `values` is n × `width`; rows with
/// `valid[i] == false` are left alone and not counted.
fn high_pass(values: &mut [f64], width: usize, times: &[f64], valid: &[bool]) {
    let n = times.len();
    let mut sums = vec![0.0; width];
    let mut count = 0usize;
    let (mut lo, mut hi) = (0usize, 0usize);
    let original = values.to_vec();
    for i in 0..n {
        while hi < n && times[hi] <= times[i] + HIGH_PASS_HALF_S {
            if valid[hi] {
                for (s, v) in sums.iter_mut().zip(&original[hi * width..(hi + 1) * width]) {
                    *s += v;
                }
                count += 1;
            }
            hi += 1;
        }
        while times[lo] < times[i] - HIGH_PASS_HALF_S {
            if valid[lo] {
                for (s, v) in sums.iter_mut().zip(&original[lo * width..(lo + 1) * width]) {
                    *s -= v;
                }
                count -= 1;
            }
            lo += 1;
        }
        if valid[i] && count > 0 {
            for (v, s) in values[i * width..(i + 1) * width].iter_mut().zip(&sums) {
                *v -= s / count as f64;
            }
        }
    }
}

/// How well the mouth predicts the sound at each lag.
#[derive(Clone, Debug)]
pub(crate) struct LagCurve {
    /// Sound position minus picture position, ms: positive when the sound
    /// is late.
    pub lags_ms: Vec<f64>,
    /// Mean held-out correlation, NaN where too little sound overlapped.
    pub values: Vec<f64>,
}

/// Sums over some frames of the shapes and their products: what a ridge
/// regression's Gram matrix is made of, kept uncentred so the sums of
/// disjoint sets of frames add and subtract.
#[derive(Clone)]
struct ShapeSums {
    count: f64,
    x: [f64; SHAPES],
    xx: [f64; SHAPES * SHAPES],
}

impl ShapeSums {
    const ZERO: Self = Self {
        count: 0.0,
        x: [0.0; SHAPES],
        xx: [0.0; SHAPES * SHAPES],
    };

    fn add(&mut self, row: &[f64], sign: f64) {
        self.count += sign;
        for a in 0..SHAPES {
            self.x[a] += sign * row[a];
            for b in a..SHAPES {
                self.xx[a * SHAPES + b] += sign * row[a] * row[b];
            }
        }
    }

    /// The sum of products of shapes `a` and `b` (kept once per pair).
    fn xx(&self, a: usize, b: usize) -> f64 {
        self.xx[a.min(b) * SHAPES + a.max(b)]
    }

    /// `self + sign × other`.
    fn and(&self, other: &Self, sign: f64) -> Self {
        let mut out = self.clone();
        out.count += sign * other.count;
        for (o, v) in out.x.iter_mut().zip(&other.x) {
            *o += sign * v;
        }
        for (o, v) in out.xx.iter_mut().zip(&other.xx) {
            *o += sign * v;
        }
        out
    }
}

/// Sums over some frames of the sound's bands and their products with the
/// shapes, at one lag.
#[derive(Clone)]
struct SoundSums {
    y: [f64; BANDS],
    yy: [f64; BANDS],
    xy: [f64; SHAPES * BANDS],
}

impl SoundSums {
    const ZERO: Self = Self {
        y: [0.0; BANDS],
        yy: [0.0; BANDS],
        xy: [0.0; SHAPES * BANDS],
    };

    /// `self + sign × other`.
    fn and(&self, other: &Self, sign: f64) -> Self {
        let mut out = self.clone();
        for (o, v) in out.y.iter_mut().zip(&other.y) {
            *o += sign * v;
        }
        for (o, v) in out.yy.iter_mut().zip(&other.yy) {
            *o += sign * v;
        }
        for (o, v) in out.xy.iter_mut().zip(&other.xy) {
            *o += sign * v;
        }
        out
    }
}

/// One way of dealing the frames into folds: each frame's fold, and per
/// fold the shape sums over its frames.
struct Dealing {
    fold_of: Vec<usize>,
    shapes: [ShapeSums; FOLDS],
}

impl Dealing {
    fn new(shapes: &[f64], times: &[f64], block: f64) -> Self {
        let start = times.first().copied().unwrap_or(0.0);
        let fold_of: Vec<usize> = times
            .iter()
            .map(|t| (((t - start) / block).floor() as usize) % FOLDS)
            .collect();
        let mut sums = [
            ShapeSums::ZERO,
            ShapeSums::ZERO,
            ShapeSums::ZERO,
            ShapeSums::ZERO,
        ];
        for (i, &fold) in fold_of.iter().enumerate() {
            sums[fold].add(&shapes[i * SHAPES..(i + 1) * SHAPES], 1.0);
        }
        Self {
            fold_of,
            shapes: sums,
        }
    }
}

/// The curve over `lags_ms` for mouth `scores` (n × [`SHAPES`]) at frame
/// `times` (seconds from the first frame; the sound's time 0 is the first
/// frame).
///
/// Every fit at every lag trains on all frames but one fold, so the sums a
/// regression needs are kept per fold and a fold's training sums are the
/// total less its own. The shapes' sums do not depend on the lag and are
/// made once (frames without sound at a lag are taken back out); only the
/// sound's sums are made per lag, once for all six fits. The held-out
/// predictions' correlation with the sound comes from the same sums, so no
/// frame is visited twice.
pub(crate) fn lag_curve(
    scores: &[f64],
    times: &[f64],
    sound: &BandEnvelope,
    lags_ms: &[f64],
    min_overlap_s: f64,
) -> LagCurve {
    let n = times.len();
    let all = vec![true; n];
    let mut shapes = scores.to_vec();
    high_pass(&mut shapes, SHAPES, times, &all);
    let dealings: Vec<Dealing> = BLOCKS
        .iter()
        .map(|&block| Dealing::new(&shapes, times, block))
        .collect();
    let mut y = vec![0.0; n * BANDS];
    let mut valid = vec![false; n];
    let mut bands = [0.0; BANDS];
    let values = lags_ms
        .iter()
        .map(|&lag| {
            for (i, &t) in times.iter().enumerate() {
                valid[i] = sound.at(t + lag / 1000.0, &mut bands);
                if valid[i] {
                    y[i * BANDS..(i + 1) * BANDS].copy_from_slice(&bands);
                }
            }
            let first = valid.iter().position(|v| *v);
            let last = valid.iter().rposition(|v| *v);
            let span = first.zip(last).map_or(0.0, |(a, b)| times[b] - times[a]);
            if span < min_overlap_s {
                return f64::NAN;
            }
            high_pass(&mut y, BANDS, times, &valid);
            let mut sum = 0.0;
            for (blocking, dealing) in dealings.iter().enumerate() {
                let (shape_sums, sound_sums) = fold_sums(dealing, &shapes, &y, &valid);
                for &(k, _) in FITS.iter().filter(|(_, b)| *b == blocking) {
                    sum += held_out_correlation(k, &shape_sums, &sound_sums);
                }
            }
            sum / FITS.len() as f64
        })
        .collect();
    LagCurve {
        lags_ms: lags_ms.to_vec(),
        values,
    }
}

/// Per fold of `dealing`: the shape sums over its frames that have sound
/// at this lag, and the sound sums over the same frames.
fn fold_sums(
    dealing: &Dealing,
    shapes: &[f64],
    y: &[f64],
    valid: &[bool],
) -> ([ShapeSums; FOLDS], [SoundSums; FOLDS]) {
    let mut shape_sums = dealing.shapes.clone();
    let mut sound_sums = [
        SoundSums::ZERO,
        SoundSums::ZERO,
        SoundSums::ZERO,
        SoundSums::ZERO,
    ];
    for (i, &fold) in dealing.fold_of.iter().enumerate() {
        let row = &shapes[i * SHAPES..(i + 1) * SHAPES];
        if !valid[i] {
            shape_sums[fold].add(row, -1.0);
            continue;
        }
        let bands = &y[i * BANDS..(i + 1) * BANDS];
        let sums = &mut sound_sums[fold];
        for ((s, ss), v) in sums.y.iter_mut().zip(sums.yy.iter_mut()).zip(bands) {
            *s += v;
            *ss += v * v;
        }
        for (a, &x) in row.iter().enumerate() {
            for (s, v) in sums.xy[a * BANDS..(a + 1) * BANDS].iter_mut().zip(bands) {
                *s += x * v;
            }
        }
    }
    (shape_sums, sound_sums)
}

/// Cross-validated ridge regression from the first `k` shapes to the
/// bands, each fold predicted by a fit on the other folds: the mean over
/// bands of the correlation of those predictions with the sound.
fn held_out_correlation(
    k: usize,
    shape_sums: &[ShapeSums; FOLDS],
    sound_sums: &[SoundSums; FOLDS],
) -> f64 {
    let total_x = shape_sums
        .iter()
        .fold(ShapeSums::ZERO, |t, s| t.and(s, 1.0));
    let total_y = sound_sums
        .iter()
        .fold(SoundSums::ZERO, |t, s| t.and(s, 1.0));
    // Over every held-out frame: Σp, Σp·y and Σp² per band.
    let mut p = [0.0; BANDS];
    let mut py = [0.0; BANDS];
    let mut pp = [0.0; BANDS];
    for fold in 0..FOLDS {
        let train_x = total_x.and(&shape_sums[fold], -1.0);
        let train_y = total_y.and(&sound_sums[fold], -1.0);
        let count = train_x.count;
        if count <= (k + 1) as f64 {
            continue;
        }
        let mean_x: Vec<f64> = train_x.x[..k].iter().map(|s| s / count).collect();
        let mean_y: Vec<f64> = train_y.y.iter().map(|s| s / count).collect();
        let mut gram = vec![0.0; k * k];
        for a in 0..k {
            for b in a..k {
                let g = train_x.xx(a, b) - count * mean_x[a] * mean_x[b];
                gram[a * k + b] = g;
                gram[b * k + a] = g;
            }
        }
        let trace: f64 = (0..k).map(|a| gram[a * k + a]).sum();
        for a in 0..k {
            gram[a * k + a] += RIDGE * trace;
        }
        let mut rhs = vec![0.0; k * BANDS];
        for a in 0..k {
            for band in 0..BANDS {
                rhs[a * BANDS + band] =
                    train_y.xy[a * BANDS + band] - count * mean_x[a] * mean_y[band];
            }
        }
        let Some(weights) = solve_spd(&gram, &rhs, k, BANDS) else {
            continue;
        };
        // The held-out frames' shapes centred on the training mean: their
        // sum, and the sums of their products with each other and the sound.
        let own_x = &shape_sums[fold];
        let own_y = &sound_sums[fold];
        let held = own_x.count;
        let centred: Vec<f64> = (0..k).map(|a| own_x.x[a] - held * mean_x[a]).collect();
        let mut cross = vec![0.0; k * k];
        for a in 0..k {
            for c in 0..k {
                cross[a * k + c] = own_x.xx(a, c) - mean_x[a] * own_x.x[c] - own_x.x[a] * mean_x[c]
                    + held * mean_x[a] * mean_x[c];
            }
        }
        for band in 0..BANDS {
            let w = |a: usize| weights[a * BANDS + band];
            p[band] += (0..k).map(|a| w(a) * centred[a]).sum::<f64>();
            py[band] += (0..k)
                .map(|a| w(a) * (own_y.xy[a * BANDS + band] - mean_x[a] * own_y.y[band]))
                .sum::<f64>();
            pp[band] += (0..k)
                .map(|a| w(a) * (0..k).map(|c| cross[a * k + c] * w(c)).sum::<f64>())
                .sum::<f64>();
        }
    }
    let n = total_x.count;
    if n < 2.0 {
        return 0.0;
    }
    let mut total = 0.0;
    for band in 0..BANDS {
        let (sy, syy) = (total_y.y[band], total_y.yy[band]);
        let covariance = py[band] - p[band] * sy / n;
        let spread_p = pp[band] - p[band] * p[band] / n;
        let spread_y = syy - sy * sy / n;
        if spread_p > 0.0 && spread_y > 0.0 {
            total += covariance / (spread_p * spread_y).sqrt();
        }
    }
    total / BANDS as f64
}

/// Solves `a · x = b` for symmetric positive definite `a` (n × n) and `m`
/// right-hand sides (b is n × m), by Cholesky.
#[expect(
    clippy::many_single_char_names,
    reason = "single letters as in the textbook"
)]
fn solve_spd(a: &[f64], b: &[f64], n: usize, m: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|p| l[i * n + p] * l[j * n + p]).sum();
            if i == j {
                let d = a[i * n + i] - sum;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - sum) / l[j * n + j];
            }
        }
    }
    let mut x = b.to_vec();
    for c in 0..m {
        for i in 0..n {
            let sum: f64 = (0..i).map(|p| l[i * n + p] * x[p * m + c]).sum();
            x[i * m + c] = (x[i * m + c] - sum) / l[i * n + i];
        }
        for i in (0..n).rev() {
            let sum: f64 = (i + 1..n).map(|p| l[p * n + i] * x[p * m + c]).sum();
            x[i * m + c] = (x[i * m + c] - sum) / l[i * n + i];
        }
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pearson correlation of pairs; 0 when either side is constant.
    fn pearson(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> f64 {
        let (mut n, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for (x, y) in pairs.clone() {
            n += 1.0;
            sx += x;
            sy += y;
        }
        if n < 2.0 {
            return 0.0;
        }
        let (mx, my) = (sx / n, sy / n);
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for (x, y) in pairs {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx).powi(2);
            syy += (y - my).powi(2);
        }
        if sxx <= 0.0 || syy <= 0.0 {
            0.0
        } else {
            sxy / (sxx * syy).sqrt()
        }
    }

    /// The fit as first written, one regression from scratch per fold,
    /// fit and lag: what `lag_curve` must agree with.
    /// The curve over `lags_ms` for mouth `scores` (n × [`SHAPES`]) at frame
    /// `times` (seconds from the first frame; the sound's time 0 is the first
    /// frame).
    fn reference_lag_curve(
        scores: &[f64],
        times: &[f64],
        sound: &BandEnvelope,
        lags_ms: &[f64],
        min_overlap_s: f64,
    ) -> LagCurve {
        let n = times.len();
        let all = vec![true; n];
        let mut shapes = scores.to_vec();
        high_pass(&mut shapes, SHAPES, times, &all);
        let start = times.first().copied().unwrap_or(0.0);
        let folds: Vec<Vec<usize>> = FITS
            .iter()
            .map(|&(_, blocking)| {
                let block = BLOCKS[blocking];
                times
                    .iter()
                    .map(|t| (((t - start) / block).floor() as usize) % FOLDS)
                    .collect()
            })
            .collect();
        let mut y = vec![0.0; n * BANDS];
        let mut valid = vec![false; n];
        let mut bands = [0.0; BANDS];
        let values = lags_ms
            .iter()
            .map(|&lag| {
                for (i, &t) in times.iter().enumerate() {
                    valid[i] = sound.at(t + lag / 1000.0, &mut bands);
                    if valid[i] {
                        y[i * BANDS..(i + 1) * BANDS].copy_from_slice(&bands);
                    }
                }
                let covered: Vec<f64> = times
                    .iter()
                    .zip(&valid)
                    .filter(|(_, v)| **v)
                    .map(|(t, _)| *t)
                    .collect();
                let span = covered
                    .last()
                    .zip(covered.first())
                    .map_or(0.0, |(b, a)| b - a);
                if span < min_overlap_s {
                    return f64::NAN;
                }
                high_pass(&mut y, BANDS, times, &valid);
                let mut sum = 0.0;
                for (fit, fold) in FITS.iter().zip(&folds) {
                    sum += held_out_correlation(&shapes, fit.0, &y, &valid, fold);
                }
                sum / FITS.len() as f64
            })
            .collect();
        LagCurve {
            lags_ms: lags_ms.to_vec(),
            values,
        }
    }

    /// Cross-validated ridge regression from the first `k` shapes to the
    /// bands; the mean over bands of the held-out correlation.
    fn held_out_correlation(
        shapes: &[f64],
        k: usize,
        y: &[f64],
        valid: &[bool],
        fold_of: &[usize],
    ) -> f64 {
        let n = valid.len();
        let mut predicted = vec![0.0; n * BANDS];
        for fold in 0..FOLDS {
            let train = |i: usize| valid[i] && fold_of[i] != fold;
            let count = (0..n).filter(|&i| train(i)).count();
            if count <= k + 1 {
                continue;
            }
            let mut mean_x = vec![0.0; k];
            let mut mean_y = [0.0; BANDS];
            for i in (0..n).filter(|&i| train(i)) {
                for (m, x) in mean_x.iter_mut().zip(&shapes[i * SHAPES..i * SHAPES + k]) {
                    *m += x;
                }
                for (m, v) in mean_y.iter_mut().zip(&y[i * BANDS..(i + 1) * BANDS]) {
                    *m += v;
                }
            }
            for m in mean_x.iter_mut().chain(mean_y.iter_mut()) {
                *m /= count as f64;
            }
            let mut gram = vec![0.0; k * k];
            let mut rhs = vec![0.0; k * BANDS];
            let mut row = vec![0.0; k];
            for i in (0..n).filter(|&i| train(i)) {
                for (r, (x, m)) in row
                    .iter_mut()
                    .zip(shapes[i * SHAPES..i * SHAPES + k].iter().zip(&mean_x))
                {
                    *r = x - m;
                }
                for a in 0..k {
                    for b in a..k {
                        gram[a * k + b] += row[a] * row[b];
                    }
                    for band in 0..BANDS {
                        rhs[a * BANDS + band] += row[a] * (y[i * BANDS + band] - mean_y[band]);
                    }
                }
            }
            for a in 0..k {
                for b in 0..a {
                    gram[a * k + b] = gram[b * k + a];
                }
            }
            let trace: f64 = (0..k).map(|a| gram[a * k + a]).sum();
            for a in 0..k {
                gram[a * k + a] += RIDGE * trace;
            }
            let Some(weights) = solve_spd(&gram, &rhs, k, BANDS) else {
                continue;
            };
            for i in (0..n).filter(|&i| valid[i] && fold_of[i] == fold) {
                for band in 0..BANDS {
                    predicted[i * BANDS + band] = (0..k)
                        .map(|a| (shapes[i * SHAPES + a] - mean_x[a]) * weights[a * BANDS + band])
                        .sum();
                }
            }
        }
        let mut total = 0.0;
        for band in 0..BANDS {
            let pairs = (0..n)
                .filter(|&i| valid[i])
                .map(|i| (predicted[i * BANDS + band], y[i * BANDS + band]));
            total += pearson(pairs);
        }
        total / BANDS as f64
    }

    #[test]
    fn the_fold_sums_give_the_curve_of_the_fit_from_scratch() {
        // A voice whose loudness a drawn mouth's shapes follow 80 ms early,
        // with frames missing sound at both ends of the lags.
        let rate = 16_000;
        let samples: Vec<f32> = (0..rate * 6)
            .map(|i| {
                let t = f64::from(i) / f64::from(rate);
                let syllables = (t * 4.3).sin().abs() * (t * 1.7 + 0.4).sin().abs();
                (syllables * (t * 2.0 * std::f64::consts::PI * 180.0).sin()
                    + 0.3 * syllables * (t * 2.0 * std::f64::consts::PI * 1900.0).sin())
                    as f32
            })
            .collect();
        let audio = crate::AudioClip {
            samples: &samples,
            sample_rate: rate,
            channels: 1,
        };
        let sound = BandEnvelope::new(&audio).expect("six seconds of sound");
        let times: Vec<f64> = (0..150).map(|i| f64::from(i) / 25.0).collect();
        let scores: Vec<f64> = times
            .iter()
            .flat_map(|&t| {
                let open = ((t + 0.08) * 4.3).sin().abs() * ((t + 0.08) * 1.7 + 0.4).sin().abs();
                (0..SHAPES).map(move |c| {
                    let c = c as f64;
                    open * (1.0 - c / 12.0) + 0.2 * (t * (3.1 + c) + c).sin()
                })
            })
            .collect();
        let lags: Vec<f64> = (-60..=60).map(|s| f64::from(s) * 10.0).collect();
        let fast = lag_curve(&scores, &times, &sound, &lags, 2.0);
        let slow = reference_lag_curve(&scores, &times, &sound, &lags, 2.0);
        assert!(fast.values.iter().any(|v| v.is_finite()));
        for ((lag, a), b) in lags.iter().zip(&fast.values).zip(&slow.values) {
            assert!(
                (a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-9,
                "at {lag} ms: {a} from the fold sums, {b} from scratch"
            );
        }
    }

    #[test]
    fn cholesky_solves_a_small_system() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let b = [2.0, 1.0];
        let x = solve_spd(&a, &b, 2, 1).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12);
        assert!((2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn principal_scores_find_the_dominant_direction() {
        // Points along (1, 2, 0) with a little of (0, 0, 1).
        let rows: Vec<f64> = (0..40)
            .flat_map(|i| {
                let t = f64::from(i) - 20.0;
                let e = if i % 2 == 0 { 0.1 } else { -0.1 };
                [t, 2.0 * t, e]
            })
            .collect();
        let scores = principal_scores(&rows, 3);
        let first: Vec<f64> = scores.chunks_exact(SHAPES).map(|s| s[0]).collect();
        let along: Vec<f64> = (0..40).map(|i| f64::from(i) - 20.0).collect();
        let r = pearson(first.iter().copied().zip(along.iter().copied()));
        assert!(r.abs() > 0.999, "first component correlates {r}");
    }

    #[test]
    fn high_pass_removes_a_constant_and_keeps_a_fast_wiggle() {
        let times: Vec<f64> = (0..100).map(|i| f64::from(i) / 25.0).collect();
        let mut values: Vec<f64> = (0..100)
            .map(|i| 5.0 + if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        high_pass(&mut values, 1, &times, &[true; 100]);
        assert!(values[50].abs() > 0.9 && values[50].abs() < 1.1);
        assert!(values.iter().sum::<f64>().abs() < 5.0);
    }
}
