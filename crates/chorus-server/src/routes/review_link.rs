//! The reviewer's side of client review (#17), under `/r/{token}`: the
//! studio app's page (the same page whatever the token, so an address
//! reveals nothing), the review it loads, the passcode, who is looking,
//! comments, decisions, the live feed (`review_feed`), and the shared
//! takes' files with Range.
//!
//! Every request looks the link up by its token's hash and checks it is
//! neither revoked nor expired (410 `closed`) and, when it has a passcode,
//! that the browser holds its unlock cookie (401 `passcode_required`).
//! Whatever is not this link's (another link's comment, another job's
//! asset, an unshared take) is a 404, never a 403, so nothing confirms it
//! exists. Every answer is kept out of caches, referrers and search
//! engines.

use std::net::SocketAddr;
use std::path::Path as FsPath;

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::access::AuditAction;
use chorus_core::job::{original_of, versions_of};
use chorus_core::review::{
    Comment, Decision, Downloads, Hello, MAX_PASSCODE_CHARS, NewDecision, Review, ReviewEvent,
    Side, Unlock, Verdict, name_problem,
};
use chorus_core::{Job, Problem};
use serde::Deserialize;

use super::{ApiJson, JSON_LIMIT};
use crate::config::Delivery;
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::reviews::links::StoredLink;
use crate::reviews::{comments, decisions, links, passcode, scope, token, view};
use crate::state::AppState;
use crate::{audit, jobs};

/// A shared take's file is never kept by the browser: it never changes,
/// but the link may close at any moment, and a closed link must answer
/// nothing, not even from the browser's own cache. The player keeps the
/// frames it decoded in memory, so a seek does not fetch again.
const ASSET_CACHE: &str = "no-store";

/// The router nested at `/r/{token}`.
pub fn router(dist: &FsPath, delivery: Delivery) -> Router<AppState> {
    let api = Router::new()
        .route("/review", get(review))
        .route("/unlock", post(unlock))
        .route("/opened", post(opened))
        .route("/comments", post(comment))
        .route("/decisions", post(decide))
        .route("/events", get(super::review_feed::stream))
        .fallback(api_not_found)
        .layer(DefaultBodyLimit::max(JSON_LIMIT));
    let api = match delivery {
        Delivery::Production => api.layer(super::policy::json_compression()),
        Delivery::Plain => api,
    };
    Router::new()
        .route("/", super::spa::page(dist, delivery))
        .route("/assets/{id}", get(asset))
        .nest("/api", api)
        .fallback(not_here)
        .layer(middleware::from_fn(private_answers))
}

async fn not_here() -> ApiError {
    ApiError::NotFound("There is nothing at this address".into())
}

/// `/r/<token>/` with its slash (outside the nested router, which answers
/// only `/r/<token>`): the same page, as private.
pub fn page_with_slash(dist: &FsPath, delivery: Delivery) -> axum::routing::MethodRouter<AppState> {
    super::spa::page(dist, delivery).layer(middleware::from_fn(private_answers))
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound("There is no review endpoint here".into())
}

/// Keeps every answer under `/r/` out of shared caches, search engines
/// and referrers: the address is the key to the review.
pub async fn private_answers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    let asset = headers
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes() == ASSET_CACHE.as_bytes());
    if !asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // The page comes brotli, gzip or plain by request header.
    headers
        .entry(header::VARY)
        .or_insert(HeaderValue::from_static("accept-encoding"));
    response
}

/// A link found by its token, open, and (where asked) unlocked.
pub(super) struct Access {
    pub link: StoredLink,
    pub job: Job,
    pub token: String,
}

fn no_review() -> ApiError {
    ApiError::NotFound("There is no review at this address".into())
}

/// Why the link cannot be used at `now`, in the reviewer's words.
pub(super) fn closed_message(link: &StoredLink, job: &Job, now: i64) -> Option<String> {
    if link.link.revoked_at.is_some() || job.deleted_at.is_some() {
        return Some("This review link was closed by the studio".into());
    }
    match link.link.expires_at {
        Some(at) if now >= at => Some(format!("This review link expired on {}", date(at))),
        _ => None,
    }
}

/// Unix ms as a date people read: "7 December 2026" (UTC).
fn date(ms: i64) -> String {
    let format = time::macros::format_description!("[day padding:none] [month repr:long] [year]");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "an earlier date".into())
}

