//! `POST /api/imports`: clips made elsewhere, as a multipart form. Each clip
//! is a `file` field; the `language` field before it says what is spoken in
//! it (a code such as `en`, or `none`). The answer is the finished job whose
//! takes they are; a refused import names each file that failed and why.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chorus_core::access::AuditAction;
use chorus_core::api::{ErrorBody, MAX_IMPORT_BYTES, MAX_IMPORT_CLIPS};
use chorus_core::{Job, Language, Problem};
use futures_util::TryStreamExt as _;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{audit, import, spool};

pub fn router() -> Router<AppState> {
    // Every clip at its limit, plus room for the form's framing; each clip
    // is measured on its own while it streams to disk.
    let most = MAX_IMPORT_BYTES * MAX_IMPORT_CLIPS as u64 + 1024 * 1024;
    Router::new()
        .route("/imports", post(import_clips))
        .layer(DefaultBodyLimit::max(
            usize::try_from(most).unwrap_or(usize::MAX),
        ))
}

/// Clips, as a multipart form: a `language` field before each `file`
/// field, repeated for every clip.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "describes the form; the handler reads it as it streams"
)]
struct ImportForm {
    /// What is spoken in the next file: a language code (`en`, `de`, …) or `none`.
    language: Vec<String>,
    /// An MP4 or MOV clip of at most 2 GiB; its file name is kept.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

/// Import clips made elsewhere
///
/// Each clip is checked by its bytes; all are stored as one finished job,
/// or none is.
#[utoipa::path(post, path = "/api/imports", tag = "imports",
    request_body(content = inline(ImportForm), content_type = "multipart/form-data"),
    responses((status = 201, description = "The finished job whose takes they are", body = Job),
        (status = 400, description = "Too many clips, or an upload that stopped", body = ErrorBody),
        (status = 413, description = "A clip over 2 GiB, or the whole over the limit", body = ErrorBody),
        (status = 422, description = "A clip without its language, or one that failed its check; `problems` name each", body = ErrorBody)))]
async fn import_clips(
    State(state): State<AppState>,
    actor: Actor,
    mut form: Multipart,
) -> ApiResult<(StatusCode, Json<Job>)> {
    let mut clips = Vec::new();
    let mut language: Option<Option<Language>> = None;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("language") => {
                let code = field.text().await.map_err(multipart_error)?;
                language = Some(parse_language(code.trim(), clips.len())?);
            }
            Some("file") => {
                if clips.len() == MAX_IMPORT_CLIPS {
                    return Err(ApiError::BadRequest(format!(
                        "An import takes at most {MAX_IMPORT_CLIPS} clips; send the rest in another"
                    )));
                }
                let name = field
                    .file_name()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map_or_else(|| format!("clip {}", clips.len() + 1), str::to_string);
                let Some(spoken) = language else {
                    return Err(ApiError::invalid(vec![Problem::error(
                        format!("clips[{}]", clips.len()),
                        format!(
                            "Say which language is spoken in {name} (a language field before the file)"
                        ),
                    )]));
                };
                let chunks = (&mut field).map_err(multipart_error);
                let spooled = spool::receive(&state.spool, name, spoken, chunks).await?;
                clips.push(spooled);
            }
            _ => {}
        }
    }
    let job = import::import(&state, clips).await?;
    let names: Vec<&str> = job
        .outputs
        .iter()
        .filter_map(|o| o.name.as_deref())
        .collect();
    let detail = format!(
        "{} clip{}: {}",
        job.outputs.len(),
        if job.outputs.len() == 1 { "" } else { "s" },
        names.join(", ")
    );
    audit::record(
        &state.db,
        &actor,
        AuditAction::ClipsImported,
        &job.id.0,
        &detail,
    )
    .await;
    Ok((StatusCode::CREATED, Json(job)))
}

fn parse_language(code: &str, index: usize) -> ApiResult<Option<Language>> {
    if code.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    Language::from_code(code).map(Some).ok_or_else(|| {
        let known: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
        ApiError::invalid(vec![Problem::error(
            format!("clips[{index}]"),
            format!(
                "\"{code}\" is not a language Chorus knows; use one of {} or none",
                known.join(", ")
            ),
        )])
    })
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!(
            "The import is larger than the server takes at once: at most {MAX_IMPORT_CLIPS} clips of 2 GiB each"
        ))
    } else {
        ApiError::BadRequest(format!(
            "The upload stopped before it was complete: {}",
            e.body_text()
        ))
    }
}
