//! Jobs: one generation request on its way through the queue, and the clips
//! it produced.

use serde::{Deserialize, Serialize};

use crate::{Cost, GenerationRequest, Language};

/// Opaque job id, assigned by the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub String);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a job is in its life. Jobs only move forward:
/// queued → running → succeeded | failed | canceled (queued may also be
/// canceled or fail directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            JobStatus::Queued => "Queued",
            JobStatus::Running => "Rendering",
            JobStatus::Succeeded => "Ready",
            JobStatus::Failed => "Failed",
            JobStatus::Canceled => "Canceled",
        }
    }

    /// Finished, for better or worse: nothing more will happen.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Canceled
        )
    }

    /// Whether the lifecycle allows moving from `self` to `next`.
    pub fn can_become(self, next: JobStatus) -> bool {
        matches!(
            (self, next),
            (
                JobStatus::Queued,
                JobStatus::Running | JobStatus::Failed | JobStatus::Canceled
            ) | (
                JobStatus::Running,
                JobStatus::Succeeded | JobStatus::Failed | JobStatus::Canceled
            )
        )
    }
}

/// One clip a job produced (one per spoken language).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOutput {
    pub language: Option<Language>,
    /// Asset id of the MP4.
    pub video: String,
    /// Asset id of the JSON sidecar (phoneme and viseme timeline), if any.
    #[serde(default)]
    pub sidecar: Option<String>,
    pub width: u32,
    pub height: u32,
    pub duration_ms: u64,
    pub fps: u32,
    pub has_audio: bool,
}

/// A job as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub status: JobStatus,
    /// 0.0–1.0 while running.
    pub progress: f32,
    pub request: GenerationRequest,
    /// Estimate made when the job was created.
    pub estimate: Option<Cost>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(default)]
    pub outputs: Vec<JobOutput>,
    /// Why it failed, in words a person can act on.
    #[serde(default)]
    pub error: Option<String>,
    /// What the provider says the job cost, in millionths of a dollar, when
    /// it reports one (the estimate is only ours).
    #[serde(default)]
    pub actual_cost_usd_micros: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_only_moves_forward() {
        use JobStatus::*;
        assert!(Queued.can_become(Running));
        assert!(Queued.can_become(Canceled));
        assert!(Running.can_become(Succeeded));
        assert!(!Succeeded.can_become(Running));
        assert!(!Canceled.can_become(Queued));
        assert!(!Running.can_become(Queued));
        for s in JobStatus::ALL {
            assert!(!s.can_become(s), "{s:?} to itself");
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
            if s.is_terminal() {
                assert!(JobStatus::ALL.iter().all(|n| !s.can_become(*n)));
            }
        }
    }
}
