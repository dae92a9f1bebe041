//! API tokens (editors and owners): named and scoped for a script, the
//! secret shown once with a warning, every token with its last use, and
//! revoking one, which the server honours on the next request.

use chorus_core::access::{ApiTokenView, CreatedApiToken, NewApiToken, Scope, token_problems};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{SignInOffNote, when};
use crate::access::use_access;
use crate::account_api;
use crate::components::copy_field::CopyField;

fn scope_words(scope: Scope) -> &'static str {
    match scope {
        Scope::Read => "Read: jobs, takes and the Library, as a viewer",
        Scope::Generate => "Generate: create, cancel and correct jobs, import clips (spends the budget)",
    }
}

#[component]
pub fn TokensSection() -> impl IntoView {
    let access = use_access();
    move || {
        if access.sign_in_on() {
            view! { <Tokens /> }.into_any()
        } else {
            view! { <SignInOffNote what="API tokens" /> }.into_any()
        }
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let tokens = RwSignal::new(None::<Result<Vec<ApiTokenView>, String>>);
    let made = RwSignal::new(None::<CreatedApiToken>);
    let reload = move || {
        spawn_local(async move {
            tokens.set(Some(account_api::tokens().await.map_err(|e| e.message())));
        });
    };
    reload();
    let on_made = move |token: CreatedApiToken| {
        made.set(Some(token));
        reload();
    };
    view! {
        <TokenForm on_made />
        {move || made.get().map(|token| view! {
            <div class="panel shown-once" role="status" data-testid="token-made">
                <h2 class="panel-title">{format!("Token “{}”", token.view.name)}</h2>
                <p class="banner warning">"Copy it now: it is shown only this once. Chorus keeps just a fingerprint, so a lost token cannot be shown again; revoke it and make another."</p>
                <CopyField value=token.token.clone() label="API token" testid="token-secret" />
                <p class="hint">"Send it as " <code>"Authorization: Bearer …"</code>" on each request. Tokens are refused in cookies and in addresses."</p>
            </div>
        })}
        <div class="panel">
            <h2 class="panel-title">"Tokens"</h2>
            {move || match tokens.get() {
                None => view! { <p class="hint">"Loading…"</p> }.into_any(),
                Some(Err(why)) => view! { <p class="banner error" role="alert">{format!("Could not load the tokens: {why}")}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="empty-hint" data-testid="token-list-empty">"No tokens yet. Make one for each script or machine, so each can be revoked alone."</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="token-list" data-testid="token-list">
                        {list.into_iter().map(|token| view! { <TokenRow token reload=Callback::new(move |()| reload()) /> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </div>
    }
}

#[component]
fn TokenForm(on_made: impl Fn(CreatedApiToken) + Copy + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec![Scope::Read]);
    let tried = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let refused = RwSignal::new(None::<String>);
    let request = Memo::new(move |_| NewApiToken {
        name: name.get().trim().to_string(),
        scopes: scopes.get(),
    });
    let problems = Memo::new(move |_| request.with(token_problems));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if busy.get_untracked() || !problems.with_untracked(Vec::is_empty) {
            return;
        }
        let token = request.get_untracked();
        busy.set(true);
        refused.set(None);
        spawn_local(async move {
            match account_api::create_token(&token).await {
                Ok(made) => {
                    name.set(String::new());
                    tried.set(false);
                    on_made(made);
                }
                Err(err) => refused.set(Some(err.message())),
            }
            busy.set(false);
        });
    };
    let toggle = move |scope: Scope| {
        scopes.update(|list| {
            if let Some(at) = list.iter().position(|s| *s == scope) {
                list.remove(at);
            } else {
                list.push(scope);
                list.sort_unstable();
            }
        });
    };
    view! {
        <form class="panel token-form" on:submit=submit novalidate=true data-testid="token-form">
            <h2 class="panel-title">"Make a token"</h2>
            <p class="hint">"For scripts and other programs. A token acts as you, within its scopes, and never as an owner."</p>
            <label class="field">
                <span class="field-label">"Name"</span>
                <input type="text" autocomplete="off" placeholder="nightly-renders" maxlength="80"
                    data-testid="token-name"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <fieldset class="scopes">
                <legend class="field-label">"May"</legend>
                {Scope::ALL.into_iter().map(|scope| view! {
                    <label class="check">
                        <input type="checkbox" data-testid=format!("token-scope-{}", scope.as_str())
                            prop:checked=move || scopes.with(|s| s.contains(&scope))
                            on:change=move |_| toggle(scope) />
                        {scope_words(scope)}
                    </label>
                }).collect_view()}
            </fieldset>
            {move || tried.get().then(|| view! {
                <ul class="field-problems">
                    {problems.get().into_iter().map(|p| view! { <li class="problem error">{p}</li> }).collect_view()}
                </ul>
            })}
            {move || refused.get().map(|p| view! { <p class="problem error" role="alert" data-testid="token-error">{p}</p> })}
            <div class="row-actions">
                <button type="submit" class="button primary" data-testid="token-create"
                    aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { "Making…" } else { "Make token" }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn TokenRow(token: ApiTokenView, reload: Callback<()>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let id = token.id.clone();
    let revoke = move |_| {
        let id = id.clone();
        busy.set(true);
        spawn_local(async move {
            match account_api::revoke_token(&id).await {
                Ok(()) => reload.run(()),
                Err(err) => problem.set(Some(err.message())),
            }
            busy.set(false);
            confirming.set(false);
        });
    };
    let revoked = token.revoked_at.is_some();
    let used = token
        .last_used_at
        .map_or_else(|| "Never used".to_string(), |at| format!("Last used {}", when(Some(at))));
    let whose = token.user_email.clone().map(|e| format!(" · {e}"));
    let name = token.name.clone();
    view! {
        <li class="token-row" class:revoked=revoked data-testid="token-row" data-name=token.name.clone()
            data-state=if revoked { "revoked" } else { "active" }>
            <span class="token-who">
                <strong class="token-name">{token.name.clone()}</strong>
                {token.scopes.iter().map(|s| view! { <span class="chip muted">{s.as_str()}</span> }).collect_view()}
            </span>
            <span class="hint-inline token-times" data-testid="token-used">
                {format!("Made {}{} · {used}", when(Some(token.created_at)), whose.unwrap_or_default())}
                {token.revoked_at.map(|at| format!(" · Revoked {}", when(Some(at))))}
            </span>
            {(!revoked).then(move || view! {
                <span class="token-actions">
                    {move || if confirming.get() {
                        view! {
                            <span class="confirm-inline" role="group" aria-label=format!("Revoke {name}?")>
                                "Scripts using it stop at once."
                                <button type="button" class="button small danger" data-testid="token-revoke-yes"
                                    disabled=move || busy.get() on:click=revoke.clone()>"Revoke"</button>
                                <button type="button" class="button small" on:click=move |_| confirming.set(false)>"Keep"</button>
                            </span>
                        }.into_any()
                    } else {
                        view! {
                            <button type="button" class="button small" data-testid="token-revoke"
                                on:click=move |_| confirming.set(true)>"Revoke…"</button>
                        }.into_any()
                    }}
                </span>
            })}
            {move || problem.get().map(|p| view! { <p class="problem error" role="alert">{p}</p> })}
        </li>
    }
}
