//! The draft engine's errors, each worded so a person knows what to change.

/// Why a draft could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// The request asks for something the draft engine does not do.
    #[error("{0}")]
    Invalid(String),
    /// The line takes longer to say than the clip lasts.
    #[error("{language} needs {needed_s:.1} s; the clip is {clip_s} s")]
    SpeechTooLong {
        language: chorus_core::Language,
        needed_s: f32,
        clip_s: u32,
    },
    /// A reference or start image could not be read.
    #[error("reference image {index} could not be read ({reason}); upload a PNG, JPEG or WebP")]
    Image { index: usize, reason: String },
    /// The scratch voice (espeak-ng) failed.
    #[error("scratch voice: {0}")]
    Voice(String),
    /// The video or audio encoder failed.
    #[error("encoder: {0}")]
    Encode(String),
}
