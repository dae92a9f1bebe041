//! Users (owners): invite someone by email with a role, the link shown
//! once to send them; everyone with their role (changeable), pending
//! invites with their expiry and a fresh link, and removing someone (their
//! sessions end at once).

use chorus_core::access::Role;
use chorus_core::access::{CreatedInvite, NewInvite, RoleChange, UserView, email_problem};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{SignInOffNote, when};
use crate::access::use_access;
use crate::access_rules::expires_words;
use crate::account_api;
use crate::components::copy_field::CopyField;
use crate::dom::epoch_ms;

#[derive(Debug, Clone, PartialEq)]
enum Loading {
    Pending,
    Done,
    Failed(String),
}

/// A link just made, shown until the page is left.
#[derive(Debug, Clone, PartialEq)]
struct ShownLink {
    email: String,
    url: String,
    expires_at: i64,
}

impl ShownLink {
    fn of(made: CreatedInvite) -> Self {
        ShownLink {
            email: made.user.email,
            url: account_api::full_url(&made.url),
            expires_at: made.expires_at,
        }
    }
}

#[component]
pub fn UsersSection() -> impl IntoView {
    let access = use_access();
    move || {
        if access.sign_in_on() {
            view! { <Users /> }.into_any()
        } else {
            view! { <SignInOffNote what="Users and their roles" /> }.into_any()
        }
    }
}

#[component]
fn Users() -> impl IntoView {
    let access = use_access();
    let users = RwSignal::new(Vec::<UserView>::new());
    let loading = RwSignal::new(Loading::Pending);
    let shown = RwSignal::new(None::<ShownLink>);
    let problem = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match account_api::users().await {
                Ok(list) => {
                    users.set(list);
                    loading.set(Loading::Done);
                }
                Err(err) => loading.set(Loading::Failed(err.message())),
            }
        });
    };
    reload();
    let me = move || access.user().map(|u| u.id).unwrap_or_default();
    let on_invited = move |made: CreatedInvite| {
        shown.set(Some(ShownLink::of(made)));
        reload();
    };
    view! {
        <InviteForm on_invited />
        {move || shown.get().map(|link| view! {
            <div class="panel shown-once" role="status" data-testid="invite-made">
                <h2 class="panel-title">{format!("Invite link for {}", link.email)}</h2>
                <CopyField value=link.url.clone() label="Invite link" testid="invite-link" />
                <p class="hint">
                    {format!("Send it to them yourself; it works once and stops {}. It is shown only now: Chorus keeps just a fingerprint of it. Lost it? Make a new link below.",
                        expires_words(epoch_ms(), link.expires_at))}
                </p>
            </div>
        })}
        <div class="panel">
            <h2 class="panel-title">"People in this studio"</h2>
            {move || problem.get().map(|p| view! { <p class="problem error" role="alert" data-testid="users-problem">{p}</p> })}
            {move || match loading.get() {
                Loading::Pending => view! { <p class="hint">"Loading…"</p> }.into_any(),
                Loading::Failed(why) => view! { <p class="banner error" role="alert">{format!("Could not load the users: {why}")}</p> }.into_any(),
                Loading::Done => view! {
                    <ul class="user-list" data-testid="user-list">
                        <For
                            each=move || users.get()
                            key=|u| (u.id.clone(), u.role, u.invite_pending, u.invite_expires_at, u.last_sign_in_at)
                            children=move |user| {
                                let yourself = user.id == me();
                                view! { <UserRow user yourself users shown problem /> }
                            }
                        />
                    </ul>
                }.into_any(),
            }}
        </div>
    }
}

