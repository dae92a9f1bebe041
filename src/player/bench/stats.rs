//! The benchmark's arithmetic, kept pure so it is unit-tested: the seek
//! targets (random, repeatable, never the frame already on screen), latency
//! percentiles, and frame rates from the timestamps of the frames drawn.

use serde::Serialize;

/// `count` frame numbers below `frames` from a fixed seed, no two in a row
/// equal and the first not `start` (a seek to the frame already shown puts
/// nothing new on screen, so `<video>` would never report it).
pub fn seek_targets(seed: u64, count: usize, frames: usize, start: usize) -> Vec<usize> {
    let mut state = seed;
    let mut previous = start;
    let mut targets = Vec::with_capacity(count);
    if frames < 2 {
        return targets;
    }
    while targets.len() < count {
        // Knuth's MMIX constants; the high bits are the well-mixed ones.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let frame = ((state >> 33) % frames as u64) as usize;
        if frame != previous {
            targets.push(frame);
            previous = frame;
        }
    }
    targets
}

/// The `q`-quantile (0–1) by nearest rank: a value that was measured.
pub fn percentile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// One side of the seek comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeekSummary {
    pub seeks: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// Seeks whose pixels showed exactly the requested frame.
    pub exact: usize,
    /// Seeks whose pixels could not be read (counted as not exact).
    pub unreadable: usize,
    /// Up to ten (asked, shown) pairs that were wrong, for the log.
    pub misses: Vec<(usize, Option<u32>)>,
}

/// Summarises latencies and what the pixels said for each target.
pub fn summarise(latencies_ms: &[f64], targets: &[usize], shown: &[Option<u32>]) -> SeekSummary {
    let mut summary = SeekSummary {
        seeks: latencies_ms.len(),
        p50_ms: percentile(latencies_ms, 0.5),
        p95_ms: percentile(latencies_ms, 0.95),
        max_ms: latencies_ms.iter().copied().fold(0.0, f64::max),
        ..SeekSummary::default()
    };
    for (&target, &got) in targets.iter().zip(shown) {
        if got == Some(target as u32) {
            summary.exact += 1;
        } else {
            if got.is_none() {
                summary.unreadable += 1;
            }
            if summary.misses.len() < 10 {
                summary.misses.push((target, got));
            }
        }
    }
    summary
}

/// What one player put on screen during the playback run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlaybackSummary {
    /// Frames drawn (each a new frame number).
    pub drawn: usize,
    /// New frames per second, from the first to the last draw's timestamp.
    pub fps: f64,
    /// Frames the clock passed over without drawing them.
    pub skipped: usize,
    /// Draws whose pixels carried the frame number that was drawn.
    pub verified: usize,
}

/// From (timestamp ms, frame number, number read from the pixels) per draw.
pub fn playback(draws: &[(f64, usize, Option<u32>)]) -> PlaybackSummary {
    let mut summary = PlaybackSummary {
        drawn: draws.len(),
        ..PlaybackSummary::default()
    };
    if let (Some(first), Some(last)) = (draws.first(), draws.last())
        && last.0 > first.0
    {
        summary.fps = (draws.len() - 1) as f64 * 1000.0 / (last.0 - first.0);
    }
    for pair in draws.windows(2) {
        if let [a, b] = pair {
            summary.skipped += b.1.saturating_sub(a.1 + 1);
        }
    }
    summary.verified = draws
        .iter()
        .filter(|(_, frame, read)| *read == Some(*frame as u32))
        .count();
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_repeat_for_a_seed_and_never_repeat_in_a_row() {
        let a = seek_targets(7, 200, 360, 0);
        assert_eq!(a, seek_targets(7, 200, 360, 0));
        assert_ne!(a, seek_targets(8, 200, 360, 0));
        assert_eq!(a.len(), 200);
        assert_ne!(a[0], 0);
        assert!(a.windows(2).all(|w| w[0] != w[1]));
        assert!(a.iter().all(|&f| f < 360));
        // Random enough to land in every GOP of a 15 s clip (48 frames each).
        let gops: std::collections::HashSet<usize> = a.iter().map(|f| f / 48).collect();
        assert_eq!(gops.len(), 8);
    }

    #[test]
    fn percentiles_are_measured_values() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!((percentile(&values, 0.5) - 50.0).abs() < f64::EPSILON);
        assert!((percentile(&values, 0.95) - 95.0).abs() < f64::EPSILON);
        assert!((percentile(&[3.0], 0.95) - 3.0).abs() < f64::EPSILON);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn a_summary_counts_exact_unreadable_and_wrong_frames() {
        let s = summarise(&[10.0, 20.0, 30.0], &[5, 6, 7], &[Some(5), None, Some(8)]);
        assert_eq!((s.exact, s.unreadable), (1, 1));
        assert_eq!(s.misses, vec![(6, None), (7, Some(8))]);
        assert!((s.max_ms - 30.0).abs() < f64::EPSILON);
    }

    #[test]
    fn playback_rate_comes_from_draw_timestamps() {
        // 31 draws 1000/30 ms apart: 30 frames per second, one frame skipped.
        let mut draws: Vec<(f64, usize, Option<u32>)> = (0..31)
            .map(|i| (f64::from(i) * 1000.0 / 30.0, i as usize, Some(i)))
            .collect();
        draws[30].1 = 31;
        let s = playback(&draws);
        assert!((s.fps - 30.0).abs() < 1e-9);
        assert_eq!((s.drawn, s.skipped, s.verified), (31, 1, 30));
    }
}
