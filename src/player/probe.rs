//! The test hook: what the player shows, checked from the pixels on screen.
//! With `?probe=1` in the page URL, each draw is copied (in the same task,
//! before the browser may discard a WebGL drawing buffer) into a small 2D
//! canvas and hashed, and playback keeps a log of every frame drawn with
//! the audio clock at that moment. The frame number and hash are published
//! on `window.__chorusPlayer` and as data attributes on the player. Without
//! the flag nothing is read back: a GPU readback per frame costs real time.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement};

use super::bench::barcode;

/// Width of the hashed copy: small enough to hash every frame during
/// playback, large enough that neighbouring frames of a talking head differ.
const PROBE_WIDTH: u32 = 192;
/// Playback log entries kept (a 15 s take at 30 fps is 450).
const LOG_LIMIT: u32 = 4000;

/// True when the page URL carries `probe=1`.
pub fn enabled() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.trim_start_matches('?').split('&').any(|p| p == "probe=1"))
}

/// What can be read back: a player's canvas or a `<video>` element.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Canvas(&'a HtmlCanvasElement),
    Video(&'a HtmlVideoElement),
}

/// A 2D canvas kept on the CPU side for reading pixels back.
pub struct Readback {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
}

/// The name other views know the readback by (the Compare view's checksum).
#[allow(dead_code)] // used by the Compare view once merged
pub type Probe = Readback;

impl Readback {
    pub fn new() -> Option<Self> {
        let canvas: HtmlCanvasElement = web_sys::window()?
            .document()?
            .create_element("canvas")
            .ok()?
            .dyn_into()
            .ok()?;
        let options = Object::new();
        Reflect::set(&options, &"willReadFrequently".into(), &JsValue::TRUE).ok()?;
        let context = canvas
            .get_context_with_context_options("2d", &options)
            .ok()??
            .dyn_into()
            .ok()?;
        Some(Self { canvas, context })
    }

    /// RGBA bytes of `source`'s region (`sx, sy, sw, sh`, in its pixels)
    /// scaled to `width × height` with nearest-neighbour sampling, which
    /// keeps the copy exact and repeatable.
    pub fn pixels(
        &self,
        source: Source<'_>,
        (sx, sy, sw, sh): (f64, f64, f64, f64),
        width: u32,
        height: u32,
    ) -> Option<Vec<u8>> {
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
        self.context.set_image_smoothing_enabled(false);
        let (dw, dh) = (f64::from(width), f64::from(height));
        match source {
            Source::Canvas(canvas) => self
                .context
                .draw_image_with_html_canvas_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
                    canvas, sx, sy, sw, sh, 0.0, 0.0, dw, dh,
                ),
            Source::Video(video) => self
                .context
                .draw_image_with_html_video_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
                    video, sx, sy, sw, sh, 0.0, 0.0, dw, dh,
                ),
        }
        .ok()?;
        Some(
            self.context
                .get_image_data(0, 0, width as i32, height as i32)
                .ok()?
                .data()
                .to_vec(),
        )
    }

    /// The frame number a counting clip carries in its top band (see
    /// `bench::barcode`), read from one row through the band's middle at
    /// the source's own width; `None` for any other picture.
    pub fn band_number(&self, source: Source<'_>) -> Option<u32> {
        let (width, height) = match source {
            Source::Canvas(c) => (c.width(), c.height()),
            Source::Video(v) => (v.video_width(), v.video_height()),
        };
        if width == 0 || height == 0 {
            return None;
        }
        let y = (f64::from(height) * barcode::BAND_FRACTION / 2.0).floor();
        let row = self.pixels(source, (0.0, y, f64::from(width), 1.0), width, 1)?;
        barcode::read(&row)
    }

    /// FNV-1a over the RGBA bytes of a downscaled copy of `source`.
    pub fn checksum(&self, source: &HtmlCanvasElement) -> Option<u32> {
        let (w, h) = (source.width().max(1), source.height().max(1));
        let probe_h = (u64::from(PROBE_WIDTH) * u64::from(h) / u64::from(w)).max(1) as u32;
        let whole = (0.0, 0.0, f64::from(w), f64::from(h));
        let pixels = self.pixels(Source::Canvas(source), whole, PROBE_WIDTH, probe_h)?;
        let mut hash: u32 = 0x811c_9dc5;
        for byte in pixels {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        Some(hash)
    }
}

