//! The studio's side of client review (#17): review links made, listed,
//! changed and revoked; every comment and decision on a job; replies and
//! resolving; the comments exported for editors (CSV, and an EDL of
//! timeline markers). Every change is announced on the event bus, which
//! `/api/events` sends on as `review` events and open review pages follow.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chorus_core::access::AuditAction;
use chorus_core::api::ErrorBody;
use chorus_core::job::original_of;
use chorus_core::review::{
    Comment, CreatedReviewLink, JobFeedback, MAX_EXPIRY_DAYS, NewComment, NewReviewLink, Resolve,
    ReviewEvent, ReviewLink, ReviewLinkChange, ReviewLinks, Side,
};
use chorus_core::{Job, JobStatus, Problem};
use serde::Deserialize;

use super::ApiJson;
use crate::auth::Actor;
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::reviews::{comments, decisions, export, links, passcode, readings, scope, token};
use crate::state::AppState;
use crate::{audit, jobs};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs/{id}/reviews", post(create).get(list))
        .route("/reviews/{link}", patch(change))
        .route("/reviews/{link}/revoke", post(revoke))
        .route("/jobs/{id}/feedback", get(feedback))
        .route("/jobs/{id}/comments", post(reply))
        .route("/jobs/{id}/comments.csv", get(comments_csv))
        .route("/jobs/{id}/comments.edl", get(comments_edl))
        .route("/comments/{comment}/resolve", post(resolve))
}

const DAY_MS: i64 = 86_400_000;

/// Job `id`, unless there is none or it is deleted.
async fn job(state: &AppState, id: &str) -> ApiResult<Job> {
    jobs::get(&state.db, id)
        .await?
        .filter(|job| job.deleted_at.is_none())
        .ok_or_else(|| ApiError::NotFound(format!("There is no job {id}")))
}

fn no_link(id: &str) -> ApiError {
    ApiError::NotFound(format!("There is no review link {id}"))
}

/// The problem with an expiry of `days`, if any.
fn expiry_problem(days: u32) -> Option<Problem> {
    (days == 0 || days > MAX_EXPIRY_DAYS).then(|| {
        Problem::error(
            "expires_in_days",
            format!(
                "A link lasts 1 to {MAX_EXPIRY_DAYS} days (or never: leave the expiry empty); {days} is outside that"
            ),
        )
    })
}

/// Hashes a passcode off the async threads (Argon2 is slow on purpose).
async fn hash_passcode(passcode: String) -> ApiResult<String> {
    Ok(
        tokio::task::spawn_blocking(move || passcode::hash(&passcode))
            .await
            .map_err(|e| anyhow::anyhow!("the passcode hashing stopped: {e}"))??,
    )
}

