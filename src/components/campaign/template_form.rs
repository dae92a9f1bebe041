//! The request every variant starts from: model, mode, the prompt with its
//! `{{placeholders}}` (which ones it uses, which columns the sheet has),
//! a template line per language, duration, resolution, seed and sound.

use chorus_core::{Language, Mode, Resolution};
use leptos::prelude::*;

use super::form::use_campaign_form;
use crate::campaign_draft::{parse_seed, placeholders_used, set_template_line, template_line};
use crate::compose_state::ComposeState;

#[component]
pub fn TemplateForm() -> impl IntoView {
    let form = use_campaign_form();
    let draft = form.draft;
    let compose = use_context::<ComposeState>();
    let from_compose = move |_| {
        let Some(compose) = compose else {
            return;
        };
        let comp = compose.comp.get_untracked();
        let request = comp.to_request();
        form.update(|d| {
            d.template = request;
            d.template.seed = None;
            d.seed.clone_from(&comp.seed);
            if !comp.languages.is_empty() {
                d.languages.clone_from(&comp.languages);
            }
            if !d.ratios.contains(&comp.aspect_ratio) {
                d.ratios.push(comp.aspect_ratio);
            }
        });
    };
    let model_id = Memo::new(move |_| draft.with(|d| d.template.model.clone()));
    let models = move || {
        form.models.with(|list| {
            list.iter()
                .filter(|m| m.id != chorus_core::IMPORT_MODEL)
                .map(|m| {
                    let id = m.id.clone();
                    let label = if m.available {
                        m.name.clone()
                    } else {
                        format!("{} (unavailable)", m.name)
                    };
                    let selected = model_id.with_untracked(|chosen| *chosen == id);
                    view! { <option value=id.clone() selected=selected disabled=!m.available>{label}</option> }
                })
                .collect_view()
        })
    };
    let used = Memo::new(move |_| draft.with(|d| placeholders_used(&d.template)));
    let columns = Memo::new(move |_| form.spec.with(|s| s.sheet.columns.clone()));
    let seed_problem = move || draft.with(|d| parse_seed(&d.seed).err());
    view! {
        <section class="panel campaign-template" aria-labelledby="template-title">
            <div class="panel-head">
                <h2 class="panel-title" id="template-title">"Template"</h2>
                <Show when=move || compose.is_some()>
                    <button type="button" class="button small" data-testid="from-compose" on:click=from_compose>
                        "Use the Compose page's settings"
                    </button>
                </Show>
            </div>
            <div class="template-head">
                <label class="field">
                    <span class="field-label">"Model"</span>
                    <select data-testid="campaign-model" prop:value=move || model_id.get() on:change=move |ev| {
                        let id = event_target_value(&ev);
                        form.update(|d| d.template.model = id);
                    }>{models}</select>
                </label>
                <div class="field">
                    <span class="field-label" id="mode-label">"Mode"</span>
                    <div class="segmented" role="radiogroup" aria-labelledby="mode-label">
                        {Mode::ALL.into_iter().map(|mode| view! {
                            <label class="segment" class:selected=move || draft.with(|d| d.template.mode == mode)>
                                <input type="radio" name="campaign-mode" data-testid=format!("campaign-mode-{}", mode.slug())
                                    prop:checked=move || draft.with(|d| d.template.mode == mode)
                                    on:change=move |_| form.update(|d| d.template.mode = mode) />
                                {mode.label()}
                            </label>
                        }).collect_view()}
                    </div>
                </div>
            </div>
            <label class="field">
                <span class="field-label">"Prompt"</span>
                <textarea rows="3" data-testid="campaign-prompt" spellcheck="true"
                    placeholder="A presenter holds up the {{product}} in {{place}}…"
                    prop:value=move || draft.with(|d| d.template.prompt.clone())
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        form.update(|d| d.template.prompt = text);
                    }></textarea>
            </label>
            <div class="placeholder-map" data-testid="placeholder-map">
                <p>
                    <span class="hint">"Uses "</span>
                    {move || {
                        let used = used.get();
                        if used.is_empty() {
                            return view! { <span class="hint">"no {{placeholders}} yet"</span> }.into_any();
                        }
                        let cols = columns.get();
                        used.into_iter().map(|name| {
                            let found = cols.iter().any(|c| c.eq_ignore_ascii_case(&name));
                            let title = if found { "The sheet has this column" } else { "The sheet has no such column yet" };
                            view! {
                                <span class="ph" class:missing=!found title=title data-testid="placeholder-used">
                                    {format!("{{{{{name}}}}}")}
                                    <span class="sr-only">{if found { " (column found)" } else { " (no such column)" }}</span>
                                </span>
                            }
                        }).collect_view().into_any()
                    }}
                </p>
                <p>
                    <span class="hint">"Sheet columns "</span>
                    {move || {
                        let cols = columns.get();
                        if cols.is_empty() {
                            return view! { <span class="hint">"none yet: paste a sheet"</span> }.into_any();
                        }
                        cols.into_iter().map(|name| {
                            let token = format!("{{{{{name}}}}}");
                            let insert = token.clone();
                            view! {
                                <button type="button" class="chip" title="Add to the prompt"
                                    on:click=move |_| {
                                        let insert = insert.clone();
                                        form.update(|d| {
                                            if !d.template.prompt.is_empty() && !d.template.prompt.ends_with(' ') {
                                                d.template.prompt.push(' ');
                                            }
                                            d.template.prompt.push_str(&insert);
                                        });
                                    }>{name}</button>
                            }
                        }).collect_view().into_any()
                    }}
                </p>
            </div>
            <TemplateLines />
            <div class="campaign-grid4">
                <label class="field">
                    <span class="field-label">"Duration (s)"</span>
                    <input type="number" min="1" max="60" data-testid="campaign-duration"
                        prop:value=move || draft.with(|d| d.template.duration_s.to_string())
                        on:input=move |ev| {
                            if let Ok(s) = event_target_value(&ev).trim().parse::<u32>() {
                                form.update(|d| d.template.duration_s = s);
                            }
                        } />
                </label>
                <label class="field">
                    <span class="field-label">"Resolution"</span>
                    <select data-testid="campaign-resolution" on:change=move |ev| {
                        if let Some(r) = Resolution::parse(&event_target_value(&ev)) {
                            form.update(|d| d.template.resolution = r);
                        }
                    }>
                        {Resolution::ALL.into_iter().map(|r| view! {
                            <option value=r.label() selected=move || draft.with(|d| d.template.resolution == r)>{r.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span class="field-label">"Seed"</span>
                    <input type="text" inputmode="numeric" placeholder="any" data-testid="campaign-seed"
                        aria-invalid=move || seed_problem().is_some().to_string()
                        prop:value=move || draft.with(|d| d.seed.clone())
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            form.update(|d| d.seed = text);
                        } />
                </label>
                <label class="field check-field">
                    <input type="checkbox" data-testid="campaign-audio"
                        prop:checked=move || draft.with(|d| d.template.audio)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            form.update(|d| d.template.audio = on);
                        } />
                    <span class="field-label">"Sound"</span>
                </label>
            </div>
            {move || seed_problem().map(|p| view! { <p class="problem error" role="alert">{p}</p> })}
        </section>
    }
}

/// One optional template line per chosen language: used for rows whose
/// sheet has no line of their own in that language.
#[component]
fn TemplateLines() -> impl IntoView {
    let form = use_campaign_form();
    let languages = Memo::new(move |_| form.draft.with(|d| d.languages.clone()));
    view! {
        <div class="template-lines">
            <For each=move || languages.get() key=|l| *l children=move |language: Language| {
                let code = language.code();
                let tag = language.bcp47();
                let column = format!("line:{}", tag.split('-').next().unwrap_or(tag));
                view! {
                    <label class="field template-line">
                        <span class="field-label">
                            {format!("{} line", language.display_name())}
                            <span class="hint-inline">{format!(" · used where the sheet's {column} cell is empty")}</span>
                        </span>
                        <input type="text" data-testid=format!("campaign-line-{code}")
                            placeholder=format!("Optional, e.g. Meet the {{{{product}}}}")
                            prop:value=move || form.draft.with(|d| template_line(&d.template, language).to_string())
                            on:input=move |ev| {
                                let text = event_target_value(&ev);
                                form.update(|d| set_template_line(&mut d.template, language, text));
                            } />
                    </label>
                }
            } />
        </div>
    }
}
