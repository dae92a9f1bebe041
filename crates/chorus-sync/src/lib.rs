//! Audio-visual lip-sync analysis for any talking clip, real or drawn: how
//! far the sound is off the picture, where the speaking mouth is, whether the
//! offset drifts, and where mouth and voice disagree, or, when the clip
//! gives no footing, "can't tell" and why. Pure computation, no I/O; builds
//! for wasm32 and native.
//!
//! Two paths:
//! - [`lipsync`] (real faces): the embedded face detector ([`face`], one
//!   small trained cascade, see `FACE_MODEL.md`) finds and follows the
//!   speaking face; the mouth's shapes are matched against the sound's bands
//!   at every lag, cross-validated.
//! - [`analyze`] (drawn presenters, which the detector does not see): block
//!   motion ([`motion`], which the browser's GPU may supply), the mouth found
//!   by audio-visual correlation ([`mouth`]), against a speech envelope
//!   ([`audio`]).

pub mod analyze;
pub mod audio;
mod correlate;
mod error;
pub mod face;
pub mod lipsync;
pub mod motion;
mod mouth;
pub mod spans;
pub mod verdict;

pub use analyze::{
    AnalysisConfig, AudioClip, Method, NATURAL_MOUTH_LEAD_MS, SyncReport, WindowOffset, analyze,
    analyze_envelope, analyze_motion,
};
pub use audio::{EnvelopeBuilder, STEPS_PER_FRAME, SpeechEnvelope};
pub use error::SyncError;
pub use lipsync::{CantTell, CantTellReason, FaceAnalyzer};
pub use motion::{
    LumaFrame, MotionAnalyzer, MotionGrid, MotionSeries, block_motion, downscale_luma,
};
pub use mouth::MouthRegion;
pub use spans::{Span, speech_spans};
pub use verdict::{Side, SyncVerdict};