/// Share takes for review
///
/// Makes a review link to some of a finished job's takes. Its address is
/// answered this once: only the token's hash is kept.
#[utoipa::path(post, path = "/api/jobs/{id}/reviews", tag = "reviews", operation_id = "create_review_link", params(("id" = String, Path, description = "The job's id")), request_body = NewReviewLink,
    responses((status = 201, description = "The link and, this once, its address", body = CreatedReviewLink),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "The job has not finished", body = ErrorBody),
        (status = 422, description = "Takes, expiry or passcode with problems; `problems` say which", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewReviewLink>,
) -> ApiResult<(StatusCode, Json<CreatedReviewLink>)> {
    let job = job(&state, &id).await?;
    if job.status != JobStatus::Succeeded {
        return Err(ApiError::Conflict(format!(
            "Job {id} has not finished; only a finished job's takes can be shared"
        )));
    }
    let mut problems = Vec::new();
    let takes = scope::originals_to_share(&job, &body.takes).unwrap_or_else(|found| {
        problems.extend(found);
        Vec::new()
    });
    problems.extend(body.expires_in_days.and_then(expiry_problem));
    if let Some(why) = body.passcode.as_deref().and_then(passcode::problem) {
        problems.push(Problem::error("passcode", why));
    }
    if problems.is_empty() && takes.is_empty() {
        problems.push(Problem::error("takes", "This job has no takes to share"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let passcode_hash = match body.passcode {
        Some(passcode) => Some(hash_passcode(passcode).await?),
        None => None,
    };
    let token = token::new_token()?;
    let now = now_ms();
    let link = ReviewLink {
        id: links::new_id(),
        job_id: job.id.clone(),
        takes,
        created_at: now,
        expires_at: body
            .expires_in_days
            .map(|days| now + i64::from(days) * DAY_MS),
        revoked_at: None,
        has_passcode: passcode_hash.is_some(),
        downloads: body.downloads,
        approvals: body.approvals,
        verdicts: body.verdicts,
        opened: Vec::new(),
        comments: 0,
        decisions: 0,
    };
    links::insert(
        &state.db,
        &link,
        &token::hash(&token),
        passcode_hash.as_deref(),
    )
    .await?;
    state
        .events
        .publish_review(ReviewEvent::Link { link: link.clone() });
    let detail = format!("job {id}, {}", shared_takes(&link.takes));
    audit::record(
        &state.db,
        &actor,
        AuditAction::ReviewShared,
        &link.id,
        &detail,
    )
    .await;
    if link.verdicts {
        readings::measure_shared(&state, &job, &link.takes);
    }
    Ok((
        StatusCode::CREATED,
        Json(CreatedReviewLink {
            link,
            path: format!("/r/{token}"),
        }),
    ))
}

/// List a job's review links
#[utoipa::path(get, path = "/api/jobs/{id}/reviews", tag = "reviews", operation_id = "list_review_links", params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "Every link, open or not, never a token", body = ReviewLinks),
        (status = 404, description = "No such job", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ReviewLinks>> {
    job(&state, &id).await?;
    Ok(Json(ReviewLinks {
        links: links::of_job(&state.db, &id).await?,
    }))
}

/// Change a review link
///
/// A field left out stays as it is; `null` clears the expiry or passcode.
#[utoipa::path(patch, path = "/api/reviews/{link}", tag = "reviews", operation_id = "change_review_link", params(("link" = String, Path, description = "The review link's id")), request_body = ReviewLinkChange,
    responses((status = 200, description = "The link as it now is", body = ReviewLink),
        (status = 404, description = "No such link", body = ErrorBody),
        (status = 422, description = "An expiry or passcode with problems", body = ErrorBody)))]
async fn change(
    State(state): State<AppState>,
    actor: Actor,
    Path(link_id): Path<String>,
    ApiJson(body): ApiJson<ReviewLinkChange>,
) -> ApiResult<Json<ReviewLink>> {
    let detail = describe_change(&body);
    let mut problems: Vec<Problem> = body
        .expires_in_days
        .flatten()
        .and_then(expiry_problem)
        .into_iter()
        .collect();
    if let Some(why) = body
        .passcode
        .clone()
        .flatten()
        .as_deref()
        .and_then(passcode::problem)
    {
        problems.push(Problem::error("passcode", why));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let before = links::by_id(&state.db, &link_id)
        .await?
        .ok_or_else(|| no_link(&link_id))?;
    let now = now_ms();
    let passcode_hash = match body.passcode {
        Some(Some(passcode)) => Some(Some(hash_passcode(passcode).await?)),
        Some(None) => Some(None),
        None => None,
    };
    let change = links::Change {
        expires_at: body
            .expires_in_days
            .map(|days| days.map(|d| now + i64::from(d) * DAY_MS)),
        passcode_hash,
        downloads: body.downloads,
        approvals: body.approvals,
        verdicts: body.verdicts,
    };
    let link = links::change(&state.db, &link_id, &change)
        .await?
        .ok_or_else(|| no_link(&link_id))?
        .link;
    state
        .events
        .publish_review(ReviewEvent::Link { link: link.clone() });
    audit::record(
        &state.db,
        &actor,
        AuditAction::ReviewChanged,
        &link_id,
        &detail,
    )
    .await;
    if link.verdicts
        && !before.link.verdicts
        && let Some(job) = jobs::get(&state.db, &link.job_id.0).await?
    {
        readings::measure_shared(&state, &job, &link.takes);
    }
    Ok(Json(link))
}

/// Revoke a review link
///
/// At once: open review pages and their streams close.
#[utoipa::path(post, path = "/api/reviews/{link}/revoke", tag = "reviews", operation_id = "revoke_review_link", params(("link" = String, Path, description = "The review link's id")),
    responses((status = 200, description = "The link, revoked", body = ReviewLink),
        (status = 404, description = "No such link", body = ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Path(link_id): Path<String>,
) -> ApiResult<Json<ReviewLink>> {
    let link = links::revoke(&state.db, &link_id, now_ms())
        .await?
        .ok_or_else(|| no_link(&link_id))?
        .link;
    state
        .events
        .publish_review(ReviewEvent::Link { link: link.clone() });
    let detail = format!("job {}", link.job_id);
    audit::record(
        &state.db,
        &actor,
        AuditAction::ReviewRevoked,
        &link_id,
        &detail,
    )
    .await;
    Ok(Json(link))
}

/// "take 1" or "takes 1, 3", from original take indices.
fn shared_takes(takes: &[usize]) -> String {
    let numbers: Vec<String> = takes.iter().map(|t| (t + 1).to_string()).collect();
    let noun = if takes.len() == 1 { "take" } else { "takes" };
    format!("{noun} {}", numbers.join(", "))
}

/// What a change to a link asks, for the audit log: "expires in 7 days;
/// passcode removed; approvals off". Never the passcode itself.
fn describe_change(change: &ReviewLinkChange) -> String {
    let on_off = |b: bool| if b { "on" } else { "off" };
    let mut parts = Vec::new();
    match change.expires_in_days {
        Some(Some(days)) => parts.push(format!("expires in {days} days")),
        Some(None) => parts.push("never expires".to_string()),
        None => {}
    }
    match &change.passcode {
        Some(Some(_)) => parts.push("passcode set".to_string()),
        Some(None) => parts.push("passcode removed".to_string()),
        None => {}
    }
    if let Some(downloads) = change.downloads {
        parts.push(format!(
            "downloads {}",
            downloads.as_str().replace('_', " ")
        ));
    }
    if let Some(approvals) = change.approvals {
        parts.push(format!("approvals {}", on_off(approvals)));
    }
    if let Some(verdicts) = change.verdicts {
        parts.push(format!("sync verdicts {}", on_off(verdicts)));
    }
    if parts.is_empty() {
        "nothing".to_string()
    } else {
        parts.join("; ")
    }
}

/// Read a job's feedback
///
/// Every comment and decision left on its review links.
#[utoipa::path(get, path = "/api/jobs/{id}/feedback", tag = "reviews", params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "Comments and decisions", body = JobFeedback),
        (status = 404, description = "No such job", body = ErrorBody)))]
async fn feedback(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobFeedback>> {
    job(&state, &id).await?;
    Ok(Json(JobFeedback {
        comments: comments::of_job(&state.db, &id).await?,
        decisions: decisions::of_job(&state.db, &id).await?,
    }))
}

/// Reads a comment's JSON, a drawing that is not one (an unknown kind, a
/// point that is not a pair) named as a problem with `shape` rather than as
/// unreadable JSON, so the page can show it beside the drawing.
pub(super) fn comment_from_json(mut value: serde_json::Value) -> ApiResult<NewComment> {
    let shape = value
        .as_object_mut()
        .and_then(|fields| fields.remove("shape"))
        .filter(|shape| !shape.is_null());
    let mut comment: NewComment = serde_json::from_value(value).map_err(|e| {
        ApiError::BadRequest(format!(
            "The JSON does not match what this endpoint takes: {e}"
        ))
    })?;
    if let Some(shape) = shape {
        comment.shape = Some(serde_json::from_value(shape).map_err(|e| {
            ApiError::invalid(vec![Problem::error(
                "shape",
                format!("The drawing cannot be read: {e}"),
            )])
        })?);
    }
    Ok(comment)
}

/// Every problem with `comment` on a take of `frame_count` frames, or none.
pub(super) fn comment_problems(comment: &NewComment, frame_count: usize) -> ApiResult<()> {
    let mut problems: Vec<Problem> = comment
        .problems(frame_count)
        .into_iter()
        .map(|(field, why)| Problem::error(field, why))
        .collect();
    if let Some(why) = comments::control_problem(&comment.text) {
        problems.push(Problem::error("text", why));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(problems))
    }
}

/// Reply to a reviewer's comment
///
/// A reply from the studio: on the comment it answers (`parent`, which
/// must be on this job), at the same take and frames.
#[utoipa::path(post, path = "/api/jobs/{id}/comments", tag = "reviews", params(("id" = String, Path, description = "The job's id")), request_body = NewComment,
    responses((status = 201, description = "The reply", body = Comment),
        (status = 400, description = "A body that cannot be read", body = ErrorBody),
        (status = 404, description = "No such job, or no such comment on it", body = ErrorBody),
        (status = 422, description = "No `parent`, or text or a drawing with problems", body = ErrorBody)))]
