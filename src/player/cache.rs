//! Decoded frames around the playhead, within a memory budget. When the
//! budget is exceeded the frames farthest from the playhead go first, so the
//! neighbourhood a reviewer scrubs through stays decoded. Generic over what a
//! frame is (a held WebCodecs `VideoFrame` in the browser, plain bytes in
//! tests); dropping an entry is what releases it.

use std::collections::BTreeMap;
use std::rc::Rc;

/// A whole 15 s 1080p take at 30 fps is 450 × 3.1 MB = 1.4 GB as I420;
/// Chorus takes are at most 15 s, so the default holds any one of them
/// entirely and every frame becomes instant once the take has been decoded.
/// 4K or longer clips keep the part around the playhead.
pub const DEFAULT_BUDGET: usize = 1536 * 1024 * 1024;

pub struct FrameCache<T> {
    budget: usize,
    used: usize,
    /// Frame number → (frame, its size in bytes). Ordered, so the farthest
    /// frames from the playhead are at the two ends.
    entries: BTreeMap<usize, (Rc<T>, usize)>,
    playhead: usize,
}

impl<T> FrameCache<T> {
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            used: 0,
            entries: BTreeMap::new(),
            playhead: 0,
        }
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Bytes held now; never above the budget once `insert` returns, except
    /// for a single frame larger than the whole budget.
    pub fn used(&self) -> usize {
        self.used
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Where the reviewer is; eviction measures distance from here.
    pub fn set_playhead(&mut self, frame: usize) {
        self.playhead = frame;
    }

    pub fn playhead(&self) -> usize {
        self.playhead
    }

    pub fn get(&self, frame: usize) -> Option<Rc<T>> {
        self.entries.get(&frame).map(|(value, _)| Rc::clone(value))
    }

    pub fn contains(&self, frame: usize) -> bool {
        self.entries.contains_key(&frame)
    }

    /// Whether `bytes` more would fit by evicting only frames farther from
    /// the playhead than `distance`: the test for decoding more ahead of time
    /// without pushing out something nearer.
    pub fn has_room_within(&self, distance: usize, bytes: usize) -> bool {
        let free = self.budget.saturating_sub(self.used);
        if free >= bytes {
            return true;
        }
        let reclaimable: usize = self
            .entries
            .iter()
            .filter(|&(&frame, _)| frame.abs_diff(self.playhead) > distance)
            .map(|(_, (_, size))| size)
            .sum();
        free + reclaimable >= bytes
    }

    /// Adds `frame`, then evicts from the far ends until the budget holds.
    /// The frame just added is never the one evicted: it was decoded because
    /// someone wants it.
    pub fn insert(&mut self, frame: usize, value: T, bytes: usize) {
        self.used += bytes;
        if let Some((_, old)) = self.entries.insert(frame, (Rc::new(value), bytes)) {
            self.used -= old;
        }
        while self.used > self.budget && self.entries.len() > 1 {
            let Some(victim) = self.farthest_except(frame) else {
                break;
            };
            if let Some((_, size)) = self.entries.remove(&victim) {
                self.used -= size;
            }
        }
    }

    fn farthest_except(&self, keep: usize) -> Option<usize> {
        let first = self.entries.keys().find(|&&f| f != keep).copied();
        let last = self.entries.keys().rev().find(|&&f| f != keep).copied();
        match (first, last) {
            (Some(a), Some(b)) => Some(if a.abs_diff(self.playhead) >= b.abs_diff(self.playhead) {
                a
            } else {
                b
            }),
            (one, other) => one.or(other),
        }
    }

    /// Drops every frame (releasing each as its last `Rc` goes).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.used = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_frames_farthest_from_the_playhead() {
        // Room for four 10-byte frames.
        let mut cache = FrameCache::new(40);
        cache.set_playhead(5);
        for frame in [0, 4, 5, 6] {
            cache.insert(frame, frame, 10);
        }
        // Frame 9 pushes out frame 0, the farthest from 5.
        cache.insert(9, 9, 10);
        assert!(!cache.contains(0));
        assert!([4, 5, 6, 9].iter().all(|&f| cache.contains(f)));
        // With the playhead moved to 9, frame 4 is now the farthest.
        cache.set_playhead(9);
        cache.insert(8, 8, 10);
        assert!(!cache.contains(4) && cache.contains(8));
        assert_eq!(cache.used(), 40);
    }

    #[test]
    fn the_frame_just_decoded_stays_even_when_it_is_the_farthest() {
        let mut cache = FrameCache::new(20);
        cache.set_playhead(0);
        cache.insert(0, 0, 10);
        cache.insert(1, 1, 10);
        cache.insert(100, 100, 10);
        assert!(cache.contains(100) && cache.contains(0) && !cache.contains(1));
    }

    #[test]
    fn replacing_a_frame_does_not_leak_budget() {
        let mut cache = FrameCache::new(24);
        for _ in 0..10 {
            cache.insert(5, 1_u8, 12);
        }
        cache.insert(6, 2, 12);
        assert_eq!(cache.used(), 24);
        assert_eq!(cache.get(6).map(|v| *v), Some(2));
    }

    #[test]
    fn room_counts_only_frames_farther_than_the_candidate() {
        let mut cache = FrameCache::new(30);
        cache.set_playhead(10);
        for frame in [9, 10, 30] {
            cache.insert(frame, frame, 10);
        }
        // Full; 10 bytes at distance 5 can come by dropping frame 30 (distance 20).
        assert!(cache.has_room_within(5, 10));
        // But not 20 bytes, and nothing at distance 25.
        assert!(!cache.has_room_within(5, 20));
        assert!(!cache.has_room_within(25, 10));
    }

    #[test]
    fn dropping_entries_releases_them() {
        let held = Rc::new(());
        let mut cache = FrameCache::new(100);
        cache.insert(1, Rc::clone(&held), 10);
        assert_eq!(Rc::strong_count(&held), 2);
        cache.clear();
        assert_eq!(Rc::strong_count(&held), 1);
        assert_eq!((cache.used(), cache.len()), (0, 0));
    }
}
