//! The app shell: top bar, routes, and the shortcuts that work everywhere.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_navigate;
use leptos_router::path;

use crate::components::top_bar::TopBar;
use crate::compose_state::ComposeState;
use crate::pages::compare::ComparePage;
use crate::pages::compose::ComposePage;
use crate::pages::library::LibraryPage;
use crate::pages::review::ReviewPage;
use crate::review::feedback::FeedbackStore;

/// Whether this page is a client's review link, which shows none of the
/// studio around it.
fn is_review_page() -> bool {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .is_some_and(|p| p.starts_with("/r/"))
}

#[component]
pub fn App() -> impl IntoView {
    if is_review_page() {
        return view! {
            <Router>
                <main id="main" class="page review" tabindex="-1">
                    <Routes fallback=|| view! { <NotFound /> }>
                        <Route path=path!("/r/:token") view=ReviewPage />
                    </Routes>
                </main>
            </Router>
        }
        .into_any();
    }
    provide_context(FeedbackStore::new());
    // Lives as long as the app, so a trip to the Library keeps uploads in
    // flight and the page's state intact.
    provide_context(ComposeState::new());
    view! {
        <Router>
            <GlobalShortcuts />
            <a class="skip-link" href="#main">"Skip to content"</a>
            <TopBar />
            <main id="main" class="page" tabindex="-1">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=ComposePage />
                    <Route path=path!("/library") view=LibraryPage />
                    <Route path=path!("/compare/:id") view=ComparePage />
                </Routes>
            </main>
        </Router>
    }
    .into_any()
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
    view! {
        <section class="empty-state">
            <h1>"Nothing here"</h1>
            <p>"This address is not part of the studio."</p>
            <a class="button primary" href="/">"Go to Compose"</a>
        </section>
    }
}
