//! Decoded pictures around the playhead, within a memory budget. Scrubbing
//! back and forth inside a GOP then costs nothing; the least recently shown
//! pictures go first when the budget is exceeded.

use std::collections::HashMap;
use std::rc::Rc;

use chorus_media::Picture;

/// About 120 frames of 1080p kept whole; at the size a Library player
/// shows them (half of 1080p each way, 0.78 MB a frame), a whole 15 s take
/// at 30 fps.
pub const DEFAULT_BUDGET: usize = 384 * 1024 * 1024;

pub struct FrameCache {
    budget: usize,
    used: usize,
    /// Frame number → (picture, last use tick).
    entries: HashMap<usize, (Rc<Picture>, u64)>,
    tick: u64,
}

impl FrameCache {
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            used: 0,
            entries: HashMap::new(),
            tick: 0,
        }
    }

    pub fn get(&mut self, frame: usize) -> Option<Rc<Picture>> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(&frame).map(|(picture, used)| {
            *used = tick;
            Rc::clone(picture)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, frame: usize) -> bool {
        self.entries.contains_key(&frame)
    }

    pub fn insert(&mut self, frame: usize, picture: Picture) {
        self.tick += 1;
        self.used += picture.bytes();
        if let Some((old, _)) = self.entries.insert(frame, (Rc::new(picture), self.tick)) {
            self.used -= old.bytes();
        }
        while self.used > self.budget && self.entries.len() > 1 {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(&frame, _)| frame)
            else {
                break;
            };
            if let Some((gone, _)) = self.entries.remove(&oldest) {
                self.used -= gone.bytes();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(fill: u8) -> Picture {
        Picture::packed(4, 2, vec![fill; 12]).expect("4 × 2 I420")
    }

    #[test]
    fn keeps_within_budget_dropping_the_least_recently_used() {
        // Each picture is 12 bytes; room for three.
        let mut cache = FrameCache::new(36);
        for frame in 0..3 {
            cache.insert(frame, picture(frame as u8));
        }
        // Frame 0 was just used, so frame 1 is now the oldest.
        assert!(cache.get(0).is_some());
        cache.insert(3, picture(3));
        assert!(cache.contains(0) && cache.contains(2) && cache.contains(3));
        assert!(!cache.contains(1));
    }

    #[test]
    fn replacing_a_frame_does_not_leak_budget() {
        let mut cache = FrameCache::new(24);
        for _ in 0..10 {
            cache.insert(5, picture(1));
        }
        cache.insert(6, picture(2));
        assert!(cache.contains(5) && cache.contains(6));
        assert_eq!(cache.get(6).map(|p| p.y()[0]), Some(2));
    }
}
