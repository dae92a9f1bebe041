//! Chorus Studio, the browser app: compose a speaking video, watch it render.
//!
//! Table of contents:
//! - `composition`, `fields`, `job_list`, `import_picks`: pure state and rules (also built natively, so
//!   they are unit-tested with `cargo test`).
//! - `app`: the router and the top bar; `pages`: Compose, Library and Compare;
//! - `player`: the frame-exact player; `compare`: variants side by side;
//!   `components`: one small piece of UI per file; `compose_state`: the shared
//!   signals of the Compose page; `api`, `storage`, `dom`: the browser edges.
//!
//! Everything that touches the browser is built for wasm32 only: the browser
//! tests in `tests/` compile this package natively.

// Native builds (for the tests) see the pure modules but not the UI that uses
// them, so their items look unused there.
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
mod composition;
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
mod fields;
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
mod import_picks;
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
mod job_list;
// The frame-exact player: its pure parts (cache, keyboard map) build
// natively for tests, the rest for wasm32 only (see player/mod.rs).
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
mod player;

// The compare view: pure rules natively, the UI for wasm32 (compare/mod.rs).
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
mod compare;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod compose_state;
#[cfg(target_arch = "wasm32")]
mod dom;
#[cfg(target_arch = "wasm32")]
mod pages;
#[cfg(target_arch = "wasm32")]
mod storage;

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    dom::watch_csp_violations();
    leptos::mount::mount_to_body(app::App);
    dom::mark_interactive_on_next_frame();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("Chorus Studio runs in the browser: build it with `trunk build`.");
}
