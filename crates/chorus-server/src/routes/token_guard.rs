//! Review tokens never open the studio's API: a request to `/api/…` that
//! carries a review link's token as `Authorization: Bearer …`, or a review
//! unlock cookie, is answered 404, whatever it asks for. A review link
//! opens its own review and nothing else, even if the studio's API later
//! learns to take bearer tokens.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::reviews::{links, passcode, token};
use crate::state::AppState;

pub async fn refuse_review_tokens(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let has_cookie = passcode::cookies(headers, passcode::COOKIE)
        .next()
        .is_some();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| token::decode(t).is_some())
        .map(str::to_string);
    let is_review_token = match bearer {
        Some(bearer) => match links::by_token_hash(&state.db, &token::hash(&bearer)).await {
            Ok(found) => found.is_some(),
            Err(e) => return ApiError::Internal(e).into_response(),
        },
        None => false,
    };
    if has_cookie || is_review_token {
        return ApiError::NotFound(
            "A review link opens its own review only, not the studio's API".into(),
        )
        .into_response();
    }
    next.run(request).await
}
