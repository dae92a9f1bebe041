//! The transport row every player-like view shows: previous frame, play and
//! next frame, the timecode and frame number, the in and out marks, the
//! keys, and a detail on the right (the rate, or the drawing backend).

use leptos::prelude::*;

use super::keys::Command;
use super::live::TransportState;

#[component]
pub fn TransportBar(
    state: TransportState,
    on_command: Callback<Command>,
    /// `player` or `compare`: the prefix of the test ids.
    name: &'static str,
    /// `HH:MM:SS:FF` of the playhead.
    timecode: Signal<String>,
    detail: Signal<String>,
    /// Errors show in the row (the compare view) rather than on the screen.
    #[prop(optional)]
    errors_here: bool,
) -> impl IntoView {
    let playing = move || state.playing();
    view! {
        <div class=format!("player-transport {name}-transport")>
            <button type="button" class="player-button" title="Previous frame (←)" aria-label="Previous frame"
                on:click=move |_| on_command.run(Command::Step(-1))>
                <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 3h2v10H4zM13 3v10L7 8z"></path></svg>
            </button>
            <button type="button" class="player-button play" data-testid=format!("{name}-play")
                title="Play / pause (Space)" aria-label=move || if playing() { "Pause" } else { "Play" }
                on:click=move |_| on_command.run(Command::TogglePlay)>
                {move || if playing() {
                    view! { <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 3h3v10H4zM9 3h3v10H9z"></path></svg> }
                } else {
                    view! { <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 2.5v11L13 8z"></path></svg> }
                }}
            </button>
            <button type="button" class="player-button" title="Next frame (→)" aria-label="Next frame"
                on:click=move |_| on_command.run(Command::Step(1))>
                <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M10 3h2v10h-2zM3 3v10l6-5z"></path></svg>
            </button>
            <span class="player-timecode" data-testid=format!("{name}-timecode")>{timecode}</span>
            <span class="player-frame" data-testid=format!("{name}-frame")>
                {move || format!("F {} / {}", state.playhead.get(), state.frame_count.get().saturating_sub(1))}
            </span>
            <span class="player-marks">
                {move || state.mark_in.get().map(|f| format!("IN {f}"))}
                " "
                {move || state.mark_out.get().map(|f| format!("OUT {f}"))}
            </span>
            <span class="player-keys" aria-hidden="true">"Space · J K L · ← → · I O"</span>
            <span class="player-fps" data-testid=format!("{name}-detail")>{detail}</span>
            {move || errors_here.then(|| state.error.get()).flatten().map(|why| view! {
                <span class="problem error" role="alert">{why}</span>
            })}
        </div>
    }
}
