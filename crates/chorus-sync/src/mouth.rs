//! Finding the speaking mouth without a face detector: the block (grown into
//! a small cluster) whose motion correlates best with the speech activity at
//! some lag in the search range, and keeps doing so across the whole clip.
//!
//! Before the search, each frame's median block motion is subtracted from
//! every block. Camera shake, sensor noise and lighting flicker move most
//! blocks alike; the mouth moves few. A block is then scored by a jackknife:
//! the clip is cut into [`FOLDS`] stretches holding equal shares of the
//! speech, and the score at a lag is the *lowest* correlation left after
//! leaving out any one stretch. A mouth moves with every syllable, so losing
//! a quarter of the speech barely changes its correlation; a one-off event
//! (a blink or a nod that happens to land on a loud syllable at some lag)
//! lives in one stretch, and leaving that stretch out leaves nothing. Head
//! nods that follow speech rhythm all through can still compete on real
//! footage, which is why the region is reported for a person (or the UI) to
//! check.

use serde::{Deserialize, Serialize};

use crate::SyncError;
use crate::audio::{STEPS_PER_FRAME, SpeechEnvelope};
use crate::correlate::{Moments, correlation_at};
use crate::motion::{MotionGrid, MotionSeries};

/// Where the speaking mouth was found, as the bounding box of the chosen
/// blocks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MouthRegion {
    /// Left edge, 0..1 of the frame width.
    pub x: f64,
    /// Top edge, 0..1 of the frame height.
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// Bounding box in motion-grid blocks.
    pub block_x: u32,
    pub block_y: u32,
    pub block_w: u32,
    pub block_h: u32,
    /// The blocks chosen, `[bx, by]`, best first.
    pub blocks: Vec<[u32; 2]>,
    /// Correlation of the region's motion with speech at the best whole-frame
    /// lag, -1..1.
    pub correlation: f64,
}

/// The search result: the region and its motion over time.
#[derive(Clone, Debug)]
pub(crate) struct MouthSearch {
    pub region: MouthRegion,
    /// Mean median-subtracted motion of the region's blocks, per frame.
    pub signal: Vec<f32>,
}

/// The speech activity at one whole-frame lag, over the frames that have
/// audio for it, with prefix sums of it and its square.
struct Track {
    first: usize,
    values: Vec<f32>,
    prefix: Vec<(f64, f64)>,
}

fn tracks(envelope: &SpeechEnvelope, frames: usize, max_lag: i64) -> Vec<Track> {
    (-max_lag..=max_lag)
        .map(|lag| {
            let lag_steps = lag * STEPS_PER_FRAME as i64;
            let mut first = None;
            let mut values = Vec::with_capacity(frames);
            for k in 1..frames {
                match envelope.activity(k, lag_steps) {
                    Some(a) => {
                        first.get_or_insert(k);
                        values.push(a);
                    }
                    // Audio is contiguous: once it ends it does not resume.
                    None if first.is_some() => break,
                    None => {}
                }
            }
            Track {
                first: first.unwrap_or(1),
                prefix: prefix_sums(&values),
                values,
            }
        })
        .collect()
}

/// `out[i]` is the sum of `values[..i]` and of their squares.
fn prefix_sums(values: &[f32]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(values.len() + 1);
    let mut acc = (0.0f64, 0.0f64);
    out.push(acc);
    for &v in values {
        let v = f64::from(v);
        acc = (acc.0 + v, acc.1 + v * v);
        out.push(acc);
    }
    out
}

/// Stretches the jackknife leaves out one at a time. Four: each holds a
/// quarter of the speech, so leaving one out still leaves most of a mouth's
/// evidence, while a single event is gone from one of the four scores.
pub(crate) const FOLDS: usize = 4;

/// Frame boundaries of the [`FOLDS`] stretches: fold `w` is frames
/// `bounds[w]..bounds[w + 1]`, cut so that each holds an equal share of
/// the speech activity's energy (at lag 0), not an equal share of time: a
/// short line in a long clip still spreads over all four.
fn fold_bounds(envelope: &SpeechEnvelope, frames: usize) -> [usize; FOLDS + 1] {
    let energy: Vec<f64> = (1..frames)
        .map(|k| {
            envelope
                .activity(k, 0)
                .map_or(0.0, |a| f64::from(a).powi(2))
        })
        .collect();
    let total: f64 = energy.iter().sum();
    let mut bounds = [frames; FOLDS + 1];
    bounds[0] = 1;
    if total <= 0.0 {
        for (w, b) in bounds.iter_mut().enumerate().take(FOLDS).skip(1) {
            *b = 1 + (frames - 1) * w / FOLDS;
        }
        return bounds;
    }
    let mut acc = 0.0;
    let mut w = 1;
    for (i, e) in energy.iter().enumerate() {
        acc += e;
        while w < FOLDS && acc >= total * w as f64 / FOLDS as f64 {
            bounds[w] = i + 2;
            w += 1;
        }
    }
    bounds
}

