//! Native decoding of an uploaded MP4 for the lip-sync analysis: H.264 to
//! luma frames (OpenH264), AAC-LC to PCM (symphonia), both demuxed by
//! chorus-media and handed to chorus-sync. The browser does the same with
//! WebCodecs and a shader; this crate is the server's and the tests' path.

mod analyze;
mod annexb;
mod audio;
mod error;
mod probe;
mod source;
mod video;

pub use analyze::{VideoMotion, analyze_file, analyze_source, motion_series};
pub use audio::{DecodedAudio, decode_audio};
pub use error::DecodeError;
pub use probe::{AudioFormat, ClipProbe, Container, ProbeError, VideoFormat, probe_bytes, probe_file};
pub use source::Mp4Source;
pub use video::{VideoInfo, decode_luma_frames};