/// The link `token` opens, checked to be open; with `unlocked`, checked to
/// hold the passcode's cookie too.
pub(super) async fn enter(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    unlocked: bool,
) -> ApiResult<Access> {
    let bytes = token::decode(token).ok_or_else(no_review)?;
    let link = links::by_token_hash(&state.db, &token::hash(token))
        .await?
        .ok_or_else(no_review)?;
    let job = jobs::get(&state.db, &link.link.job_id.0)
        .await?
        .ok_or_else(no_review)?;
    if let Some(message) = closed_message(&link, &job, now_ms()) {
        return Err(ApiError::Closed(message));
    }
    if unlocked
        && let Some(phc) = &link.passcode_hash
        && !passcode::unlocked(headers, &bytes, phc)
    {
        return Err(ApiError::PasscodeRequired(
            "This review has a passcode; enter it to continue".into(),
        ));
    }
    Ok(Access {
        link,
        job,
        token: token.to_string(),
    })
}

async fn review(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Review>> {
    let access = enter(&state, &token, &headers, true).await?;
    Ok(Json(
        view::review(&state.db, &access.link, &access.job, &access.token).await?,
    ))
}

/// Where a request came from, for counting passcode tries: the socket's
/// peer when the server knows it, else the first `X-Forwarded-For` entry.
pub(super) struct ClientAddress(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let forwarded = || {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        Ok(ClientAddress(peer.or_else(forwarded)))
    }
}

/// Whether the request reached us over https (as a proxy in front says).
fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .next()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
        })
}

