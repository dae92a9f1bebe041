//! Native decoding of an uploaded MP4 or MOV for the lip-sync analysis:
//! H.264, HEVC and AV1 to luma frames (libavcodec; OpenH264 for H.264 where
//! libavcodec lacks it, and for stills), AAC to PCM (symphonia) and Opus to PCM (libavcodec), all
//! demuxed by chorus-media and handed to chorus-sync. The browser does the
//! same with WebCodecs and a shader; this crate is the server's and the
//! tests' path. `probe_file` checks an upload by its bytes before import,
//! reading only its index and first samples. `keyframe_stills` gives a few
//! keyframes in colour for the server's posters and scrub strips.
//! `speech_spans_file` says where a clip speaks, for captions.

mod analyze;
mod annexb;
mod audio;
mod error;
mod libav;
mod probe;
mod source;
mod speech;
mod stills;
mod video;

pub use analyze::{VideoMotion, analyze_file, analyze_source, motion_series};
pub use audio::{DecodedAudio, decode_audio};
pub use error::DecodeError;
pub use probe::{AudioFormat, ClipProbe, Container, ProbeError, VideoFormat, probe_file};
pub use source::Mp4Source;
pub use speech::{speech_spans, speech_spans_file};
pub use stills::{Still, keyframe_stills, keyframe_stills_file};
pub use video::{VideoInfo, decode_luma_frames};
