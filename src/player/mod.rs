//! The frame-exact player: shows exactly the frame asked for, at once, and
//! plays with the keyboard an editor expects. Modelled on rerun's video
//! path: only the MP4 index is parsed up front, sample bytes are fetched on
//! demand per GOP, WebCodecs is fed in decode order, frames are shown in
//! presentation order and every `VideoFrame` is closed in `Drop`.
//!
//! - `source`: HTTP Range fetches and the index; `decoder`: WebCodecs;
//!   `frame`: VideoFrame ownership and plane copies, shrunk to the screen
//!   (the pictures themselves are `chorus_media::Picture`); `cache`: decoded
//!   frames within a memory budget; `frames`: frame number → picture, and
//!   the whole take decoded ahead when it fits; `sequence`: every frame
//!   once, in order (for measuring, and for that read ahead).
//! - `gpu`: a screen's own GPU context (WebGL2, or WebGPU) on its canvas;
//!   `render` (+ `yuv.wgsl`): one screen's drawing; `screen`: a take's
//!   frames drawn into a canvas; `probe`: the pixel checksum tests read.
//! - `mix`: every screen's sound on one Web Audio clock; `audio`: the single
//!   player's sound and waveform.
//! - `transport`: one playhead over one or more screens (seek, step, play,
//!   loop, prefetch), browser-free and tested natively; `live`: the
//!   transport in the page, its status as signals; `playhead`: the play
//!   loop's arithmetic; `keys`: the keyboard map.
//! - `transport_bar`, `timeline` and `view`: the UI, shared by the player,
//!   the compare view and review pages.

// Pure parts, built natively too so `cargo test` covers them.
mod cache;
pub(crate) mod keys;
pub(crate) mod markers;
pub(crate) mod playhead;
pub(crate) mod transport;

wasm_only! {
    mod audio;
    mod decoder;
    mod frame;
    pub(crate) mod frames;
    pub(crate) mod gpu;
    pub(crate) mod grid;
    pub(crate) mod link;
    pub(crate) mod live;
    pub(crate) mod mix;
    pub(crate) mod probe;
    pub(crate) mod render;
    pub(crate) mod screen;
    pub(crate) mod sequence;
    mod source;
    pub(crate) mod timeline;
    pub(crate) mod transport_bar;
    pub(crate) mod view;
}

#[cfg(target_arch = "wasm32")]
pub use link::PlayerLink;
#[cfg(target_arch = "wasm32")]
pub use markers::Marker;
#[cfg(target_arch = "wasm32")]
pub use view::Player;
