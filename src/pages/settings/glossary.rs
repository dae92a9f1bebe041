//! The glossary (everyone sees it, editors change it): brand and product
//! terms kept as written in every language, and phrases with a fixed
//! translation per language. Every Translate applies it, and a proposal
//! that loses a term is flagged in Compose.

use chorus_core::Language;
use chorus_core::localize::{Glossary, GlossaryTerm, MAX_TERMS};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::access::use_access;
use crate::api::ApiError;
use crate::localize_api;

#[component]
pub fn GlossarySection() -> impl IntoView {
    let access = use_access();
    let terms = RwSignal::new(None::<Vec<GlossaryTerm>>);
    let saved = RwSignal::new(Vec::<GlossaryTerm>::new());
    let failed = RwSignal::new(None::<String>);
    let problems = RwSignal::new(Vec::<chorus_core::Problem>::new());
    let status = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    // The table is built again only when rows come or go (or a save brings
    // back trimmed terms), never while a term is typed: typing keeps focus.
    let shape = RwSignal::new(0_u32);
    let rebuild = move || shape.update(|n| *n += 1);
    spawn_local(async move {
        match localize_api::glossary().await {
            Ok(g) => {
                saved.set(g.terms.clone());
                terms.set(Some(g.terms));
                rebuild();
            }
            Err(e) => failed.set(Some(e.message())),
        }
    });
    let changed = move || terms.with(|t| t.as_ref().is_some_and(|t| *t != saved.get()));
    let save = move |_: leptos::ev::MouseEvent| {
        let Some(list) = terms.get_untracked() else { return };
        saving.set(true);
        status.set(None);
        problems.set(Vec::new());
        spawn_local(async move {
            let outcome = localize_api::save_glossary(&Glossary { terms: list }).await;
            saving.set(false);
            match outcome {
                Ok(g) => {
                    status.set(Some(format!("Saved: {} term{}", g.terms.len(), if g.terms.len() == 1 { "" } else { "s" })));
                    saved.set(g.terms.clone());
                    terms.set(Some(g.terms));
                    rebuild();
                }
                Err(ApiError::Rejected { body, .. }) => {
                    status.set(Some(format!("Not saved: {}", body.error.message)));
                    problems.set(body.error.problems);
                }
                Err(other) => status.set(Some(format!("Not saved: {}", other.message()))),
            }
        });
    };
    let add = move |_: leptos::ev::MouseEvent| {
        terms.update(|t| {
            if let Some(t) = t {
                t.push(GlossaryTerm { term: String::new(), translations: std::collections::BTreeMap::new() });
            }
        });
        rebuild();
    };
    let problem_at = move |field: String| {
        problems.with(|p| p.iter().find(|p| p.field == field).map(|p| p.message.clone()))
    };
    let editable = move || access.can_edit();
    view! {
        <div class="panel" data-testid="glossary-panel">
            <h2 class="panel-title">"Glossary"</h2>
            <p class="hint">
                "Terms every translation keeps. A brand or product name left blank in a language stays exactly as written \
                 (\"Bloom\" is \"Bloom\" in Japanese too); a phrase can have a fixed translation per language. Each Translate \
                 sends these to the engine, and Compose flags a proposal that lost one."
            </p>
            {move || failed.get().map(|p| view! { <p class="problem error" role="alert">{p}</p> })}
            {move || {
                shape.track();
                problems.track();
                terms.get_untracked()
            }.map(|list| {
                let count = list.len();
                view! {
                    {(count == 0).then(|| view! { <p class="empty-hint" data-testid="glossary-empty">"No terms yet."</p> })}
                    <div class="table-wrap">
                        <table class="data-table glossary-table" data-testid="glossary">
                            <thead>
                                <tr>
                                    <th scope="col">"Term"</th>
                                    {Language::ALL.into_iter().map(|l| view! { <th scope="col" lang=l.bcp47()>{l.display_name()}</th> }).collect_view()}
                                    <th scope="col"><span class="sr-only">"Remove"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().enumerate().map(|(i, entry)| {
                                    let term_field = format!("terms[{i}].term");
                                    let term_problem = problem_at(term_field.clone());
                                    view! {
                                        <tr data-testid="glossary-term">
                                            <td>
                                                <input
                                                    type="text"
                                                    data-testid="glossary-term-input"
                                                    aria-label=format!("Term {}", i + 1)
                                                    prop:value=entry.term.clone()
                                                    disabled=move || !editable()
                                                    aria-invalid=term_problem.is_some().to_string()
                                                    on:input=move |ev| {
                                                        let value = event_target_value(&ev);
                                                        terms.update(|t| if let Some(e) = t.as_mut().and_then(|t| t.get_mut(i)) { e.term = value; });
                                                    }
                                                />
                                                {term_problem.map(|p| view! { <span class="problem error">{p}</span> })}
                                            </td>
                                            {Language::ALL.into_iter().map(|language| {
                                                let field = format!("terms[{i}].translations.{}", language.code());
                                                let problem = problem_at(field);
                                                let value = entry.translations.get(&language).cloned().unwrap_or_default();
                                                view! {
                                                    <td>
                                                        <input
                                                            type="text"
                                                            lang=language.bcp47()
                                                            data-testid=format!("glossary-{}", language.code())
                                                            aria-label=format!("Term {} in {}", i + 1, language.display_name())
                                                            placeholder="as written"
                                                            prop:value=value
                                                            disabled=move || !editable()
                                                            aria-invalid=problem.is_some().to_string()
                                                            on:input=move |ev| {
                                                                let value = event_target_value(&ev);
                                                                terms.update(|t| if let Some(e) = t.as_mut().and_then(|t| t.get_mut(i)) {
                                                                    if value.trim().is_empty() {
                                                                        e.translations.remove(&language);
                                                                    } else {
                                                                        e.translations.insert(language, value);
                                                                    }
                                                                });
                                                            }
                                                        />
                                                        {problem.map(|p| view! { <span class="problem error">{p}</span> })}
                                                    </td>
                                                }
                                            }).collect_view()}
                                            <td>
                                                <Show when=editable>
                                                    <button type="button" class="icon-button" aria-label=format!("Remove term {}", i + 1)
                                                        on:click=move |_| {
                                                            terms.update(|t| if let Some(t) = t.as_mut().filter(|t| i < t.len()) { t.remove(i); });
                                                            rebuild();
                                                        }>
                                                        "×"
                                                    </button>
                                                </Show>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <Show when=editable fallback=|| view! { <p class="hint">"Editors and owners change the glossary."</p> }>
                        <div class="button-row">
                            <button type="button" class="button" data-testid="glossary-add" disabled={count >= MAX_TERMS} on:click=add>"Add a term"</button>
                            <button type="button" class="button primary" data-testid="glossary-save"
                                disabled=move || saving.get() || !changed() on:click=save>
                                {move || if saving.get() { "Saving…" } else { "Save glossary" }}
                            </button>
                            {move || status.get().map(|s| view! { <span class="hint" role="status" data-testid="glossary-status">{s}</span> })}
                        </div>
                    </Show>
                }
            })}
        </div>
    }
}
