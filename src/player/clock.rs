//! Time on the page: `performance.now()` and a future for the browser's next
//! rendering opportunity (`requestAnimationFrame`), which paces playback and
//! marks when a drawn canvas reaches the screen.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// Milliseconds since the page started, sub-millisecond where allowed.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Resolves in the next animation frame callback with its timestamp (ms).
pub async fn next_frame() -> f64 {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let Some(window) = web_sys::window() else {
            let _ = resolve.call1(&wasm_bindgen::JsValue::NULL, &now_ms().into());
            return;
        };
        let callback = Closure::once_into_js(move |time: f64| {
            let _ = resolve.call1(&wasm_bindgen::JsValue::NULL, &time.into());
        });
        let _ = window.request_animation_frame(callback.unchecked_ref());
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or_else(now_ms)
}
