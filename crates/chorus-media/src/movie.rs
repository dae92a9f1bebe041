//! The parsed index: tracks, their samples and codec configuration. Plain data
//! with serde so the studio can hand it to JavaScript (WebCodecs configs) or
//! keep it in Rust; the seeking helpers live in `player.rs`.

use serde::{Deserialize, Serialize};

use crate::error::FourCc;
use crate::time::FrameRate;

/// Everything the preview player needs from a file's `moov` box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movie {
    /// Ticks per second of the movie timeline (`mvhd`).
    pub timescale: u32,
    /// Movie duration in `timescale` ticks (`mvhd`).
    pub duration: u64,
    pub tracks: Vec<Track>,
}

impl Movie {
    /// The first video track, the one the preview shows.
    pub fn video_track(&self) -> Option<&Track> {
        self.tracks.iter().find(|t| t.kind == TrackKind::Video)
    }

    /// The first audio track.
    pub fn audio_track(&self) -> Option<&Track> {
        self.tracks.iter().find(|t| t.kind == TrackKind::Audio)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackKind {
    Video,
    Audio,
    /// Any other handler (subtitles, timecode, metadata), by its `hdlr` code.
    Other(FourCc),
}

/// One track. All times are in the track's `timescale` ticks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub id: u32,
    pub kind: TrackKind,
    /// Ticks per second of this track (`mdhd`).
    pub timescale: u32,
    /// Presented duration: the edit's media duration when an edit list says
    /// so, else the `mdhd` duration. Excludes `edit.empty_delay`.
    pub duration: i64,
    /// Display size from `tkhd` (after any scaling in the matrix is ignored).
    pub width: u32,
    pub height: u32,
    pub codec: CodecConfig,
    pub edit: EditInfo,
    /// Every sample in decode (file index) order.
    pub samples: Vec<Sample>,
    /// Indices into `samples` of the sync samples, ascending.
    pub keyframes: Vec<usize>,
    /// Indices into `samples` of the shown samples in presentation order:
    /// `frames[n]` is frame number `n`.
    pub frames: Vec<usize>,
    /// Frame rate of the shown frames; `None` for tracks without frames.
    pub frame_rate: Option<FrameRate>,
}

/// One access unit. Times are in track ticks, already shifted by the edit
/// list the way ffmpeg does it: the first shown sample is presented at
/// `edit.empty_delay` (0 unless the file starts with an empty edit), and
/// samples before it have negative times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Absolute file offset of the sample bytes.
    pub offset: u64,
    pub size: u32,
    pub decode_time: i64,
    pub presentation_time: i64,
    /// Decode-time delta to the next sample (`stts`).
    pub duration: u32,
    pub is_keyframe: bool,
    /// False for samples the edit list hides: they must still be decoded when
    /// later frames depend on them, but are never displayed.
    pub is_shown: bool,
}

/// How the edit list (`elst`) was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EditInfo {
    /// Total of the leading empty edits, in track ticks: nothing is shown
    /// before this time.
    pub empty_delay: i64,
    /// Media time (composition time, before shifting) where the shown media
    /// starts.
    pub media_start: i64,
    /// Media duration of the edit, `None` when unbounded or absent.
    pub media_duration: Option<i64>,
    /// How much the composition times were shifted back to give
    /// presentation times (the composition time of the first shown sample).
    pub shift: i64,
    /// Edits after the first media edit, which this player ignores.
    pub ignored_edits: u32,
}

/// What a decoder needs to be configured for a track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodecConfig {
    Video(VideoCodec),
    Audio(AudioCodec),
    /// A sample entry this crate does not interpret.
    Unknown {
        fourcc: FourCc,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoCodec {
    /// Sample entry code: `avc1`, `avc3`, `hvc1`, `hev1`, `av01`, `vp09`.
    pub fourcc: FourCc,
    /// WebCodecs codec string, e.g. `avc1.64001f`.
    pub codec: String,
    /// Coded size from the sample entry.
    pub coded_width: u16,
    pub coded_height: u16,
    /// Body of the configuration box (`avcC`, `hvcC`, `av1C`, `vpcC`).
    pub config_record: Vec<u8>,
    /// Profile and level from `avcC`, for H.264 only.
    pub avc: Option<AvcProfile>,
}

impl VideoCodec {
    /// The WebCodecs `VideoDecoderConfig.description`: the configuration
    /// record for H.264, H.265 and AV1; VP9 takes none.
    pub fn description(&self) -> Option<&[u8]> {
        match &self.fourcc.0 {
            b"vp09" | b"vp08" => None,
            _ => Some(&self.config_record),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvcProfile {
    pub profile_idc: u8,
    pub constraint_flags: u8,
    pub level_idc: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioCodec {
    /// Sample entry code: `mp4a`, `Opus`.
    pub fourcc: FourCc,
    /// WebCodecs codec string, e.g. `mp4a.40.2` or `opus`.
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
    /// MPEG-4 audio object type (2 = AAC-LC) when the stream is MPEG-4 audio.
    pub object_type: Option<u8>,
    /// The WebCodecs `AudioDecoderConfig.description`: the AAC
    /// AudioSpecificConfig from `esds`. `None` for Opus, whose WebCodecs
    /// description would be an Ogg `OpusHead`, which MP4 does not store.
    pub description: Option<Vec<u8>>,
}
