//! The reference: a plain `HTMLVideoElement` seeked the way a web player
//! does it. Set `currentTime` to the middle of the wanted frame, wait for
//! `seeked`, then for `requestVideoFrameCallback`, which fires when the new
//! frame has been handed to the compositor: the same "on screen" moment as
//! our player's next animation frame after its draw.

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AddEventListenerOptions, HtmlVideoElement};

use crate::player::clock::now_ms;

/// How long one seek may take before it counts as failed.
const SEEK_TIMEOUT_MS: i32 = 5000;

/// A promise resolving on the element's next `name` event.
fn next_event(video: &HtmlVideoElement, name: &str) -> Promise {
    let video = video.clone();
    let name = name.to_string();
    Promise::new(&mut move |resolve, _| {
        let options = AddEventListenerOptions::new();
        options.set_once(true);
        let callback = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let _ = video.add_event_listener_with_callback_and_add_event_listener_options(
            &name,
            callback.unchecked_ref(),
            &options,
        );
    })
}

/// A promise resolving with the time (ms) at which the next video frame
/// was presented for composition.
fn next_presented(video: &HtmlVideoElement) -> Promise {
    let video = video.clone();
    Promise::new(&mut move |resolve, _| {
        let callback = Closure::once_into_js(move |_now: f64, _meta: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &now_ms().into());
        });
        let request = Reflect::get(&video, &"requestVideoFrameCallback".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        if let Some(request) = request {
            let _ = request.call1(&video, &callback);
        }
    })
}

fn timeout(ms: i32) -> Promise {
    Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    })
}

/// Waits until the whole clip is buffered (or 20 s pass), so that seeks
/// measure decoding and not the network, as for our player.
pub async fn until_buffered(video: &HtmlVideoElement) {
    let started = now_ms();
    while now_ms() - started < 20_000.0 {
        let buffered = video.buffered();
        let duration = video.duration();
        let whole = buffered.length() > 0
            && buffered
                .end(buffered.length() - 1)
                .is_ok_and(|end| duration.is_finite() && end >= duration - 0.05);
        if video.ready_state() >= 4 && whole {
            return;
        }
        let _ = JsFuture::from(timeout(50)).await;
    }
}

/// Seeks to `seconds` and returns the milliseconds until the new frame was
/// presented, or `None` if it never was within the timeout.
pub async fn seek(video: &HtmlVideoElement, seconds: f64) -> Option<f64> {
    let started = now_ms();
    // Both listeners go on before the seek starts, so neither can be missed.
    let presented = next_presented(video);
    let seeked = next_event(video, "seeked");
    video.set_current_time(seconds);
    let race = |p: &Promise| Promise::race(&Array::of2(p, &timeout(SEEK_TIMEOUT_MS)));
    JsFuture::from(race(&seeked)).await.ok()?;
    let at = JsFuture::from(race(&presented)).await.ok()?.as_f64()?;
    Some(at - started)
}
