//! Who you are: email, role and what it allows, and signing out here or
//! everywhere (every device, this one included).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{SignInOffNote, when};
use crate::access::use_access;
use crate::components::user_menu::sign_out;

#[component]
pub fn AccountSection() -> impl IntoView {
    let access = use_access();
    let navigate = use_navigate();
    let problem = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let out = {
        let navigate = navigate.clone();
        move |_| sign_out(access, false, problem, navigate.clone())
    };
    let everywhere = move |_| sign_out(access, true, problem, navigate.clone());
    move || match access.user() {
        None => view! {
            <SignInOffNote what="Accounts, roles and API tokens" />
        }.into_any(),
        Some(user) => {
            let role = user.role;
            let (out, everywhere) = (out.clone(), everywhere.clone());
            view! {
                <div class="panel account" data-testid="account-panel">
                    <h2 class="panel-title">"Your account"</h2>
                    <dl class="facts">
                        <dt>"Email"</dt>
                        <dd data-testid="account-email">{user.email.clone()}</dd>
                        <dt>"Role"</dt>
                        <dd data-testid="account-role">
                            <span class="chip muted">{role.label()}</span>
                            <span class="hint-inline">{format!(" {}", role.describe())}</span>
                        </dd>
                        <dt>"Member since"</dt>
                        <dd>{when(Some(user.created_at))}</dd>
                        <dt>"Last signed in"</dt>
                        <dd>{when(user.last_sign_in_at)}</dd>
                    </dl>
                </div>
                <div class="panel account">
                    <h2 class="panel-title">"Sessions"</h2>
                    <p class="hint">"Signed in on a shared or lost device? Sign out everywhere ends every session of this account at once, this one included; API tokens keep working until revoked."</p>
                    <div class="row-actions">
                        <button type="button" class="button" data-testid="account-sign-out" on:click=out>"Sign out"</button>
                        {move || if confirming.get() {
                            view! {
                                <span class="confirm-inline" role="group" aria-label="Sign out everywhere?">
                                    "Every device, this one too?"
                                    <button type="button" class="button small danger" data-testid="account-sign-out-everywhere-yes"
                                        on:click=everywhere.clone()>"Sign out everywhere"</button>
                                    <button type="button" class="button small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                                </span>
                            }.into_any()
                        } else {
                            view! {
                                <button type="button" class="button" data-testid="account-sign-out-everywhere"
                                    on:click=move |_| confirming.set(true)>"Sign out everywhere…"</button>
                            }.into_any()
                        }}
                    </div>
                    {move || problem.get().map(|p| view! { <p class="problem error" role="alert">{p}</p> })}
                </div>
            }.into_any()
        }
    }
}
