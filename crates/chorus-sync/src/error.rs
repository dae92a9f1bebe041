//! The one error type of the crate: every way an input can be unusable, said in
//! words a caller can act on. Analysis never panics on bad input.

use thiserror::Error;

/// Why an analysis (or one of its building blocks) could not run.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SyncError {
    #[error("audio sample rate must be at least 1000 Hz, got {0} Hz")]
    InvalidSampleRate(u32),
    #[error("audio must have at least one channel")]
    NoChannels,
    #[error("frame rate must be a positive finite number of frames per second, got {0}")]
    InvalidFrameRate(f64),
    #[error("audio envelope is at {audio} fps but the picture is at {picture} fps")]
    FrameRateMismatch { audio: f64, picture: f64 },
    #[error("luma frame {width}x{height} with stride {stride} needs {needed} bytes, got {got}")]
    FrameTooSmall {
        width: u32,
        height: u32,
        stride: usize,
        needed: usize,
        got: usize,
    },
    #[error(
        "frame {index} is {width}x{height}, but the motion grid was made for {expected_width}x{expected_height}"
    )]
    FrameSizeChanged {
        index: usize,
        width: u32,
        height: u32,
        expected_width: u32,
        expected_height: u32,
    },
    #[error(
        "a {width}x{height} frame is too small for a motion grid with {factor}x downscale and {block}-pixel blocks"
    )]
    FrameTooTiny {
        width: u32,
        height: u32,
        factor: u32,
        block: u32,
    },
    #[error(
        "downscale factor must be 1..=256, block size 1..=64 and their product at most 256; got factor {factor} and block {block}"
    )]
    InvalidGrid { factor: u32, block: u32 },
    #[error(
        "motion series has {got} values; {blocks} blocks per frame needs a multiple of {blocks}"
    )]
    MotionShape { blocks: usize, got: usize },
    #[error("the clip is too short to analyse: {frames} frames, at least {min} needed")]
    TooShort { frames: usize, min: usize },
    #[error("the audio is too short to analyse: {frames} frames long, at least {min} needed")]
    AudioTooShort { frames: usize, min: usize },
    #[error("no speech found in the audio: nothing to lip-sync against")]
    NoSpeech,
    #[error("no motion found in the picture: every frame is identical")]
    NoMotion,
    #[error("invalid analysis setting: {0}")]
    InvalidConfig(&'static str),
}
