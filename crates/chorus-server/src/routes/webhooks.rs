//! `POST /api/webhooks/fal` and `/api/webhooks/replicate`: providers calling
//! back when a job finishes. A delivery is verified (signature and replay
//! window, by the providers crate), deduplicated, and only wakes the job's
//! poller: the state is always read back through the provider's API, so a
//! forged or repeated delivery can change nothing. Answered at once, since
//! providers retry slow answers.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chorus_core::api::ErrorBody;
use chorus_providers::WebhookHeaders;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/{provider}", post(receive))
}

fn now_unix() -> i64 {
    crate::db::now_ms() / 1000
}

/// Receive a provider's webhook
///
/// `fal` or `replicate`, signed as that provider signs. Verified,
/// deduplicated, and only wakes the job's poller: the job's state is read
/// back from the provider, so a forged or repeated delivery changes nothing.
#[utoipa::path(post, path = "/api/webhooks/{provider}", tag = "webhooks",
    params(("provider" = String, Path, description = "`fal` or `replicate`")),
    request_body(content = Object, description = "The provider's own payload", content_type = "application/json"),
    responses((status = 200, description = "Taken (or already seen)"),
        (status = 401, description = "The signature or its time did not check out", body = ErrorBody),
        (status = 404, description = "No such provider here", body = ErrorBody),
        (status = 413, description = "Larger than 2 MiB", body = ErrorBody)))]
async fn receive(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<StatusCode> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            super::extract::json_too_large("webhook")
        } else {
            ApiError::BadRequest(format!(
                "The webhook body could not be read: {}",
                rejection.body_text()
            ))
        }
    })?;
    if provider != "fal" && provider != "replicate" {
        return Err(ApiError::NotFound(format!(
            "There is no webhook endpoint for {provider}"
        )));
    }
    let Some(adapter) = state.providers.iter().find(|p| p.name() == provider) else {
        return Err(ApiError::NotFound(format!(
            "{provider} is not configured on this server"
        )));
    };
    let pairs = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let event = adapter
        .verify_webhook(&WebhookHeaders(pairs), &body, now_unix())
        .await
        .map_err(|e| ApiError::Unauthorized(format!("The {provider} webhook was refused: {e}")))?;
    let delivery = format!("{provider}:{}", event.delivery_id);
    if state.webhook_deliveries.first_time(&delivery) {
        state.wakers.wake(&event.provider_id);
    }
    Ok(StatusCode::OK)
}
