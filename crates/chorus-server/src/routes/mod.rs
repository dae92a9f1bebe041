//! The HTTP surface: one small router per area, merged into one app: the
//! studio's API under `/api`, review links under `/r/{token}`, and the app.

mod account;
mod assets;
mod audit;
mod campaign_link;
mod campaigns;
mod events;
mod extract;
mod imports;
mod jobs;
mod localize;
mod models;
pub mod openapi;
mod outgoing_webhooks;
mod policy;
mod providers;
mod review_feed;
mod review_link;
mod reviews;
mod spa;
mod speech_fit;
mod spend;
mod takes;
mod token_guard;
mod tokens;
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

pub use events::RECHECK as EVENTS_RECHECK;
pub use extract::{ApiJson, JSON_LIMIT};

/// The whole server: `/api/…`, review links (`/r/{token}/…`), and the
/// studio app with a single-page fallback.
pub fn app(state: AppState) -> Router {
    let dist = state.dist_dir.clone();
    let delivery = state.delivery;
    let api = Router::new()
        .merge(jobs::router())
        .merge(campaigns::router())
        .merge(uploads::router())
        .merge(imports::router())
        .merge(assets::router())
        .merge(events::router())
        .merge(models::router())
        .merge(providers::router())
        .merge(speech_fit::router())
        .merge(localize::router())
        .merge(takes::router())
        .merge(webhooks::router())
        .merge(outgoing_webhooks::router())
        .merge(reviews::router())
        .merge(spend::router())
        .merge(audit::router())
        .merge(account::router())
        .merge(tokens::router())
        .merge(openapi::router())
        .fallback(api_not_found)
        // Routes that take more (uploads) set their own limit.
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::guard::identify,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            token_guard::refuse_review_tokens,
        ));
    let api = match delivery {
        Delivery::Production => api.layer(policy::json_compression()),
        Delivery::Plain => api,
    };
    Router::new()
        .nest("/api", api)
        .nest("/r/{token}", review_link::router(&dist, delivery))
        .route("/r/{token}/", review_link::page_with_slash(&dist, delivery))
        .nest("/c/{token}", campaign_link::router(&dist, delivery))
        .with_state(state)
        .merge(spa::router(&dist, delivery))
        .layer(middleware::from_fn(policy::security_headers))
        .layer(TraceLayer::new_for_http())
}

async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("There is no API endpoint at {}", uri.path()))
}
