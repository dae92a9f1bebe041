//! A small drawing of the frame's shape with its exact pixel size, so "9:16"
//! needs no mental arithmetic.

use chorus_core::{AspectRatio, Resolution};
use leptos::prelude::*;

/// Box size for `ratio` fitted inside `max`×`max` CSS pixels.
pub fn fitted(ratio: AspectRatio, max: f64) -> (f64, f64) {
    let (w, h) = ratio.ratio();
    let (w, h) = (f64::from(w), f64::from(h));
    let scale = max / w.max(h);
    (w * scale, h * scale)
}

#[component]
pub fn AspectPreview(ratio: Memo<AspectRatio>, resolution: Memo<Resolution>) -> impl IntoView {
    let style = move || {
        let (w, h) = fitted(ratio.get(), 88.0);
        format!("width:{w:.0}px;height:{h:.0}px")
    };
    let size = move || {
        let (w, h) = ratio.get().dimensions(resolution.get());
        format!("{w} × {h}")
    };
    view! {
        <div class="aspect-preview" aria-hidden="true">
            <div class="aspect-frame" style=style>
                <span>{move || ratio.get().label()}</span>
            </div>
        </div>
        <p class="aspect-size" data-testid="frame-size">{size}" px"</p>
    }
}
