//! `/sign-in`: email and password, then back to where the person was going
//! (`?next=`, only ever a path of this studio). Wrong passwords and
//! throttling are said plainly, the wait counted down; the server's words
//! never tell which emails exist, and neither do these.

use chorus_core::access::{SignIn, email_problem};
use gloo_timers::future::TimeoutFuture;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::access::use_access;
use crate::access_rules::{landing, retry_words, safe_next};
use crate::account_api;
use crate::api::ApiError;
use crate::components::user_menu::sign_out;
use crate::dom;

/// Where to go after signing in, from this page's `?next=`.
fn next_path() -> Option<String> {
    safe_next(dom::query_value("next").as_deref())
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let access = use_access();
    view! {
        <div class="auth-page" data-testid="sign-in-page">
            {move || {
                if !access.sign_in_on() {
                    view! { <SignInOff /> }.into_any()
                } else if access.role().is_some() {
                    view! { <AlreadyIn /> }.into_any()
                } else {
                    view! { <SignInForm /> }.into_any()
                }
            }}
        </div>
    }
}

/// The card every account page sits in.
#[component]
pub fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="auth-card" aria-labelledby="auth-title">
            <h1 id="auth-title">{title}</h1>
            {children()}
        </section>
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    let access = use_access();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let show = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Unix ms until which the server refuses tries (429).
    let wait_until = RwSignal::new(None::<f64>);
    let now = RwSignal::new(js_sys::Date::now());
    let email_ref = NodeRef::<html::Input>::new();
    let password_ref = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = email_ref.get() {
            let _ = input.focus();
        }
    });
    let left_s = move || {
        wait_until
            .get()
            .map(|until| ((until - now.get()) / 1000.0).ceil().max(0.0) as u64)
            .filter(|s| *s > 0)
    };
    let count_down = move |seconds: u64| {
        wait_until.set(Some(js_sys::Date::now() + seconds as f64 * 1000.0));
        spawn_local(async move {
            loop {
                now.set(js_sys::Date::now());
                match wait_until.get_untracked() {
                    Some(until) if until > now.get_untracked() => TimeoutFuture::new(1000).await,
                    _ => break,
                }
            }
            wait_until.set(None);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || left_s().is_some() {
            return;
        }
        let form = SignIn {
            email: email.get_untracked().trim().to_string(),
            password: password.get_untracked(),
        };
        if let Some(why) = email_problem(&form.email) {
            problem.set(Some(why));
            if let Some(input) = email_ref.get_untracked() {
                let _ = input.focus();
            }
            return;
        }
        if form.password.is_empty() {
            problem.set(Some("Enter your password.".into()));
            if let Some(input) = password_ref.get_untracked() {
                let _ = input.focus();
            }
            return;
        }
        busy.set(true);
        problem.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            let answer = account_api::sign_in(&form).await;
            busy.set(false);
            match answer {
                Ok(me) => {
                    let to = me.role.map(|role| landing(role, next_path()));
                    access.me.set(me);
                    if let Some(to) = to {
                        navigate(&to, NavigateOptions { replace: true, ..NavigateOptions::default() });
                    }
                }
                Err(refused) => {
                    let status = refused.error.status();
                    let words = match (&refused.error, status) {
                        (ApiError::Rejected { body, .. }, _) if !body.error.message.is_empty() => {
                            body.error.message.clone()
                        }
                        (_, Some(401)) => "Email or password is wrong.".to_string(),
                        (_, Some(429)) => "Too many tries for now.".to_string(),
                        (other, _) => other.message(),
                    };
                    if let (Some(429), Some(seconds)) = (status, refused.retry_after) {
                        count_down(seconds);
                    }
                    problem.set(Some(words));
                    password.set(String::new());
                    if let Some(input) = password_ref.get_untracked() {
                        let _ = input.focus();
                    }
                }
            }
        });
    };
    let blocked = move || busy.get() || left_s().is_some();
    view! {
        <AuthCard title="Sign in">
            <p class="auth-sub">"This studio asks who you are. Use the email your invite went to."</p>
            <form class="auth-form" on:submit=submit novalidate=true data-testid="sign-in-form">
                <label class="field">
                    <span class="field-label">"Email"</span>
                    <input type="email" name="email" autocomplete="username" inputmode="email"
                        autocapitalize="none" spellcheck="false" required=true autofocus=true
                        node_ref=email_ref data-testid="sign-in-email"
                        prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span class="field-head">
                        <span class="field-label">"Password"</span>
                        <button type="button" class="link-button reveal" aria-pressed=move || show.get().to_string()
                            on:click=move |_| show.update(|s| *s = !*s)>
                            {move || if show.get() { "Hide" } else { "Show" }}
                        </button>
                    </span>
                    <input type=move || if show.get() { "text" } else { "password" } name="password"
                        autocomplete="current-password" required=true spellcheck="false"
                        node_ref=password_ref data-testid="sign-in-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </label>
                {move || problem.get().map(|p| view! {
                    <p class="banner error" role="alert" data-testid="sign-in-error">
                        {p}
                        {move || left_s().map(|s| view! { " " <span data-testid="sign-in-wait">{retry_words(s)}</span> })}
                    </p>
                })}
                <button type="submit" class="button primary auth-submit" data-testid="sign-in-submit"
                    aria-disabled=move || blocked().to_string()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p class="hint auth-foot">"No account yet? An owner of this studio can invite you from Settings."</p>
        </AuthCard>
    }
}

/// Reached while signed in: carry on, or sign in as someone else.
#[component]
fn AlreadyIn() -> impl IntoView {
    let access = use_access();
    let navigate = use_navigate();
    let problem = RwSignal::new(None::<String>);
    let email = move || access.user().map(|u| u.email).unwrap_or_default();
    let go_on = move || {
        access
            .role()
            .map_or_else(|| "/".to_string(), |role| landing(role, next_path()))
    };
    view! {
        <AuthCard title="You are signed in">
            <p class="auth-sub">"Signed in as " <strong>{email}</strong>"."</p>
            <div class="auth-actions">
                <a class="button primary" href=go_on data-testid="sign-in-continue">"Continue to the studio"</a>
                <button type="button" class="button" data-testid="sign-in-switch"
                    on:click=move |_| sign_out(access, false, problem, navigate.clone())>"Sign in as someone else"</button>
            </div>
            {move || problem.get().map(|p| view! { <p class="problem error" role="alert">{p}</p> })}
        </AuthCard>
    }
}

/// With sign-in off there is nothing to sign in to.
#[component]
fn SignInOff() -> impl IntoView {
    view! {
        <AuthCard title="Sign-in is off">
            <p class="auth-sub">
                "This studio runs on a loopback address, so only this computer reaches it and no one needs to sign in. To require sign-in, start it with "
                <code>"chorus serve --require-sign-in"</code>"."
            </p>
            <div class="auth-actions">
                <a class="button primary" href="/">"Go to Compose"</a>
            </div>
        </AuthCard>
    }
}
