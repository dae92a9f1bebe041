//! The app shell: who is using the studio, the top bar, routes, and the
//! shortcuts that work everywhere. Signed out (where sign-in is on), only
//! the sign-in and invite pages exist; every other address goes to sign-in,
//! remembering where it was. Signed in, the studio's pages are built afresh
//! for that account, so nothing of one account's session stays for the next.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_navigate;
use leptos_router::path;

use crate::access::{Access, Phase, use_access};
use crate::access_rules::sign_in_path;
use crate::components::top_bar::TopBar;
use crate::compose_state::ComposeState;
use crate::dom;
use crate::pages::campaign_board::CampaignBoardPage;
use crate::pages::campaign_new::CampaignNewPage;
use crate::pages::campaigns::CampaignsPage;
use crate::pages::compare::ComparePage;
use crate::pages::compose::ComposePage;
use crate::pages::invite::InvitePage;
use crate::pages::library::LibraryPage;
use crate::pages::campaign_review::CampaignReviewPage;
use crate::pages::review::ReviewPage;
use crate::pages::settings::SettingsPage;
use crate::pages::sign_in::SignInPage;
use crate::review::feedback::FeedbackStore;

/// Whether this page is a client's review link, which shows none of the
/// studio around it.
fn is_review_page() -> bool {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .is_some_and(|p| p.starts_with("/r/") || p.starts_with("/c/"))
}

#[component]
pub fn App() -> impl IntoView {
    if is_review_page() {
        dom::mark_interactive_on_next_frame();
        return view! {
            <Router>
                <main id="main" class="page review" tabindex="-1">
                    <Routes fallback=|| view! { <NotFound /> }>
                        <Route path=path!("/r/:token") view=ReviewPage />
                        <Route path=path!("/c/:token") view=CampaignReviewPage />
                    </Routes>
                </main>
            </Router>
        }
        .into_any();
    }
    let access = Access::start();
    // Interactive once the first real page is built.
    Effect::new(move |marked: Option<bool>| {
        let known = access.phase.with(|p| *p == Phase::Known);
        if known && marked != Some(true) {
            dom::mark_interactive_on_next_frame();
        }
        known || marked == Some(true)
    });
    view! {
        <Router>
            {move || match access.phase.get() {
                Phase::Asking => view! { <Asking /> }.into_any(),
                Phase::Failed(why) => view! { <Unreachable why access /> }.into_any(),
                Phase::Known => view! { <Studio /> }.into_any(),
            }}
        </Router>
    }
    .into_any()
}

/// The shell once the studio knows who this is.
#[component]
fn Studio() -> impl IntoView {
    let access = use_access();
    // The pages are rebuilt only when the account or its role changes.
    let who = Memo::new(move |_| {
        access
            .me
            .with(|m| (m.role, m.user.as_ref().map(|u| u.id.clone())))
    });
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <TopBar />
        <main id="main" class="page" tabindex="-1">
            {move || match who.get().0 {
                None => view! { <SignedOutRoutes /> }.into_any(),
                Some(_) => view! { <StudioRoutes /> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn SignedOutRoutes() -> impl IntoView {
    view! {
        <Routes fallback=|| view! { <ToSignIn /> }>
            <Route path=path!("/sign-in") view=SignInPage />
            <Route path=path!("/invite/:token") view=InvitePage />
        </Routes>
    }
}

#[component]
fn StudioRoutes() -> impl IntoView {
    provide_context(FeedbackStore::new());
    // Lives as long as the session, so a trip to the Library keeps uploads
    // in flight and the page's state intact. Only for those who compose.
    if use_access().can_edit_now() {
        provide_context(ComposeState::new());
    }
    view! {
        <GlobalShortcuts />
        <Routes fallback=|| view! { <NotFound /> }>
            <Route path=path!("/") view=Home />
            <Route path=path!("/library") view=LibraryPage />
            <Route path=path!("/compare/:id") view=ComparePage />
            <Route path=path!("/campaigns") view=CampaignsPage />
            <Route path=path!("/campaigns/new") view=CampaignNewPage />
            <Route path=path!("/campaigns/:id") view=CampaignBoardPage />
            <Route path=path!("/settings") view=SettingsPage />
            <Route path=path!("/settings/:tab") view=SettingsPage />
            <Route path=path!("/sign-in") view=SignInPage />
            <Route path=path!("/invite/:token") view=InvitePage />
        </Routes>
    }
}

/// Compose for those who may generate; viewers start on the Library.
#[component]
fn Home() -> impl IntoView {
    let access = use_access();
    move || {
        if access.can_edit() {
            view! { <ComposePage /> }.into_any()
        } else {
            view! { <Go to="/library".to_string() /> }.into_any()
        }
    }
}

/// Replaces the address with `to` once built (a redirect that keeps the
/// back button useful).
#[component]
pub fn Go(to: String) -> impl IntoView {
    let navigate = use_navigate();
    Effect::new(move |_| {
        navigate(
            &to,
            NavigateOptions {
                replace: true,
                ..NavigateOptions::default()
            },
        );
    });
}

/// Any studio address while signed out: sign in first, then back here.
#[component]
fn ToSignIn() -> impl IntoView {
    let here = web_sys::window()
        .map(|w| {
            let l = w.location();
            format!(
                "{}{}{}",
                l.pathname().unwrap_or_default(),
                l.search().unwrap_or_default(),
                l.hash().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    view! { <Go to=sign_in_path(&here) /> }
}

/// Nothing is shown while the studio asks who this is, unless the answer
/// is slow: a blank dark page for a blink reads better than a flash of a
/// page the person may not be allowed.
#[component]
fn Asking() -> impl IntoView {
    let slow = RwSignal::new(false);
    let handle = set_timeout_with_handle(
        move || slow.set(true),
        std::time::Duration::from_millis(600),
    );
    on_cleanup(move || {
        if let Ok(handle) = handle {
            handle.clear();
        }
    });
    view! {
        <div class="boot" aria-busy="true">
            <Show when=move || slow.get()>
                <p class="boot-note" role="status"><span class="spinner" aria-hidden="true"></span>"Connecting to the studio…"</p>
            </Show>
        </div>
    }
}

#[component]
fn Unreachable(why: String, access: Access) -> impl IntoView {
    view! {
        <main id="main" class="page">
            <section class="empty-state boot-failed" role="alert" data-testid="boot-failed">
                <h1>"The studio is out of reach"</h1>
                <p>{why}</p>
                <button type="button" class="button primary" on:click=move |_| access.ask()>"Try again"</button>
            </section>
        </main>
    }
}

/// Alt+1 / Alt+2 switch pages from anywhere, even while typing.
#[component]
fn GlobalShortcuts() -> impl IntoView {
    let navigate = use_navigate();
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if !ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        // `code` rather than `key`: Alt+digit types other characters on some layouts.
        let target = match ev.code().as_str() {
            "Digit1" => "/",
            "Digit2" => "/library",
            _ => return,
        };
        ev.prevent_default();
        navigate(target, leptos_router::NavigateOptions::default());
    });
    on_cleanup(move || handle.remove());
}

#[component]
fn NotFound() -> impl IntoView {
    let access = use_access();
    view! {
        <section class="empty-state">
            <h1>"Nothing here"</h1>
            <p>"This address is not part of the studio."</p>
            {move || if access.can_edit() {
                view! { <a class="button primary" href="/">"Go to Compose"</a> }.into_any()
            } else {
                view! { <a class="button primary" href="/library">"Go to the Library"</a> }.into_any()
            }}
        </section>
    }
}
