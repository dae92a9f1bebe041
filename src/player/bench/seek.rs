//! The two seek runs: the same random targets through our player and
//! through a `<video>` element, timed from the request until the frame is
//! on screen, and checked against the frame number read from the pixels.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlVideoElement;

use super::stats::{SeekSummary, summarise};
use super::video;
use crate::player::clock::{next_frame, now_ms};
use crate::player::controller::Controller;
use crate::player::probe::{Readback, Source};

/// What the draw hook saw for the last frame: its number in the pixels and
/// how long reading them took (taken off the latency: it is our
/// measurement, not the player's work).
#[derive(Default, Clone, Copy)]
pub struct Seen {
    pub number: Option<u32>,
    pub readback_ms: f64,
}

/// Installs a draw hook on `player` that reads each drawn frame's number.
pub fn watch(player: &Controller, readback: Rc<Readback>) -> Rc<RefCell<Seen>> {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let sink = Rc::clone(&seen);
    player.set_after_draw(Some(Box::new(move |canvas, _frame| {
        let started = now_ms();
        let number = readback.band_number(Source::Canvas(canvas));
        *sink.borrow_mut() = Seen {
            number,
            readback_ms: now_ms() - started,
        };
    })));
    seen
}

/// Our player: seek, wait for the draw, then for the next animation frame
/// (when the browser puts the canvas on screen).
pub async fn ours(
    player: &Rc<Controller>,
    readback: Rc<Readback>,
    targets: &[usize],
    progress: &dyn Fn(usize),
) -> SeekSummary {
    let seen = watch(player, readback);
    let mut latencies = Vec::with_capacity(targets.len());
    let mut shown = Vec::with_capacity(targets.len());
    for (i, &target) in targets.iter().enumerate() {
        player.pause();
        let started = now_ms();
        player.seek(target);
        player.shown(target).await;
        next_frame().await;
        let on_screen = now_ms();
        let seen = *seen.borrow();
        latencies.push(on_screen - started - seen.readback_ms);
        shown.push(seen.number);
        progress(i + 1);
    }
    player.set_after_draw(None);
    summarise(&latencies, targets, &shown)
}

/// The `<video>` element: the middle of each frame's time span, then
/// `seeked` and `requestVideoFrameCallback`; the pixels are read after.
pub async fn reference(
    video_element: &HtmlVideoElement,
    readback: &Readback,
    fps: f64,
    targets: &[usize],
    progress: &dyn Fn(usize),
) -> SeekSummary {
    video::until_buffered(video_element).await;
    let mut latencies = Vec::with_capacity(targets.len());
    let mut shown = Vec::with_capacity(targets.len());
    for (i, &target) in targets.iter().enumerate() {
        let seconds = (target as f64 + 0.5) / fps;
        if let Some(ms) = video::seek(video_element, seconds).await {
            latencies.push(ms);
            shown.push(readback.band_number(Source::Video(video_element)));
        } else {
            // Never presented: the worst latency we allow, not exact.
            latencies.push(f64::from(5000));
            shown.push(None);
        }
        progress(i + 1);
    }
    summarise(&latencies, targets, &shown)
}
