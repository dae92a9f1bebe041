//! Audio-visual lip-sync analysis for any talking clip, real or drawn: how
//! far the sound is off the picture, where the speaking mouth is, whether the
//! offset drifts, and where mouth and voice disagree. No face detector and no
//! model: the mouth is the picture region whose motion correlates with the
//! speech, and the offset is where that correlation peaks. Pure computation,
//! no I/O; builds for wasm32 and native.
//!
//! Pipeline: [`audio`] turns PCM into a speech envelope, [`motion`] turns
//! luma frames into block motion (the browser's GPU path may supply this
//! instead), [`analyze`] puts them together into a [`SyncReport`].

pub mod analyze;
pub mod audio;
mod correlate;
mod error;
pub mod face;
pub mod motion;
mod mouth;
pub mod spans;
pub mod verdict;

pub use analyze::{
    AnalysisConfig, AudioClip, NATURAL_MOUTH_LEAD_MS, SyncReport, WindowOffset, analyze,
    analyze_envelope, analyze_motion,
};
pub use audio::{EnvelopeBuilder, STEPS_PER_FRAME, SpeechEnvelope};
pub use error::SyncError;
pub use motion::{
    LumaFrame, MotionAnalyzer, MotionGrid, MotionSeries, block_motion, downscale_luma,
};
pub use mouth::MouthRegion;
pub use spans::Span;
pub use verdict::{Side, SyncVerdict};
