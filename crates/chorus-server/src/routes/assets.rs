//! `GET /api/assets/{id}`: stored bytes with HTTP Range support, which video
//! seeking and on-demand sample fetching rely on. Assets are content-addressed,
//! so they never change and can be cached forever.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

use chorus_core::api::ErrorBody;

use crate::assets;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/assets/{id}", get(serve))
}

/// Read an asset's bytes
///
/// Takes, posters, strips, sidecars and references, by content hash: they
/// never change, so they are cached for good. A single `bytes=` range is
/// answered with 206; several ranges get the whole file.
#[utoipa::path(get, path = "/api/assets/{id}", tag = "assets", operation_id = "read_asset",
    params(("id" = String, Path, description = "The asset's content hash"),
        ("Range" = Option<String>, Header, description = "`bytes=first-last`, `bytes=first-` or `bytes=-suffix`"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag held (the quoted id)")),
    responses((status = 200, description = "The whole file, in its own type", content(("video/*"), ("image/*"), ("application/json"))),
        (status = 206, description = "The range asked for", content(("video/*"), ("image/*"), ("application/json")),
            headers(("Content-Range" = String, description = "`bytes first-last/size`"))),
        (status = 304, description = "Not modified: the ETag matched"),
        (status = 404, description = "No such asset", body = ErrorBody),
        (status = 416, description = "The range is outside the file", body = ErrorBody,
            headers(("Content-Range" = String, description = "`bytes */size`")))))]
async fn serve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    send(&state, &id, &headers, super::spa::IMMUTABLE, None).await
}

/// Answers with asset `id`'s bytes, or the part a `Range` header asks for,
/// cached as `cache_control` says; `disposition` makes it a download.
/// Shared with review links, which serve a few assets under their address.
pub(super) async fn send(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
    cache_control: &'static str,
    disposition: Option<String>,
) -> ApiResult<Response> {
    let not_found = || ApiError::NotFound(format!("There is no asset {id}"));
    if !assets::is_valid_id(id) {
        return Err(not_found());
    }
    let record = assets::find(&state.db, id).await?.ok_or_else(not_found)?;
    // The record knows the size, so a Range answer needs no extra round
    // trip to the store (which may be an object store across the network).
    let size = u64::try_from(record.bytes).unwrap_or(0);

    let etag = format!("\"{id}\"");
    let common = |builder: axum::http::response::Builder| {
        let builder = with_common(builder, &record.mime, &etag, cache_control);
        match &disposition {
            Some(value) => builder.header(header::CONTENT_DISPOSITION, value),
            None => builder,
        }
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return common(Response::builder().status(StatusCode::NOT_MODIFIED))
            .body(Body::empty())
            .map_err(|e| ApiError::Internal(e.into()));
    }

    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(value) => parse_range(value, size)?,
        None => None,
    };
    let builder = common(Response::builder());
    let bytes = state.assets.stream(id, range).await.map_err(|e| {
        // The database lists it but the store has lost it: say so once.
        tracing::error!(asset = %id, error = format!("{e:#}"), "an asset's bytes are missing");
        not_found()
    })?;
    let response = match range {
        Some((start, end)) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"))
            .header(header::CONTENT_LENGTH, end - start + 1)
            .body(Body::from_stream(bytes)),
        None => builder
            .status(StatusCode::OK)
            .header(header::CONTENT_LENGTH, size)
            .body(Body::from_stream(bytes)),
    };
    response.map_err(|e| ApiError::Internal(e.into()))
}

fn with_common(
    builder: axum::http::response::Builder,
    mime: &str,
    etag: &str,
    cache_control: &'static str,
) -> axum::http::response::Builder {
    builder
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_str(mime)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        )
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, cache_control)
}

/// Parses a single `bytes=` range against a file of `size` bytes into an
/// inclusive (start, end). Multi-range requests get the whole file (allowed by
/// RFC 9110); a range wholly outside the file is a 416.
pub(crate) fn parse_range(value: &str, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let unsatisfiable = ApiError::RangeNotSatisfiable { size };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        // Suffix: the last N bytes.
        let Ok(n) = last.parse::<u64>() else {
            return Ok(None);
        };
        if n == 0 || size == 0 {
            return Err(unsatisfiable);
        }
        (size.saturating_sub(n), size - 1)
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return Ok(None);
        };
        if start >= size {
            return Err(unsatisfiable);
        }
        let end = if last.is_empty() {
            size - 1
        } else {
            let Ok(end) = last.parse::<u64>() else {
                return Ok(None);
            };
            if end < start {
                return Ok(None);
            }
            end.min(size - 1)
        };
        (start, end)
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        // What a 1000-byte file answers: `None` means the whole file.
        for (header, expected) in [
            ("bytes=0-99", Some((0, 99))),
            ("bytes=900-", Some((900, 999))),
            ("bytes=-100", Some((900, 999))),
            ("bytes=990-2000", Some((990, 999))),
            ("bytes=0-1,5-6", None),
            ("items=0-1", None),
        ] {
            let range = parse_range(header, 1000).expect("a range the file can satisfy");
            assert_eq!(range, expected, "{header}");
        }
        assert!(parse_range("bytes=1000-", 1000).is_err());
        assert!(parse_range("bytes=-0", 1000).is_err());
    }
}
