//! Only the rows on screen exist: a list of fixed-height rows sits in one
//! box as tall as all of them, and the rows that overlap the window (a few
//! more each side) are the only ones built. The page scrolls as usual; the
//! window's scroll and resize move the range. Like the Library's card
//! window, but rows have one height, so no observer is needed.

use std::ops::Range;

use leptos::html;
use leptos::prelude::*;

use crate::campaign_view::visible_rows;

/// Rows kept beyond each edge of the screen.
const OVERSCAN: usize = 6;

/// The range of rows (of `row_h` pixels, `count` of them, laid out from the
/// top of `anchor`) that are on screen. `also` is tracked too: anything that
/// may move the list without a scroll (content above it changing).
pub fn use_rows_window(
    anchor: NodeRef<html::Div>,
    row_h: f64,
    count: Signal<usize>,
    also: impl Fn() + Send + Sync + 'static,
) -> Memo<Range<usize>> {
    let moved = RwSignal::new(0_u32);
    let bump = move || moved.update(|n| *n = n.wrapping_add(1));
    let scroll = window_event_listener(leptos::ev::scroll, move |_| bump());
    let resize = window_event_listener(leptos::ev::resize, move |_| bump());
    on_cleanup(move || {
        scroll.remove();
        resize.remove();
    });
    Memo::new(move |_| {
        moved.track();
        also();
        let count = count.get();
        let Some(element) = anchor.get() else {
            // Before the box exists: a screenful.
            return 0..count.min(16);
        };
        let top = element.get_bounding_client_rect().top();
        let viewport = web_sys::window()
            .and_then(|w| w.inner_height().ok())
            .and_then(|h| h.as_f64())
            .unwrap_or(900.0);
        visible_rows(top, viewport, row_h, count, OVERSCAN)
    })
}