/// The seed score of `signal` at one track: the lowest correlation after
/// leaving out any one fold (see the module doc).
fn jackknife_score(
    signal: &[f32],
    prefix: &[(f64, f64)],
    track: &Track,
    bounds: &[usize; FOLDS + 1],
) -> f64 {
    let end = track.first + track.values.len();
    let mut parts = [Moments::default(); FOLDS];
    let mut all = Moments::default();
    for (w, part) in parts.iter_mut().enumerate() {
        let (lo, hi) = (bounds[w].max(track.first), bounds[w + 1].min(end));
        if hi <= lo {
            continue;
        }
        let (tlo, thi) = (lo - track.first, hi - track.first);
        let xy: f64 = signal[lo..hi]
            .iter()
            .zip(&track.values[tlo..thi])
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum();
        let (x0, x1) = (prefix[lo], prefix[hi]);
        let (y0, y1) = (track.prefix[tlo], track.prefix[thi]);
        *part = Moments::from_sums(
            hi - lo,
            (x1.0 - x0.0, x1.1 - x0.1),
            (y1.0 - y0.0, y1.1 - y0.1),
            xy,
        );
        all = all.plus(part);
    }
    parts
        .iter()
        .map(|part| all.minus(part).pearson().unwrap_or(0.0))
        .fold(f64::INFINITY, f64::min)
}

/// Block-major motion with each frame's median block motion removed.
pub(crate) fn local_motion(series: &MotionSeries) -> Vec<Vec<f32>> {
    let blocks = series.grid.blocks();
    let frames = series.frames();
    let mut out = vec![vec![0.0f32; frames]; blocks];
    let mut scratch = vec![0.0f32; blocks];
    for k in 0..frames {
        let frame = series.frame(k);
        scratch.copy_from_slice(frame);
        let mid = blocks / 2;
        let (_, median, _) = scratch.select_nth_unstable_by(mid, f32::total_cmp);
        let median = *median;
        for (signal, &v) in out.iter_mut().zip(frame) {
            signal[k] = v - median;
        }
    }
    out
}

/// A block's local motion as the seed search scores it: square-root
/// compressed, blocks moving less than the median counting as still.
///
/// Pearson correlation is dominated by its largest values, and the largest
/// block motions in a talking clip are rare, brief events: an eye blink
/// changes many pixels in three or four frames. Uncompressed, one blink that
/// happens to fall beside loud speech at some lag scores like a mouth that
/// moves with every syllable, and the eyes win the search. Compressed, a
/// block scores by moving with the sound often, not by moving a lot once.
fn seed_signal(local: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(local) {
        *o = v.max(0.0).sqrt();
    }
}

/// Best jackknife score of `signal` over the tracks, and the lag index.
fn best_over_tracks(
    signal: &[f32],
    prefix: &[(f64, f64)],
    tracks: &[Track],
    bounds: &[usize; FOLDS + 1],
) -> (f64, usize) {
    let mut best = (f64::NEG_INFINITY, 0);
    for (i, t) in tracks.iter().enumerate() {
        let r = jackknife_score(signal, prefix, t, bounds);
        if r > best.0 {
            best = (r, i);
        }
    }
    best
}

