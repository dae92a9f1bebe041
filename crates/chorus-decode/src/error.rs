//! The one error type of the crate, worded for the person who uploaded the
//! file: what is missing or unsupported, and which file it was.

use thiserror::Error;

/// Why a file could not be decoded or analysed.
#[derive(Debug, Error)]
pub enum DecodeError {
    #[error("could not read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} is not a readable MP4 file: {source}")]
    NotMp4 {
        file: String,
        #[source]
        source: chorus_media::MediaError,
    },
    /// The file's index could not be found or read.
    #[error("{file}: {source}")]
    Refused {
        file: String,
        #[source]
        source: crate::ProbeError,
    },
    #[error("{file} has no audio track: lip-sync needs both picture and sound")]
    NoAudio { file: String },
    #[error("{file} has no video track: lip-sync needs both picture and sound")]
    NoVideo { file: String },
    #[error("{file} has no video frames")]
    NoFrames { file: String },
    #[error(
        "{file}: {what} is not supported ({detail}); re-encode as H.264, HEVC or AV1 video with AAC or Opus sound"
    )]
    UnsupportedCodec {
        file: String,
        what: &'static str,
        detail: String,
    },
    #[error("{file}: sample {index} of track {track} lies outside the file")]
    SampleOutOfFile {
        file: String,
        track: u32,
        index: usize,
    },
    /// The samples or the codec configuration do not parse (before any
    /// decoder sees them).
    #[error("{file}: the {codec} stream is malformed: {reason}")]
    BadStream {
        file: String,
        /// "H.264", "HEVC", "AV1".
        codec: &'static str,
        reason: String,
    },
    #[error("{file}: the {codec} decoder failed at sample {index}: {reason}")]
    VideoDecode {
        file: String,
        codec: &'static str,
        index: usize,
        reason: String,
    },
    #[error("{file}: the {codec} decoder failed at sample {index}: {reason}")]
    AudioDecode {
        file: String,
        /// "AAC" or "Opus".
        codec: &'static str,
        index: usize,
        reason: String,
    },
    #[error("{file}: the video frame rate is unknown")]
    NoFrameRate { file: String },
    #[error("{file}: a decoding thread stopped unexpectedly")]
    WorkerPanicked { file: String },
    #[error("{file}: {source}")]
    Analysis {
        file: String,
        #[source]
        source: chorus_sync::SyncError,
    },
}