async fn reply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<Comment>)> {
    let job = job(&state, &id).await?;
    let body = comment_from_json(body)?;
    let Some(parent_id) = body.parent.clone() else {
        return Err(ApiError::invalid(vec![Problem::error(
            "parent",
            "The studio replies to a reviewer's comment: name the comment this answers",
        )]));
    };
    let parent = comments::get(&state.db, &parent_id)
        .await?
        .filter(|(job_id, _)| *job_id == id)
        .map(|(_, parent)| parent)
        .ok_or_else(|| {
            ApiError::NotFound(format!("There is no comment {parent_id} on job {id}"))
        })?;
    let output = job
        .outputs
        .get(parent.take)
        .ok_or_else(|| ApiError::NotFound(format!("Job {id} has no take {}", parent.take)))?;
    let reply = NewComment {
        take: parent.take,
        frame: parent.frame,
        frame_out: parent.frame_out,
        ..body
    };
    comment_problems(&reply, scope::frame_count(output))?;
    let comment = Comment {
        id: comments::new_id(),
        link_id: parent.link_id.clone(),
        take: parent.take,
        original: original_of(&job.outputs, parent.take).unwrap_or(parent.take),
        version: output.version(),
        frame: parent.frame,
        frame_out: parent.frame_out,
        author: reply.author,
        side: Side::Studio,
        text: reply.text,
        shape: reply.shape,
        parent: Some(parent.id),
        created_at: now_ms(),
        resolved_at: None,
    };
    comments::insert(&state.db, &id, &comment).await?;
    state.events.publish_review(ReviewEvent::Comment {
        job_id: job.id,
        comment: comment.clone(),
    });
    Ok((StatusCode::CREATED, Json(comment)))
}