/// Searches the grid for the speaking mouth.
pub(crate) fn find_mouth(
    series: &MotionSeries,
    envelope: &SpeechEnvelope,
    max_lag_frames: i64,
    max_blocks: usize,
) -> Result<MouthSearch, SyncError> {
    let frames = series.frames();
    let grid = series.grid;
    let local = local_motion(series);
    let tracks = tracks(envelope, frames, max_lag_frames);
    if tracks.iter().all(|t| t.values.is_empty()) {
        return Err(SyncError::NoSpeech);
    }

    // One scan over single blocks, with prefix sums so each lag costs one
    // dot product (cut in folds). The seed is scored on compressed motion
    // (see `seed_signal`); growing the region and measuring use it as it is.
    let bounds = fold_bounds(envelope, frames);
    let mut prefix = vec![(0.0f64, 0.0f64); frames + 1];
    let mut scores = Vec::with_capacity(local.len());
    let mut compressed = vec![0.0f32; frames];
    for signal in &local {
        seed_signal(signal, &mut compressed);
        for (k, &v) in compressed.iter().enumerate() {
            let v = f64::from(v);
            prefix[k + 1] = (prefix[k].0 + v, prefix[k].1 + v * v);
        }
        scores.push(best_over_tracks(&compressed, &prefix, &tracks, &bounds));
    }
    let (seed, &(seed_score, seed_lag)) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
        .ok_or(SyncError::NoMotion)?;
    if seed_score <= 0.0 {
        return Err(if local.iter().flatten().all(|&v| v == 0.0) {
            SyncError::NoMotion
        } else {
            SyncError::NoSpeech
        });
    }

    // Grow a cluster from the seed while a neighbour raises the correlation
    // near the seed's lag. Keeps the region compact (3x3 blocks at most).
    let lag_steps = (seed_lag as i64 - max_lag_frames) * STEPS_PER_FRAME as i64;
    let score = |members: &[usize]| -> (f64, Vec<f32>) {
        let mut sum = vec![0.0f32; frames];
        for &m in members {
            for (s, &v) in sum.iter_mut().zip(&local[m]) {
                *s += v / members.len() as f32;
            }
        }
        let best = (-2..=2)
            .map(|d| {
                correlation_at(
                    &sum,
                    0..frames,
                    envelope,
                    lag_steps + d * STEPS_PER_FRAME as i64,
                )
            })
            .fold(f64::NEG_INFINITY, f64::max);
        (best, sum)
    };
    let mut members = vec![seed];
    let (mut current, mut signal) = score(&members);
    while members.len() < max_blocks {
        let mut best: Option<(f64, usize, Vec<f32>)> = None;
        for cand in neighbours(&members, grid) {
            let mut trial = members.clone();
            trial.push(cand);
            let (s, sig) = score(&trial);
            if s > current + 0.005 && best.as_ref().is_none_or(|b| s > b.0) {
                best = Some((s, cand, sig));
            }
        }
        let Some((s, cand, sig)) = best else { break };
        members.push(cand);
        current = s;
        signal = sig;
    }

    Ok(MouthSearch {
        region: region(&members, grid, current),
        signal,
    })
}

fn block_xy(index: usize, grid: MotionGrid) -> (u32, u32) {
    (
        (index % grid.cols as usize) as u32,
        (index / grid.cols as usize) as u32,
    )
}

/// Blocks touching the cluster that keep its bounding box within 3x3.
fn neighbours(members: &[usize], grid: MotionGrid) -> Vec<usize> {
    let mut out = Vec::new();
    for &m in members {
        let (x, y) = block_xy(m, grid);
        for dy in -1i64..=1 {
            for dx in -1i64..=1 {
                let (nx, ny) = (i64::from(x) + dx, i64::from(y) + dy);
                if nx < 0 || ny < 0 || nx >= i64::from(grid.cols) || ny >= i64::from(grid.rows) {
                    continue;
                }
                let n = ny as usize * grid.cols as usize + nx as usize;
                if members.contains(&n) || out.contains(&n) {
                    continue;
                }
                let xs = members
                    .iter()
                    .map(|&i| block_xy(i, grid).0)
                    .chain([nx as u32]);
                let ys = members
                    .iter()
                    .map(|&i| block_xy(i, grid).1)
                    .chain([ny as u32]);
                let span = |v: Vec<u32>| {
                    v.iter().max().copied().unwrap_or(0) - v.iter().min().copied().unwrap_or(0)
                };
                if span(xs.collect()) < 3 && span(ys.collect()) < 3 {
                    out.push(n);
                }
            }
        }
    }
    out
}

fn region(members: &[usize], grid: MotionGrid, correlation: f64) -> MouthRegion {
    let xy: Vec<[u32; 2]> = members
        .iter()
        .map(|&m| {
            let (x, y) = block_xy(m, grid);
            [x, y]
        })
        .collect();
    let min_x = xy.iter().map(|b| b[0]).min().unwrap_or(0);
    let max_x = xy.iter().map(|b| b[0]).max().unwrap_or(0);
    let min_y = xy.iter().map(|b| b[1]).min().unwrap_or(0);
    let max_y = xy.iter().map(|b| b[1]).max().unwrap_or(0);
    let px = f64::from(grid.block_pixels());
    let (fw, fh) = (f64::from(grid.frame_width), f64::from(grid.frame_height));
    MouthRegion {
        x: f64::from(min_x) * px / fw,
        y: f64::from(min_y) * px / fh,
        w: f64::from(max_x - min_x + 1) * px / fw,
        h: f64::from(max_y - min_y + 1) * px / fh,
        block_x: min_x,
        block_y: min_y,
        block_w: max_x - min_x + 1,
        block_h: max_y - min_y + 1,
        blocks: xy,
        correlation,
    }
}
