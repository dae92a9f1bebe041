//! The audit log for owners: a page at a time, newest first, filtered by
//! action and actor, and the whole of it (filtered) as a CSV download.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chorus_core::access::AuditPage;
use chorus_core::api::ErrorBody;

use crate::audit::{self, Filter};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/audit.csv", get(csv))
}

fn filter(pairs: Result<Query<Vec<(String, String)>>, QueryRejection>) -> ApiResult<Filter> {
    let Query(pairs) = pairs.map_err(|e| {
        ApiError::BadRequest(format!(
            "The query string cannot be read: {}",
            e.body_text()
        ))
    })?;
    Filter::parse(&pairs).map_err(ApiError::BadRequest)
}

/// Read the audit log
///
/// A page at a time, newest first.
#[utoipa::path(get, path = "/api/audit", tag = "budget",
    params(Filter),
    responses((status = 200, description = "One page", body = AuditPage),
        (status = 400, description = "A parameter that cannot be read", body = ErrorBody)))]
async fn page(
    State(state): State<AppState>,
    pairs: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<AuditPage>> {
    let filter = filter(pairs)?;
    Ok(Json(audit::list(&state.db, &filter).await?))
}

/// Export the audit log as CSV
///
/// Every matching entry, newest first.
#[utoipa::path(get, path = "/api/audit.csv", tag = "budget", params(Filter),
    responses((status = 200, description = "A CSV download", content_type = "text/csv", body = String),
        (status = 400, description = "A parameter that cannot be read", body = ErrorBody)))]
async fn csv(
    State(state): State<AppState>,
    pairs: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Response> {
    let filter = filter(pairs)?;
    let body = audit::csv(&state.db, &filter).await?;
    let day = crate::reviews::export::rfc3339(crate::db::now_ms());
    let day = day.get(..10).unwrap_or("export");
    Ok(super::reviews::download(
        "text/csv; charset=utf-8",
        &format!("chorus-audit-{day}.csv"),
        body,
    ))
}
