//! Jobs: one generation request on its way through the queue, and the clips
//! it produced.

use serde::{Deserialize, Serialize};

use crate::{Cost, GenerationRequest, Language};

/// Opaque job id, assigned by the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// `None` for a take as it was generated; set on a corrected version
    /// made from one (the original is always kept beside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<Revision>,
    /// The file name an imported clip came with; `None` for generated takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Asset id of a small JPEG of the take's first picture, made once when
    /// the take was stored; `None` for takes stored before posters existed
    /// or whose picture could not be decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<String>,
    /// Keyframe thumbnails for scrubbing on hover, in one image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip: Option<Strip>,
}

/// A take's keyframes as thumbnails side by side in one JPEG: frame `i`
/// is the `frame_width` × `frame_height` tile starting at
/// `x = i * frame_width`, showing the picture at `times_ms[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Strip {
    /// Asset id of the JPEG.
    pub image: String,
    pub frame_width: u32,
    pub frame_height: u32,
    /// Presentation time of each tile, from the take's start, in ms.
    pub times_ms: Vec<u64>,
}

/// What makes a corrected version differ from the take it was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revision {
    /// Index in the job's `outputs` of the original take (revision `None`).
    pub of: usize,
    /// Version number: the original is 1, its first correction 2, and so on.
    pub number: u32,
    /// How far this version's sound is moved against the original's, in ms;
    /// positive plays it later. The picture is the original's, untouched.
    pub audio_shift_ms: i32,
}

/// Largest audio shift a correction may make, in ms: well past anything
/// lip-sync needs, short of cutting a 3 s clip's speech away.
pub const MAX_AUDIO_SHIFT_MS: i32 = 1000;

impl JobOutput {
    /// Version number: 1 for the take as generated.
    pub fn version(&self) -> u32 {
        self.revision.map_or(1, |r| r.number)
    }

    /// Total shift of the sound against the original take, in ms.
    pub fn audio_shift_ms(&self) -> i32 {
        self.revision.map_or(0, |r| r.audio_shift_ms)
    }
}

/// The take at `index` and the versions made from it, oldest first; empty
/// when `index` is not an original take.
pub fn versions_of(outputs: &[JobOutput], index: usize) -> Vec<usize> {
    if outputs.get(index).is_none_or(|o| o.revision.is_some()) {
        return Vec::new();
    }
    let mut found: Vec<usize> = std::iter::once(index)
        .chain(
            outputs
                .iter()
                .enumerate()
                .filter(|(_, o)| o.revision.is_some_and(|r| r.of == index))
                .map(|(i, _)| i),
        )
        .collect();
    found.sort_by_key(|&i| outputs[i].version());
    found
}

/// The original take a version belongs to (itself for an original).
pub fn original_of(outputs: &[JobOutput], index: usize) -> Option<usize> {
    let output = outputs.get(index)?;
    Some(output.revision.map_or(index, |r| r.of))
}

/// A job as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Bytes the job's assets take in the store (its takes, sidecars,
    /// posters and references), each asset counted once.
    #[serde(default)]
    pub bytes: u64,
    /// When the job was deleted (Unix ms): it is hidden from lists and can
    /// be restored until the server removes it for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(language: Option<Language>, revision: Option<Revision>) -> JobOutput {
        JobOutput {
            language,
            video: "v".into(),
            sidecar: None,
            width: 1280,
            height: 720,
            duration_ms: 5000,
            fps: 24,
            has_audio: true,
            revision,
            name: None,
            poster: None,
            strip: None,
        }
    }

    #[test]
    fn versions_group_corrections_under_their_original() {
        let rev = |of, number, audio_shift_ms| {
            Some(Revision {
                of,
                number,
                audio_shift_ms,
            })
        };
        let outputs = vec![
            take(Some(Language::English), None),
            take(Some(Language::German), None),
            take(Some(Language::German), rev(1, 3, -80)),
            take(Some(Language::German), rev(1, 2, -120)),
        ];
        assert_eq!(versions_of(&outputs, 1), vec![1, 3, 2]);
        assert_eq!(versions_of(&outputs, 0), vec![0]);
        assert!(versions_of(&outputs, 2).is_empty(), "not an original");
        assert!(versions_of(&outputs, 9).is_empty());
        assert_eq!(original_of(&outputs, 2), Some(1));
        assert_eq!(original_of(&outputs, 0), Some(0));
        assert_eq!(original_of(&outputs, 9), None);
        assert_eq!(outputs[2].version(), 3);
        assert_eq!(outputs[0].version(), 1);
        assert_eq!(outputs[3].audio_shift_ms(), -120);
    }

    #[test]
    fn outputs_without_a_revision_read_as_originals() {
        let json = r#"{"language":"de","video":"v","width":1,"height":1,"duration_ms":1,"fps":24,"has_audio":true}"#;
        let output: JobOutput = serde_json::from_str(json).expect("older outputs still read");
        assert_eq!(output.revision, None);
        assert!(
            !serde_json::to_string(&output)
                .expect("serialises")
                .contains("revision")
        );
    }

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