#[component]
fn InviteForm(on_invited: impl Fn(CreatedInvite) + Copy + Send + Sync + 'static) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Editor);
    let busy = RwSignal::new(false);
    let tried = RwSignal::new(false);
    let refused = RwSignal::new(None::<String>);
    let local = Memo::new(move |_| email.with(|e| email_problem(e)));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if busy.get_untracked() || local.get_untracked().is_some() {
            return;
        }
        let invite = NewInvite {
            email: email.get_untracked().trim().to_string(),
            role: role.get_untracked(),
        };
        busy.set(true);
        refused.set(None);
        spawn_local(async move {
            match account_api::invite_user(&invite).await {
                Ok(made) => {
                    email.set(String::new());
                    tried.set(false);
                    on_invited(made);
                }
                Err(err) => refused.set(Some(err.message())),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="panel invite-form" on:submit=submit novalidate=true data-testid="invite-user-form">
            <h2 class="panel-title">"Invite someone"</h2>
            <div class="form-row">
                <label class="field grow">
                    <span class="field-label">"Email"</span>
                    <input type="email" autocomplete="off" spellcheck="false" placeholder="name@example.com"
                        data-testid="invite-user-email"
                        aria-invalid=move || (tried.get() && local.get().is_some()).to_string()
                        prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span class="field-label">"Role"</span>
                    <select class="select" data-testid="invite-user-role"
                        on:change=move |ev| if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r); }>
                        {Role::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=move || role.get() == r>{r.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="button primary" data-testid="invite-user-submit"
                    aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { "Inviting…" } else { "Invite" }}
                </button>
            </div>
            <p class="hint">{move || format!("{}: {}.", role.get().label(), role.get().describe())}</p>
            {move || tried.get().then(|| local.get()).flatten().map(|p| view! { <p class="problem error">{p}</p> })}
            {move || refused.get().map(|p| view! { <p class="problem error" role="alert" data-testid="invite-user-error">{p}</p> })}
        </form>
    }
}

#[component]
fn UserRow(
    user: UserView,
    yourself: bool,
    users: RwSignal<Vec<UserView>>,
    shown: RwSignal<Option<ShownLink>>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let id = user.id.clone();
    let email = user.email.clone();
    let current = user.role;
    let replace = move |updated: UserView| {
        users.update(|list| {
            if let Some(known) = list.iter_mut().find(|u| u.id == updated.id) {
                *known = updated;
            }
        });
    };
    let change_role = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let Some(role) = Role::parse(&event_target_value(&ev)) else {
                return;
            };
            let select: web_sys::HtmlSelectElement = event_target(&ev);
            let id = id.clone();
            problem.set(None);
            spawn_local(async move {
                match account_api::change_role(&id, &RoleChange { role }).await {
                    Ok(updated) => replace(updated),
                    Err(err) => {
                        problem.set(Some(err.message()));
                        // Back to the role the server keeps.
                        select.set_value(current.as_str());
                    }
                }
            });
        }
    };
    let new_link = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            busy.set(true);
            problem.set(None);
            spawn_local(async move {
                match account_api::new_invite_link(&id).await {
                    Ok(made) => {
                        replace(made.user.clone());
                        shown.set(Some(ShownLink::of(made)));
                    }
                    Err(err) => problem.set(Some(err.message())),
                }
                busy.set(false);
            });
        }
    };
    let remove = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            busy.set(true);
            problem.set(None);
            spawn_local(async move {
                match account_api::remove_user(&id).await {
                    Ok(()) => users.update(|list| list.retain(|u| u.id != id)),
                    Err(err) => {
                        problem.set(Some(err.message()));
                        confirming.set(false);
                    }
                }
                busy.set(false);
            });
        }
    };
    let now = epoch_ms();
    let status = if user.invite_pending {
        match user.invite_expires_at {
            Some(at) if at > now => ("pending", format!("Invite pending, expires {}", expires_words(now, at))),
            _ => ("expired", "Invite expired: make a new link".to_string()),
        }
    } else {
        match user.last_sign_in_at {
            Some(at) => ("active", format!("Last signed in {}", when(Some(at)))),
            None => ("active", "Has not signed in yet".to_string()),
        }
    };
    let pending = user.invite_pending;
    let remove_words = format!("Remove {email}? Their sessions and API tokens stop working at once.");
    view! {
        <li class="user-row" data-testid="user-row" data-email=email.clone() data-state=status.0>
            <span class="user-who">
                <span class="user-row-email">{email.clone()}</span>
                {yourself.then(|| view! { <span class="chip muted">"you"</span> })}
                <span class=format!("hint-inline user-status {}", status.0) data-testid="user-status">{status.1}</span>
            </span>
            <label class="user-role-pick">
                <span class="sr-only">{format!("Role of {email}")}</span>
                <select class="select" data-testid="user-role" disabled=yourself
                    title=if yourself { "Another owner can change your role" } else { "" }
                    on:change=change_role>
                    {Role::ALL.into_iter().map(|r| view! {
                        <option value=r.as_str() selected=r == current>{r.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <span class="user-actions">
                {pending.then(|| view! {
                    <button type="button" class="button small" data-testid="user-new-link"
                        title="A fresh invite link; the old one stops working"
                        disabled=move || busy.get() on:click=new_link.clone()>"New link"</button>
                })}
                {(!yourself).then(|| view! {
                    <Show when=move || !confirming.get()>
                        <button type="button" class="button small" data-testid="user-remove"
                            on:click=move |_| confirming.set(true)>"Remove…"</button>
                    </Show>
                })}
            </span>
            {move || confirming.get().then(|| view! {
                <div class="confirm-row" role="alertdialog" aria-label="Remove this person?" data-testid="user-remove-confirm">
                    <span>{remove_words.clone()}</span>
                    <button type="button" class="button small danger" data-testid="user-remove-yes"
                        disabled=move || busy.get() on:click=remove.clone()>"Remove"</button>
                    <button type="button" class="button small" on:click=move |_| confirming.set(false)>"Keep"</button>
                </div>
            })}
        </li>
    }
}
