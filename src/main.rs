//! Chorus Studio, the browser app: compose a speaking video, watch it render.
//!
//! Table of contents:
//! - `composition`, `fields`, `job_list`, `import_picks`, `sketch`, `feedback_rules`,
//!   `access_rules`: pure state and rules (also built natively, so they are unit-tested
//!   with `cargo test`).
//! - `access`: who is using the studio (`/api/me`), their role, and sign-in when a call
//!   says 401; `account_api`: accounts, tokens, spend and the audit log over HTTP.
//! - `app`: the router and the top bar; `pages`: Compose, Library, Compare, sign-in, invites and Settings;
//! - `player`: the frame-exact player; `compare`: variants side by side;
//!   `components`: one small piece of UI per file; `compose_state`: the shared
//!   signals of the Compose page; `review`: client review (the studio's share panel and live
//!   feedback) and `pages::review`, the page a review link opens; `api`, `review_api`, `storage`,
//!   `dom`: the browser edges.
//!
//! Everything that touches the browser is built for wasm32 only: the browser
//! tests in `tests/` compile this package natively.

// Native builds (for the unit tests) see the pure modules but not the UI
// that uses them, so their items look unused there.
#![cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]

/// Declares modules built for the browser (wasm32) only.
macro_rules! wasm_only {
    ($($vis:vis mod $name:ident;)*) => {
        $(
            #[cfg(target_arch = "wasm32")]
            $vis mod $name;
        )*
    };
}

mod access_rules;
mod campaign_draft;
mod campaign_view;
mod composition;
mod feedback_rules;
mod fields;
mod import_picks;
mod job_list;
mod library_query;
mod library_selection;
mod sketch;
// The frame-exact player: its pure parts (cache, keyboard map) build
// natively for tests, the rest for wasm32 only (see player/mod.rs).
mod player;

// The compare view: pure rules natively, the UI for wasm32 (compare/mod.rs).
mod compare;

wasm_only! {
    mod access;
    mod account_api;
    mod api;
    mod app;
    mod bench_hooks;
    mod campaign_api;
    mod components;
    mod compose_state;
    mod dom;
    mod live_feed;
    mod localize_api;
    mod pages;
    mod review;
    mod review_api;
    mod storage;
    mod webhooks_api;
}

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    dom::watch_csp_violations();
    bench_hooks::install();
    // The app marks itself interactive once it knows who is using it.
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("Chorus Studio runs in the browser: build it with `trunk build`.");
}
