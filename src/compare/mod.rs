//! Compare: two to four language variants of one job side by side, locked
//! to one clock, each with its lip-sync measured in the browser and a
//! one-click correction that makes the take's next version.
//!
//! - `variants`, `meter`: pure rules (which takes, what the meter says),
//!   unit-tested natively;
//! - the player's transport drives one screen per variant and their sound
//!   as one mix;
//! - `pcm`: a take's sound decoded by WebCodecs on the picture's clock;
//! - `gpu_motion` (+ `motion.wgsl`) and `analysis`: motion energy on the GPU
//!   and chorus-sync's analysis; `slot`: one variant's loading and state;
//! - `view`, `variant`, `meter_view`, `tracks`: the UI.

#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
pub mod meter;
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used by the wasm app; built natively only for its tests"
    )
)]
pub mod variants;

#[cfg(target_arch = "wasm32")]
mod analysis;
#[cfg(target_arch = "wasm32")]
mod gpu_motion;
#[cfg(target_arch = "wasm32")]
mod meter_view;
#[cfg(target_arch = "wasm32")]
mod pcm;
#[cfg(target_arch = "wasm32")]
mod slot;
#[cfg(target_arch = "wasm32")]
mod tracks;
#[cfg(target_arch = "wasm32")]
mod variant;
#[cfg(target_arch = "wasm32")]
mod view;

#[cfg(target_arch = "wasm32")]
pub use view::CompareView;
