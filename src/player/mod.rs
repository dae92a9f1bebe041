//! The frame-exact player: shows exactly the frame asked for, at once, and
//! plays with the keyboard an editor expects. Modelled on rerun's video
//! path: only the MP4 index is parsed up front, sample bytes are fetched on
//! demand per GOP, WebCodecs is fed in decode order, frames are shown in
//! presentation order and every `VideoFrame` is closed in `Drop`.
//!
//! - `source`: HTTP Range fetches and the index; `decoder`: WebCodecs;
//!   `frame`: VideoFrame ownership and plane copies; `picture`: the copied
//!   planes; `cache`: decoded frames
//!   within a memory budget; `engine`: frame number → picture.
//! - `render` (+ `yuv.wgsl`): wgpu drawing, WebGPU or WebGL2; `probe`: the
//!   pixel checksum tests read.
//! - `audio`: sound and waveform via Web Audio;
//! - `controller`: seeking and the playback clock; `keys`: the keyboard map;
//!   `timeline` and `view`: the UI.

// Pure parts, built natively too so `cargo test` covers them.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod cache;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod keys;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod picture;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod playhead;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod transport;

#[cfg(target_arch = "wasm32")]
mod audio;
#[cfg(target_arch = "wasm32")]
mod controller;
#[cfg(target_arch = "wasm32")]
mod decoder;
#[cfg(target_arch = "wasm32")]
pub(crate) mod engine;
#[cfg(target_arch = "wasm32")]
mod frame;
#[cfg(target_arch = "wasm32")]
pub(crate) mod probe;
#[cfg(target_arch = "wasm32")]
pub(crate) mod render;
#[cfg(target_arch = "wasm32")]
mod source;
#[cfg(target_arch = "wasm32")]
pub(crate) mod timeline;
#[cfg(target_arch = "wasm32")]
pub(crate) mod view;

#[cfg(target_arch = "wasm32")]
pub use view::Player;
