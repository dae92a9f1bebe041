//! The `Player` component: the canvas, its overlay, the transport row and
//! the timeline, and the keyboard. Mounting it fetches the index and draws
//! frame 0; unmounting drops the decoder (closing it) and every cached frame.

use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::KeyboardEvent;

use super::audio::Sound;
use super::controller::{Controller, PlayerState};
use super::engine::Engine;
use super::keys::{Command, command_for, next_speed};
use super::render::Renderer;
use super::timeline::Timeline;

/// What the view needs once the file is open.
#[derive(Clone)]
struct Loaded {
    frame_count: usize,
    fps: f64,
    keyframes: Vec<usize>,
    backend: &'static str,
    width: u32,
    height: u32,
}

#[component]
pub fn Player(
    /// URL of the MP4 (the server's asset endpoint, which answers Range).
    src: String,
    /// The picture's size, known from the job before the index loads.
    width: u32,
    height: u32,
    /// What this take is, for screen readers ("German take").
    label: String,
) -> impl IntoView {
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let state = PlayerState::new();
    let controller = StoredValue::new_local(None::<Rc<Controller>>);
    let loaded = RwSignal::new(None::<Loaded>);
    let peaks = RwSignal::new(Vec::<f32>::new());

    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        let src = src.clone();
        spawn_local(async move {
            let engine = match Engine::open(&src).await {
                Ok(engine) => engine,
                Err(why) => return state.error.set(Some(why)),
            };
            let (w, h) = (engine.track.width.max(1), engine.track.height.max(1));
            canvas.set_width(w);
            canvas.set_height(h);
            let renderer = match Renderer::new(canvas.clone()).await {
                Ok(renderer) => renderer,
                Err(why) => return state.error.set(Some(why)),
            };
            let player = Controller::new(engine, renderer, canvas, state);
            loaded.set(Some(Loaded {
                frame_count: player.engine.frame_count(),
                fps: player.engine.fps(),
                keyframes: player.engine.keyframe_frames(),
                backend: player.backend(),
                width: w,
                height: h,
            }));
            player.seek(0);
            controller.set_value(Some(Rc::clone(&player)));
            // Sound comes second: the first frame must not wait for it.
            if let Some((sound, waveform)) = Sound::load(&src).await {
                player.set_sound(sound);
                peaks.set(waveform);
            }
        });
    });

    let with_player = move |f: &dyn Fn(&Rc<Controller>)| {
        controller.with_value(|c| {
            if let Some(c) = c {
                f(c);
            }
        });
    };
    let apply = move |command: Command| {
        with_player(&|p| run(p, state, command));
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        if let Some(command) = command_for(&ev.key(), ev.shift_key()) {
            ev.prevent_default();
            apply(command);
        }
    };
    let seek = Callback::new(move |frame: usize| {
        with_player(&|p| {
            p.pause();
            p.seek(frame);
        });
    });

    let frame_count =
        Signal::derive(move || loaded.with(|l| l.as_ref().map_or(0, |l| l.frame_count)));
    let fps = move || loaded.with(|l| l.as_ref().map_or(30.0, |l| l.fps));
    let timecode = move || {
        let frame = state.playhead.get();
        controller.with_value(|c| {
            c.as_ref()
                .and_then(|c| c.engine.track.frame_timecode(frame))
                .map_or_else(|| "--:--:--:--".to_string(), |t| t.to_string())
        })
    };
    let playing = move || state.speed.get() != 0.0;
    let aspect = format!("aspect-ratio: {width} / {height}");
    let keyframes = Signal::derive(move || {
        loaded.with(|l| l.as_ref().map(|l| l.keyframes.clone()).unwrap_or_default())
    });

    view! {
        <div
            class="player"
            tabindex="0"
            role="group"
            aria-label=format!("{label} player")
            aria-keyshortcuts="Space J K L ArrowLeft ArrowRight Home End I O"
            data-testid="player"
            data-frame=move || state.shown.get().map(|f| f.to_string())
            data-checksum=move || state.checksum.get().map(|c| c.to_string())
            data-backend=move || loaded.with(|l| l.as_ref().map(|l| l.backend))
            data-frame-count=move || frame_count.get().to_string()
            on:keydown=on_keydown
        >
            <div class="player-screen" style=aspect>
                <canvas node_ref=canvas_ref width=width height=height data-testid="player-canvas"></canvas>
                <div class="player-overlay" data-testid="player-overlay" aria-hidden="true">
                    <span class="player-backend">{move || loaded.with(|l| l.as_ref().map_or("loading…", |l| l.backend))}</span>
                    <span>{move || loaded.with(|l| l.as_ref().map(|l| format!("{}×{} · {:.3} fps", l.width, l.height, l.fps)))}</span>
                    <span>{move || {
                        let speed = state.speed.get();
                        (speed != 0.0 && (speed - 1.0).abs() > f64::EPSILON).then(|| format!("{speed:+}×"))
                    }}</span>
                </div>
                {move || state.error.get().map(|why| view! { <p class="player-error" role="alert">{why}</p> })}
            </div>
            <div class="player-transport">
                <TransportButtons playing=Signal::derive(playing) on_command=Callback::new(apply) play_id="player-play" />
                <span class="player-timecode" data-testid="player-timecode">{timecode}</span>
                <span class="player-frame" data-testid="player-frame">
                    {move || format!("F {} / {}", state.playhead.get(), frame_count.get().saturating_sub(1))}
                </span>
                <span class="player-marks">
                    {move || state.mark_in.get().map(|f| format!("IN {f}"))}
                    " "
                    {move || state.mark_out.get().map(|f| format!("OUT {f}"))}
                </span>
                <span class="player-keys" aria-hidden="true">"J K L · ← → · I O"</span>
                <span class="player-fps">{move || format!("{:.2} fps", fps())}</span>
            </div>
            <Timeline
                frame_count=frame_count
                playhead=state.playhead
                mark_in=state.mark_in
                mark_out=state.mark_out
                keyframes=keyframes
                peaks=peaks.into()
                on_seek=seek
            />
        </div>
    }
}

