//! Compare: two to four language variants of one job side by side, locked
//! to one clock, each with its lip-sync measured in the browser and a
//! one-click correction that makes the take's next version.
//!
//! - `variants`, `meter`, `placement`: pure rules (which takes, what the
//!   meter says, where decoded sound goes), unit-tested natively;
//! - the player's transport drives one screen per variant and their sound
//!   as one mix;
//! - `pcm`: a take's sound decoded by WebCodecs on the picture's clock;
//! - `gpu_motion` (+ `motion.wgsl`) and `analysis`: motion energy on the GPU
//!   and chorus-sync's analysis; `slot`: one variant's loading and state;
//! - `view`, `variant`, `meter_view`, `tracks`: the UI.

pub mod meter;
pub mod placement;
pub mod variants;

wasm_only! {
    mod analysis;
    mod gpu_motion;
    mod meter_view;
    mod pcm;
    mod slot;
    mod tracks;
    mod variant;
    mod view;
}

#[cfg(target_arch = "wasm32")]
pub use view::CompareView;
