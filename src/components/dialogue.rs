//! One line per chosen language, with how long it takes to say (when the
//! server's speech-fit check answers) so over-long lines show before a render;
//! translated lines show their proposal and wait for approval.

use chorus_core::Language;
use chorus_core::localize::{LineStatus, cost_text};
use leptos::prelude::*;

use crate::components::problems::{FieldProblems, problems_id};
use crate::components::translate_bar::TranslateBar;
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
            <TranslateBar />
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
                    state.update(|c| c.edit_line(language, value));
                }
                on:blur=move |_| state.touch(field)
            ></textarea>
            <Proposal language />
            <FieldProblems field />
        </li>
    }
}

/// A translated line's proposal: its status, fit, cost and engine, the
/// back-translation to check its meaning, what is wrong with it, and the
/// Approve button while nobody has approved it.
#[component]
fn Proposal(language: Language) -> impl IntoView {
    let state = use_compose();
    let translated = Memo::new(move |_| state.comp.with(|c| c.translated.get(&language).cloned()));
    let duration_s = Memo::new(move |_| state.comp.with(|c| c.duration_s));
    let stale = Memo::new(move |_| state.comp.with(|c| c.stale_source(language)));
    move || {
        translated.get().map(|t| {
            let status = t.meta.status;
            let p = t.proposal;
            let too_long = (!p.fits).then(|| {
                format!(
                    "Too long after {} tr{}: shorten by hand",
                    p.tries,
                    if p.tries == 1 { "y" } else { "ies" }
                )
            });
            let dropped = (!p.dropped_terms.is_empty()).then(|| {
                format!(
                    "Glossary term{} lost: {}",
                    if p.dropped_terms.len() == 1 { "" } else { "s" },
                    p.dropped_terms.join(", ")
                )
            });
            let source_language = t.meta.from;
            view! {
                <div
                    class="proposal"
                    class:approved=status.is_approved()
                    data-testid=format!("proposal-{}", language.code())
                    data-status=status.label()
                    data-fits=p.fits.to_string()
                    data-tries=p.tries.to_string()
                >
                    <div class="proposal-head">
                        <span class="status-chip" class:ok=status.is_approved()>{status.label()}</span>
                        <span class="proposal-meta">
                            {format!("{} · ", p.engine_name)}
                            <span data-testid="proposal-fit" class:warn-text=!p.fits>
                                {p.fit_text(duration_s.get())}
                            </span>
                            {(p.tries > 1).then(|| format!(" · asked {} times to fit", p.tries))}
                            {format!(" · {}", cost_text(p.cost_usd_micros))}
                        </span>
                        {(status == LineStatus::Proposed).then(|| view! {
                            <button
                                type="button"
                                class="button small"
                                data-testid=format!("approve-{}", language.code())
                                on:click=move |_| state.update(|c| c.approve(language))
                            >"Approve"</button>
                        })}
                    </div>
                    {p.back_translation.clone().map(|back| view! {
                        <p class="back-translation" data-testid="back-translation">
                            <span class="hint">{format!("Back into {}: ", source_language.display_name())}</span>
                            <span lang=source_language.bcp47()>{back}</span>
                        </p>
                    })}
                    {move || stale.get().map(|from| view! {
                        <p class="warn-text" data-testid="proposal-stale">
                            {if status == LineStatus::Edited {
                                format!(
                                    "The {} line changed after this was translated: check this line still says the same.",
                                    from.display_name()
                                )
                            } else {
                                format!(
                                    "The {} line changed after this was translated: press Translate again, or edit this one.",
                                    from.display_name()
                                )
                            }}
                        </p>
                    })}
                    {too_long.map(|w| view! { <p class="warn-text" data-testid="proposal-too-long">{w}</p> })}
                    {dropped.map(|w| view! { <p class="warn-text" data-testid="proposal-dropped">{w}</p> })}
                    {p.note.clone().map(|n| view! { <p class="hint">{n}</p> })}
                </div>
            }
        })
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
