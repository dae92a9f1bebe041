//! `/invite/{token}`: someone an owner invited chooses their password.
//! It shows who is joining and as what, checks the password as it is typed
//! (the same rules the server applies), and once set the person is signed
//! in and lands on Compose, or the Library for a viewer. A link that was
//! used or has expired says to ask the owner for a new one.

use chorus_core::access::{AcceptInvite, InviteView, MIN_PASSWORD_CHARS, password_problems};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::access::use_access;
use crate::access_rules::{confirm_problem, expires_words, landing};
use crate::account_api;
use crate::api::ApiError;
use crate::pages::sign_in::AuthCard;

#[derive(Debug, Clone, PartialEq)]
enum Loaded {
    Pending,
    Ready(InviteView),
    /// Used, expired or unknown: only a new link helps.
    Gone(String),
    Failed(String),
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.with(|p| p.get("token")).unwrap_or_default());
    let loaded = RwSignal::new(Loaded::Pending);
    Effect::new(move |_| {
        let token = token.get();
        spawn_local(async move {
            let next = match account_api::invite(&token).await {
                Ok(invite) => Loaded::Ready(invite),
                Err(err) if matches!(err.status(), Some(404 | 410)) => Loaded::Gone(match err.status() {
                    Some(410) => "This invite link was already used or has expired.".to_string(),
                    _ => "This invite link is not one this studio made, or it was replaced by a newer one.".to_string(),
                }),
                Err(err) => Loaded::Failed(err.message()),
            };
            loaded.set(next);
        });
    });
    view! {
        <div class="auth-page" data-testid="invite-page">
            {move || match loaded.get() {
                Loaded::Pending => view! { <p class="hint auth-loading">"Opening the invite…"</p> }.into_any(),
                Loaded::Gone(why) => view! {
                    <AuthCard title="This link no longer works">
                        <p class="auth-sub" role="alert" data-testid="invite-gone">
                            {why}" Ask the studio's owner for a new link: they can make one in Settings, under Users."
                        </p>
                        <div class="auth-actions">
                            <a class="button" href="/sign-in">"I have a password: sign in"</a>
                        </div>
                    </AuthCard>
                }.into_any(),
                Loaded::Failed(why) => view! {
                    <AuthCard title="The invite could not be opened">
                        <p class="banner error" role="alert" data-testid="invite-error">{why}</p>
                    </AuthCard>
                }.into_any(),
                Loaded::Ready(invite) => view! { <ChoosePassword invite token=token.get_untracked() /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn ChoosePassword(invite: InviteView, token: String) -> impl IntoView {
    let access = use_access();
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let show = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let tried = RwSignal::new(false);
    let refusal = RwSignal::new(None::<(String, Vec<String>)>);
    let password_ref = NodeRef::<html::Input>::new();
    let confirm_ref = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = password_ref.get() {
            let _ = input.focus();
        }
    });
    let email = invite.email.clone();
    let problems = {
        let email = email.clone();
        Memo::new(move |_| password.with(|p| password_problems(p, &email)))
    };
    let differs = Memo::new(move |_| password.with(|p| confirm.with(|c| p != c)));
    // Live once the confirmation goes wrong; after a try, whenever it differs.
    let mismatch = Memo::new(move |_| {
        password.with(|p| confirm.with(|c| confirm_problem(p, c))).or_else(|| {
            (tried.get() && differs.get() && !confirm.with(String::is_empty))
                .then_some("The two passwords differ.")
        })
    });
    let ready = move || problems.with(Vec::is_empty) && !differs.get();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if busy.get_untracked() {
            return;
        }
        if !problems.with_untracked(Vec::is_empty) {
            if let Some(input) = password_ref.get_untracked() {
                let _ = input.focus();
            }
            return;
        }
        if differs.get_untracked() {
            if let Some(input) = confirm_ref.get_untracked() {
                let _ = input.focus();
            }
            return;
        }
        busy.set(true);
        refusal.set(None);
        let accept = AcceptInvite {
            password: password.get_untracked(),
        };
        let token = token.clone();
        let navigate = navigate.clone();
        spawn_local(async move {
            let answer = account_api::accept_invite(&token, &accept).await;
            busy.set(false);
            match answer {
                Ok(me) => {
                    let to = me.role.map(|role| landing(role, None));
                    access.me.set(me);
                    if let Some(to) = to {
                        navigate(&to, NavigateOptions { replace: true, ..NavigateOptions::default() });
                    }
                }
                Err(ApiError::Rejected { status, body }) => {
                    let mut message = body.error.message;
                    if status == 410 {
                        message.push_str(" Ask the studio's owner for a new link.");
                    }
                    let list = body.error.problems.into_iter().map(|p| p.message).collect();
                    refusal.set(Some((message, list)));
                }
                Err(other) => refusal.set(Some((other.message(), Vec::new()))),
            }
        });
    };
    let role = invite.role;
    let expires = expires_words(crate::dom::epoch_ms(), invite.expires_at);
    let typed = move || !password.with(String::is_empty);
    view! {
        <AuthCard title="Join the studio">
            <p class="auth-sub" data-testid="invite-who">
                "You were invited as "<strong>{role.label()}</strong>" ("{role.describe()}"). "
                "Choose a password to finish; this link stops working "{expires}"."
            </p>
            <form class="auth-form" on:submit=submit novalidate=true data-testid="invite-form">
                <label class="field">
                    <span class="field-label">"Email"</span>
                    <input type="email" name="email" autocomplete="username" readonly=true
                        class="readonly" data-testid="invite-email" prop:value=email.clone() />
                </label>
                <label class="field">
                    <span class="field-head">
                        <span class="field-label">"New password"</span>
                        <button type="button" class="link-button reveal" aria-pressed=move || show.get().to_string()
                            on:click=move |_| show.update(|s| *s = !*s)>
                            {move || if show.get() { "Hide" } else { "Show" }}
                        </button>
                    </span>
                    <input type=move || if show.get() { "text" } else { "password" } name="new-password"
                        autocomplete="new-password" spellcheck="false" required=true autofocus=true
                        minlength=MIN_PASSWORD_CHARS.to_string()
                        aria-describedby="password-rules"
                        aria-invalid=move || (tried.get() && !problems.with(Vec::is_empty)).to_string()
                        node_ref=password_ref data-testid="invite-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </label>
                <ul class="password-rules" id="password-rules" aria-live="polite" data-testid="password-problems">
                    {move || {
                        let list = problems.get();
                        if list.is_empty() && typed() {
                            view! { <li class="rule ok" data-testid="password-ok">"A strong password."</li> }.into_any()
                        } else if list.is_empty() {
                            view! { <li class="rule">{format!("At least {MIN_PASSWORD_CHARS} characters; a few unrelated words work well.")}</li> }.into_any()
                        } else {
                            list.into_iter().map(|p| view! {
                                <li class="rule" class:bad=move || tried.get() || typed() data-testid="password-problem">{p}</li>
                            }).collect_view().into_any()
                        }
                    }}
                </ul>
                <label class="field">
                    <span class="field-label">"Confirm the password"</span>
                    <input type=move || if show.get() { "text" } else { "password" } name="confirm-password"
                        autocomplete="new-password" spellcheck="false" required=true
                        aria-invalid=move || mismatch.get().is_some().to_string()
                        node_ref=confirm_ref data-testid="invite-confirm"
                        prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev)) />
                </label>
                {move || mismatch.get().map(|m| view! { <p class="problem error" data-testid="confirm-problem">{m}</p> })}
                {move || (tried.get() && confirm.with(String::is_empty) && problems.with(Vec::is_empty)).then(|| view! {
                    <p class="problem error">"Type the password again to confirm it."</p>
                })}
                {move || refusal.get().map(|(message, list)| view! {
                    <div class="banner error" role="alert" data-testid="invite-refused">
                        <p>{message}</p>
                        {(!list.is_empty()).then(|| view! {
                            <ul>{list.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                        })}
                    </div>
                })}
                <button type="submit" class="button primary auth-submit" data-testid="invite-submit"
                    aria-disabled=move || (busy.get() || !ready()).to_string()>
                    {move || if busy.get() { "Setting the password…" } else { "Set password and sign in" }}
                </button>
            </form>
        </AuthCard>
    }
}
