//! One player's moving parts: which frame is wanted, which is shown, and
//! what happens after each draw. Seeks never queue up: while a frame
//! decodes, newer requests replace the wanted frame and only the last one is
//! drawn. Playback (the clock) is in `playback.rs`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::HtmlCanvasElement;

use super::audio::Sound;
use super::clock::now_ms;
use super::engine::Engine;
use super::frame::live_frames;
use super::picture::Picture;
use super::plan::Direction;
use super::probe::{self, Drawn, Readback, Shown, Source, publish};
use super::render::Renderer;
use super::state::PlayerState;
use super::wake::Notify;

/// Called right after a frame is drawn, in the same task (the canvas still
/// holds it): the benchmark reads its pixels here.
pub type AfterDraw = Box<dyn Fn(&HtmlCanvasElement, usize)>;

pub struct Controller {
    pub engine: Rc<Engine>,
    renderer: RefCell<Renderer>,
    pub(super) canvas: HtmlCanvasElement,
    readback: Option<Readback>,
    pub state: PlayerState,
    pub(super) wanted: Cell<usize>,
    busy: Cell<bool>,
    /// Bumped on every play/pause so a stale clock loop ends itself.
    pub(super) clock_generation: Cell<u32>,
    /// The take's sound, once decoded; it drives the clock while it plays.
    pub(super) sound: RefCell<Option<Sound>>,
    after_draw: RefCell<Option<AfterDraw>>,
    /// Woken after every draw.
    pub drawn: Notify,
    closed: Cell<bool>,
}

impl Controller {
    pub fn new(
        engine: Rc<Engine>,
        renderer: Renderer,
        canvas: HtmlCanvasElement,
        state: PlayerState,
    ) -> Rc<Self> {
        let player = Rc::new(Self {
            engine,
            renderer: RefCell::new(renderer),
            canvas,
            readback: probe::enabled().then(Readback::new).flatten(),
            state,
            wanted: Cell::new(0),
            busy: Cell::new(false),
            clock_generation: Cell::new(0),
            sound: RefCell::new(None),
            after_draw: RefCell::new(None),
            drawn: Notify::default(),
            closed: Cell::new(false),
        });
        spawn_local(Rc::clone(&player).follow_cache());
        player
    }

    /// Keeps the "decoded" count current while the background decode runs
    /// (at most ten updates a second), until the player closes.
    async fn follow_cache(self: Rc<Self>) {
        while !self.closed.get() && !self.engine.is_closed() {
            self.engine.changed().await;
            self.state.cached.set(self.engine.cache_stats().frames);
            gloo_timers::future::TimeoutFuture::new(100).await;
        }
    }

    pub fn set_sound(&self, sound: Sound) {
        *self.sound.borrow_mut() = Some(sound);
    }

    pub fn set_after_draw(&self, hook: Option<AfterDraw>) {
        *self.after_draw.borrow_mut() = hook;
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
        if self.state.speed.get_untracked() == 0.0 {
            self.engine.set_playhead(frame, Direction::Paused);
        }
        if self.busy.replace(true) {
            return;
        }
        let this = Rc::clone(self);
        spawn_local(async move {
            loop {
                let target = this.wanted.get();
                this.show(target).await;
                if this.wanted.get() == target || this.closed.get() {
                    break;
                }
            }
            this.busy.set(false);
        });
    }

    /// Resolves once `frame` is on the canvas (immediately if it is).
    pub async fn shown(&self, frame: usize) {
        while self.state.shown.get_untracked() != Some(frame) && !self.closed.get() {
            self.drawn.changed().await;
        }
    }

    async fn show(&self, frame: usize) {
        let picture = match self.engine.picture(frame).await {
            Ok(picture) => picture,
            Err(why) => {
                if !self.closed.get() {
                    self.state.error.set(Some(why));
                }
                return;
            }
        };
        if self.closed.get() {
            return;
        }
        // A newer request arrived while this one decoded: skip drawing a
        // frame nobody wants any more (the loop in `seek` shows the new one).
        if self.wanted.get() != frame && self.state.speed.get_untracked() == 0.0 {
            return;
        }
        if let Err(why) = self.draw(&picture) {
            self.state.error.set(Some(why));
            return;
        }
        self.after_draw(frame);
    }

    /// Sizes the canvas to what it occupies on the page (in device pixels,
    /// never more than the picture), then draws.
    fn draw(&self, picture: &Picture) -> Result<(), String> {
        let (width, height) = drawing_size(&self.canvas, picture.width, picture.height);
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
        let mut renderer = self.renderer.borrow_mut();
        renderer.resize(width, height);
        renderer.draw(picture)
    }

    fn after_draw(&self, frame: usize) {
        let checksum = self
            .readback
            .as_ref()
            .and_then(|r| r.checksum(&self.canvas));
        let band = self
            .readback
            .as_ref()
            .and_then(|r| r.band_number(Source::Canvas(&self.canvas)));
        if let Some(hook) = self.after_draw.borrow().as_ref() {
            hook(&self.canvas, frame);
        }
        let playing = self.state.speed.get_untracked() != 0.0;
        if playing && self.readback.is_some() {
            probe::log(&Drawn {
                frame,
                band,
                frame_time_s: self.engine.frame_time_s(frame).unwrap_or(0.0),
                audio_time_s: self.sound_time(),
                at_ms: now_ms(),
            });
        }
        let stats = self.engine.cache_stats();
        self.state.error.set(None);
        self.state.checksum.set(checksum);
        self.state.shown.set(Some(frame));
        self.state.cached.set(stats.frames);
        publish(&Shown {
            frame,
            checksum,
            band,
            frame_count: self.engine.frame_count(),
            backend: self.backend(),
            playing,
            live_frames: live_frames(),
            cached_frames: stats.frames,
            cached_bytes: stats.bytes,
            budget: stats.budget,
            decoding: self.engine.debug_line(),
        });
        self.drawn.notify();
    }

    pub fn step(self: &Rc<Self>, frames: i64) {
        let from = self.wanted.get() as i64;
        let to = (from + frames).clamp(0, self.last_frame() as i64);
        self.pause();
        self.seek(to as usize);
    }

    /// Stops everything and releases the decoder, the cached frames and the
    /// sound. Called when the player leaves the page.
    pub fn close(&self) {
        self.closed.set(true);
        self.pause();
        self.sound.borrow_mut().take();
        self.engine.close();
        self.drawn.notify();
        probe::publish_live_frames(live_frames());
    }
}

/// The canvas's drawing-buffer size for a picture: its box on the page in
/// device pixels, keeping the picture's shape, never larger than the picture.
fn drawing_size(canvas: &HtmlCanvasElement, width: u32, height: u32) -> (u32, u32) {
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let shown = f64::from(canvas.client_width()) * ratio;
    if shown < 1.0 || shown >= f64::from(width) {
        return (width.max(1), height.max(1));
    }
    let scale = shown / f64::from(width);
    let w = shown.round().max(1.0) as u32;
    let h = (f64::from(height) * scale).round().max(1.0) as u32;
    (w, h)
}
