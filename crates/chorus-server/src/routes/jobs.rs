//! Jobs: create (checked by chorus-core, its estimate reserved against the
//! month's budget), list (pages, search, filters), read, cancel, delete and
//! restore. Creating, refusing, cancelling, deleting and restoring are
//! written to the audit log.

use std::fmt::Write as _;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::access::{AuditAction, dollars};
use chorus_core::api::{DeletedJob, ErrorBody, JobList, LibraryUsage};
use chorus_core::check::check_with_registry;
use chorus_core::localize;
use chorus_core::{GenerationRequest, Job, JobStatus, Language, Problem, estimate_cost, model};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiJson;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::jobs::{self, Change, CreateError};
use crate::library;
use crate::removal::{self, Outcome};
use crate::state::AppState;
use crate::{assets, audit};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", post(create).get(list))
        .route("/jobs/{id}", get(read).delete(delete))
        .route("/jobs/{id}/cancel", post(cancel))
        .route("/jobs/{id}/restore", post(restore))
        .route("/library/usage", get(usage))
}

/// `POST /api/jobs?unapproved=confirmed`: the caller was asked, and chose
/// to generate with translated lines nobody has approved.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CreateQuery {
    /// `confirmed`: generate even with translated lines nobody approved.
    unapproved: Option<String>,
}

/// Generate: make a job
///
/// The request is checked by chorus-core's rules and its estimate reserved
/// against the month's budget; the job is queued.
#[utoipa::path(post, path = "/api/jobs", tag = "jobs", operation_id = "create_job", params(CreateQuery), request_body = GenerationRequest,
    responses((status = 201, description = "The job, queued", body = Job),
        (status = 400, description = "A query or body that cannot be read", body = ErrorBody),
        (status = 402, description = "Over a monthly spend limit; nothing is sent", body = ErrorBody),
        (status = 409, description = "Translated lines nobody approved, not confirmed", body = ErrorBody),
        (status = 422, description = "The request breaks the model's rules; `problems` say where", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    query: Result<Query<CreateQuery>, QueryRejection>,
    ApiJson(mut request): ApiJson<GenerationRequest>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    let Query(query) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "The query string cannot be read: {}",
            e.body_text()
        ))
    })?;
    let waiting = localize::unapproved(&request.dialogue);
    let confirmed = match query.unapproved.as_deref() {
        None => false,
        Some("confirmed") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unapproved={other} is not understood; send unapproved=confirmed to generate with lines nobody has approved"
            )));
        }
    };
    if !waiting.is_empty() && !confirmed {
        return Err(ApiError::Conflict(unapproved_message(&waiting)));
    }
    // Who approved is the server's to say: whoever generates with the lines.
    for line in &mut request.dialogue {
        if let Some(localized) = line.localized.as_mut() {
            localized.approved_by = localized.status.is_approved().then(|| actor.label());
        }
    }
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
    let model = request.model.clone();
    let job = match jobs::create_by(&state, request, estimate, actor.user_id.as_deref()).await {
        Ok(job) => job,
        Err(CreateError::OverBudget(refused)) => {
            let detail = format!("{model}: {refused}");
            audit::record(&state.db, &actor, AuditAction::JobRefused, &model, &detail).await;
            return Err(refused.into());
        }
        Err(CreateError::Failed(e)) => return Err(e.into()),
    };
    let cost = estimate.map_or_else(|| "no estimate".to_string(), |c| dollars(c.usd_micros));
    let mut detail = format!("{model}, {cost}");
    if !waiting.is_empty() {
        let codes: Vec<&str> = waiting.iter().map(|l| l.code()).collect();
        let _ = write!(detail, "; unapproved lines confirmed: {}", codes.join(", "));
    }
    audit::record(
        &state.db,
        &actor,
        AuditAction::JobCreated,
        &job.id.0,
        &detail,
    )
    .await;
    Ok((StatusCode::CREATED, Json(job)))
}

