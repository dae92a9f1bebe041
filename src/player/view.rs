//! The `Player` component: one screen under a transport, its overlay, the
//! transport row and the timeline, and the keyboard. Mounting it fetches
//! the index and draws frame 0; unmounting drops the decoder (closing it)
//! and every cached frame.

use std::rc::{Rc, Weak};

use gloo_timers::future::TimeoutFuture;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::KeyboardEvent;

use super::audio;
use super::frames::{Fill, FrameSource};
use super::live::{Live, command_of, live};
use super::probe::{Shown, publish};
use super::screen::CanvasScreen;
use super::timeline::Timeline;
use super::transport::Status;
use super::transport_bar::TransportBar;

/// What the view needs once the file is open.
#[derive(Clone)]
struct Loaded {
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
    /// The page's hold on the player: frame, marks, seeking, markers.
    #[prop(optional)]
    link: Option<super::PlayerLink>,
    /// Drawn over the picture (a review's shapes), sized to it.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let loaded = RwSignal::new(None::<Loaded>);
    let peaks = RwSignal::new(Vec::<f32>::new());
    let fill = RwSignal::new(Fill::Off);
    let (transport, state) = live(1, move |status: &Status| {
        if let (Some(Some(frame)), Some(checksum)) =
            (status.shown.first(), status.checksums.first())
        {
            publish(&Shown {
                frame: *frame,
                checksum: *checksum,
                frame_count: status.frame_count,
                backend: loaded.with_untracked(|l| l.as_ref().map_or("", |l| l.backend)),
                playing: status.playing(),
            });
        }
    });
    let transport = StoredValue::new_local(transport);

    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        let src = src.clone();
        spawn_local(async move {
            let screen = match CanvasScreen::open(&src, canvas).await {
                Ok(screen) => Rc::new(screen),
                Err(why) => return state.error.set(Some(why)),
            };
            loaded.set(Some(Loaded {
                keyframes: screen.frames.keyframe_frames(),
                backend: screen.backend(),
                width: screen.frames.track.width,
                height: screen.frames.track.height,
            }));
            let Some(player) = transport.try_get_value() else {
                return;
            };
            spawn_local(follow_fill(Rc::downgrade(&screen.frames), fill));
            player.set_screen(0, Some(screen));
            // Sound comes second: the first frame must not wait for it.
            let mut context = None;
            player.with_sound(|mix| context = Some(mix.context().clone()));
            if let Some(context) = context
                && let Some((buffer, waveform)) = audio::load(&src, &context).await
            {
                player.with_sound(|mix| mix.set_buffer(0, buffer));
                peaks.set(waveform);
            }
        });
    });
    on_cleanup(move || {
        transport.try_with_value(|t| t.pause());
    });

    let with_player = move |f: &dyn Fn(&Rc<Live>)| transport.with_value(|t| f(t));
    if let Some(link) = link {
        Effect::new(move |_| link.frame.set(state.playhead.get()));
        Effect::new(move |_| link.frame_count.set(state.frame_count.get()));
        Effect::new(move |_| link.mark_in.set(state.mark_in.get()));
        Effect::new(move |_| link.mark_out.set(state.mark_out.get()));
        Effect::new(move |_| {
            if let Some(frame) = link.seek.get() {
                link.seek.set(None);
                with_player(&|p| {
                    p.pause();
                    p.seek(frame);
                });
            }
        });
        Effect::new(move |_| {
            if let Some(command) = link.command.get() {
                link.command.set(None);
                with_player(&|p| p.apply(command));
            }
        });
        Effect::new(move |_| {
            if link.clear_marks.get() {
                link.clear_marks.set(false);
                with_player(&|p| p.apply(super::keys::Command::ClearMarks));
            }
        });
    }
    let markers = Signal::derive(move || link.map(|l| l.markers.get()).unwrap_or_default());
    let on_marker = Callback::new(move |id: String| {
        let Some(link) = link else { return };
        let frame = link
            .markers
            .with_untracked(|m| m.iter().find(|m| m.id == id).map(|m| m.frame));
        link.picked.set(Some(id));
        if let Some(frame) = frame {
            link.seek.set(Some(frame));
        }
    });
    let on_keydown = move |ev: KeyboardEvent| {
        if let Some(command) = command_of(&ev) {
            ev.prevent_default();
            with_player(&|p| p.apply(command));
        }
    };
    let seek = Callback::new(move |frame: usize| with_player(&|p| p.scrub(frame)));
    let on_command = Callback::new(move |command| with_player(&|p| p.apply(command)));

    let frame_count = Signal::derive(move || state.frame_count.get());
    let timecode = Signal::derive(move || {
        let frame = state.playhead.get();
        state.frame_count.track();
        transport.with_value(|t| {
            t.first_screen()
                .and_then(|s| s.frames.track.frame_timecode(frame))
                .map_or_else(|| "--:--:--:--".to_string(), |t| t.to_string())
        })
    });
    let detail = Signal::derive(move || format!("{:.2} fps", state.fps.get()));
    let aspect = format!("aspect-ratio: {width} / {height}");
    let keyframes = Signal::derive(move || {
        loaded.with(|l| l.as_ref().map(|l| l.keyframes.clone()).unwrap_or_default())
    });
    let shown = move || state.shown.with(|s| s.first().copied().flatten());
    let checksum = move || state.checksums.with(|s| s.first().copied().flatten());

    view! {
        <div
            class="player"
            tabindex="0"
            role="group"
            aria-label=format!("{label} player")
            aria-keyshortcuts="Space J K L ArrowLeft ArrowRight Home End I O"
            data-testid="player"
            data-frame=move || shown().map(|f| f.to_string())
            data-checksum=move || checksum().map(|c| c.to_string())
            data-backend=move || loaded.with(|l| l.as_ref().map(|l| l.backend))
            data-frame-count=move || frame_count.get().to_string()
            data-fill=move || fill.get().to_string()
            on:keydown=on_keydown
        >
            <div class="player-screen" style=aspect>
                <canvas node_ref=canvas_ref width=width height=height data-testid="player-canvas"></canvas>
                <div class="player-overlay" data-testid="player-overlay" aria-hidden="true">
                    <span class="player-backend">{move || loaded.with(|l| l.as_ref().map_or("loading…", |l| l.backend))}</span>
                    <span>{move || loaded.with(|l| l.as_ref().map(|l| format!("{}×{} · {:.3} fps", l.width, l.height, state.fps.get())))}</span>
                    <span>{move || {
                        let speed = state.speed.get();
                        (speed != 0.0 && (speed - 1.0).abs() > f64::EPSILON).then(|| format!("{speed:+}×"))
                    }}</span>
                </div>
                {children.map(|c| view! { <div class="player-layer">{c()}</div> })}
                {move || state.error.get().map(|why| view! { <p class="player-error" role="alert">{why}</p> })}
            </div>
            <TransportBar state on_command name="player" timecode detail />
            <Timeline
                frame_count=frame_count
                playhead=state.playhead
                mark_in=state.mark_in
                mark_out=state.mark_out
                keyframes=keyframes
                peaks=peaks.into()
                decoded=Signal::derive(move || match fill.get() {
                    Fill::Running(frames) => frames,
                    Fill::Done(_) => frame_count.get(),
                    Fill::Off | Fill::Failed => 0,
                })
                on_seek=seek
                markers
                on_marker
            />
        </div>
    }
}

/// Mirrors a screen's whole-take fill into `fill` until it ends (or the
/// screen goes).
pub(crate) async fn follow_fill(frames: Weak<FrameSource>, fill: RwSignal<Fill>) {
    loop {
        let Some(state) = frames.upgrade().map(|f| f.fill_state()) else {
            return;
        };
        if fill.try_set(state).is_some() || !matches!(state, Fill::Running(_)) {
            return;
        }
        TimeoutFuture::new(200).await;
    }
}

