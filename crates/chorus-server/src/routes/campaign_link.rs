//! A client's campaign link, nested at `/c/{token}`: the page, and the
//! board it walks (each finished variant opening through its own review
//! link, made on the way). Anything that is not an open link is a 404.

use std::path::Path as FsPath;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router, middleware};
use chorus_core::board::{ClientBoard, ClientVariant, VariantStatus};

use super::review_link::private_answers;
use crate::campaigns::{board, links};
use crate::config::Delivery;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The router nested at `/c/{token}`.
pub fn router(dist: &FsPath, delivery: Delivery) -> Router<AppState> {
    Router::new()
        .route("/", super::spa::page(dist, delivery))
        .route("/api/board", get(client_board))
        .fallback(not_here)
        .layer(middleware::from_fn(private_answers))
}

async fn not_here() -> ApiError {
    no_link()
}

fn no_link() -> ApiError {
    ApiError::NotFound("There is no campaign review here; ask for a new link".into())
}

/// The campaign's variants, each finished one with its review link.
async fn client_board(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<ClientBoard>> {
    let link = links::open(&state.db, &token).await?.ok_or_else(no_link)?;
    let campaign = board::campaign(&state.db, &link.campaign_id)
        .await?
        .ok_or_else(no_link)?;
    let mut variants = Vec::with_capacity(campaign.variants.len());
    for v in campaign.variants {
        let (review_url, poster_url) = match (&v.job_id, v.status) {
            (Some(job), VariantStatus::Succeeded) => {
                let take = links::take_link(&state.db, &link, &token, job).await?;
                let poster = v.poster.as_ref().map(|p| format!("/r/{take}/assets/{p}"));
                (Some(format!("/r/{take}")), poster)
            }
            _ => (None, None),
        };
        variants.push(ClientVariant {
            idx: v.idx,
            row: v.row,
            language: v.language,
            ratio: v.ratio,
            status: v.status,
            review_url,
            poster_url,
            decision: v.decision,
            reviewer: v.reviewer,
        });
    }
    Ok(Json(ClientBoard {
        name: campaign.name,
        languages: campaign.languages,
        ratios: campaign.ratios,
        variants,
    }))
}
