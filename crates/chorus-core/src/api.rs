//! Shapes exchanged over HTTP between the studio and the server, beyond the
//! domain types themselves.

use serde::{Deserialize, Serialize};

use crate::{Job, Problem};

/// Every failed API call answers with this body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// `GET /api/jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobList {
    pub jobs: Vec<Job>,
}

/// One server-sent event on `/api/events`: the job as it now is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    pub job: Job,
}

/// URL of an asset.
pub fn asset_url(id: &str) -> String {
    format!("/api/assets/{id}")
}
