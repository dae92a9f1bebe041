//! Compose: write the scene, pick the voices and the format, see the price,
//! generate. The left column is what is said and seen; the right column is
//! how it is rendered.

use chorus_core::Mode;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::dialogue::DialogueFields;
use crate::components::format_controls::FormatControls;
use crate::components::generate_bar::{GenerateBar, submit};
use crate::components::languages::LanguagePicker;
use crate::components::mode_switch::ModeSwitch;
use crate::components::model_picker::ModelPicker;
use crate::components::prompt_editor::PromptEditor;
use crate::components::references::References;
use crate::compose_state::use_compose;

#[component]
pub fn ComposePage() -> impl IntoView {
    let state = use_compose();
    let navigate = use_navigate();
    // Ctrl/Cmd+Enter generates from any field on the page.
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) && !ev.repeat() {
            ev.prevent_default();
            submit(state, navigate.clone());
        }
    });
    on_cleanup(move || handle.remove());

    let mode = Memo::new(move |_| state.comp.with(|c| c.mode));
    let set_aside = move || {
        state.comp.with(|c| {
            (c.mode == Mode::TextToVideo && !c.references.is_empty()).then_some(c.references.len())
        })
    };

    view! {
        <div class="compose" data-testid="compose-page">
            <div class="compose-main">
                <header class="page-head">
                    <h1>"Compose"</h1>
                    <p class="page-sub">"Your work is saved in this browser as you type."</p>
                </header>
                <ModeSwitch />
                <PromptEditor />
                <Show when=move || mode.get() != Mode::TextToVideo>
                    <References />
                </Show>
                {move || set_aside().map(|n| view! {
                    <p class="hint">
                        {format!("{n} image{} set aside while in text to video; switch modes to use them.", if n == 1 { " is" } else { "s are" })}
                    </p>
                })}
                <section class="panel" aria-labelledby="voices-heading">
                    <h2 id="voices-heading" class="panel-title">"Dialogue"</h2>
                    <LanguagePicker />
                    <DialogueFields />
                </section>
            </div>
            <aside class="compose-side" aria-label="Render settings">
                <ModelPicker />
                <FormatControls />
                <GenerateBar />
            </aside>
        </div>
    }
}
