//! Campaigns: submit (checked, idempotent under the client's key), list,
//! the board, retry the failed variants, cancel the rest.

use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::access::{AuditAction, dollars};
use chorus_core::board::{Campaign, CampaignLinkCreated, CampaignSubmit, CampaignSummary};

use chorus_core::Problem;
use chorus_core::api::ErrorBody;
use chorus_core::delivery::NamePattern;
use serde::Deserialize;

use super::ApiJson;
use crate::audit;
use crate::auth::Actor;
use crate::campaigns::{self, Inserted, Refused, board, export, links};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", post(create).get(list))
        .route("/campaigns/{id}", get(read))
        .route("/campaigns/{id}/retry", post(retry))
        .route("/campaigns/{id}/cancel", post(cancel))
        .route("/campaigns/{id}/share", post(share))
        .route("/campaigns/{id}/export", get(export))
        .route("/campaigns/{id}/links/{link}/revoke", post(revoke))
        .merge(sheets())
}

/// Spreadsheet files are larger than JSON bodies.
fn sheets() -> Router<AppState> {
    Router::new()
        .route("/campaigns/sheet", post(sheet))
        .layer(DefaultBodyLimit::max(SHEET_LIMIT))
}

/// Submit a campaign
///
/// `POST /api/campaigns`: 201 with the board of a new campaign, 200 with
/// the board of the one this key made before; 422 with every problem
/// (row and column) and nothing written.
#[utoipa::path(post, path = "/api/campaigns", tag = "campaigns", operation_id = "submit_campaign", request_body = CampaignSubmit,
    responses((status = 201, description = "The new campaign's board; what its cap allows is sent", body = Campaign),
        (status = 200, description = "This key made this campaign before: its board, nothing new made", body = Campaign),
        (status = 409, description = "The key was used for a different campaign", body = ErrorBody),
        (status = 422, description = "Problems, each at its sheet row and column; nothing written", body = ErrorBody)))]
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
        Inserted::New(stored) => (StatusCode::CREATED, stored),
        Inserted::Existing(stored) => (StatusCode::OK, stored),
    };
    let board = board::campaign(&state.db, &stored.id)
        .await?
        .ok_or_else(|| no_campaign(&stored.id))?;
    if status == StatusCode::CREATED {
        let detail = format!(
            "{}: {} variants, {}",
            stored.name,
            board.variants.len(),
            dollars(board.estimate_usd_micros)
        );
        audit::record(
            &state.db,
            &actor,
            AuditAction::CampaignSubmitted,
            &stored.id,
            &detail,
        )
        .await;
    }
    Ok((status, Json(board)))
}

/// List campaigns
#[utoipa::path(get, path = "/api/campaigns", tag = "campaigns", operation_id = "list_campaigns",
    responses((status = 200, description = "Campaigns, newest first", body = Vec<CampaignSummary>)))]
async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<CampaignSummary>>> {
    Ok(Json(board::summaries(&state.db, 200).await?))
}

/// Read a campaign's board
#[utoipa::path(get, path = "/api/campaigns/{id}", tag = "campaigns", operation_id = "read_campaign", params(("id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "The board", body = Campaign),
        (status = 404, description = "No such campaign", body = ErrorBody)))]
