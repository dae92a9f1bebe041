//! The seven languages as toggle chips, each with its own name beside the
//! English one. Each chosen language is one take, with its own line.

use chorus_core::Language;
use leptos::prelude::*;

use crate::components::problems::FieldProblems;
use crate::compose_state::use_compose;
use crate::fields::Field;

#[component]
pub fn LanguagePicker() -> impl IntoView {
    let state = use_compose();
    let offered = Memo::new(move |_| {
        state.model.with(|m| {
            m.as_ref()
                .map_or_else(|| Language::ALL.to_vec(), |m| m.languages.clone())
        })
    });
    view! {
        <fieldset class="language-picker" id=Field::Languages.control_id()>
            <legend class="field-label">"Spoken languages"</legend>
            <p class="hint">"Each language becomes its own take, lip-synced to its line."</p>
            <div class="chip-row" role="group" aria-label="Languages">
                {Language::ALL
                    .into_iter()
                    .map(|language| {
                        let chosen = Memo::new(move |_| state.comp.with(|c| c.languages.contains(&language)));
                        view! {
                            <button
                                type="button"
                                class="language-chip"
                                class:chosen=move || chosen.get()
                                aria-pressed=move || chosen.get().to_string()
                                disabled=move || !offered.with(|o| o.contains(&language))
                                data-testid=format!("language-{}", language.code())
                                on:click=move |_| state.update(|c| c.toggle_language(language))
                            >
                                <span class="check" aria-hidden="true">
                                    {move || if chosen.get() { "✓" } else { "+" }}
                                </span>
                                <span>{language.display_name()}</span>
                                {(language.native_name() != language.display_name()).then(|| view! {
                                    <span class="native" lang=language.bcp47()>{language.native_name()}</span>
                                })}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <FieldProblems field=Field::Languages />
        </fieldset>
    }
}
