//! The audit log (owners): who did what and when, newest first, a page at a
//! time; filtered by action and by who did it; the whole of it (as
//! filtered) as CSV.

use chorus_core::access::{AuditAction, AuditEntry};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::when;
use crate::access_rules::AuditFilter;
use crate::account_api;

/// Entries per page.
const PAGE: u32 = 50;
/// Typing in the actor filter pauses this long before it applies.
const TYPING_PAUSE_MS: u32 = 250;

#[component]
pub fn AuditSection() -> impl IntoView {
    let filter = RwSignal::new(AuditFilter::default());
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let next = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(true);
    let failed = RwSignal::new(None::<String>);
    // Answers for an older filter are dropped when they arrive late.
    let asked = StoredValue::new(0_u32);
    let load = move |more: bool| {
        let shown = filter.get_untracked();
        let before = if more { next.get_untracked() } else { None };
        if more && before.is_none() {
            return;
        }
        let id = asked.get_value() + u32::from(!more);
        asked.set_value(id);
        loading.set(true);
        spawn_local(async move {
            let answer = account_api::audit(&shown, before, PAGE).await;
            if asked.get_value() != id {
                return;
            }
            match answer {
                Ok(page) => {
                    if more {
                        entries.update(|list| list.extend(page.entries));
                    } else {
                        entries.set(page.entries);
                    }
                    next.set(page.next_before);
                    failed.set(None);
                }
                Err(err) => failed.set(Some(err.message())),
            }
            loading.set(false);
        });
    };
    // Every change of filter starts again from the newest.
    Effect::new(move |_| {
        filter.track();
        load(false);
    });
    let typed = StoredValue::new(0_u32);
    let on_actor = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let mine = typed.get_value() + 1;
        typed.set_value(mine);
        spawn_local(async move {
            TimeoutFuture::new(TYPING_PAUSE_MS).await;
            if typed.get_value() == mine {
                filter.update(|f| f.actor = text);
            }
        });
    };
    let on_action = move |ev: leptos::ev::Event| {
        let action = AuditAction::parse(&event_target_value(&ev));
        filter.update(|f| f.action = action);
    };
    let csv = move || filter.with(account_api::audit_csv_href);
    view! {
        <div class="panel audit" data-testid="audit">
            <div class="audit-head">
                <h2 class="panel-title">"Audit log"</h2>
                <a class="button small" href=csv download="chorus-audit.csv" data-testid="audit-csv">"Download CSV"</a>
            </div>
            <div class="filter-bar audit-filters" role="search">
                <label class="filter">
                    <span>"Action"</span>
                    <select data-testid="audit-action" on:change=on_action>
                        <option value="">"Any action"</option>
                        {AuditAction::ALL.into_iter().map(|a| view! {
                            <option value=a.as_str()>{a.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <input type="search" class="filter-search" placeholder="Who: an email, a token, a reviewer"
                    aria-label="Filter by who did it" data-testid="audit-actor" on:input=on_actor />
            </div>
            {move || failed.get().map(|why| view! {
                <p class="banner error" role="alert">{format!("Could not load the audit log: {why}")}</p>
            })}
            {move || (!loading.get() && failed.with(Option::is_none) && entries.with(Vec::is_empty)).then(|| view! {
                <p class="empty-hint" data-testid="audit-empty">"Nothing recorded matches."</p>
            })}
            <ol class="audit-list" data-testid="audit-list">
                <For
                    each=move || entries.get()
                    key=|e| e.id
                    children=|entry| view! { <AuditRow entry /> }
                />
            </ol>
            <div class="audit-more">
                {move || next.with(Option::is_some).then(|| view! {
                    <button type="button" class="button small" data-testid="audit-more"
                        disabled=move || loading.get() on:click=move |_| load(true)>
                        {move || if loading.get() { "Loading…" } else { "Load older entries" }}
                    </button>
                })}
                {move || (loading.get() && entries.with(Vec::is_empty)).then(|| view! { <p class="hint">"Loading…"</p> })}
            </div>
        </div>
    }
}

#[component]
fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let refused = matches!(
        entry.action,
        AuditAction::SignInRefused | AuditAction::JobRefused
    );
    view! {
        <li class="audit-entry" class:refused=refused data-testid="audit-entry" data-action=entry.action.as_str()>
            <time class="audit-when">{when(Some(entry.at))}</time>
            <span class="audit-action">{entry.action.label()}</span>
            <span class="audit-actor" data-testid="audit-actor-name">{entry.actor}</span>
            <span class="audit-target">{entry.target}</span>
            {(!entry.detail.is_empty()).then(|| view! { <span class="audit-detail">{entry.detail}</span> })}
            {entry.address.map(|a| view! { <span class="audit-address hint-inline" title="Address">{a}</span> })}
        </li>
    }
}
