//! Jobs: create (checked by chorus-core), list, read, cancel.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::api::JobList;
use chorus_core::check::check_with_registry;
use chorus_core::{GenerationRequest, Job, JobStatus, Problem, estimate_cost, model};
use serde::Deserialize;

use super::ApiJson;
use crate::assets;
use crate::error::{ApiError, ApiResult};
use crate::jobs::{self, Change};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", post(create).get(list))
        .route("/jobs/{id}", get(read))
        .route("/jobs/{id}/cancel", post(cancel))
}

async fn create(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<GenerationRequest>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    let mut problems = check_with_registry(&request, &state.models);
    for (i, id) in request.references.iter().enumerate() {
        if assets::is_valid_id(id) && assets::find(&state.db, id).await?.is_some() {
            continue;
        }
        problems.push(Problem::error(
            format!("references[{i}]"),
            format!(
                "Reference {} is not on the server; upload the image again",
                i + 1
            ),
        ));
    }
    if problems.iter().any(Problem::is_error) {
        return Err(ApiError::invalid(problems));
    }
    // Only once the request is otherwise sound: a line that takes longer to
    // say than the clip lasts would be cut off or rushed.
    if request.audio {
        let fit = super::speech_fit::problems(&request.dialogue, request.duration_s).await?;
        if !fit.is_empty() {
            return Err(ApiError::invalid(fit));
        }
    }
    let estimate =
        model::find(&state.models, &request.model).and_then(|m| estimate_cost(&request, m));
    let job = jobs::create(&state, request, estimate).await?;
    Ok((StatusCode::CREATED, Json(job)))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<JobList>> {
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    Ok(Json(JobList {
        jobs: jobs::list(&state.db, limit).await?,
    }))
}

async fn read(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Job>> {
    jobs::get(&state.db, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("There is no job {id}")))
}

async fn cancel(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Job>> {
    if let Some(job) = jobs::transition(&state, &id, JobStatus::Canceled, Change::default()).await?
    {
        return Ok(Json(job));
    }
    match jobs::get(&state.db, &id).await? {
        None => Err(ApiError::NotFound(format!("There is no job {id}"))),
        Some(job) => Err(ApiError::Conflict(format!(
            "This job has already {}; only queued or rendering jobs can be canceled",
            match job.status {
                JobStatus::Succeeded => "finished",
                JobStatus::Failed => "failed",
                _ => "been canceled",
            }
        ))),
    }
}
