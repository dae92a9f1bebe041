//! The HTTP surface: one small router per area, merged into one app.

mod assets;
mod events;
mod extract;
mod imports;
mod jobs;
mod models;
mod policy;
mod spa;
mod speech_fit;
mod takes;
mod uploads;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::middleware;
use tower_http::trace::TraceLayer;

use crate::config::Delivery;
use crate::error::ApiError;
use crate::state::AppState;

pub use extract::{ApiJson, JSON_LIMIT};

/// The whole server: `/api/…` and the studio app with a single-page fallback.
pub fn app(state: AppState) -> Router {
    let dist = state.dist_dir.clone();
    let delivery = state.delivery;
    let api = Router::new()
        .merge(jobs::router())
        .merge(uploads::router())
        .merge(imports::router())
        .merge(assets::router())
        .merge(events::router())
        .merge(models::router())
        .merge(speech_fit::router())
        .merge(takes::router())
        .merge(webhooks::router())
        .fallback(api_not_found)
        // Routes that take more (uploads) set their own limit.
        .layer(DefaultBodyLimit::max(JSON_LIMIT));
    let api = match delivery {
        Delivery::Production => api.layer(policy::json_compression()),
        Delivery::Plain => api,
    };
    Router::new()
        .nest("/api", api)
        .with_state(state)
        .merge(spa::router(&dist, delivery))
        .layer(middleware::from_fn(policy::security_headers))
        .layer(TraceLayer::new_for_http())
}

async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("There is no API endpoint at {}", uri.path()))
}