/// List jobs, a page at a time
///
/// One page, newest first, and the cursor of the next (see
/// `library::Query`). Deleted jobs are left out.
#[utoipa::path(get, path = "/api/jobs", tag = "library", operation_id = "list_jobs",
    params(("before" = Option<String>, Query, description = "The `next` of the page before"),
        ("limit" = Option<u32>, Query, description = "Jobs per page, 1 to 200"),
        ("q" = Option<String>, Query, description = "Words that must all appear in the prompt or lines"),
        ("status" = Option<String>, Query, description = "Statuses, comma-separated: `queued,running,…`"),
        ("language" = Option<String>, Query, description = "Language codes, comma-separated"),
        ("model" = Option<String>, Query, description = "Model ids, comma-separated"),
        ("from" = Option<String>, Query, description = "Made on or after this day, `YYYY-MM-DD` (UTC)"),
        ("to" = Option<String>, Query, description = "Made on or before this day, `YYYY-MM-DD` (UTC)")),
    responses((status = 200, description = "One page", body = JobList),
        (status = 400, description = "A parameter that cannot be read; the message names it", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    pairs: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<JobList>> {
    let Query(pairs) = pairs.map_err(|e| {
        ApiError::BadRequest(format!(
            "The query string cannot be read: {}",
            e.body_text()
        ))
    })?;
    let query = library::Query::parse(&pairs).map_err(ApiError::BadRequest)?;
    let (jobs, next) = library::find(&state.db, &query).await?;
    Ok(Json(JobList { jobs, next }))
}

/// Why a job with proposals nobody approved waits for a confirmation.
fn unapproved_message(waiting: &[Language]) -> String {
    format!(
        "{}: approve {} in Compose (check the back-translation), or confirm to generate anyway (unapproved=confirmed)",
        localize::unapproved_sentence(waiting),
        if waiting.len() == 1 { "it" } else { "them" }
    )
}

/// Storage the Library takes
///
/// Each asset counted once however many jobs use it; deleted jobs not counted.
#[utoipa::path(get, path = "/api/library/usage", tag = "library",
    responses((status = 200, description = "Jobs and bytes", body = LibraryUsage)))]
async fn usage(State(state): State<AppState>) -> ApiResult<Json<LibraryUsage>> {
    Ok(Json(library::usage(&state.db).await?))
}

/// Delete a job, with an undo window
///
/// Cancels the job if it is unfinished and hides it; it and the assets no
/// other job uses are removed once the undo window closes.
#[utoipa::path(delete, path = "/api/jobs/{id}", tag = "jobs", operation_id = "delete_job", params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The job, hidden, and until when it can be restored", body = DeletedJob),
        (status = 404, description = "No such job", body = ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<DeletedJob>> {
    match removal::delete(&state, &id).await? {
        Outcome::Done(deleted) => {
            audit::record(&state.db, &actor, AuditAction::JobDeleted, &id, "").await;
            Ok(Json(deleted))
        }
        Outcome::Missing | Outcome::WindowClosed => Err(no_job(&id)),
    }
}

/// Restore a deleted job
///
/// Within its undo window.
#[utoipa::path(post, path = "/api/jobs/{id}/restore", tag = "jobs", params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The job, back in the Library", body = Job),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "Its undo window has closed", body = ErrorBody)))]
async fn restore(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Job>> {
    match removal::restore(&state, &id).await? {
        Outcome::Done(job) => {
            audit::record(&state.db, &actor, AuditAction::JobRestored, &id, "").await;
            Ok(Json(job))
        }
        Outcome::Missing => Err(no_job(&id)),
        Outcome::WindowClosed => Err(ApiError::Conflict(format!(
            "Job {id} can no longer be restored: its undo window of {} s has closed",
            state.undo_window.as_secs_f32()
        ))),
    }
}

fn no_job(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "There is no job {id} (a deleted job is removed for good once its undo window closes)"
    ))
}

/// Read a job
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "jobs", operation_id = "read_job", params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The job", body = Job), (status = 404, description = "No such job", body = ErrorBody)))]
async fn read(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Job>> {
    jobs::get(&state.db, &id)
        .await?
        .map(Json)
        .ok_or_else(|| no_job(&id))
}

/// Cancel a job
///
/// Only a queued or rendering job; its reserved spend is released.
#[utoipa::path(post, path = "/api/jobs/{id}/cancel", tag = "jobs", params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The job, canceled", body = Job),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "It has already finished, failed or been canceled", body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Job>> {
    if let Some(job) = jobs::transition(&state, &id, JobStatus::Canceled, Change::default()).await?
    {
        audit::record(&state.db, &actor, AuditAction::JobCancelled, &id, "").await;
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
