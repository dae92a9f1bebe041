//! Who is signed in, at the end of the top bar: their email and role, and
//! a menu with Settings, Sign out and Sign out everywhere. A `<details>`
//! so it opens from the keyboard with no script; Escape and a click
//! elsewhere close it too.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use crate::access::{Access, use_access};
use crate::account_api;

/// Ends this session (or every one of this account), then shows sign-in.
pub fn sign_out(
    access: Access,
    everywhere: bool,
    problem: RwSignal<Option<String>>,
    navigate: impl Fn(&str, NavigateOptions) + 'static,
) {
    spawn_local(async move {
        let done = if everywhere {
            account_api::sign_out_everywhere().await
        } else {
            account_api::sign_out().await
        };
        match done {
            // Already signed out counts as done.
            Ok(()) => {}
            Err(err) if err.status() == Some(401) => {}
            Err(err) => {
                problem.set(Some(err.message()));
                return;
            }
        }
        // To the page first, so sign-in does not offer to come back here.
        navigate("/sign-in", NavigateOptions::default());
        access.session_ended();
    });
}

#[component]
pub fn UserMenu() -> impl IntoView {
    let access = use_access();
    let navigate = use_navigate();
    let menu = NodeRef::<html::Details>::new();
    let problem = RwSignal::new(None::<String>);
    let close = move || {
        if let Some(menu) = menu.get_untracked() {
            menu.set_open(false);
        }
    };
    let on_click = window_event_listener(leptos::ev::click, move |ev| {
        let Some(menu) = menu.get_untracked() else {
            return;
        };
        let inside = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .is_some_and(|t| menu.contains(Some(&t)));
        if !inside {
            menu.set_open(false);
        }
    });
    on_cleanup(move || on_click.remove());
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape"
            && let Some(menu) = menu.get_untracked()
            && menu.open()
        {
            menu.set_open(false);
            if let Some(summary) = menu
                .query_selector("summary")
                .ok()
                .flatten()
                .and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = summary.focus();
            }
        }
    };
    let email = move || access.user().map(|u| u.email).unwrap_or_default();
    let role = move || access.role().map_or("", chorus_core::access::Role::label);
    let initial = move || {
        email()
            .chars()
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default()
    };
    let out = {
        let navigate = navigate.clone();
        move |_| {
            close();
            sign_out(access, false, problem, navigate.clone());
        }
    };
    let out_everywhere = move |_| {
        close();
        sign_out(access, true, problem, navigate.clone());
    };
    view! {
        <details class="user-menu" node_ref=menu data-testid="user-menu" on:keydown=on_key>
            <summary class="user-chip" aria-label=move || format!("Signed in as {}, {}", email(), role())>
                <span class="avatar" aria-hidden="true">{initial}</span>
                <span class="user-email" data-testid="user-email">{email}</span>
                <span class="chip muted user-role" data-testid="user-role">{role}</span>
            </summary>
            <div class="user-pop" role="menu">
                <p class="user-pop-head">
                    <span class="hint">"Signed in as"</span>
                    <strong>{email}</strong>
                    <span class="hint">{move || access.role().map(|r| format!("{}: {}", r.label(), r.describe())).unwrap_or_default()}</span>
                </p>
                <a class="menu-item" role="menuitem" href="/settings" data-testid="menu-settings" on:click=move |_| close()>"Settings"</a>
                <button type="button" class="menu-item" role="menuitem" data-testid="sign-out" on:click=out>"Sign out"</button>
                <button type="button" class="menu-item" role="menuitem" data-testid="sign-out-everywhere"
                    title="Ends every session of this account, on every device, this one too"
                    on:click=out_everywhere>"Sign out everywhere"</button>
            </div>
            {move || problem.get().map(|p| view! { <p class="problem error user-problem" role="alert">{p}</p> })}
        </details>
    }
}
