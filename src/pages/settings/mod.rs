//! `/settings/{tab}`: the account, and what a role may manage: users
//! (owners), API tokens (editors and owners), the glossary (editors; seen by
//! all), budget and spend, provider
//! keys, outgoing webhooks and the audit log (owners). A tab a role may not use is not shown; its address
//! says so instead of showing an empty page. With sign-in off everyone is
//! the owner: budget, spend and the audit log work, and the account tabs
//! say how to turn sign-in on.

mod account;
mod audit;
mod budget;
mod glossary;
mod providers;
mod tokens;
mod users;
mod webhooks;

use chorus_core::access::Role;
use chorus_core::access::Need;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::access::use_access;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Account,
    Users,
    Tokens,
    Budget,
    Glossary,
    Providers,
    Webhooks,
    Audit,
}

impl Tab {
    const ALL: [Tab; 8] = [
        Tab::Account,
        Tab::Users,
        Tab::Tokens,
        Tab::Budget,
        Tab::Glossary,
        Tab::Providers,
        Tab::Webhooks,
        Tab::Audit,
    ];

    fn slug(self) -> &'static str {
        match self {
            Tab::Account => "account",
            Tab::Users => "users",
            Tab::Tokens => "tokens",
            Tab::Budget => "budget",
            Tab::Glossary => "glossary",
            Tab::Providers => "providers",
            Tab::Webhooks => "webhooks",
            Tab::Audit => "audit",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Account => "Account",
            Tab::Users => "Users",
            Tab::Tokens => "API tokens",
            Tab::Budget => "Budget & spend",
            Tab::Glossary => "Glossary",
            Tab::Providers => "Provider keys",
            Tab::Webhooks => "Webhooks",
            Tab::Audit => "Audit log",
        }
    }

    fn need(self) -> Role {
        match self {
            Tab::Account | Tab::Glossary => Role::Viewer,
            Tab::Tokens => Role::Editor,
            Tab::Users | Tab::Budget | Tab::Providers | Tab::Webhooks | Tab::Audit => Role::Owner,
        }
    }

    fn parse(slug: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.slug() == slug)
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let access = use_access();
    let params = use_params_map();
    let asked = Memo::new(move |_| params.with(|p| p.get("tab")));
    let tab = Memo::new(move |_| {
        asked.with(|a| a.as_deref().map_or(Some(Tab::Account), Tab::parse))
    });
    let allowed = move |t: Tab| access.can(Need::Role(t.need()));
    view! {
        <div class="settings" data-testid="settings-page">
            <header class="page-head">
                <h1>"Settings"</h1>
                <p class="page-sub">{move || if access.sign_in_on() {
                    "Your account, and what your role lets you manage."
                } else {
                    "Budget, spend, the glossary and the audit log of this studio."
                }}</p>
            </header>
            <div class="settings-layout">
                <nav class="settings-tabs" aria-label="Settings sections" data-testid="settings-tabs">
                    {Tab::ALL.into_iter().map(|t| view! {
                        <Show when=move || allowed(t)>
                            <A href=format!("/settings/{}", t.slug())
                                attr:class=move || if tab.get() == Some(t) { "settings-tab active" } else { "settings-tab" }
                                attr:data-testid=format!("settings-tab-{}", t.slug())>
                                {t.label()}
                            </A>
                        </Show>
                    }).collect_view()}
                </nav>
                <section class="settings-body" data-testid=move || format!("settings-{}", tab.get().map_or("unknown", Tab::slug))>
                    {move || match tab.get() {
                        None => view! {
                            <div class="empty-state">
                                <h2>"No such section"</h2>
                                <a class="button" href="/settings">"Back to Settings"</a>
                            </div>
                        }.into_any(),
                        Some(t) if !allowed(t) => view! {
                            <div class="empty-state" data-testid="settings-not-allowed">
                                <h2>{t.label()}</h2>
                                <p>{format!("Only {} can use this section; ask an owner of this studio if you need it.",
                                    if t.need() == Role::Owner { "owners" } else { "editors and owners" })}</p>
                            </div>
                        }.into_any(),
                        Some(Tab::Account) => view! { <account::AccountSection /> }.into_any(),
                        Some(Tab::Users) => view! { <users::UsersSection /> }.into_any(),
                        Some(Tab::Tokens) => view! { <tokens::TokensSection /> }.into_any(),
                        Some(Tab::Budget) => view! { <budget::BudgetSection /> }.into_any(),
                        Some(Tab::Glossary) => view! { <glossary::GlossarySection /> }.into_any(),
                        Some(Tab::Providers) => view! { <providers::ProvidersSection /> }.into_any(),
                        Some(Tab::Webhooks) => view! { <webhooks::WebhooksSection /> }.into_any(),
                        Some(Tab::Audit) => view! { <audit::AuditSection /> }.into_any(),
                    }}
                </section>
            </div>
        </div>
    }
}

/// What the account tabs say with sign-in off.
#[component]
fn SignInOffNote(what: &'static str) -> impl IntoView {
    view! {
        <div class="panel sign-in-off" data-testid="sign-in-off">
            <h2 class="panel-title">"Sign-in is off"</h2>
            <p>{format!(
                "This studio runs on a loopback address, so only this computer reaches it and everyone here is its owner. {what} need sign-in."
            )}</p>
            <p>"To turn it on, start the server with " <code>"chorus serve --require-sign-in"</code>
                " (any non-loopback address requires it anyway), then add the first owner with "
                <code>"chorus user add EMAIL --role owner"</code>"."</p>
        </div>
    }
}

/// "Dec 7, 14:05" (or "14:05" today) for a Unix-milliseconds instant; "—"
/// when there is none.
fn when(at: Option<i64>) -> String {
    at.map_or_else(|| "—".to_string(), crate::dom::clock_time)
}