/// Previous frame, play/pause and next frame: the transport buttons every
/// player-like view shows; `play_id` names the play button for tests.
#[component]
pub(crate) fn TransportButtons(
    playing: Signal<bool>,
    on_command: Callback<Command>,
    play_id: &'static str,
) -> impl IntoView {
    view! {
        <button type="button" class="player-button" title="Previous frame (←)" aria-label="Previous frame"
            on:click=move |_| on_command.run(Command::Step(-1))>
            <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 3h2v10H4zM13 3v10L7 8z"></path></svg>
        </button>
        <button type="button" class="player-button play" data-testid=play_id
            title="Play / pause (Space)" aria-label=move || if playing.get() { "Pause" } else { "Play" }
            on:click=move |_| on_command.run(Command::TogglePlay)>
            {move || if playing.get() {
                view! { <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 3h3v10H4zM9 3h3v10H9z"></path></svg> }
            } else {
                view! { <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 2.5v11L13 8z"></path></svg> }
            }}
        </button>
        <button type="button" class="player-button" title="Next frame (→)" aria-label="Next frame"
            on:click=move |_| on_command.run(Command::Step(1))>
            <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M10 3h2v10h-2zM3 3v10l6-5z"></path></svg>
        </button>
    }
}

/// Carries out one keyboard or button command.
fn run(player: &Rc<Controller>, state: PlayerState, command: Command) {
    let fps = player.engine.fps().round() as i64;
    let playhead = state.playhead.get_untracked();
    match command {
        Command::TogglePlay => {
            if state.speed.get_untracked() == 0.0 {
                player.play(1.0);
            } else {
                player.pause();
            }
        }
        Command::ShuttleBack | Command::ShuttleForward => {
            let speed = next_speed(
                state.speed.get_untracked(),
                command == Command::ShuttleForward,
            );
            player.play(speed);
        }
        Command::ShuttleStop => player.pause(),
        Command::Step(frames) => player.step(frames),
        Command::StepSeconds(seconds) => player.step(seconds * fps),
        Command::First => {
            player.pause();
            player.seek(0);
        }
        Command::Last => {
            player.pause();
            player.seek(player.last_frame());
        }
        Command::MarkIn => {
            state.mark_in.set(Some(playhead));
            if state
                .mark_out
                .get_untracked()
                .is_some_and(|out| out < playhead)
            {
                state.mark_out.set(None);
            }
        }
        Command::MarkOut => {
            state.mark_out.set(Some(playhead));
            if state.mark_in.get_untracked().is_some_and(|i| i > playhead) {
                state.mark_in.set(None);
            }
        }
        Command::ClearMarks => {
            state.mark_in.set(None);
            state.mark_out.set(None);
        }
    }
}
