//! Spend limits: this month's spend per model and per account and the
//! limits (owners), and what the caller may still spend (Compose shows it
//! beside a job's cost). Who may call which is the access guard's.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use chorus_core::access::{AuditAction, Budget, BudgetLeft, Spend};
use chorus_core::api::ErrorBody;
use serde::Deserialize;

use super::ApiJson;
use crate::audit;
use crate::auth::Actor;
use crate::budget;
use crate::error::{ApiError, ApiResult};
use crate::spend;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/spend", get(report))
        .route("/spend/left", get(left))
        .route("/budget", put(set_budget))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct MonthQuery {
    /// `YYYY-MM` (UTC); this month when left out.
    month: Option<String>,
}

/// A month's spend against the limits
///
/// Per model and per account, this month's by default.
#[utoipa::path(get, path = "/api/spend", tag = "budget", params(MonthQuery),
    responses((status = 200, description = "The month's spend and the limits", body = Spend),
        (status = 400, description = "Not a month", body = ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    query: Result<Query<MonthQuery>, QueryRejection>,
) -> ApiResult<Json<Spend>> {
    let Query(query) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "The query string cannot be read: {}",
            e.body_text()
        ))
    })?;
    let month = match query.month.as_deref().map(str::trim) {
        None | Some("") => spend::this_month(),
        Some(month) if budget::is_month(month) => month.to_string(),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "month={other} is not a month; write it as YYYY-MM, e.g. 2026-03"
            )));
        }
    };
    Ok(Json(spend::report(&state.db, &state.models, &month).await?))
}

/// What the caller may still spend
///
/// This month, under the studio's limit and their own; Compose shows it
/// beside a job's cost.
#[utoipa::path(get, path = "/api/spend/left", tag = "budget",
    responses((status = 200, description = "What is left", body = BudgetLeft)))]
async fn left(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<BudgetLeft>> {
    let month = spend::this_month();
    Ok(Json(
        spend::left(&state.db, actor.user_id.as_deref(), &month).await?,
    ))
}

/// Set the monthly limits
///
/// Answers this month's spend against the new limits.
#[utoipa::path(put, path = "/api/budget", tag = "budget", request_body = Budget,
    responses((status = 200, description = "This month's spend against them", body = Spend),
        (status = 422, description = "Limits with problems; `problems` say which", body = ErrorBody)))]
async fn set_budget(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(budget): ApiJson<Budget>,
) -> ApiResult<Json<Spend>> {
    let problems = spend::problems(&budget);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let before = spend::budget(&state.db).await?;
    spend::set_budget(&state.db, &budget).await?;
    audit::record(
        &state.db,
        &actor,
        AuditAction::BudgetChanged,
        "budget",
        &spend::describe_change(&before, &budget),
    )
    .await;
    let month = spend::this_month();
    Ok(Json(spend::report(&state.db, &state.models, &month).await?))
}
