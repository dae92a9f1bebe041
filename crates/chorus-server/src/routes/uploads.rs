//! `POST /api/uploads`: reference images, checked and stored by content hash.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chorus_core::api::{ErrorBody, UploadedAsset};

use crate::error::{ApiError, ApiResult};
use crate::images::{self, MAX_BYTES};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    // The body may carry multipart framing around a 20 MB image; the image
    // itself is measured while it streams in.
    Router::new()
        .route("/uploads", post(upload))
        .layer(DefaultBodyLimit::max(MAX_BYTES + 1024 * 1024))
}

/// A reference image, as a multipart form.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "describes the form; the handler reads it as it streams"
)]
struct UploadForm {
    /// A PNG, JPEG or WebP image of at most 20 MiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload a reference image
///
/// Checked by its bytes (PNG, JPEG or WebP) and stored by content hash, so
/// the same image sent twice is stored once.
#[utoipa::path(post, path = "/api/uploads", tag = "uploads",
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses((status = 201, description = "The stored image; its id goes in a request's `references`", body = UploadedAsset),
        (status = 400, description = "No `file` field, or a form that cannot be read", body = ErrorBody),
        (status = 413, description = "Larger than 20 MiB", body = ErrorBody),
        (status = 415, description = "Not an image Chorus takes", body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    mut form: Multipart,
) -> ApiResult<(StatusCode, Json<UploadedAsset>)> {
    let bytes = loop {
        let field = form.next_field().await.map_err(multipart_error)?;
        let Some(mut field) = field else {
            return Err(ApiError::BadRequest(
                "Attach the image as a form field named \"file\"".into(),
            ));
        };
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > MAX_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        break bytes;
    };
    let (bytes, info) = tokio::task::spawn_blocking(move || {
        let info = images::inspect(&bytes);
        (bytes, info)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    let info = info?;
    let record = state
        .assets
        .put(
            &state.db,
            &bytes,
            info.mime,
            Some((info.width, info.height)),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(record.to_uploaded())))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::BadRequest(format!("The upload could not be read: {}", e.body_text()))
    }
}

fn too_large() -> ApiError {
    ApiError::TooLarge(format!(
        "The image is larger than {}, the limit for reference images",
        crate::error::describe_bytes(MAX_BYTES)
    ))
}
