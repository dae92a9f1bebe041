//! The frame-exact player: shows exactly the frame asked for, at once, and
//! plays with the keyboard an editor expects. Modelled on rerun's video
//! path: only the MP4 index is parsed up front, sample bytes are fetched on
//! demand per GOP, WebCodecs is fed in decode order, frames are shown in
//! presentation order and every `VideoFrame` is closed in `Drop`.
//!
//! - `source`: HTTP Range fetches and the index; `decoder`: WebCodecs;
//!   `frame`: VideoFrame ownership and plane copies; `picture`: the copied
//!   planes; `cache`: decoded frames within a memory budget; `frames`:
//!   frame number → picture.
//! - `gpu`: the page's one GPU context (WebGL2, or WebGPU), shared by every
//!   screen; `render` (+ `yuv.wgsl`): one screen's drawing; `screen`: a
//!   take's frames drawn into a canvas; `probe`: the pixel checksum tests
//!   read.
//! - `mix`: every screen's sound on one Web Audio clock; `audio`: the single
//!   player's sound and waveform.
//! - `transport`: one playhead over one or more screens (seek, step, play,
//!   loop, prefetch), browser-free and tested natively; `live`: the
//!   transport in the page, its status as signals; `playhead`: the play
//!   loop's arithmetic; `keys`: the keyboard map.
//! - `transport_bar`, `timeline` and `view`: the UI, shared by the player,
//!   the compare view and review pages.

// Pure parts, built natively too so `cargo test` covers them.
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
mod cache;
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
pub(crate) mod keys;
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
pub(crate) mod picture;
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
pub(crate) mod playhead;
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
pub(crate) mod transport;

#[cfg(target_arch = "wasm32")]
mod audio;
#[cfg(target_arch = "wasm32")]
mod decoder;
#[cfg(target_arch = "wasm32")]
mod frame;
#[cfg(target_arch = "wasm32")]
pub(crate) mod frames;
#[cfg(target_arch = "wasm32")]
mod gpu;
#[cfg(target_arch = "wasm32")]
pub(crate) mod live;
#[cfg(target_arch = "wasm32")]
pub(crate) mod mix;
#[cfg(target_arch = "wasm32")]
pub(crate) mod probe;
#[cfg(target_arch = "wasm32")]
pub(crate) mod render;
#[cfg(target_arch = "wasm32")]
pub(crate) mod screen;
#[cfg(target_arch = "wasm32")]
mod source;
#[cfg(target_arch = "wasm32")]
pub(crate) mod timeline;
#[cfg(target_arch = "wasm32")]
pub(crate) mod transport_bar;
#[cfg(target_arch = "wasm32")]
pub(crate) mod view;

#[cfg(target_arch = "wasm32")]
pub use view::Player;
