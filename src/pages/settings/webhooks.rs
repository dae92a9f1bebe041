//! Outgoing webhooks (owners): endpoints that receive the studio's events
//! (URL and events; the signing secret shown once; test, new secret,
//! delete; disabled with the reason after a 410), how deliveries are
//! retried, and the log of recent deliveries, refreshed while shown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chorus_core::webhook::{
    DeliveryState, NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookEvent,
    WebhookSecret, wait_words,
};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::when;
use crate::components::copy_field::CopyField;
use crate::webhooks_api;

/// Deliveries per page of the log.
const PAGE: u32 = 25;
/// How often the log is asked again while the tab is open.
const REFRESH_MS: u32 = 5_000;

#[component]
pub fn WebhooksSection() -> impl IntoView {
    let endpoints = RwSignal::new(Vec::<WebhookEndpoint>::new());
    // How this server retries, in words, and its time limit.
    let retries = RwSignal::new(None::<(String, String)>);
    let loaded = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let shown_secret = RwSignal::new(None::<(WebhookSecret, &'static str)>);
    // Bumped to make the delivery log ask again.
    let log_asked = RwSignal::new(0_u32);
    let reload = move || {
        spawn_local(async move {
            match webhooks_api::endpoints().await {
                Ok(answer) => {
                    retries.set(Some((answer.schedule_words(), wait_words(answer.timeout_ms))));
                    endpoints.set(answer.endpoints);
                    failed.set(None);
                }
                Err(err) => failed.set(Some(err.message())),
            }
            loaded.set(true);
        });
    };
    reload();
    let on_secret = Callback::new(move |(secret, why): (WebhookSecret, &'static str)| {
        shown_secret.set(Some((secret, why)));
        reload();
    });
    let on_change = Callback::new(move |()| {
        reload();
        log_asked.update(|n| *n += 1);
    });
    // Asked again every few seconds while the tab is open: deliveries move
    // on, and a 410 disables an endpoint meanwhile.
    let open = Arc::new(AtomicBool::new(true));
    let still_open = Arc::clone(&open);
    on_cleanup(move || open.store(false, Ordering::Relaxed));
    spawn_local(async move {
        loop {
            TimeoutFuture::new(REFRESH_MS).await;
            if !still_open.load(Ordering::Relaxed) {
                break;
            }
            on_change.run(());
        }
    });
    view! {
        <EndpointForm on_secret />
        {move || shown_secret.get().map(|(made, why)| view! {
            <div class="panel shown-once" role="status" data-testid="webhook-secret-shown">
                <h2 class="panel-title">{why}</h2>
                <p class="banner warning">"Copy the signing secret now: it is shown only this once. If it is lost, give the endpoint a new one."</p>
                <p class="hint webhook-url-line">{made.endpoint.url.clone()}</p>
                <CopyField value=made.secret.clone() label="Signing secret" testid="webhook-secret" />
                <p class="hint">"Every request carries " <code>"webhook-id"</code>", " <code>"webhook-timestamp"</code>
                    " and " <code>"webhook-signature"</code>" as the Standard Webhooks specification says; verify them with any of its libraries, e.g. "
                    <code>"new Webhook(secret).verify(body, headers)"</code>"."</p>
                <div class="row-actions">
                    <button type="button" class="button small" data-testid="webhook-secret-done"
                        on:click=move |_| shown_secret.set(None)>"Done"</button>
                </div>
            </div>
        })}
        <div class="panel" data-testid="webhook-endpoints">
            <h2 class="panel-title">"Endpoints"</h2>
            {move || failed.get().map(|why| view! {
                <p class="banner error" role="alert">{format!("Could not load the webhooks: {why}")}</p>
            })}
            {move || (!loaded.get()).then(|| view! { <p class="hint">"Loading…"</p> })}
            {move || (loaded.get() && failed.with(Option::is_none) && endpoints.with(Vec::is_empty)).then(|| view! {
                <p class="empty-hint" data-testid="webhook-list-empty">"No endpoints yet. Add one above to be told when jobs finish or reviewers decide."</p>
            })}
            <ul class="webhook-list" data-testid="webhook-list">
                // Keyed by what a row shows, so a refresh keeps a row (and
                // a question it is asking) that did not change.
                <For
                    each=move || endpoints.get()
                    key=|e| (e.id.clone(), e.enabled, e.disabled_reason.clone())
                    children=move |endpoint| view! { <EndpointRow endpoint on_secret on_change /> }
                />
            </ul>
            {move || retries.get().map(|(schedule, timeout)| view! {
                <details class="webhook-retries" data-testid="webhook-schedule">
                    <summary>"How deliveries are retried"</summary>
                    <p>{schedule}</p>
                    <p>{format!("A 2xx answer is delivered. 410 Gone disables the endpoint: nothing more is sent to it. 429 or 503 with Retry-After waits as long as asked (at most 24 h) instead. Any other answer, no answer within {timeout}, or a refused connection is retried. Redirects are not followed, and every attempt is checked again to go to a public address.")}</p>
                </details>
            })}
        </div>
        <DeliveryLog asked=log_asked />
    }
}

#[component]
fn EndpointForm(on_secret: Callback<(WebhookSecret, &'static str)>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let events = RwSignal::new(vec![WebhookEvent::JobFinished]);
    let tried = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let refused = RwSignal::new(None::<String>);
    let request = Memo::new(move |_| NewWebhookEndpoint {
        url: url.get().trim().to_string(),
        events: events.get(),
    });
    let problems = Memo::new(move |_| {
        request.with(|r| {
            r.problems()
                .into_iter()
                .map(|(field, why)| format!("{}: {why}", if field == "url" { "URL" } else { "Events" }))
                .collect::<Vec<_>>()
        })
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if busy.get_untracked() || !problems.with_untracked(Vec::is_empty) {
            return;
        }
        let endpoint = request.get_untracked();
        busy.set(true);
        refused.set(None);
        spawn_local(async move {
            match webhooks_api::add(&endpoint).await {
                Ok(made) => {
                    url.set(String::new());
                    tried.set(false);
                    on_secret.run((made, "Endpoint added"));
                }
                Err(err) => refused.set(Some(err.message())),
            }
            busy.set(false);
        });
    };
    let toggle = move |event: WebhookEvent| {
        events.update(|list| {
            if let Some(at) = list.iter().position(|e| *e == event) {
                list.remove(at);
            } else {
                list.push(event);
                list.sort_by_key(|e| WebhookEvent::ALL.iter().position(|a| a == e));
            }
        });
    };
    view! {
        <form class="panel webhook-form" on:submit=submit novalidate=true data-testid="webhook-form">
            <h2 class="panel-title">"Add an endpoint"</h2>
            <p class="hint">"Chorus POSTs a signed JSON event to this address when something you choose happens. It must be https:// on a public address."</p>
            <label class="field">
                <span class="field-label">"URL"</span>
                <input type="text" inputmode="url" autocomplete="off" spellcheck="false" placeholder="https://example.com/chorus-events"
                    data-testid="webhook-url"
                    prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev)) />
            </label>
            <fieldset class="scopes">
                <legend class="field-label">"Events"</legend>
                {WebhookEvent::ALL.into_iter().map(|event| view! {
                    <label class="check">
                        <input type="checkbox" data-testid=format!("webhook-event-{}", event.as_str())
                            prop:checked=move || events.with(|e| e.contains(&event))
                            on:change=move |_| toggle(event) />
                        {event.label()}
                        <code class="webhook-type">{event.as_str()}</code>
                    </label>
                }).collect_view()}
            </fieldset>
            {move || tried.get().then(|| view! {
                <ul class="field-problems">
                    {problems.get().into_iter().map(|p| view! { <li class="problem error">{p}</li> }).collect_view()}
                </ul>
            })}
            {move || refused.get().map(|p| view! { <p class="problem error" role="alert" data-testid="webhook-error">{p}</p> })}
            <div class="row-actions">
                <button type="submit" class="button primary" data-testid="webhook-add"
                    aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { "Adding…" } else { "Add endpoint" }}
                </button>
            </div>
        </form>
    }
}

/// Which confirmation a row is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Confirm {
    Rotate,
    Delete,
}

