//! One clock for every variant: a seek decodes the wanted frame in every
//! variant first and draws them all together, so the screens never show
//! different frames; playback follows the shared sound (or the wall clock
//! when nothing is heard). As in the single player, seeks never queue up:
//! while frames decode, newer requests replace the wanted frame.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::future::join_all;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use super::mix::Mix;
use super::screen::Screen;
use crate::dom::now_ms;
use crate::player::playhead::{Tick, reached, start_frame, tick};

/// What the view shows; `Copy` handles readable from anywhere.
#[derive(Clone, Copy)]
pub struct CompareState {
    pub playhead: RwSignal<usize>,
    /// Per variant slot: the frame on its screen.
    pub shown: RwSignal<Vec<Option<usize>>>,
    pub checksums: RwSignal<Vec<Option<u32>>>,
    /// The shortest variant's frame count (they normally match).
    pub frame_count: RwSignal<usize>,
    pub fps: RwSignal<f64>,
    /// Video frames per wall-clock frame; 0 when paused.
    pub speed: RwSignal<f64>,
    pub mark_in: RwSignal<Option<usize>>,
    pub mark_out: RwSignal<Option<usize>>,
    pub error: RwSignal<Option<String>>,
}

impl CompareState {
    pub fn new(slots: usize) -> Self {
        Self {
            playhead: RwSignal::new(0),
            shown: RwSignal::new(vec![None; slots]),
            checksums: RwSignal::new(vec![None; slots]),
            frame_count: RwSignal::new(0),
            fps: RwSignal::new(24.0),
            speed: RwSignal::new(0.0),
            mark_in: RwSignal::new(None),
            mark_out: RwSignal::new(None),
            error: RwSignal::new(None),
        }
    }

    /// The span playback stays in: the in/out marks when set.
    fn loop_span(&self) -> (usize, usize) {
        let last = self.frame_count.get_untracked().saturating_sub(1);
        let start = self.mark_in.get_untracked().unwrap_or(0).min(last);
        let end = self
            .mark_out
            .get_untracked()
            .unwrap_or(last)
            .clamp(start, last);
        (start, end)
    }
}

pub struct LockedClock {
    screens: RefCell<Vec<Option<Rc<Screen>>>>,
    mix: RefCell<Option<Mix>>,
    pub state: CompareState,
    wanted: Cell<usize>,
    /// Bumped by every seek, so a seek to the frame already being drawn
    /// (a screen that just joined) still gets its own pass.
    requests: Cell<u64>,
    busy: Cell<bool>,
    /// Bumped on every play/pause so a stale clock loop ends itself.
    generation: Cell<u32>,
}

impl LockedClock {
    pub fn new(slots: usize, state: CompareState) -> Rc<Self> {
        Rc::new(Self {
            screens: RefCell::new(vec![None; slots]),
            mix: RefCell::new(Mix::new(slots)),
            state,
            wanted: Cell::new(0),
            requests: Cell::new(0),
            busy: Cell::new(false),
            generation: Cell::new(0),
        })
    }

    /// Puts `screen` in `slot` (or empties it) and redraws every screen at
    /// the playhead.
    pub fn set_screen(self: &Rc<Self>, slot: usize, screen: Option<Rc<Screen>>) {
        {
            let mut screens = self.screens.borrow_mut();
            if let Some(place) = screens.get_mut(slot) {
                *place = screen;
            }
            let loaded: Vec<&Rc<Screen>> = screens.iter().flatten().collect();
            let count = loaded
                .iter()
                .map(|s| s.engine.frame_count())
                .min()
                .unwrap_or(0);
            self.state.frame_count.set(count);
            if let Some(first) = loaded.first() {
                self.state.fps.set(first.engine.fps());
            }
        }
        self.state.shown.update(|s| {
            if let Some(x) = s.get_mut(slot) {
                *x = None;
            }
        });
        self.seek(self.wanted.get());
    }

    pub fn with_mix(&self, f: impl FnOnce(&mut Mix)) {
        if let Some(mix) = self.mix.borrow_mut().as_mut() {
            f(mix);
        }
    }

