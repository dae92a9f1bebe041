//! The playback clock. Once per animation frame it works out which frame
//! belongs on screen and asks for it. At normal speed with sound, the audio
//! clock (what is audible now) is the master, so the picture follows the
//! sound and cannot drift from it; otherwise the wall clock times it. Frame
//! times come from the index, so variable frame rates play exactly.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::clock::{next_frame, now_ms};
use super::controller::Controller;
use super::plan::Direction;
use super::probe;

/// Where a time falls against the span being played.
enum Position {
    Before,
    At(usize),
    After,
}

impl Controller {
    /// Starts the sound at `frame` when playing at normal speed forwards;
    /// shuttling and reverse play stay silent.
    fn start_sound(&self, frame: usize, speed: f64) {
        if let Some(sound) = self.sound.borrow_mut().as_mut() {
            if (speed - 1.0).abs() < f64::EPSILON {
                sound.play_from(self.engine.frame_time_s(frame).unwrap_or(0.0));
            } else {
                sound.stop();
            }
        }
    }

    /// The take time the sound is at (audible now), while it plays.
    pub fn sound_time(&self) -> Option<f64> {
        self.sound
            .borrow()
            .as_ref()
            .and_then(super::audio::Sound::media_time)
    }

    pub fn pause(&self) {
        if let Some(sound) = self.sound.borrow_mut().as_mut() {
            sound.stop();
        }
        self.state.speed.set(0.0);
        self.clock_generation
            .set(self.clock_generation.get().wrapping_add(1));
        self.engine
            .set_playhead(self.wanted.get(), Direction::Paused);
    }

    /// Which frame `seconds` of take time falls in, against `start..=end`.
    fn position(&self, seconds: f64, start: usize, end: usize) -> Position {
        let start_s = self.engine.frame_time_s(start).unwrap_or(0.0);
        if seconds < start_s {
            return Position::Before;
        }
        match self.engine.frame_at_time_s(seconds) {
            Some(frame) if frame <= end => Position::At(frame.max(start)),
            _ => Position::After,
        }
    }

    /// Plays at `speed` (1.0 real time, negative backwards) from the
    /// playhead, looping between the in and out marks when both are set.
    pub fn play(self: &Rc<Self>, speed: f64) {
        self.pause();
        if speed == 0.0 {
            return;
        }
        let (start, end) = self.state.loop_span(self.engine.frame_count());
        let mut from = self.wanted.get();
        // Playing from the end (or outside the marks) starts over.
        if (speed > 0.0 && from >= end)
            || (speed < 0.0 && from <= start)
            || from < start
            || from > end
        {
            from = if speed > 0.0 { start } else { end };
        }
        self.state.speed.set(speed);
        let direction = if speed > 0.0 {
            Direction::Forward
        } else {
            Direction::Backward
        };
        self.engine.set_playhead(from, direction);
        probe::clear_log();
        let generation = self.clock_generation.get();
        let looping = self.state.looping();
        self.start_sound(from, speed);
        let this = Rc::clone(self);
        spawn_local(async move {
            let mut started_ms = now_ms();
            let mut from_s = this.engine.frame_time_s(from).unwrap_or(0.0);
            this.seek(from);
            while this.clock_generation.get() == generation {
                next_frame().await;
                if this.clock_generation.get() != generation {
                    break;
                }
                let seconds = this
                    .sound_time()
                    .unwrap_or_else(|| from_s + (now_ms() - started_ms) / 1000.0 * speed);
                let position = this.position(seconds, start, end);
                let frame = match position {
                    Position::At(frame) => frame,
                    // Not there yet: the sound has not reached the speakers
                    // (output latency), so the picture waits for it.
                    Position::Before if speed > 0.0 => start,
                    Position::After if speed < 0.0 => end,
                    Position::Before | Position::After if looping => {
                        let restart = if speed > 0.0 { start } else { end };
                        from_s = this.engine.frame_time_s(restart).unwrap_or(0.0);
                        started_ms = now_ms();
                        this.start_sound(restart, speed);
                        restart
                    }
                    Position::Before | Position::After => {
                        let last = if speed > 0.0 { end } else { start };
                        this.pause();
                        this.seek(last);
                        break;
                    }
                };
                this.engine.set_playhead(frame, direction);
                if frame != this.wanted.get() {
                    this.seek(frame);
                }
            }
        });
    }
}
