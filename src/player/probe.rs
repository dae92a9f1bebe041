//! The test hook: what the player shows, checked from the pixels on screen.
//! After each draw the canvas is copied into a small 2D canvas and hashed;
//! the frame number and hash are published on `window.__chorusPlayer` and
//! as data attributes on the player.
//!
//! Reading pixels back in the task that drew them makes the page's thread
//! wait for the GPU to finish the picture (about 8 ms at 640×360 on a
//! software GPU), so the hash is taken only when the page asks for it:
//! `window.__chorusProbe = true` before the app starts, as the browser
//! tests do. The frame number is always published.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Width of the hashed copy: small enough to hash every frame during
/// playback, large enough that neighbouring frames of a talking head differ.
const PROBE_WIDTH: u32 = 192;

pub struct Probe {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
}

impl Probe {
    /// A probe when the page asked for one (`window.__chorusProbe`).
    pub fn new() -> Option<Self> {
        let window = web_sys::window()?;
        if Reflect::get(&window, &"__chorusProbe".into()).ok()? != JsValue::TRUE {
            return None;
        }
        let canvas: HtmlCanvasElement = window
            .document()?
            .create_element("canvas")
            .ok()?
            .dyn_into()
            .ok()?;
        let options = Object::new();
        // Read back every frame: keep the bitmap on the CPU side.
        Reflect::set(&options, &"willReadFrequently".into(), &JsValue::TRUE).ok()?;
        let context = canvas
            .get_context_with_context_options("2d", &options)
            .ok()??
            .dyn_into()
            .ok()?;
        Some(Self { canvas, context })
    }

    /// FNV-1a over the RGBA bytes of a downscaled copy of `source`.
    pub fn checksum(&self, source: &HtmlCanvasElement) -> Option<u32> {
        let (w, h) = (source.width().max(1), source.height().max(1));
        let probe_h = (u64::from(PROBE_WIDTH) * u64::from(h) / u64::from(w)).max(1) as u32;
        if self.canvas.width() != PROBE_WIDTH || self.canvas.height() != probe_h {
            self.canvas.set_width(PROBE_WIDTH);
            self.canvas.set_height(probe_h);
        }
        // Nearest-neighbour scaling keeps the copy exact and repeatable.
        self.context.set_image_smoothing_enabled(false);
        self.context
            .draw_image_with_html_canvas_element_and_dw_and_dh(
                source,
                0.0,
                0.0,
                f64::from(PROBE_WIDTH),
                f64::from(probe_h),
            )
            .ok()?;
        let pixels = self
            .context
            .get_image_data(0, 0, PROBE_WIDTH as i32, probe_h as i32)
            .ok()?
            .data();
        let mut hash: u32 = 0x811c_9dc5;
        for byte in pixels.iter() {
            hash ^= u32::from(*byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        Some(hash)
    }
}

/// What tests read on `window.__chorusPlayer`: the page's active player.
pub struct Shown<'a> {
    pub frame: usize,
    pub checksum: Option<u32>,
    pub frame_count: usize,
    pub backend: &'a str,
    pub playing: bool,
}

pub fn publish(shown: &Shown<'_>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hook = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&hook, &key.into(), &value);
    };
    set("frame", JsValue::from_f64(shown.frame as f64));
    set(
        "checksum",
        shown
            .checksum
            .map_or(JsValue::NULL, |c| JsValue::from_f64(f64::from(c))),
    );
    set("frameCount", JsValue::from_f64(shown.frame_count as f64));
    set("backend", JsValue::from_str(shown.backend));
    set("playing", JsValue::from_bool(shown.playing));
    let _ = Reflect::set(&window, &"__chorusPlayer".into(), &hook);
}
