//! Two players side by side playing 1080p at 30 fps at the same time: every
//! frame drawn is timestamped and its number read back from its pixels, and
//! the rate is counted from those timestamps.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;

use super::stats::{PlaybackSummary, playback};
use crate::player::clock::now_ms;
use crate::player::controller::Controller;
use crate::player::probe::{Readback, Source};

type Draws = Rc<RefCell<Vec<(f64, usize, Option<u32>)>>>;

fn record(player: &Controller, readback: Rc<Readback>) -> Draws {
    let draws: Draws = Rc::default();
    let sink = Rc::clone(&draws);
    player.set_after_draw(Some(Box::new(move |canvas, frame| {
        let at = now_ms();
        let number = readback.band_number(Source::Canvas(canvas));
        sink.borrow_mut().push((at, frame, number));
    })));
    draws
}

/// Plays every player from frame 0 for `seconds`, then stops them.
pub async fn run(
    players: &[Rc<Controller>],
    readback: &Rc<Readback>,
    seconds: u32,
) -> Vec<PlaybackSummary> {
    for player in players {
        player.pause();
        player.seek(0);
        player.shown(0).await;
    }
    let draws: Vec<Draws> = players
        .iter()
        .map(|p| record(p, Rc::clone(readback)))
        .collect();
    for player in players {
        player.play(1.0);
    }
    TimeoutFuture::new(seconds * 1000).await;
    for player in players {
        player.pause();
        player.set_after_draw(None);
    }
    draws.iter().map(|d| playback(&d.borrow())).collect()
}
