//! What to decode next while nobody is waiting for a frame: the GOP nearest
//! the playhead that is not decoded yet, looking ahead in the direction of
//! play first. Playback then finds its next GOP ready, and a paused take
//! fills outwards from where the reviewer stopped.

/// Which way the playhead moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Paused,
    Forward,
    Backward,
}

/// A GOP worth decoding and how far its farthest frame is from the
/// playhead (the cache must have room within that distance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    pub gop: usize,
    pub far: usize,
}

/// Distance from the playhead to the span `first..=last`, nearest and
/// farthest frame. Spans behind the direction of play count four times as
/// far, so reverse shuttling and forward play each read ahead their way.
fn distance(
    (first, last): (usize, usize),
    playhead: usize,
    direction: Direction,
) -> (usize, usize) {
    let near = if playhead < first {
        first - playhead
    } else {
        playhead.saturating_sub(last)
    };
    let far = first.abs_diff(playhead).max(last.abs_diff(playhead));
    let behind = match direction {
        Direction::Forward => last < playhead,
        Direction::Backward => first > playhead,
        Direction::Paused => false,
    };
    if behind {
        (near.saturating_mul(4), far.saturating_mul(4))
    } else {
        (near, far)
    }
}

/// The nearest GOP (by its nearest frame) for which `decoded` is false.
/// On a tie the one ahead wins.
pub fn next_gop(
    spans: &[(usize, usize)],
    decoded: impl Fn(usize) -> bool,
    playhead: usize,
    direction: Direction,
) -> Option<Next> {
    spans
        .iter()
        .enumerate()
        .filter(|&(gop, _)| !decoded(gop))
        .map(|(gop, &span)| {
            let (near, far) = distance(span, playhead, direction);
            let ahead = span.0 >= playhead;
            (near, !ahead, gop, far)
        })
        .min()
        .map(|(_, _, gop, far)| Next { gop, far })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four GOPs of 48 frames, as in a 24 fps clip with a keyframe every 2 s.
    const SPANS: [(usize, usize); 4] = [(0, 47), (48, 95), (96, 143), (144, 191)];

    #[test]
    fn the_gop_under_the_playhead_comes_first() {
        let next = next_gop(&SPANS, |_| false, 100, Direction::Paused);
        assert_eq!(next.map(|n| n.gop), Some(2));
    }

    #[test]
    fn paused_fills_outwards_preferring_ahead_on_a_tie() {
        // Playhead at 96, GOP 2 done: GOP 1 ends 1 frame behind, GOP 3 starts
        // 48 ahead; the nearer one wins.
        let next = next_gop(&SPANS, |g| g == 2, 96, Direction::Paused);
        assert_eq!(next.map(|n| n.gop), Some(1));
        // Playhead at 120 inside GOP 2: GOP 1 is 25 behind, GOP 3 is 24 ahead.
        let next = next_gop(&SPANS, |g| g == 2, 120, Direction::Paused);
        assert_eq!(next, Some(Next { gop: 3, far: 71 }));
    }

    #[test]
    fn playing_forwards_reads_ahead_before_behind() {
        // At 60, GOP 0 ends 13 frames behind and GOP 2 starts 36 ahead.
        let next = next_gop(&SPANS, |g| g == 1, 60, Direction::Forward);
        assert_eq!(next.map(|n| n.gop), Some(2));
        let next = next_gop(&SPANS, |g| g == 1, 60, Direction::Paused);
        assert_eq!(next.map(|n| n.gop), Some(0));
        let next = next_gop(&SPANS, |g| g == 1, 60, Direction::Backward);
        assert_eq!(next.map(|n| n.gop), Some(0));
    }

    #[test]
    fn nothing_left_when_every_gop_is_decoded() {
        assert_eq!(next_gop(&SPANS, |_| true, 0, Direction::Forward), None);
    }
}
