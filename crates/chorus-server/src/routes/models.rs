//! `GET /api/models`: the registry as this server offers it.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chorus_core::ModelSpec;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/models", get(list))
}

/// List the models
///
/// The registry as this server offers it: what each model takes, its
/// prices, and whether it is available here.
#[utoipa::path(get, path = "/api/models", tag = "compose", operation_id = "list_models",
    responses((status = 200, description = "Every model", body = Vec<ModelSpec>)))]
async fn list(State(state): State<AppState>) -> Json<Vec<ModelSpec>> {
    Json(state.models.as_ref().clone())
}
