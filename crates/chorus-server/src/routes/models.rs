//! `GET /api/models`: the registry as this server offers it.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chorus_core::ModelSpec;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/models", get(list))
}

async fn list(State(state): State<AppState>) -> Json<Vec<ModelSpec>> {
    Json(state.models.as_ref().clone())
}
