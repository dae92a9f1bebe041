//! `/bench/seek`: the page `cargo xtask bench seek` opens. It runs the whole
//! benchmark in the browser (timing in the page, where the frames are) and
//! publishes progress and the result as JSON on `window.__chorusBench`; the
//! table it shows is the one the command prints.
//!
//! Query: `clip` (24 fps seek clip), `play` (30 fps playback clip), `seeks`
//! (default 200), `seed`, `seconds` (playback run, default 10).

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;

use super::playback;
use super::seek;
use super::single::query;
use super::stats::{PlaybackSummary, SeekSummary, seek_targets};
use crate::player::Player;
use crate::player::clock::now_ms;
use crate::player::controller::Controller;
use crate::player::probe::Readback;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Seeks,
    Playback,
    Done,
}

#[derive(Serialize, Clone, Default)]
struct Report {
    status: &'static str,
    step: String,
    backend: String,
    frames: usize,
    fps: f64,
    /// From opening our player until its cache held the whole clip.
    warm_ms: f64,
    cached_frames: usize,
    cached_bytes: usize,
    ours: SeekSummary,
    video: SeekSummary,
    playback_warm_ms: Vec<f64>,
    playback: Vec<PlaybackSummary>,
    playback_seconds: u32,
    error: Option<String>,
}

fn publish(report: &Report) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(json) = serde_json::to_string(report) {
        let _ = js_sys::Reflect::set(&window, &"__chorusBench".into(), &json.into());
    }
}

/// Waits for the player to be handed over by its `on_open`.
async fn opened(slot: StoredValue<Vec<(Rc<Controller>, f64)>, LocalStorage>, count: usize) {
    while slot.with_value(Vec::len) < count {
        TimeoutFuture::new(50).await;
    }
}

/// Waits until the player's cache holds the whole clip (or stops growing
/// for 3 s, when the budget is smaller); returns ms since it opened.
async fn warm(player: &Controller, opened_ms: f64) -> f64 {
    let total = player.engine.frame_count();
    let (mut last, mut since) = (0, now_ms());
    loop {
        let frames = player.engine.cache_stats().frames;
        if frames >= total {
            break;
        }
        if frames != last {
            (last, since) = (frames, now_ms());
        } else if now_ms() - since > 3000.0 {
            break;
        }
        TimeoutFuture::new(20).await;
    }
    now_ms() - opened_ms
}

