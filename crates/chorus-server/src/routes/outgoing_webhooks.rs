//! Outgoing webhooks for owners (`/api/outgoing-webhooks/…`; the
//! `/api/webhooks/…` routes are providers calling us): endpoints added,
//! listed, deleted, tested and given a new secret, and the delivery log a
//! page at a time, newest first.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chorus_core::access::AuditAction;
use chorus_core::webhook::{
    DeliveryPage, NewWebhookEndpoint, WebhookDelivery, WebhookEndpoints, WebhookSecret,
};

use chorus_core::api::ErrorBody;

use super::ApiJson;
use crate::audit;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::outgoing::{self, deliver, sign, store};
use crate::state::AppState;

/// Deliveries a page holds when the caller does not say.
const DEFAULT_PAGE: u32 = 50;
/// Most deliveries one page holds.
const MAX_PAGE: u32 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/outgoing-webhooks/endpoints", get(list).post(create))
        .route("/outgoing-webhooks/endpoints/{id}", delete(remove))
        .route("/outgoing-webhooks/endpoints/{id}/test", post(test))
        .route("/outgoing-webhooks/endpoints/{id}/secret", post(rotate))
        .route("/outgoing-webhooks/deliveries", get(deliveries))
}

/// List webhook endpoints
///
/// With the retry schedule deliveries follow.
#[utoipa::path(get, path = "/api/outgoing-webhooks/endpoints", tag = "webhooks", operation_id = "list_webhook_endpoints",
    responses((status = 200, description = "Endpoints and the retry schedule", body = WebhookEndpoints)))]
async fn list(State(state): State<AppState>) -> ApiResult<Json<WebhookEndpoints>> {
    let settings = &state.outgoing;
    Ok(Json(WebhookEndpoints {
        endpoints: store::list_endpoints(&state.db).await?,
        retry_schedule_ms: settings
            .schedule
            .iter()
            .map(|d| d.as_millis() as u64)
            .collect(),
        jitter_percent: (settings.jitter * 100.0).round() as u32,
        timeout_ms: settings.timeout.as_millis() as u64,
    }))
}

/// Add a webhook endpoint
///
/// Its signing secret (`whsec_…`) is in the answer, once.
#[utoipa::path(post, path = "/api/outgoing-webhooks/endpoints", tag = "webhooks", operation_id = "add_webhook_endpoint", request_body = NewWebhookEndpoint,
    responses((status = 201, description = "The endpoint and its secret, shown once", body = WebhookSecret),
        (status = 400, description = "A field's problem, such as a private address", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<NewWebhookEndpoint>,
) -> ApiResult<(StatusCode, Json<WebhookSecret>)> {
    if let Some((field, why)) = body.problems().into_iter().next() {
        return Err(ApiError::BadRequest(format!("{field}: {why}")));
    }
    let url = body.url.trim();
    let target = deliver::check_target(url, state.outgoing.allow_loopback)
        .await
        .map_err(|why| ApiError::BadRequest(format!("url: {why}")))?;
    let secret = sign::new_secret()?;
    let endpoint = store::insert_endpoint(
        &state.db,
        target.url.as_str(),
        &body.events,
        &secret,
        actor.user_id.as_deref(),
    )
    .await?;
    let events: Vec<&str> = endpoint.events.iter().map(|e| e.as_str()).collect();
    audit::record(
        &state.db,
        &actor,
        AuditAction::WebhooksChanged,
        &endpoint.url,
        &format!("endpoint added for {}", events.join(", ")),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(WebhookSecret { endpoint, secret }),
    ))
}

/// Delete a webhook endpoint
#[utoipa::path(delete, path = "/api/outgoing-webhooks/endpoints/{id}", tag = "webhooks", operation_id = "delete_webhook_endpoint", params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such endpoint", body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let endpoint = store::delete_endpoint(&state.db, &id)
        .await?
        .ok_or_else(|| no_endpoint(&id))?;
    audit::record(
        &state.db,
        &actor,
        AuditAction::WebhooksChanged,
        &endpoint.url,
        "endpoint deleted",
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test event
#[utoipa::path(post, path = "/api/outgoing-webhooks/endpoints/{id}/test", tag = "webhooks", operation_id = "test_webhook_endpoint", params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 202, description = "The delivery, queued", body = WebhookDelivery), (status = 404, description = "No such endpoint", body = ErrorBody)))]
async fn test(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<WebhookDelivery>)> {
    let delivery_id = outgoing::send_test(&state.db, &id)
        .await?
        .ok_or_else(|| no_endpoint(&id))?;
    let delivery = store::delivery(&state.db, &delivery_id, state.outgoing.max_attempts())
        .await?
        .ok_or_else(|| anyhow::anyhow!("the test delivery {delivery_id} vanished"))?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

/// Give an endpoint a new secret
#[utoipa::path(post, path = "/api/outgoing-webhooks/endpoints/{id}/secret", tag = "webhooks", operation_id = "rotate_webhook_secret", params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint and its new secret, shown once", body = WebhookSecret), (status = 404, description = "No such endpoint", body = ErrorBody)))]
async fn rotate(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookSecret>> {
    let secret = sign::new_secret()?;
    let endpoint = store::set_secret(&state.db, &id, &secret)
        .await?
        .ok_or_else(|| no_endpoint(&id))?;
    audit::record(
        &state.db,
        &actor,
        AuditAction::WebhooksChanged,
        &endpoint.url,
        "secret rotated",
    )
    .await;
    Ok(Json(WebhookSecret { endpoint, secret }))
}

/// The delivery log
///
/// `GET /api/outgoing-webhooks/deliveries?before=&limit=`.
#[utoipa::path(get, path = "/api/outgoing-webhooks/deliveries", tag = "webhooks", operation_id = "list_webhook_deliveries",
    params(("before" = Option<String>, Query, description = "The `next` of the page before"),
        ("limit" = Option<u32>, Query, description = "Deliveries per page, 1 to 200")),
    responses((status = 200, description = "One page, newest first", body = DeliveryPage),
        (status = 400, description = "A parameter that cannot be read", body = ErrorBody)))]
async fn deliveries(
    State(state): State<AppState>,
    pairs: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<DeliveryPage>> {
    let Query(pairs) = pairs.map_err(|e| {
        ApiError::BadRequest(format!(
            "The query string cannot be read: {}",
            e.body_text()
        ))
    })?;
    let mut before = None;
    let mut limit = DEFAULT_PAGE;
    for (key, value) in pairs {
        match key.as_str() {
            "before" => before = Some(value),
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=MAX_PAGE).contains(l))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "limit: {value} is not a number of deliveries from 1 to {MAX_PAGE}"
                        ))
                    })?;
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "{other}: not a filter of the delivery log (before, limit)"
                )));
            }
        }
    }
    let mut page = store::deliveries(
        &state.db,
        before.as_deref(),
        limit + 1,
        state.outgoing.max_attempts(),
    )
    .await?;
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let next_before = more.then(|| page.last().map(|d| d.id.clone())).flatten();
    Ok(Json(DeliveryPage {
        deliveries: page,
        next_before,
    }))
}

fn no_endpoint(id: &str) -> ApiError {
    ApiError::NotFound(format!("There is no webhook endpoint {id}"))
}
