//! One player's moving parts: which frame is wanted, which is shown, and the
//! playback clock. Seeks never queue up: while a GOP decodes, newer requests
//! replace the wanted frame and only the last one is drawn.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::HtmlCanvasElement;

use super::audio::Sound;
use super::engine::Engine;
use super::playhead::{Tick, reached, start_frame, tick};
use super::probe::{Probe, Shown, publish};
use super::render::Renderer;

/// What the view shows; all `Copy` handles, readable from anywhere.
#[derive(Clone, Copy)]
pub struct PlayerState {
    /// The frame on screen (its pixels are what `checksum` hashed).
    pub shown: RwSignal<Option<usize>>,
    /// The frame the playhead points at (ahead of `shown` while decoding).
    pub playhead: RwSignal<usize>,
    pub checksum: RwSignal<Option<u32>>,
    /// Video frames per wall-clock frame; 0 when paused, negative backwards.
    pub speed: RwSignal<f64>,
    pub mark_in: RwSignal<Option<usize>>,
    pub mark_out: RwSignal<Option<usize>>,
    pub error: RwSignal<Option<String>>,
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
}

pub struct Controller {
    pub engine: Rc<Engine>,
    renderer: RefCell<Renderer>,
    canvas: HtmlCanvasElement,
    probe: Option<Probe>,
    pub state: PlayerState,
    wanted: Cell<usize>,
    busy: Cell<bool>,
    /// Bumped on every play/pause so a stale clock loop ends itself.
    clock_generation: Cell<u32>,
    /// The take's sound, once decoded; it drives the clock while it plays.
    sound: RefCell<Option<Sound>>,
}

impl Controller {
    pub fn new(
        engine: Rc<Engine>,
        renderer: Renderer,
        canvas: HtmlCanvasElement,
        state: PlayerState,
    ) -> Rc<Self> {
        Rc::new(Self {
            engine,
            renderer: RefCell::new(renderer),
            canvas,
            probe: Probe::new(),
            state,
            wanted: Cell::new(0),
            busy: Cell::new(false),
            clock_generation: Cell::new(0),
            sound: RefCell::new(None),
        })
    }

    pub fn set_sound(&self, sound: Sound) {
        *self.sound.borrow_mut() = Some(sound);
    }

    /// Starts the sound at `frame` when playing at normal speed forwards;
    /// shuttling and reverse play stay silent.
    fn start_sound(&self, frame: usize, speed: f64) {
        if let Some(sound) = self.sound.borrow_mut().as_mut() {
            if (speed - 1.0).abs() < f64::EPSILON {
                sound.play_from(frame as f64 / self.engine.fps());
            } else {
                sound.stop();
            }
        }
    }

    /// The take time the sound is at, while it plays.
    fn sound_time(&self) -> Option<f64> {
        self.sound.borrow().as_ref().and_then(Sound::media_time)
    }

    pub fn backend(&self) -> &'static str {
        self.renderer.borrow().backend
    }

    pub fn last_frame(&self) -> usize {
        self.engine.frame_count().saturating_sub(1)
    }

    /// Asks for `frame` to be shown; returns at once. The newest request
    /// wins over any still waiting.
    pub fn seek(self: &Rc<Self>, frame: usize) {
        let frame = frame.min(self.last_frame());
        self.wanted.set(frame);
        self.state.playhead.set(frame);
        if self.busy.replace(true) {
            return;
        }
        let this = Rc::clone(self);
        spawn_local(async move {
            loop {
                let target = this.wanted.get();
                this.show(target).await;
                if this.wanted.get() == target {
                    break;
                }
            }
            this.busy.set(false);
            this.prefetch_ahead().await;
        });
    }

    async fn show(&self, frame: usize) {
        match self.engine.picture(frame).await {
            Ok(picture) => {
                let drawn = {
                    let mut renderer = self.renderer.borrow_mut();
                    renderer.resize(self.canvas.width(), self.canvas.height());
                    renderer.draw(&picture)
                };
                if let Err(why) = drawn {
                    self.state.error.set(Some(why));
                    return;
                }
                let checksum = self.probe.as_ref().and_then(|p| p.checksum(&self.canvas));
                self.state.error.set(None);
                self.state.checksum.set(checksum);
                self.state.shown.set(Some(frame));
                publish(&Shown {
                    frame,
                    checksum,
                    frame_count: self.engine.frame_count(),
                    backend: self.backend(),
                    playing: self.state.speed.get_untracked() != 0.0,
                });
            }
            Err(why) => self.state.error.set(Some(why)),
        }
    }

    /// While playing forwards, decodes the next GOP before the playhead gets
    /// there, so playback does not stall at every keyframe.
    async fn prefetch_ahead(&self) {
        if self.state.speed.get_untracked() <= 0.0 || self.busy.get() {
            return;
        }
        let ahead = self.wanted.get() + self.engine.fps().ceil() as usize / 2;
        if ahead <= self.last_frame() && !self.engine.is_cached(ahead) {
            self.busy.set(true);
            // Errors surface when the frame is actually shown.
            let _ = self.engine.picture(ahead).await;
            self.busy.set(false);
            let wanted = self.wanted.get();
            if self.state.shown.get_untracked() != Some(wanted) {
                self.show(wanted).await;
            }
        }
    }

    pub fn step(self: &Rc<Self>, frames: i64) {
        let from = self.wanted.get() as i64;
        let to = (from + frames).clamp(0, self.last_frame() as i64);
        self.pause();
        self.seek(to as usize);
    }

    pub fn pause(&self) {
        if let Some(sound) = self.sound.borrow_mut().as_mut() {
            sound.stop();
        }
        self.state.speed.set(0.0);
        self.clock_generation
            .set(self.clock_generation.get().wrapping_add(1));
    }

    /// Plays at `speed` (1.0 real time, negative backwards) from the
    /// playhead, looping between the in and out marks when both are set.
    pub fn play(self: &Rc<Self>, speed: f64) {
        self.pause();
        if speed == 0.0 {
            return;
        }
        let frame_count = self.engine.frame_count();
        let (start, end) = self.state.loop_span(frame_count);
        let from = start_frame(self.wanted.get(), (start, end), speed);
        self.state.speed.set(speed);
        let generation = self.clock_generation.get();
        let this = Rc::clone(self);
        let fps = self.engine.fps();
        let looping = self.state.mark_in.get_untracked().is_some()
            && self.state.mark_out.get_untracked().is_some();
        self.start_sound(from, speed);
        spawn_local(async move {
            let mut started = now_ms();
            let mut from = from;
            while this.clock_generation.get() == generation {
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

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