#[component]
fn EndpointRow(
    endpoint: WebhookEndpoint,
    on_secret: Callback<(WebhookSecret, &'static str)>,
    on_change: Callback<()>,
) -> impl IntoView {
    let confirming = RwSignal::new(None::<Confirm>);
    let busy = RwSignal::new(false);
    let note = RwSignal::new(None::<(bool, String)>);
    let id = StoredValue::new(endpoint.id.clone());
    let send_test = move |_| {
        busy.set(true);
        spawn_local(async move {
            match webhooks_api::test(&id.get_value()).await {
                Ok(_) => {
                    note.set(Some((true, "Test event queued: see the log below.".into())));
                    on_change.run(());
                }
                Err(err) => note.set(Some((false, err.message()))),
            }
            busy.set(false);
        });
    };
    let confirmed = move |_| {
        let Some(what) = confirming.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let id = id.get_value();
            let done = match what {
                Confirm::Rotate => webhooks_api::rotate(&id)
                    .await
                    .map(|made| on_secret.run((made, "New signing secret"))),
                Confirm::Delete => webhooks_api::delete(&id).await.map(|()| on_change.run(())),
            };
            if let Err(err) = done {
                note.set(Some((false, err.message())));
            }
            busy.set(false);
            confirming.set(None);
        });
    };
    let enabled = endpoint.enabled;
    view! {
        <li class="webhook-row" class:disabled=!enabled data-testid="webhook-row" data-url=endpoint.url.clone()
            data-state=if enabled { "enabled" } else { "disabled" }>
            <span class="webhook-who">
                <strong class="webhook-url">{endpoint.url.clone()}</strong>
                {endpoint.events.iter().map(|e| view! { <span class="chip muted">{e.as_str()}</span> }).collect_view()}
            </span>
            <span class="hint-inline webhook-status" data-testid="webhook-status">
                {if enabled {
                    view! { <span class="webhook-enabled">"Enabled"</span> }.into_any()
                } else {
                    view! { <span class="webhook-disabled">{format!("Disabled: {}", endpoint.disabled_reason.clone().unwrap_or_default())}</span> }.into_any()
                }}
                {format!(" · Added {}", when(Some(endpoint.created_at)))}
            </span>
            <span class="webhook-actions">
                {move || match confirming.get() {
                    Some(what) => view! {
                        <span class="confirm-inline" role="group">
                            {match what {
                                Confirm::Rotate => "The old secret stops working at once.",
                                Confirm::Delete => "Events waiting for it are dropped.",
                            }}
                            <button type="button" class="button small danger" data-testid="webhook-confirm"
                                disabled=move || busy.get() on:click=confirmed>
                                {match what { Confirm::Rotate => "New secret", Confirm::Delete => "Delete" }}
                            </button>
                            <button type="button" class="button small" on:click=move |_| confirming.set(None)>"Keep"</button>
                        </span>
                    }.into_any(),
                    None => view! {
                        <button type="button" class="button small" data-testid="webhook-test"
                            disabled=move || busy.get() || !enabled on:click=send_test>"Send test event"</button>
                        <button type="button" class="button small" data-testid="webhook-rotate"
                            on:click=move |_| confirming.set(Some(Confirm::Rotate))>"New secret…"</button>
                        <button type="button" class="button small" data-testid="webhook-delete"
                            on:click=move |_| confirming.set(Some(Confirm::Delete))>"Delete…"</button>
                    }.into_any(),
                }}
            </span>
            {move || note.get().map(|(ok, text)| view! {
                <p class=if ok { "hint webhook-note" } else { "problem error webhook-note" } role="status">{text}</p>
            })}
        </li>
    }
}

