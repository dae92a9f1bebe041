//! The board's header: the campaign's name, its variants by status, what is
//! spent against the cap and the estimate, and what can be done with it
//! (retry the failed, cancel the rest, share it with a client, export the
//! files), then the filters.

use chorus_core::board::{BoardFilter, Campaign, DecisionFilter, VariantStatus, count_by_status};
use chorus_core::Language;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::access::use_access;
use crate::campaign_api;
use crate::campaign_view::{export_href, spend_line, spend_share, still_running};
use crate::components::copy_field::CopyField;

#[component]
pub fn BoardHeader(campaign: RwSignal<Option<Campaign>>) -> impl IntoView {
    let access = use_access();
    let id = Memo::new(move |_| campaign.with(|c| c.as_ref().map(|c| c.id.clone()).unwrap_or_default()));
    let counts = Memo::new(move |_| campaign.with(|c| c.as_ref().map(|c| count_by_status(&c.variants)).unwrap_or_default()));
    let failed = move || counts.with(|c| c.get(&VariantStatus::Failed).copied().unwrap_or(0));
    let open = Memo::new(move |_| campaign.with(|c| c.as_ref().map_or(0, |c| if c.canceled_at.is_some() { 0 } else { still_running(&c.variants) })));
    let busy = RwSignal::new(false);
    let note = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let act = move |cancel: bool| {
        busy.set(true);
        note.set(None);
        let id = id.get_untracked();
        spawn_local(async move {
            let answer = if cancel {
                campaign_api::cancel(&id).await
            } else {
                campaign_api::retry(&id).await
            };
            let _ = busy.try_set(false);
            let _ = confirming.try_set(false);
            match answer {
                Ok(board) => {
                    let _ = campaign.try_set(Some(board));
                }
                Err(e) => {
                    let _ = note.try_set(Some(e.message()));
                }
            }
        });
    };
    let share_url = RwSignal::new(None::<String>);
    let share = move |_| {
        busy.set(true);
        note.set(None);
        let id = id.get_untracked();
        spawn_local(async move {
            let answer = campaign_api::share(&id).await;
            let _ = busy.try_set(false);
            match answer {
                Ok(url) => {
                    let origin = web_sys::window()
                        .and_then(|w| w.location().origin().ok())
                        .unwrap_or_default();
                    let _ = share_url.try_set(Some(format!("{origin}{url}")));
                }
                Err(e) => {
                    let _ = note.try_set(Some(format!("Sharing: {}", e.message())));
                }
            }
        });
    };
    let only = RwSignal::new("approved".to_string());
    let pattern = RwSignal::new(campaign.with_untracked(|c| c.as_ref().map(|c| c.name_pattern.clone()).unwrap_or_default()));
    let export = move || export_href(&id.get(), &only.get(), &pattern.get());
    view! {
        <header class="board-header">
            <div class="board-title">
                <a class="back-link" href="/campaigns">"← Campaigns"</a>
                <h1 data-testid="board-name">{move || campaign.with(|c| c.as_ref().map(|c| c.name.clone()))}</h1>
                <ul class="status-counts" data-testid="status-counts">
                    {move || counts.get().into_iter().map(|(status, n)| view! {
                        <li class=format!("status-chip {}", status.slug()) data-testid=format!("count-{}", status.slug())>
                            <strong>{n}</strong>" "{status.label()}
                        </li>
                    }).collect_view()}
                </ul>
                <p class="spend" data-testid="board-spend">{move || campaign.with(|c| c.as_ref().map(spend_line))}</p>
                {move || campaign.with(|c| c.as_ref().and_then(spend_share)).map(|share| view! {
                    <span class="bar spend-bar" class:full={share >= 1.0} aria-hidden="true"><span style=format!("width:{:.1}%", share * 100.0)></span></span>
                })}
            </div>
            <div class="board-actions">
                <Show when=move || access.can_edit()>
                    <button type="button" class="button" data-testid="retry-failed"
                        disabled=move || busy.get() || failed() == 0
                        on:click=move |_| act(false)>{move || format!("Retry failed ({})", failed())}</button>
                    {move || if confirming.get() {
                        view! {
                            <span class="confirm" role="group" aria-label="Cancel the rest?">
                                <span>{format!("Stop {} variants not done yet?", open.get())}</span>
                                <button type="button" class="button danger" data-testid="cancel-confirm" disabled=move || busy.get()
                                    on:click=move |_| act(true)>"Yes, cancel them"</button>
                                <button type="button" class="button" on:click=move |_| confirming.set(false)>"Keep going"</button>
                            </span>
                        }.into_any()
                    } else {
                        view! {
                            <button type="button" class="button" data-testid="cancel-rest"
                                disabled=move || busy.get() || open.get() == 0
                                on:click=move |_| confirming.set(true)>"Cancel the rest"</button>
                        }.into_any()
                    }}
                    <button type="button" class="button" data-testid="share-campaign" disabled=move || busy.get() on:click=share>
                        "Share with a client"
                    </button>
                </Show>
                <details class="export">
                    <summary class="button" data-testid="export-open">"Export"</summary>
                    <div class="export-panel">
                        <fieldset class="segmented" aria-label="Which takes">
                            {[("approved", "Approved only"), ("all", "All done")].into_iter().map(|(value, label)| view! {
                                <label class="segment" class:selected=move || only.get() == value>
                                    <input type="radio" name="export-only" prop:checked=move || only.get() == value
                                        on:change=move |_| only.set(value.to_string()) />
                                    {label}
                                </label>
                            }).collect_view()}
                        </fieldset>
                        <label class="field">
                            <span class="field-label">"File names"</span>
                            <input type="text" class="mono" spellcheck="false" data-testid="export-pattern"
                                prop:value=move || pattern.get() on:input=move |ev| pattern.set(event_target_value(&ev)) />
                        </label>
                        <a class="button primary" href=export download="" data-testid="export-download">"Download ZIP"</a>
                    </div>
                </details>
            </div>
            {move || share_url.get().map(|url| view! {
                <div class="share-result" data-testid="campaign-share">
                    <p class="hint">"Anyone with this link can watch and decide on the campaign's takes:"</p>
                    <CopyField value=url label="Campaign review link" testid="campaign-share-url" />
                </div>
            })}
            {move || note.get().map(|n| view! { <p class="banner error" role="alert">{n}</p> })}
        </header>
    }
}

