//! Shapes exchanged over HTTP between the studio and the server, beyond the
//! domain types themselves.

use serde::{Deserialize, Serialize};

use crate::{Job, Problem};

/// Every failed API call answers with this body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Machine-readable kind: `invalid_request`, `not_found`, `conflict`, …
    pub code: String,
    /// One sentence for a person.
    pub message: String,
    /// Field-level problems, when the request was checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// An uploaded image, as `POST /api/uploads` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadedAsset {
    /// Content hash; also the asset id.
    pub id: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Where to fetch it.
    pub url: String,
}

/// `GET /api/jobs`: newest first, one page. Deleted jobs are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobList {
    pub jobs: Vec<Job>,
    /// Pass as `before=` for the next (older) page; `None` on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The most jobs one `GET /api/jobs` page holds (`limit=`), and the
/// default when no limit is given.
pub const MAX_JOB_PAGE: u32 = 200;

/// `DELETE /api/jobs/{id}`: the job, now hidden, and until when
/// `POST /api/jobs/{id}/restore` brings it back. After that the server
/// removes the job and every asset no other job uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletedJob {
    pub job: Job,
    /// Unix ms.
    pub restore_until: i64,
}

/// `GET /api/library/usage`: what the Library's jobs (deleted ones not
/// counted) take in the asset store, each asset counted once however many
/// jobs use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LibraryUsage {
    pub jobs: u64,
    pub bytes: u64,
}

/// One server-sent event on `/api/events`: the job as it now is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobEvent {
    pub job: Job,
}

/// `POST /api/jobs/{id}/outputs/{index}/audio-shift`: make a new version of
/// a take with its sound moved by `shift_ms` against that take (positive:
/// later). The server remuxes without re-encoding and appends the version to
/// the job's outputs; the take it was made from is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudioShiftRequest {
    pub shift_ms: i32,
}

/// `POST /api/imports` takes at most this many clips at once.
pub const MAX_IMPORT_CLIPS: usize = 8;

/// The largest clip `POST /api/imports` takes: 2 GiB.
pub const MAX_IMPORT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The containers and codecs import takes, in words for a person.
pub const IMPORT_FORMATS: &str = "MP4 or MOV with H.264, HEVC or AV1 video and AAC or Opus sound";

/// URL of an asset.
pub fn asset_url(id: &str) -> String {
    format!("/api/assets/{id}")
}

/// `POST /api/speech-fit`: how long each line takes to say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpeechFitRequest {
    pub dialogue: Vec<crate::DialogueLine>,
    pub duration_s: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpeechFitResponse {
    pub lines: Vec<SpeechFitLine>,
}

/// The fit of one language's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpeechFitLine {
    pub language: crate::Language,
    /// Spoken length of the line, in seconds.
    pub seconds: f32,
    /// True when the line fits in the clip.
    pub fits: bool,
    /// Characters the draft voice cannot pronounce (kanji for Japanese, say).
    #[serde(default)]
    pub unpronounceable: Vec<String>,
    /// e.g. "German needs 7.9 s; the clip is 5 s"; `None` when all is well.
    #[serde(default)]
    pub message: Option<String>,
}