async fn read(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Campaign>> {
    board::campaign(&state.db, &id)
        .await?
        .map(Json)
        .ok_or_else(|| no_campaign(&id))
}

/// Retry the failed variants
///
/// `POST /api/campaigns/{id}/retry`: sends every failed variant again.
#[utoipa::path(post, path = "/api/campaigns/{id}/retry", tag = "campaigns", operation_id = "retry_campaign", params(("id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "The board, failed variants sent again", body = Campaign),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "The campaign was canceled", body = ErrorBody)))]
async fn retry(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Campaign>> {
    let campaign = campaigns::store::by_id(&state.db, &id)
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

/// Cancel the rest of a campaign
///
/// `POST /api/campaigns/{id}/cancel`: nothing held is sent, and queued and
/// rendering variants stop; what is done stays.
#[utoipa::path(post, path = "/api/campaigns/{id}/cancel", tag = "campaigns", operation_id = "cancel_campaign", params(("id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "The board, nothing more sent", body = Campaign),
        (status = 404, description = "No such campaign", body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Campaign>> {
    if campaigns::store::by_id(&state.db, &id).await?.is_none() {
        return Err(no_campaign(&id));
    }
    if campaigns::cancel(&state, &id).await? {
        audit::record(&state.db, &actor, AuditAction::CampaignCanceled, &id, "").await;
    }
    read(State(state), Path(id)).await
}

/// Share a campaign with a client
///
/// `POST /api/campaigns/{id}/share`: a client's link to the whole
/// campaign; its address is shown once.
#[utoipa::path(post, path = "/api/campaigns/{id}/share", tag = "campaigns", operation_id = "share_campaign", params(("id" = String, Path, description = "The campaign's id")),
    responses((status = 201, description = "The link, shown once", body = CampaignLinkCreated),
        (status = 404, description = "No such campaign", body = ErrorBody)))]
async fn share(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<CampaignLinkCreated>)> {
    if campaigns::store::by_id(&state.db, &id).await?.is_none() {
        return Err(no_campaign(&id));
    }
    let (link, token) = links::create(&state.db, &id).await?;
    audit::record(
        &state.db,
        &actor,
        AuditAction::ReviewShared,
        &id,
        "campaign link",
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(CampaignLinkCreated {
            id: link.id,
            url: format!("/c/{token}"),
        }),
    ))
}

/// Revoke a campaign link
///
/// `POST /api/campaigns/{id}/links/{link}/revoke`: the link, and every
/// take's review opened through it, close at once.
#[utoipa::path(post, path = "/api/campaigns/{id}/links/{link}/revoke", tag = "campaigns", operation_id = "revoke_campaign_link",
    params(("id" = String, Path, description = "The campaign's id"), ("link" = String, Path, description = "The link's id")),
    responses((status = 204, description = "Revoked, with every take's review opened through it"),
        (status = 404, description = "No such open link", body = ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, link)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    if !links::revoke(&state.db, &id, &link).await? {
        return Err(ApiError::NotFound(format!(
            "Campaign {id} has no open link {link}"
        )));
    }
    audit::record(
        &state.db,
        &actor,
        AuditAction::ReviewRevoked,
        &link,
        "campaign link",
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    /// `approved` (the default) or `all`.
    only: Option<String>,
    /// The file-name pattern; the campaign's own when absent.
    pattern: Option<String>,
}

/// Download the delivery package
///
/// `GET /api/campaigns/{id}/export?only=approved|all&pattern=…`: a ZIP of
/// the chosen clips with their captions and `manifest.csv`, streamed as it
/// is written.
#[utoipa::path(get, path = "/api/campaigns/{id}/export", tag = "campaigns", operation_id = "export_campaign",
    params(("id" = String, Path, description = "The campaign's id"), ("only" = Option<String>, Query, description = "`approved` (the default) or `all`"),
        ("pattern" = Option<String>, Query, description = "File names, e.g. `{campaign}_{row}_{lang}_{ratio}_v{version}.mp4`; the campaign's own when absent")),
    responses((status = 200, description = "A ZIP of the clips, their SRT and WebVTT captions and manifest.csv, streamed", content_type = "application/zip"),
        (status = 400, description = "A query that cannot be read", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "Nothing to export yet", body = ErrorBody),
        (status = 422, description = "The name pattern has a problem", body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "The query string cannot be read: {}",
            e.body_text()
        ))
    })?;
    let campaign = board::campaign(&state.db, &id)
        .await?
        .ok_or_else(|| no_campaign(&id))?;
    let only = match query.only.as_deref() {
        None | Some("approved") => export::Only::Approved,
        Some("all") => export::Only::All,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "only={other} is not understood; use only=approved or only=all"
            )));
        }
    };
    let pattern_text = query
        .pattern
        .unwrap_or_else(|| campaign.name_pattern.clone());
    let pattern = NamePattern::parse(&pattern_text)
        .map_err(|why| ApiError::invalid(vec![Problem::error("pattern", why)]))?;
    let chosen = export::chosen(&campaign, only);
    if chosen.is_empty() {
        return Err(ApiError::Conflict(match only {
            export::Only::Approved => format!(
                "No variant of {} is approved yet: share the campaign with a client, or export all done variants",
                campaign.name
            ),
            export::Only::All => format!("No variant of {} is done yet", campaign.name),
        }));
    }
    let body = export::package(state.assets.clone(), &campaign, &chosen, &pattern).await?;
    let file = format!("{}.zip", crate::reviews::scope::file_stem(&campaign.name));
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/zip")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
        .map_err(anyhow::Error::from)?)
}

/// The largest spreadsheet file taken.
const SHEET_LIMIT: usize = 20 * 1024 * 1024;

/// A sheet as rows of text: the header first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Grid {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Read a spreadsheet file as a sheet
///
/// `POST /api/campaigns/sheet`: a spreadsheet file (.xlsx, .xls, .ods) in
/// the body, answered as its first worksheet's rows, for the studio to
/// check like a pasted sheet; 422 with each formula's row and column.
#[utoipa::path(post, path = "/api/campaigns/sheet", tag = "campaigns", operation_id = "read_campaign_sheet",
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "An .xlsx, .xls or .ods file"),
    responses((status = 200, description = "Its first worksheet as rows of text", body = Grid),
        (status = 413, description = "Over 20 MB", body = ErrorBody),
        (status = 422, description = "Not a spreadsheet, or formulas (each at its row and column)", body = ErrorBody)))]
async fn sheet(body: axum::body::Bytes) -> ApiResult<Json<Grid>> {
    let mut grid = tokio::task::spawn_blocking(move || campaigns::xlsx::grid(&body))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(|problems| ApiError::invalid(problems.iter().map(campaigns::placed).collect()))?;
    let columns = if grid.is_empty() {
        Vec::new()
    } else {
        grid.remove(0)
    };
    Ok(Json(Grid {
        columns,
        rows: grid,
    }))
}

fn no_campaign(id: &str) -> ApiError {
    ApiError::NotFound(format!("There is no campaign {id}"))
}