#[component]
fn DeliveryLog(asked: RwSignal<u32>) -> impl IntoView {
    let deliveries = RwSignal::new(Vec::<WebhookDelivery>::new());
    let next = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let failed = RwSignal::new(None::<String>);
    // How many pages are shown, so a refresh keeps what was loaded.
    let pages = StoredValue::new(1_u32);
    let refresh = move || {
        loading.set(true);
        spawn_local(async move {
            let limit = (PAGE * pages.get_value()).min(200);
            match webhooks_api::deliveries(None, limit).await {
                Ok(page) => {
                    deliveries.set(page.deliveries);
                    next.set(page.next_before);
                    failed.set(None);
                }
                Err(err) => failed.set(Some(err.message())),
            }
            loading.set(false);
        });
    };
    let older = move |_| {
        let Some(before) = next.get_untracked() else {
            return;
        };
        loading.set(true);
        spawn_local(async move {
            match webhooks_api::deliveries(Some(&before), PAGE).await {
                Ok(page) => {
                    pages.update_value(|p| *p += 1);
                    deliveries.update(|list| list.extend(page.deliveries));
                    next.set(page.next_before);
                }
                Err(err) => failed.set(Some(err.message())),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        asked.track();
        refresh();
    });
    view! {
        <div class="panel webhook-log" data-testid="webhook-log">
            <div class="audit-head">
                <h2 class="panel-title">"Recent deliveries"</h2>
                <button type="button" class="button small" data-testid="webhook-log-refresh"
                    on:click=move |_| refresh()>"Refresh"</button>
            </div>
            {move || failed.get().map(|why| view! {
                <p class="banner error" role="alert">{format!("Could not load the delivery log: {why}")}</p>
            })}
            {move || (!loading.get() && failed.with(Option::is_none) && deliveries.with(Vec::is_empty)).then(|| view! {
                <p class="empty-hint" data-testid="webhook-log-empty">"Nothing sent yet. Events appear here as they are queued, with every attempt's answer."</p>
            })}
            {move || deliveries.with(|d| !d.is_empty()).then(|| view! {
                <div class="webhook-log-head" aria-hidden="true">
                    <span>"Queued"</span>
                    <span>"Event · endpoint"</span>
                    <span>"Attempts"</span>
                    <span>"Last answer"</span>
                    <span>"State"</span>
                </div>
            })}
            <ol class="webhook-log-list" data-testid="webhook-log-list">
                <For
                    each=move || deliveries.get()
                    key=|d| (d.id.clone(), d.updated_at, d.state)
                    children=|delivery| view! { <DeliveryRow delivery /> }
                />
            </ol>
            <div class="audit-more">
                {move || next.with(Option::is_some).then(|| view! {
                    <button type="button" class="button small" data-testid="webhook-log-more"
                        disabled=move || loading.get() on:click=older>
                        {move || if loading.get() { "Loading…" } else { "Load older deliveries" }}
                    </button>
                })}
            </div>
        </div>
    }
}

#[component]
fn DeliveryRow(delivery: WebhookDelivery) -> impl IntoView {
    let answer = match (delivery.last_status, &delivery.last_error) {
        (_, Some(error)) => error.clone(),
        (Some(status), None) => format!("{status}"),
        (None, None) => "—".to_string(),
    };
    let state = match delivery.state {
        DeliveryState::Pending => delivery.next_attempt_at.map_or_else(
            || "Retrying".to_string(),
            |at| format!("Next try {}", when(Some(at))),
        ),
        other => other.label().to_string(),
    };
    view! {
        <li class="webhook-delivery" data-testid="webhook-delivery" data-state=delivery.state.as_str()
            data-event=delivery.event.clone()>
            <time class="audit-when">{when(Some(delivery.created_at))}</time>
            <span class="webhook-delivery-what">
                <code class="webhook-type">{delivery.event.clone()}</code>
                <span class="webhook-delivery-url" title=delivery.endpoint_url.clone()>{delivery.endpoint_url.clone()}</span>
            </span>
            <span class="webhook-attempts">{format!("{} of {}", delivery.attempts, delivery.max_attempts)}</span>
            <span class="webhook-answer" title=answer.clone()>
                {delivery.last_status.map(|s| view! { <span class=if (200..300).contains(&s) { "status-code ok" } else { "status-code bad" }>{s}</span> })}
                {delivery.last_error.clone()}
                {(delivery.last_status.is_none() && delivery.last_error.is_none()).then_some("—")}
            </span>
            <span class=format!("webhook-state {}", delivery.state.as_str())>{state}</span>
        </li>
    }
}
