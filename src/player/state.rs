//! What one player shows, as signals the view and the keyboard read: the
//! frame on screen, the playhead, speed and the in/out marks.

use leptos::prelude::*;

/// All `Copy` handles, readable from anywhere.
#[derive(Clone, Copy)]
pub struct PlayerState {
    /// The frame on screen (its pixels are what `checksum` hashed).
    pub shown: RwSignal<Option<usize>>,
    /// The frame the playhead points at (ahead of `shown` while decoding).
    pub playhead: RwSignal<usize>,
    pub checksum: RwSignal<Option<u32>>,
    /// Multiple of real time; 0 when paused, negative backwards.
    pub speed: RwSignal<f64>,
    pub mark_in: RwSignal<Option<usize>>,
    pub mark_out: RwSignal<Option<usize>>,
    pub error: RwSignal<Option<String>>,
    /// Decoded frames held in the cache, for the overlay and tests.
    pub cached: RwSignal<usize>,
}

impl PlayerState {
    pub fn new() -> Self {
        Self {
            shown: RwSignal::new(None),
            playhead: RwSignal::new(0),
            checksum: RwSignal::new(None),
            speed: RwSignal::new(0.0),
            mark_in: RwSignal::new(None),
            mark_out: RwSignal::new(None),
            error: RwSignal::new(None),
            cached: RwSignal::new(0),
        }
    }

    /// The span playback stays in: the in/out marks when set.
    pub fn loop_span(&self, frame_count: usize) -> (usize, usize) {
        let last = frame_count.saturating_sub(1);
        let start = self.mark_in.get_untracked().unwrap_or(0).min(last);
        let end = self
            .mark_out
            .get_untracked()
            .unwrap_or(last)
            .clamp(start, last);
        (start, end)
    }

    /// Whether playback loops: both marks set.
    pub fn looping(&self) -> bool {
        self.mark_in.get_untracked().is_some() && self.mark_out.get_untracked().is_some()
    }
}
