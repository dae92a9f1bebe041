//! The frame-exact player: shows exactly the frame asked for, at once, and
//! plays with the keyboard an editor expects. Modelled on rerun's video
//! path: only the MP4 index is parsed up front, sample bytes are fetched on
//! demand per GOP, WebCodecs is fed in decode order, frames are shown in
//! presentation order and every `VideoFrame` is closed in `Drop`.
//!
//! - `source`: HTTP Range fetches and the index; `decoder`: WebCodecs;
//!   `frame`: VideoFrame ownership and copies; `picture`: plain I420;
//!   `cache` + `plan`: decoded frames around the playhead within a budget and
//!   what to decode next; `engine`: frame number → picture (reusable).
//! - `render` (+ `yuv.wgsl`): wgpu drawing, WebGPU or WebGL2 (reusable);
//!   `probe`: the pixel checksum and playback log tests read.
//! - `audio`: sound and waveform via Web Audio (reusable); `clock`: time and
//!   animation frames; `wake`: the futures' wake-up signal.
//! - `controller` + `playback`: seeking and the clock; `state`: signals;
//!   `keys`: the keyboard map; `thumbs`, `timeline` and `view`: the UI.

// Pure parts, built natively too so `cargo test` covers them.
pub(crate) mod bench;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod cache;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod keys;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod picture;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod plan;

#[cfg(target_arch = "wasm32")]
pub(crate) mod audio;
#[cfg(target_arch = "wasm32")]
pub(crate) mod clock;
#[cfg(target_arch = "wasm32")]
pub(crate) mod controller;
#[cfg(target_arch = "wasm32")]
mod decoder;
#[cfg(target_arch = "wasm32")]
pub(crate) mod engine;
#[cfg(target_arch = "wasm32")]
mod frame;
#[cfg(target_arch = "wasm32")]
mod playback;
#[cfg(target_arch = "wasm32")]
pub(crate) mod probe;
#[cfg(target_arch = "wasm32")]
pub(crate) mod render;
#[cfg(target_arch = "wasm32")]
mod source;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
pub(crate) mod thumbs;
#[cfg(target_arch = "wasm32")]
pub(crate) mod timeline;
#[cfg(target_arch = "wasm32")]
mod view;
#[cfg(target_arch = "wasm32")]
mod wake;

#[cfg(target_arch = "wasm32")]
pub use bench::{BenchPlayerPage, BenchSeekPage};
#[cfg(target_arch = "wasm32")]
pub use view::Player;
