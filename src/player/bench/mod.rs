//! The seek benchmark page (`/bench/seek`, driven by `cargo xtask bench
//! seek`): our player against an `HTMLVideoElement` on the same random
//! seeks, both checked from the pixels, then two players playing at once.
//! `barcode` and `stats` are pure and unit-tested natively.

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod barcode;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod stats;

#[cfg(target_arch = "wasm32")]
mod page;
#[cfg(target_arch = "wasm32")]
mod playback;
#[cfg(target_arch = "wasm32")]
mod seek;
#[cfg(target_arch = "wasm32")]
mod single;
#[cfg(target_arch = "wasm32")]
mod video;

#[cfg(target_arch = "wasm32")]
pub use page::BenchSeekPage;
#[cfg(target_arch = "wasm32")]
pub use single::BenchPlayerPage;