async fn unlock(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Unlock>,
) -> ApiResult<Response> {
    let access = enter(&state, &token, &headers, false).await?;
    let Some(phc) = access.link.passcode_hash.clone() else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    // Counted before hashing: a throttled try costs no CPU.
    let ticket = passcode::take_try(
        &state.passcode_tries,
        &access.link.link.id,
        client.as_deref(),
    )
    .map_err(|wait| ApiError::TooManyTries {
        message: passcode::wait_message(wait),
        retry_after_s: wait.as_secs().max(1),
    })?;
    let stored = phc.clone();
    // A passcode longer than any that can be set is wrong without hashing.
    let possible = body.passcode.chars().count() <= MAX_PASSCODE_CHARS;
    let right =
        tokio::task::spawn_blocking(move || possible && passcode::verify(&body.passcode, &stored))
            .await
            .map_err(|e| anyhow::anyhow!("the passcode check stopped: {e}"))?;
    if !right {
        return Err(ApiError::WrongPasscode(
            "That passcode is not right; check it with whoever sent you the link".into(),
        ));
    }
    state.passcode_tries.give_back(ticket);
    let bytes = token::decode(&token).ok_or_else(no_review)?;
    let cookie = passcode::set_cookie(
        &token,
        &passcode::unlock_value(&bytes, &phc),
        over_https(&headers),
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| anyhow::anyhow!("cookie: {e}"))?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

async fn opened(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Hello>,
) -> ApiResult<StatusCode> {
    let access = enter(&state, &token, &headers, true).await?;
    if let Some(why) = name_problem(&body.name) {
        return Err(ApiError::invalid(vec![Problem::error("name", why)]));
    }
    let id = &access.link.link.id;
    links::record_open(&state.db, id, body.name.trim(), now_ms()).await?;
    if let Some(link) = links::by_id(&state.db, id).await? {
        state
            .events
            .publish_review(ReviewEvent::Link { link: link.link });
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn comment(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<Comment>)> {
    let access = enter(&state, &token, &headers, true).await?;
    let body = super::reviews::comment_from_json(body)?;
    let (job, link) = (&access.job, &access.link.link);
    if !scope::is_shared(job, &link.takes, body.take) {
        return Err(ApiError::NotFound(format!(
            "There is no take {} in this review",
            body.take
        )));
    }
    let output = &job.outputs[body.take];
    super::reviews::comment_problems(&body, scope::frame_count(output))?;
    if let Some(parent) = &body.parent {
        let same_link = comments::get(&state.db, parent)
            .await?
            .is_some_and(|(_, c)| c.link_id == link.id);
        if !same_link {
            return Err(ApiError::NotFound(format!(
                "There is no comment {parent} in this review"
            )));
        }
    }
    let comment = Comment {
        id: comments::new_id(),
        link_id: link.id.clone(),
        take: body.take,
        original: original_of(&job.outputs, body.take).unwrap_or(body.take),
        version: output.version(),
        frame: body.frame,
        frame_out: body.frame_out,
        author: body.author.trim().to_string(),
        side: Side::Reviewer,
        text: body.text,
        shape: body.shape,
        parent: body.parent,
        created_at: now_ms(),
        resolved_at: None,
    };
    comments::insert(&state.db, &job.id.0, &comment).await?;
    state.events.publish_review(ReviewEvent::Comment {
        job_id: job.id.clone(),
        comment: comment.clone(),
    });
    Ok((StatusCode::CREATED, Json(comment)))
}

async fn decide(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewDecision>,
) -> ApiResult<(StatusCode, Json<Decision>)> {
    let access = enter(&state, &token, &headers, true).await?;
    let (job, link) = (&access.job, &access.link.link);
    if !link.approvals {
        return Err(ApiError::Conflict(
            "This review does not take approvals; the studio turned them off for this link".into(),
        ));
    }
    if !link.takes.contains(&body.take) {
        return Err(ApiError::NotFound(format!(
            "There is no take {} in this review",
            body.take
        )));
    }
    let mut problems: Vec<Problem> = body
        .problems()
        .into_iter()
        .map(|(field, why)| Problem::error(field, why))
        .collect();
    let versions: Vec<u32> = versions_of(&job.outputs, body.take)
        .into_iter()
        .map(|i| job.outputs[i].version())
        .collect();
    if !versions.contains(&body.version) {
        problems.push(Problem::error(
            "version",
            format!(
                "Take {} has no version {} (it has {})",
                body.take,
                body.version,
                versions
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if let Some(why) = body.note.as_deref().and_then(comments::control_problem) {
        problems.push(Problem::error("note", why));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let decision = Decision {
        link_id: link.id.clone(),
        take: body.take,
        version: body.version,
        verdict: body.verdict,
        note: body.note.filter(|n| !n.trim().is_empty()),
        author: body.author.trim().to_string(),
        at: now_ms(),
    };
    decisions::put(&state.db, &decision).await?;
    // The reviewer has no account: the log names them as they named
    // themselves, and the link they came through.
    let action = match decision.verdict {
        Verdict::Approved => AuditAction::ReviewApproved,
        Verdict::ChangesRequested => AuditAction::ReviewChangesRequested,
    };
    let detail = format!(
        "job {}, take {} version {}{}",
        job.id,
        decision.take + 1,
        decision.version,
        decision
            .note
            .as_deref()
            .map(|note| format!(": {note}"))
            .unwrap_or_default()
    );
    audit::record_as(
        &state.db,
        &format!("reviewer {}", decision.author),
        None,
        client.as_deref(),
        action,
        &link.id,
        &detail,
    )
    .await;
    state.events.publish_review(ReviewEvent::Decision {
        job_id: job.id.clone(),
        decision: decision.clone(),
    });
    Ok((StatusCode::CREATED, Json(decision)))
}

/// `?download=1` asks for the file as a download.
#[derive(Debug, Default, Deserialize)]
struct AssetQuery {
    #[serde(default)]
    download: Option<String>,
}

/// A shared take's video, poster or strip, with Range like
/// `/api/assets/{id}`; nothing once the link has closed.
async fn asset(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, String)>,
    query: Result<Query<AssetQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let not_found = || ApiError::NotFound(format!("There is no file {id} in this review"));
    let access = match enter(&state, &token, &headers, true).await {
        Err(ApiError::Closed(_)) => return Err(not_found()),
        other => other?,
    };
    let (job, link) = (&access.job, &access.link.link);
    let (index, file) = scope::shared_file(job, &link.takes, &id).ok_or_else(not_found)?;
    let wants_download = query
        .ok()
        .and_then(|Query(q)| q.download)
        .is_some_and(|d| d == "1" || d == "true");
    let disposition = if wants_download {
        let original = original_of(&job.outputs, index).unwrap_or(index);
        let allowed = file == scope::File::Video
            && match link.downloads {
                Downloads::Never => false,
                Downloads::Always => true,
                Downloads::AfterApproval => decisions::of_link(&state.db, &link.id)
                    .await?
                    .iter()
                    .any(|d| d.take == original && d.verdict == Verdict::Approved),
            };
        if !allowed {
            return Err(ApiError::NotFound(
                "This file cannot be downloaded from this review".into(),
            ));
        }
        let name = format!(
            "{}-{}.mp4",
            scope::file_stem(&scope::title(job, &link.takes)),
            scope::file_stem(&scope::take_label(&job.outputs[index]))
        );
        Some(format!("attachment; filename=\"{name}\""))
    } else {
        None
    };
    super::assets::send(&state, &id, &headers, ASSET_CACHE, disposition).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_people_write_them() {
        // 2026-12-07T01:11:36Z
        assert_eq!(date(1_796_605_896_000), "7 December 2026");
    }

    #[test]
    fn https_is_what_the_proxy_says() {
        let mut headers = HeaderMap::new();
        assert!(!over_https(&headers));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(over_https(&headers));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("http, https"));
        assert!(!over_https(&headers));
    }
}
