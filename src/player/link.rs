//! What a page holding a player can read from it and ask of it: the frame
//! shown, the in and out marks, seeking, and markers on the timeline (the
//! review comments). The player writes the first three; the page writes
//! `seek` and `markers`.

use leptos::prelude::*;

use super::markers::Marker;

#[derive(Clone, Copy)]
pub struct PlayerLink {
    /// The frame under the playhead.
    pub frame: RwSignal<usize>,
    pub frame_count: RwSignal<usize>,
    pub mark_in: RwSignal<Option<usize>>,
    pub mark_out: RwSignal<Option<usize>>,
    /// Set by the page to move the playhead; the player takes it (and
    /// pauses) and sets it back to `None`.
    pub seek: RwSignal<Option<usize>>,
    /// Set by the page to clear the in and out marks.
    pub clear_marks: RwSignal<bool>,
    /// Set by the page to run a transport command (the In and Out buttons
    /// a phone needs, having no keyboard); the player takes it.
    pub command: RwSignal<Option<super::keys::Command>>,
    pub markers: RwSignal<Vec<Marker>>,
    /// The marker last clicked on the timeline.
    pub picked: RwSignal<Option<String>>,
}

impl PlayerLink {
    pub fn new() -> Self {
        PlayerLink {
            frame: RwSignal::new(0),
            frame_count: RwSignal::new(0),
            mark_in: RwSignal::new(None),
            mark_out: RwSignal::new(None),
            seek: RwSignal::new(None),
            clear_marks: RwSignal::new(false),
            command: RwSignal::new(None),
            markers: RwSignal::new(Vec::new()),
            picked: RwSignal::new(None),
        }
    }
}

impl Default for PlayerLink {
    fn default() -> Self {
        Self::new()
    }
}