    pub fn backend(&self) -> Option<&'static str> {
        self.screens
            .borrow()
            .iter()
            .flatten()
            .next()
            .map(|s| s.backend())
    }

    /// `HH:MM:SS:FF` of `frame`, from the first loaded variant's track.
    pub fn timecode(&self, frame: usize) -> Option<String> {
        self.screens
            .borrow()
            .iter()
            .flatten()
            .next()
            .and_then(|s| s.engine.track.frame_timecode(frame))
            .map(|t| t.to_string())
    }

    pub fn last_frame(&self) -> usize {
        self.state.frame_count.get_untracked().saturating_sub(1)
    }

    pub fn fps(&self) -> f64 {
        self.state.fps.get_untracked().max(1.0)
    }

    /// Asks for `frame` on every screen; returns at once.
    pub fn seek(self: &Rc<Self>, frame: usize) {
        let frame = frame.min(self.last_frame());
        self.wanted.set(frame);
        self.requests.set(self.requests.get() + 1);
        self.state.playhead.set(frame);
        if self.busy.replace(true) {
            return;
        }
        let this = Rc::clone(self);
        spawn_local(async move {
            loop {
                let request = this.requests.get();
                this.show(this.wanted.get()).await;
                if this.requests.get() == request {
                    break;
                }
            }
            this.busy.set(false);
        });
    }

    async fn show(&self, frame: usize) {
        let screens: Vec<(usize, Rc<Screen>)> = self
            .screens
            .borrow()
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.clone().map(|s| (i, s)))
            .collect();
        if screens.is_empty() {
            return;
        }
        // Every variant's frame first, then all drawn in one go.
        let pictures = join_all(screens.iter().map(|(_, s)| s.picture(frame))).await;
        let mut drawn = Vec::with_capacity(screens.len());
        for ((slot, screen), picture) in screens.iter().zip(pictures) {
            match picture.and_then(|p| screen.draw(&p)) {
                Ok(checksum) => drawn.push((*slot, checksum)),
                Err(why) => {
                    self.state.error.set(Some(why));
                    return;
                }
            }
        }
        self.state.error.set(None);
        self.state.shown.update(|shown| {
            for (slot, _) in &drawn {
                if let Some(s) = shown.get_mut(*slot) {
                    *s = Some(frame);
                }
            }
        });
        self.state.checksums.update(|sums| {
            for (slot, checksum) in &drawn {
                if let Some(s) = sums.get_mut(*slot) {
                    *s = *checksum;
                }
            }
        });
        self.publish();
    }

    /// The test hook: `window.__chorusCompare`.
    fn publish(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let to_array = |values: Vec<Option<f64>>| {
            values
                .into_iter()
                .map(|v| v.map_or(JsValue::NULL, JsValue::from_f64))
                .collect::<Array>()
        };
        let hook = Object::new();
        let frames = self
            .state
            .shown
            .get_untracked()
            .into_iter()
            .map(|f| f.map(|f| f as f64))
            .collect();
        let sums = self
            .state
            .checksums
            .get_untracked()
            .into_iter()
            .map(|c| c.map(f64::from))
            .collect();
        let _ = Reflect::set(&hook, &"frames".into(), &to_array(frames));
        let _ = Reflect::set(&hook, &"checksums".into(), &to_array(sums));
        let _ = Reflect::set(
            &hook,
            &"frameCount".into(),
            &JsValue::from_f64(self.state.frame_count.get_untracked() as f64),
        );
        let _ = Reflect::set(
            &hook,
            &"playing".into(),
            &JsValue::from_bool(self.state.speed.get_untracked() != 0.0),
        );
        let _ = Reflect::set(&window, &"__chorusCompare".into(), &hook);
    }

    pub fn step(self: &Rc<Self>, frames: i64) {
        let to = (self.wanted.get() as i64 + frames).clamp(0, self.last_frame() as i64);
        self.pause();
        self.seek(to as usize);
    }

    pub fn pause(&self) {
        self.with_mix(Mix::stop);
        self.state.speed.set(0.0);
        self.generation.set(self.generation.get().wrapping_add(1));
    }

    fn start_sound(&self, frame: usize, speed: f64) {
        let fps = self.fps();
        self.with_mix(|mix| {
            if (speed - 1.0).abs() < f64::EPSILON {
                mix.play_from(frame as f64 / fps);
            } else {
                mix.stop();
            }
        });
    }

    fn sound_time(&self) -> Option<f64> {
        self.mix.borrow().as_ref().and_then(Mix::media_time)
    }

    /// Plays every variant at `speed` (1.0 real time, negative backwards),
    /// looping between the in and out marks when both are set.
    pub fn play(self: &Rc<Self>, speed: f64) {
        self.pause();
        if speed == 0.0 || self.state.frame_count.get_untracked() == 0 {
            return;
        }
        let (start, end) = self.state.loop_span();
        let from = start_frame(self.wanted.get(), (start, end), speed);
        self.state.speed.set(speed);
        let generation = self.generation.get();
        let looping = self.state.mark_in.get_untracked().is_some()
            && self.state.mark_out.get_untracked().is_some();
        let fps = self.fps();
        self.start_sound(from, speed);
        let this = Rc::clone(self);
        spawn_local(async move {
            let mut started = now_ms();
            let mut from = from;
            while this.generation.get() == generation {
                let at = reached(this.sound_time(), from, now_ms() - started, fps, speed);
                let frame = match tick(at, (start, end), looping, speed) {
                    Tick::Show(frame) => frame,
                    Tick::Restart(at) => {
                        from = at;
                        started = now_ms();
                        this.start_sound(from, speed);
                        from
                    }
                    Tick::Stop(last) => {
                        this.seek(last);
                        this.pause();
                        break;
                    }
                };
                if frame != this.wanted.get() {
                    this.seek(frame);
                }
                TimeoutFuture::new(8).await;
            }
        });
    }
}