/// Resolve a comment, or open it again
#[utoipa::path(post, path = "/api/comments/{comment}/resolve", tag = "reviews",
    params(("comment" = String, Path, description = "The comment's id")), request_body = Resolve,
    responses((status = 200, description = "The comment as it now is", body = Comment),
        (status = 404, description = "No such comment", body = ErrorBody)))]
async fn resolve(
    State(state): State<AppState>,
    Path(comment_id): Path<String>,
    ApiJson(body): ApiJson<Resolve>,
) -> ApiResult<Json<Comment>> {
    let (job_id, comment) = comments::set_resolved(&state.db, &comment_id, body.resolved, now_ms())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("There is no comment {comment_id}")))?;
    state.events.publish_review(ReviewEvent::Comment {
        job_id: chorus_core::JobId(job_id),
        comment: comment.clone(),
    });
    Ok(Json(comment))
}

/// `?take=N`: only the comments on output N.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    /// Only the comments on this take (its index in `outputs`).
    take: Option<usize>,
}

/// The job, the comments to export, and the file name's stem.
async fn to_export(
    state: &AppState,
    id: &str,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> ApiResult<(Job, Vec<Comment>, String, String)> {
    let Query(query) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "The query string cannot be read: {}",
            e.body_text()
        ))
    })?;
    let job = job(state, id).await?;
    let title = scope::title(&job, &scope::originals(&job));
    let mut stem = scope::file_stem(&title);
    let mut comments = comments::of_job(&state.db, id).await?;
    if let Some(take) = query.take {
        let output = job
            .outputs
            .get(take)
            .ok_or_else(|| ApiError::NotFound(format!("Job {id} has no take {take}")))?;
        comments.retain(|c| c.take == take);
        stem = format!("{stem}-{}", scope::file_stem(&scope::take_label(output)));
    }
    Ok((job, comments, title, stem))
}

/// `body` as a file the browser saves as `file_name`.
pub(super) fn download(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// Export a job's comments as CSV
///
/// One row per comment, with its take, timecode and drawing.
#[utoipa::path(get, path = "/api/jobs/{id}/comments.csv", tag = "reviews", params(("id" = String, Path, description = "The job's id"), ExportQuery),
    responses((status = 200, description = "A CSV download", content_type = "text/csv", body = String),
        (status = 400, description = "A query that cannot be read", body = ErrorBody),
        (status = 404, description = "No such job or take", body = ErrorBody)))]
async fn comments_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let (job, comments, _, stem) = to_export(&state, &id, query).await?;
    let csv = export::csv(&job, &comments)?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("{stem}-comments.csv"),
        csv,
    ))
}

/// Export a job's comments as timeline markers
///
/// An EDL of markers that DaVinci Resolve imports onto a timeline.
#[utoipa::path(get, path = "/api/jobs/{id}/comments.edl", tag = "reviews", params(("id" = String, Path, description = "The job's id"), ExportQuery),
    responses((status = 200, description = "An EDL download", content_type = "text/plain", body = String),
        (status = 400, description = "A query that cannot be read", body = ErrorBody),
        (status = 404, description = "No such job or take", body = ErrorBody)))]
async fn comments_edl(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let (job, comments, title, stem) = to_export(&state, &id, query).await?;
    let edl = export::edl(&job, &comments, &title);
    Ok(download(
        "text/plain; charset=utf-8",
        &format!("{stem}-markers.edl"),
        edl.into_bytes(),
    ))
}