#[component]
pub fn BenchSeekPage() -> impl IntoView {
    let clip = query("clip").unwrap_or_else(|| "/bench-seek-24.mp4".into());
    let play_clip = query("play").unwrap_or_else(|| "/bench-play-30.mp4".into());
    let seeks: usize = query("seeks").and_then(|s| s.parse().ok()).unwrap_or(200);
    let seed: u64 = query("seed").and_then(|s| s.parse().ok()).unwrap_or(4);
    let seconds: u32 = query("seconds").and_then(|s| s.parse().ok()).unwrap_or(10);

    let phase = RwSignal::new(Phase::Seeks);
    let report = RwSignal::new(Report {
        status: "running",
        step: "opening the clip".into(),
        playback_seconds: seconds,
        ..Report::default()
    });
    let seek_player = StoredValue::new_local(Vec::<(Rc<Controller>, f64)>::new());
    let play_players = StoredValue::new_local(Vec::<(Rc<Controller>, f64)>::new());
    let video_ref = NodeRef::<html::Video>::new();
    let update = move |change: &dyn Fn(&mut Report)| {
        report.update(|r| change(r));
        publish(&report.get_untracked());
    };

    spawn_local(async move {
        let Some(readback) = Readback::new().map(Rc::new) else {
            return update(&|r| {
                r.status = "error";
                r.error = Some("no 2D canvas to read pixels back".into());
            });
        };
        opened(seek_player, 1).await;
        let Some((player, opened_ms)) = seek_player.with_value(|p| p.first().cloned()) else {
            return;
        };
        update(&|r| r.step = "decoding the clip in the background".into());
        let warm_ms = warm(&player, opened_ms).await;
        let stats = player.engine.cache_stats();
        let frames = player.engine.frame_count();
        let fps = player.engine.fps();
        let backend = player.backend().to_string();
        update(&|r| {
            r.warm_ms = warm_ms;
            r.frames = frames;
            r.fps = fps;
            r.backend.clone_from(&backend);
            r.cached_frames = stats.frames;
            r.cached_bytes = stats.bytes;
        });
        let targets = seek_targets(seed, seeks, frames, 0);
        let ours = seek::ours(&player, Rc::clone(&readback), &targets, &|n| {
            update(&|r| r.step = format!("our player: seek {n} of {seeks}"));
        })
        .await;
        update(&|r| r.ours = ours.clone());
        let Some(video) = video_ref.get_untracked() else {
            return;
        };
        let reference = seek::reference(&video, &readback, fps, &targets, &|n| {
            update(&|r| r.step = format!("<video>: seek {n} of {seeks}"));
        })
        .await;
        update(&|r| {
            r.video = reference.clone();
            r.step = "two players: decoding".into();
        });

        // Free the seek clip's frames before two more takes are decoded.
        phase.set(Phase::Playback);
        opened(play_players, 2).await;
        let players: Vec<(Rc<Controller>, f64)> = play_players.get_value();
        let mut warm_times = Vec::new();
        for (p, at) in &players {
            warm_times.push(warm(p, *at).await);
        }
        update(&|r| {
            r.playback_warm_ms.clone_from(&warm_times);
            r.step = format!("two players: playing for {seconds} s");
        });
        let controllers: Vec<Rc<Controller>> = players.into_iter().map(|(p, _)| p).collect();
        let results = playback::run(&controllers, &readback, seconds).await;
        update(&|r| {
            r.playback.clone_from(&results);
            r.status = "done";
            r.step = "done".into();
        });
        phase.set(Phase::Done);
    });

    let hand_to = move |slot: StoredValue<Vec<(Rc<Controller>, f64)>, LocalStorage>| {
        UnsyncCallback::new(move |player: Rc<Controller>| {
            slot.update_value(|v| v.push((player, now_ms())));
        })
    };
    let seek_clip = clip.clone();

    view! {
        <div class="bench" data-testid="bench-page">
            <header class="page-head">
                <h1>"Seek benchmark"</h1>
                <p class="page-sub">{move || report.with(|r| r.step.clone())}</p>
            </header>
            {move || match phase.get() {
                Phase::Seeks => view! {
                    <div class="bench-panes">
                        <figure>
                            <Player src=seek_clip.clone() width=1920 height=1080 label="Chorus".to_string() muted=true on_open=hand_to(seek_player) />
                            <figcaption>"Chorus player"</figcaption>
                        </figure>
                        <figure>
                            <video node_ref=video_ref src=seek_clip.clone() muted=true preload="auto" playsinline=true class="bench-video"></video>
                            <figcaption>"HTMLVideoElement"</figcaption>
                        </figure>
                    </div>
                }.into_any(),
                Phase::Playback | Phase::Done => view! {
                    <div class="bench-panes">
                        <Player src=play_clip.clone() width=1920 height=1080 label="Left".to_string() muted=true on_open=hand_to(play_players) />
                        <Player src=play_clip.clone() width=1920 height=1080 label="Right".to_string() muted=true on_open=hand_to(play_players) />
                    </div>
                }.into_any(),
            }}
            <Results report=report />
        </div>
    }
}

#[component]
fn Results(report: RwSignal<Report>) -> impl IntoView {
    let row = |name: &'static str, s: &SeekSummary| {
        let exact = if s.seeks == 0 {
            0.0
        } else {
            s.exact as f64 * 100.0 / s.seeks as f64
        };
        view! {
            <tr>
                <th>{name}</th>
                <td>{format!("{:.1}", s.p50_ms)}</td>
                <td>{format!("{:.1}", s.p95_ms)}</td>
                <td>{format!("{:.1} % ({}/{})", exact, s.exact, s.seeks)}</td>
            </tr>
        }
    };
    view! {
        <table class="bench-table" data-testid="bench-table">
            <thead>
                <tr><th>"seek-to-frame-on-screen"</th><th>"p50 ms"</th><th>"p95 ms"</th><th>"exact frame (pixels)"</th></tr>
            </thead>
            <tbody>
                {move || report.with(|r| view! {
                    {row("Chorus player", &r.ours)}
                    {row("HTMLVideoElement", &r.video)}
                })}
            </tbody>
        </table>
        <p class="hint">{move || report.with(|r| {
            let fps: Vec<String> = r.playback.iter().map(|p| format!("{:.1}", p.fps)).collect();
            let total: f64 = r.playback.iter().map(|p| p.fps).sum();
            (!fps.is_empty()).then(|| format!(
                "Two players playing: {} new frames per second ({total:.1} together).",
                fps.join(" + "),
            ))
        })}</p>
    }
}