/// What tests read on `window.__chorusPlayer`: the page's last drawn player.
pub struct Shown<'a> {
    pub frame: usize,
    pub checksum: Option<u32>,
    /// The number in the picture's band, for counting clips.
    pub band: Option<u32>,
    pub frame_count: usize,
    pub backend: &'a str,
    pub playing: bool,
    pub live_frames: usize,
    pub cached_frames: usize,
    pub cached_bytes: usize,
    pub budget: usize,
    /// What the decode loop is doing (`Engine::debug_line`).
    pub decoding: String,
}

/// One frame drawn during playback: which, when it is meant to be seen (s
/// into the take), and where the audio clock was (audible position, s)
/// when it was drawn.
pub struct Drawn {
    pub frame: usize,
    pub band: Option<u32>,
    pub frame_time_s: f64,
    pub audio_time_s: Option<f64>,
    pub at_ms: f64,
}

fn hook() -> Option<Object> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("__chorusPlayer");
    let existing = Reflect::get(&window, &key).ok()?;
    if let Ok(hook) = existing.dyn_into::<Object>() {
        return Some(hook);
    }
    let hook = Object::new();
    Reflect::set(&hook, &"log".into(), &Array::new()).ok()?;
    Reflect::set(&window, &key, &hook).ok()?;
    Some(hook)
}

pub fn publish(shown: &Shown<'_>) {
    let Some(hook) = hook() else {
        return;
    };
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&hook, &key.into(), &value);
    };
    let number = |n: usize| JsValue::from_f64(n as f64);
    set("frame", number(shown.frame));
    set(
        "checksum",
        shown
            .checksum
            .map_or(JsValue::NULL, |c| JsValue::from_f64(f64::from(c))),
    );
    set(
        "band",
        shown
            .band
            .map_or(JsValue::NULL, |n| JsValue::from_f64(f64::from(n))),
    );
    set("frameCount", number(shown.frame_count));
    set("backend", JsValue::from_str(shown.backend));
    set("playing", JsValue::from_bool(shown.playing));
    set("liveFrames", number(shown.live_frames));
    set("cachedFrames", number(shown.cached_frames));
    set("cachedBytes", number(shown.cached_bytes));
    set("budget", number(shown.budget));
    set("decoding", JsValue::from_str(&shown.decoding));
}

/// Sets `liveFrames` alone (after a player is closed, nothing draws).
pub fn publish_live_frames(live: usize) {
    if let Some(hook) = hook() {
        let _ = Reflect::set(&hook, &"liveFrames".into(), &JsValue::from_f64(live as f64));
    }
}

/// Empties the playback log (when playback starts).
pub fn clear_log() {
    if let Some(log) = hook().and_then(|h| Reflect::get(&h, &"log".into()).ok()) {
        let _ = Reflect::set(&log, &"length".into(), &JsValue::from_f64(0.0));
    }
}

pub fn log(drawn: &Drawn) {
    let Some(log) = hook()
        .and_then(|h| Reflect::get(&h, &"log".into()).ok())
        .and_then(|l| l.dyn_into::<Array>().ok())
    else {
        return;
    };
    if log.length() >= LOG_LIMIT {
        return;
    }
    let entry = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&entry, &key.into(), &value);
    };
    set("frame", JsValue::from_f64(drawn.frame as f64));
    set(
        "band",
        drawn
            .band
            .map_or(JsValue::NULL, |n| JsValue::from_f64(f64::from(n))),
    );
    set("frameTime", JsValue::from_f64(drawn.frame_time_s));
    set(
        "audioTime",
        drawn.audio_time_s.map_or(JsValue::NULL, JsValue::from_f64),
    );
    set("at", JsValue::from_f64(drawn.at_ms));
    log.push(&entry);
}
