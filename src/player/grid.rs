//! `PlayerGrid`: several takes under one transport, in lockstep: the same
//! transport, screens and sound clock as the compare view, without its
//! measuring and corrections (what a review page shows its client). One
//! take is heard at a time; clicking a screen's name picks which.

use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::KeyboardEvent;

use super::audio;
use super::live::{Live, command_of, live};
use super::screen::CanvasScreen;
use super::timeline::Timeline;
use super::transport_bar::TransportBar;

/// One screen of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridTake {
    pub src: String,
    pub label: String,
    pub width: u32,
    pub height: u32,
}

#[component]
pub fn PlayerGrid(takes: Vec<GridTake>) -> impl IntoView {
    let count = takes.len();
    let (transport, state) = live(count, |_| {});
    let transport = StoredValue::new_local(transport);
    let heard = RwSignal::new(0_usize);
    let with_player = move |f: &dyn Fn(&Rc<Live>)| transport.with_value(|t| f(t));
    Effect::new(move |_| {
        let heard = heard.get();
        let audible: Vec<bool> = (0..count).map(|i| i == heard).collect();
        with_player(&|p| p.with_sound(|mix| mix.set_audible(&audible)));
    });
    on_cleanup(move || {
        transport.try_with_value(|t| t.pause());
    });
    let on_command = Callback::new(move |command| with_player(&|p| p.apply(command)));
    let on_keydown = move |ev: KeyboardEvent| {
        if let Some(command) = command_of(&ev) {
            ev.prevent_default();
            on_command.run(command);
        }
    };
    let seek = Callback::new(move |frame: usize| with_player(&|p| p.scrub(frame)));
    let frame_count = Signal::derive(move || state.frame_count.get());
    let timecode = Signal::derive(move || {
        let frame = state.playhead.get();
        state.frame_count.track();
        transport
            .with_value(|t| t.first_screen().and_then(|s| s.frames.track.frame_timecode(frame)))
            .map_or_else(|| "--:--:--:--".to_string(), |t| t.to_string())
    });
    let detail = Signal::derive(move || format!("{count} takes in lockstep"));
    let screens = takes.into_iter().enumerate().map(|(index, take)| {
        let canvas_ref = NodeRef::<html::Canvas>::new();
        let error = RwSignal::new(None::<String>);
        let src = take.src.clone();
        Effect::new(move |_| {
            let Some(canvas) = canvas_ref.get() else {
                return;
            };
            let src = src.clone();
            spawn_local(async move {
                let screen = match CanvasScreen::open(&src, canvas).await {
                    Ok(screen) => Rc::new(screen),
                    Err(why) => return error.set(Some(why)),
                };
                let Some(player) = transport.try_get_value() else {
                    return;
                };
                player.set_screen(index, Some(screen));
                let mut context = None;
                player.with_sound(|mix| context = Some(mix.context().clone()));
                if let Some(context) = context
                    && let Some((buffer, _)) = audio::load(&src, &context).await
                {
                    player.with_sound(|mix| mix.set_buffer(index, buffer));
                }
            });
        });
        let aspect = format!("aspect-ratio: {} / {}", take.width.max(1), take.height.max(1));
        view! {
            <figure class="grid-screen" data-testid="grid-screen">
                <div class="player-screen" style=aspect>
                    <canvas node_ref=canvas_ref width=take.width height=take.height></canvas>
                    {move || error.get().map(|why| view! { <p class="player-error" role="alert">{why}</p> })}
                </div>
                <figcaption>
                    <button type="button" class="button small" class:active=move || heard.get() == index
                        aria-pressed=move || (heard.get() == index).to_string()
                        title="Hear this take" on:click=move |_| heard.set(index)>
                        {take.label.clone()}
                    </button>
                </figcaption>
            </figure>
        }
    }).collect_view();

    view! {
        <div class="player player-grid" tabindex="0" role="group" aria-label="Takes in lockstep"
            aria-keyshortcuts="Space J K L ArrowLeft ArrowRight Home End I O"
            data-testid="player-grid" on:keydown=on_keydown>
            <div class=format!("grid-screens count-{count}")>{screens}</div>
            <TransportBar state on_command name="grid" timecode detail />
            <Timeline
                frame_count=frame_count
                playhead=state.playhead
                mark_in=state.mark_in
                mark_out=state.mark_out
                keyframes=Signal::derive(Vec::new)
                peaks=Signal::derive(Vec::new)
                on_seek=seek
            />
        </div>
    }
}
