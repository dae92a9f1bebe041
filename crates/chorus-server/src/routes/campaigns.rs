//! Campaigns: submit (checked, idempotent under the client's key), list,
//! the board, retry the failed variants, cancel the rest.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::access::{AuditAction, dollars};
use chorus_core::board::{Campaign, CampaignSubmit, CampaignSummary};

use super::ApiJson;
use crate::audit;
use crate::auth::Actor;
use crate::campaigns::{self, Inserted, Refused, board};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", post(create).get(list))
        .route("/campaigns/{id}", get(read))
        .route("/campaigns/{id}/retry", post(retry))
        .route("/campaigns/{id}/cancel", post(cancel))
}

/// `POST /api/campaigns`: 201 with the board of a new campaign, 200 with
/// the board of the one this key made before; 422 with every problem
/// (row and column) and nothing written.
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(submit): ApiJson<CampaignSubmit>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    let inserted = match campaigns::submit(&state, &submit, actor.user_id.as_deref()).await? {
        Ok(inserted) => inserted,
        Err(Refused::Invalid(problems)) => return Err(ApiError::invalid(problems)),
        Err(Refused::KeyReused(message)) => return Err(ApiError::Conflict(message)),
    };
    let (status, stored) = match inserted {
        Inserted::New(stored) => {
            let board = board::campaign(&state.db, &stored.id).await?;
            let detail = format!(
                "{}: {} variants, {}",
                stored.name,
                board.as_ref().map_or(0, |b| b.variants.len()),
                dollars(board.as_ref().map_or(0, |b| b.estimate_usd_micros))
            );
            audit::record(&state.db, &actor, AuditAction::CampaignSubmitted, &stored.id, &detail)
                .await;
            (StatusCode::CREATED, stored)
        }
        Inserted::Existing(stored) => (StatusCode::OK, stored),
    };
    let board = board::campaign(&state.db, &stored.id)
        .await?
        .ok_or_else(|| no_campaign(&stored.id))?;
    Ok((status, Json(board)))
}

async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<CampaignSummary>>> {
    Ok(Json(board::summaries(&state.db, 200).await?))
}

async fn read(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Campaign>> {
    board::campaign(&state.db, &id)
        .await?
        .map(Json)
        .ok_or_else(|| no_campaign(&id))
}

/// `POST /api/campaigns/{id}/retry`: sends every failed variant again.
async fn retry(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Campaign>> {
    let campaign = board::campaign(&state.db, &id)
        .await?
        .ok_or_else(|| no_campaign(&id))?;
    if campaign.canceled_at.is_some() {
        return Err(ApiError::Conflict(format!(
            "Campaign {} was canceled; nothing of it can be sent again",
            campaign.name
        )));
    }
    campaigns::retry_failed(&state, &id).await?;
    read(State(state), Path(id)).await
}

/// `POST /api/campaigns/{id}/cancel`: nothing held is sent, and queued and
/// rendering variants stop; what is done stays.
async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Campaign>> {
    if board::campaign(&state.db, &id).await?.is_none() {
        return Err(no_campaign(&id));
    }
    if campaigns::cancel(&state, &id).await? {
        audit::record(&state.db, &actor, AuditAction::CampaignCanceled, &id, "").await;
    }
    read(State(state), Path(id)).await
}

fn no_campaign(id: &str) -> ApiError {
    ApiError::NotFound(format!("There is no campaign {id}"))
}
