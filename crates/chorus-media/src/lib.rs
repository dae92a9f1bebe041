//! MP4 demuxing for the preview player: find and parse the index (`moov`) so
//! sample bytes can be fetched on demand, and convert between frame numbers,
//! timestamps and timecodes; and the decoded pictures the player keeps
//! (packed I420, shrunk to the size they are shown). No I/O: callers fetch
//! bytes (HTTP Range in the browser, files natively) and hand them in.

mod boxes;
mod codec;
mod edit;
mod error;
mod frames;
mod moov;
mod movie;
mod picture;
mod reader;
mod remux;
mod sample_table;
mod scan;
mod time;

pub use error::{FourCc, MediaError};
pub use moov::{MAX_SAMPLES_PER_TRACK, parse_file, parse_moov};
pub use movie::{
    AudioCodec, AvcProfile, CodecConfig, EditInfo, Movie, Sample, Track, TrackKind, VideoCodec,
};
pub use picture::{MAX_FACTOR, Picture, preview_factor, shrunk_size};
pub use remux::shift_audio;
pub use scan::{ByteRange, IndexLocation, locate_moov};
pub use time::{FrameRate, Rational, Timecode, TimecodeParseError, frame_to_time, time_to_frame};
