//! One line per chosen language, with how long it takes to say (when the
//! server's speech-fit check answers) so over-long lines show before a render.

use chorus_core::Language;
use leptos::prelude::*;

use crate::components::problems::{FieldProblems, problems_id};
use crate::compose_state::use_compose;
use crate::fields::Field;

#[component]
pub fn DialogueFields() -> impl IntoView {
    let state = use_compose();
    let chosen = move || state.comp.with(|c| c.languages.clone());
    view! {
        <Show
            when=move || state.comp.with(|c| !c.languages.is_empty())
            fallback=|| view! {
                <p class="empty-hint">"Pick a language above to write what is said. With none, the clip has no speech."</p>
            }
        >
            <ol class="dialogue-list">
                <For each=chosen key=|l| *l children=|language| view! { <DialogueLine language /> } />
            </ol>
        </Show>
    }
}

#[component]
fn DialogueLine(language: Language) -> impl IntoView {
    let state = use_compose();
    let field = Field::Line(language);
    let text = Memo::new(move |_| {
        state
            .comp
            .with(|c| c.lines.get(&language).cloned().unwrap_or_default())
    });
    let fit = Memo::new(move |_| state.fit_of(language));

    view! {
        <li class="dialogue-line" data-testid=format!("dialogue-{}", language.code())>
            <div class="field-head">
                <label class="field-label" for=field.control_id()>
                    {language.display_name()}
                    {(language.native_name() != language.display_name()).then(|| view! {
                        <span class="native" lang=language.bcp47()>{language.native_name()}</span>
                    })}
                </label>
                <SpeechFit fit />
                <button
                    type="button"
                    class="icon-button"
                    aria-label=format!("Remove {}", language.display_name())
                    on:click=move |_| state.update(|c| c.toggle_language(language))
                >
                    "×"
                </button>
            </div>
            <textarea
                id=field.control_id()
                class="line-input"
                rows="2"
                lang=language.bcp47()
                data-testid=format!("line-{}", language.code())
                placeholder=format!("What is said in {}", language.display_name())
                prop:value=move || text.get()
                aria-invalid=move || state.has_error_at(field).to_string()
                aria-describedby=problems_id(field)
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    state.update(|c| {
                        c.lines.insert(language, value);
                    });
                }
                on:blur=move |_| state.touch(field)
            ></textarea>
            <FieldProblems field />
        </li>
    }
}

/// "2.4 s" in calm grey when the line fits, amber with the reason when not.
#[component]
fn SpeechFit(fit: Memo<Option<chorus_core::api::SpeechFitLine>>) -> impl IntoView {
    move || {
        fit.get().map(|line| {
            let trouble = !line.fits || !line.unpronounceable.is_empty();
            let detail = line.message.clone().or_else(|| {
                (!line.unpronounceable.is_empty()).then(|| {
                    format!(
                        "The draft voice can't say {}",
                        line.unpronounceable.join(" ")
                    )
                })
            });
            let title = detail.clone();
            view! {
                <span class="speech-fit" class:warn=trouble data-testid="speech-fit" title=title>
                    {if trouble { "⚠ " } else { "" }}
                    {format!("{:.1} s", line.seconds)}
                    {detail.map(|d| view! { <span class="speech-fit-detail">{d}</span> })}
                </span>
            }
        })
    }
}
