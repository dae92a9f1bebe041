//! Text, image or reference to video: a segmented radio group, so arrow keys
//! move between the three as with any radio group.

use chorus_core::Mode;
use leptos::prelude::*;

use crate::components::problems::FieldProblems;
use crate::compose_state::use_compose;
use crate::fields::Field;

fn explain(mode: Mode) -> &'static str {
    match mode {
        Mode::TextToVideo => "The prompt alone drives the picture.",
        Mode::ImageToVideo => "One start image is brought to life.",
        Mode::ReferenceToVideo => {
            "Up to nine images keep characters, products or style; the prompt names them character1, character2…"
        }
    }
}

#[component]
pub fn ModeSwitch() -> impl IntoView {
    let state = use_compose();
    let current = Memo::new(move |_| state.comp.with(|c| c.mode));
    view! {
        <fieldset class="mode-switch" id=Field::Mode.control_id()>
            <legend class="sr-only">"Mode"</legend>
            <div class="segmented" role="presentation">
                {Mode::ALL
                    .into_iter()
                    .map(|mode| {
                        view! {
                            <label class="segment" class:selected=move || current.get() == mode>
                                <input
                                    type="radio"
                                    name="mode"
                                    value=mode.slug()
                                    data-testid=format!("mode-{}", mode.slug())
                                    prop:checked=move || current.get() == mode
                                    on:change=move |_| state.update(|c| c.mode = mode)
                                />
                                <span>{mode.label()}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="hint">{move || explain(current.get())}</p>
            <FieldProblems field=Field::Mode />
        </fieldset>
    }
}
