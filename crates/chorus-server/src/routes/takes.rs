//! Corrections to finished takes. Moving a take's sound against its picture
//! remuxes the MP4 (`chorus_media::shift_audio`: edit lists, no re-encode)
//! and appends the result to the job's outputs as the take's next version;
//! the version it was made from is never touched.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chorus_core::access::AuditAction;
use chorus_core::api::{AudioShiftRequest, ErrorBody};
use chorus_core::job::{MAX_AUDIO_SHIFT_MS, original_of, versions_of};
use chorus_core::{Job, JobOutput, JobStatus, Problem, Revision};

use super::ApiJson;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{audit, jobs};

pub fn router() -> Router<AppState> {
    Router::new().route("/jobs/{id}/outputs/{index}/audio-shift", post(shift_audio))
}

/// How often a correction is retried when another lands first.
const ATTEMPTS: usize = 3;

/// Move a take's sound
///
/// Remuxes the take with its sound moved `shift_ms` against the picture
/// (edit lists, no re-encode) and appends it to the job's outputs as the
/// take's next version; the version it was made from is kept.
#[utoipa::path(post, path = "/api/jobs/{id}/outputs/{index}/audio-shift", tag = "jobs",
    params(("id" = String, Path, description = "The job's id"), ("index" = usize, Path, description = "The take's index in `outputs`")),
    request_body = AudioShiftRequest,
    responses((status = 201, description = "The job with the new version appended", body = Job),
        (status = 404, description = "No such job or take", body = ErrorBody),
        (status = 409, description = "The job has not finished, or kept changing", body = ErrorBody),
        (status = 422, description = "A shift that changes nothing, goes too far, or a take with no sound", body = ErrorBody)))]
async fn shift_audio(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, index)): Path<(String, usize)>,
    ApiJson(body): ApiJson<AudioShiftRequest>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    for _ in 0..ATTEMPTS {
        let job = jobs::get(&state.db, &id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("There is no job {id}")))?;
        let output = checked_take(&job, index, body.shift_ms)?;
        let revision = next_revision(&job.outputs, index, output, body.shift_ms)?;
        let file = state.assets.read(&output.video).await?;
        let shift = body.shift_ms;
        let shifted = tokio::task::spawn_blocking(move || chorus_media::shift_audio(&file, shift))
            .await
            .map_err(|e| anyhow::anyhow!("the remux task stopped: {e}"))?
            .map_err(|e| ApiError::Invalid {
                message: format!("This take's file cannot be remuxed: {e}"),
                problems: Vec::new(),
            })?;
        let saved = state
            .assets
            .put(&state.db, &shifted, "video/mp4", None)
            .await?;
        let detail = format!(
            "take {} version {}: sound moved {:+} ms ({:+} ms from the original)",
            revision.of + 1,
            revision.number,
            body.shift_ms,
            revision.audio_shift_ms
        );
        let version = JobOutput {
            video: saved.id,
            revision: Some(revision),
            ..output.clone()
        };
        if let Some(updated) = jobs::append_output(&state, &id, &job.outputs, version).await? {
            audit::record(&state.db, &actor, AuditAction::TakeCorrected, &id, &detail).await;
            // A new version of a shared take: measure it for its reviews
            // (the correction stands whether or not that can start).
            if let Err(e) = crate::reviews::readings::measure_open_links(&state, &updated).await {
                tracing::warn!(job = %id, error = format!("{e:#}"), "cannot measure a new version for its reviews");
            }
            return Ok((StatusCode::CREATED, Json(updated)));
        }
        // The job changed between reading and writing (another correction,
        // say): start again from what it is now.
    }
    Err(ApiError::Conflict(
        "This job keeps changing; reload it and try the correction again".into(),
    ))
}

/// The take to correct, once the job and the shift are known to allow it.
fn checked_take(job: &Job, index: usize, shift_ms: i32) -> ApiResult<&JobOutput> {
    if job.status != JobStatus::Succeeded {
        return Err(ApiError::Conflict(format!(
            "Job {} has not finished; only finished takes can be corrected",
            job.id
        )));
    }
    let output = job.outputs.get(index).ok_or_else(|| {
        ApiError::NotFound(format!(
            "Job {} has no take {index} (it has {})",
            job.id,
            job.outputs.len()
        ))
    })?;
    if !output.has_audio {
        return Err(ApiError::invalid(vec![Problem::error(
            "shift_ms",
            "This take has no sound to move",
        )]));
    }
    if shift_ms == 0 {
        return Err(ApiError::invalid(vec![Problem::error(
            "shift_ms",
            "A shift of 0 ms would change nothing",
        )]));
    }
    let total = i64::from(output.audio_shift_ms()) + i64::from(shift_ms);
    if total.abs() > i64::from(MAX_AUDIO_SHIFT_MS) {
        return Err(ApiError::invalid(vec![Problem::error(
            "shift_ms",
            format!(
                "The sound would move {total} ms from the original; corrections stay within ±{MAX_AUDIO_SHIFT_MS} ms"
            ),
        )]));
    }
    Ok(output)
}

/// The revision a correction of `outputs[index]` by `shift_ms` becomes: the
/// next version number of its original take, with the shifts added up.
fn next_revision(
    outputs: &[JobOutput],
    index: usize,
    output: &JobOutput,
    shift_ms: i32,
) -> ApiResult<Revision> {
    let original = original_of(outputs, index)
        .ok_or_else(|| ApiError::NotFound(format!("There is no take {index}")))?;
    let newest = versions_of(outputs, original)
        .iter()
        .filter_map(|&i| outputs.get(i))
        .map(JobOutput::version)
        .max()
        .unwrap_or(1);
    Ok(Revision {
        of: original,
        number: newest + 1,
        audio_shift_ms: output.audio_shift_ms() + shift_ms,
    })
}
