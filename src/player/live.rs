//! The transport in the page: the browser as its host (tasks, the clock, a
//! tick every few milliseconds) and its status as signals the views read.

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::keys::Command;
use super::mix::Mix;
use super::screen::CanvasScreen;
use super::transport::{Host, Status, Task, Transport};

/// A transport of canvases and Web Audio voices.
pub type Live = Transport<CanvasScreen, Mix>;

/// How often the play loop looks at the clock.
const TICK_MS: u32 = 8;

struct Browser;

impl Host for Browser {
    fn spawn(&self, task: Task) {
        spawn_local(task);
    }

    fn now_ms(&self) -> f64 {
        crate::dom::now_ms()
    }

    fn every_tick(&self, mut tick: Box<dyn FnMut() -> bool>) {
        spawn_local(async move {
            while tick() {
                TimeoutFuture::new(TICK_MS).await;
            }
        });
    }
}

/// The transport's status as signals: `Copy` handles readable anywhere.
#[derive(Clone, Copy)]
pub struct TransportState {
    pub playhead: RwSignal<usize>,
    /// Per screen: the frame it shows.
    pub shown: RwSignal<Vec<Option<usize>>>,
    pub checksums: RwSignal<Vec<Option<u32>>>,
    pub frame_count: RwSignal<usize>,
    pub fps: RwSignal<f64>,
    pub speed: RwSignal<f64>,
    pub mark_in: RwSignal<Option<usize>>,
    pub mark_out: RwSignal<Option<usize>>,
    pub error: RwSignal<Option<String>>,
}

/// Sets `signal` only when the value changed, so readers rerun only then.
fn set_changed<T: Clone + PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: &T) {
    if signal.with_untracked(|v| v != value) {
        signal.set(value.clone());
    }
}

impl TransportState {
    fn new(screens: usize) -> Self {
        Self {
            playhead: RwSignal::new(0),
            shown: RwSignal::new(vec![None; screens]),
            checksums: RwSignal::new(vec![None; screens]),
            frame_count: RwSignal::new(0),
            fps: RwSignal::new(30.0),
            speed: RwSignal::new(0.0),
            mark_in: RwSignal::new(None),
            mark_out: RwSignal::new(None),
            error: RwSignal::new(None),
        }
    }

    fn show(&self, status: &Status) {
        set_changed(self.playhead, &status.playhead);
        set_changed(self.shown, &status.shown);
        set_changed(self.checksums, &status.checksums);
        set_changed(self.frame_count, &status.frame_count);
        set_changed(self.fps, &status.fps);
        set_changed(self.speed, &status.speed);
        set_changed(self.mark_in, &status.mark_in);
        set_changed(self.mark_out, &status.mark_out);
        set_changed(self.error, &status.error);
    }

    pub fn playing(&self) -> bool {
        self.speed.get() != 0.0
    }
}

/// A transport over `screens` screens with a voice each, its signals, and
/// `hook` told of every change (the test hooks).
pub fn live(screens: usize, hook: impl Fn(&Status) + 'static) -> (Rc<Live>, TransportState) {
    let state = TransportState::new(screens);
    let transport = Transport::new(
        screens,
        Mix::new(screens),
        Rc::new(Browser),
        move |status| {
            state.show(status);
            hook(status);
        },
    );
    (transport, state)
}

/// Whether a key event belongs to the transport: plain keys, not typed into
/// a field, that name a command.
pub fn command_of(ev: &web_sys::KeyboardEvent) -> Option<Command> {
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return None;
    }
    // Typing a number or a name must not scrub.
    let typing = ev.target().is_some_and(|t| {
        wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlInputElement>(&t).is_some()
            || wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlTextAreaElement>(&t).is_some()
    });
    if typing {
        return None;
    }
    super::keys::command_for(&ev.key(), ev.shift_key())
}