/// The board's filters (status, language, decision).
#[component]
pub fn BoardFilters(filter: RwSignal<BoardFilter>, languages: Memo<Vec<Language>>) -> impl IntoView {
    view! {
        <div class="board-filters" role="group" aria-label="Filters">
            <label class="filter">
                <span class="hint">"Status"</span>
                <select data-testid="filter-status" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    filter.update(|f| f.status = VariantStatus::parse(&v));
                }>
                    <option value="" selected=move || filter.with(|f| f.status.is_none())>"Any"</option>
                    {VariantStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.slug() selected=move || filter.with(|f| f.status == Some(s))>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="filter">
                <span class="hint">"Language"</span>
                <select data-testid="filter-language" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    filter.update(|f| f.language = Language::from_code(&v));
                }>
                    <option value="" selected=move || filter.with(|f| f.language.is_none())>"Any"</option>
                    {move || languages.get().into_iter().map(|l| view! {
                        <option value=l.code() selected=move || filter.with(|f| f.language == Some(l))>{l.display_name()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="filter">
                <span class="hint">"Decision"</span>
                <select data-testid="filter-decision" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    filter.update(|f| f.decision = DecisionFilter::parse(&v));
                }>
                    <option value="" selected=move || filter.with(|f| f.decision.is_none())>"Any"</option>
                    {DecisionFilter::ALL.into_iter().map(|d| view! {
                        <option value=d.slug() selected=move || filter.with(|f| f.decision == Some(d))>{d.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <Show when=move || filter.with(|f| *f != BoardFilter::default())>
                <button type="button" class="link-button" on:click=move |_| filter.set(BoardFilter::default())>"Clear filters"</button>
            </Show>
        </div>
    }
}
