//! API tokens over the API: listed (an owner sees everyone's, others their
//! own), made by a signed-in editor or owner (never by another token), and
//! revoked at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use chorus_core::Problem;
use chorus_core::access::{
    ApiTokenView, AuditAction, CreatedApiToken, NewApiToken, Role, token_problems,
};
use chorus_core::api::ErrorBody;

use super::ApiJson;
use crate::audit;
use crate::auth::{Actor, Via, tokens, users};
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list).post(create))
        .route("/tokens/{id}", delete(revoke))
}

/// Whose tokens `actor` may see and revoke: `None` for everyone's (an
/// owner signed in, or the local owner), else their own.
fn whose(actor: &Actor) -> Option<&str> {
    let owner_in_person = actor.role == Role::Owner && !matches!(actor.via, Via::Token { .. });
    if owner_in_person {
        None
    } else {
        Some(actor.user_id.as_deref().unwrap_or_default())
    }
}

/// List API tokens
///
/// An owner signed in sees everyone's; anyone else their own. Never a secret.
#[utoipa::path(get, path = "/api/tokens", tag = "tokens", operation_id = "list_tokens",
    responses((status = 200, description = "The tokens", body = Vec<ApiTokenView>)))]
async fn list(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<ApiTokenView>>> {
    Ok(Json(tokens::list(&state.db, whose(&actor)).await?))
}

/// Make an API token
///
/// Only signed in, never with another token. The secret is answered this
/// once; only its hash is kept.
#[utoipa::path(post, path = "/api/tokens", tag = "tokens", operation_id = "create_token", request_body = NewApiToken,
    responses((status = 201, description = "The token and, this once, its secret", body = CreatedApiToken),
        (status = 409, description = "Sign-in is off on this server: no token is needed", body = ErrorBody),
        (status = 422, description = "A name or scopes with problems", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<NewApiToken>,
) -> ApiResult<(StatusCode, Json<CreatedApiToken>)> {
    let user_id = match &actor.via {
        Via::Token { .. } => {
            return Err(ApiError::Forbidden(
                "An API token can't make API tokens: sign in and make one in Settings".into(),
            ));
        }
        Via::Local => {
            return Err(ApiError::Conflict(
                "Sign-in is off on this server: API calls need no token here".into(),
            ));
        }
        Via::Session { .. } => actor.user_id.clone().unwrap_or_default(),
    };
    let problems = token_problems(&body);
    if !problems.is_empty() {
        return Err(ApiError::invalid(
            problems
                .into_iter()
                .map(|p| {
                    let field = if p.contains("name") { "name" } else { "scopes" };
                    Problem::error(field, p)
                })
                .collect(),
        ));
    }
    let maker = users::by_id(&state.db, &user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("Your account was removed".into()))?;
    let (token, view) =
        tokens::create(&state.db, &maker, body.name.trim(), &body.scopes, now_ms()).await?;
    let scopes: Vec<&str> = view.scopes.iter().map(|s| s.as_str()).collect();
    let detail = format!("scopes: {}", scopes.join(", "));
    audit::record(
        &state.db,
        &actor,
        AuditAction::TokenCreated,
        &view.name,
        &detail,
    )
    .await;
    Ok((StatusCode::CREATED, Json(CreatedApiToken { token, view })))
}

/// Revoke an API token
///
/// At once, including event streams opened with it. Anyone may revoke
/// their own; an owner signed in, anyone's.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens", operation_id = "revoke_token",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such token of yours", body = ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    match tokens::revoke(&state.db, &id, whose(&actor), now_ms()).await? {
        Some(view) => {
            let whose = view.user_email.unwrap_or_default();
            audit::record(
                &state.db,
                &actor,
                AuditAction::TokenRevoked,
                &view.name,
                &whose,
            )
            .await;
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(ApiError::NotFound(format!("There is no token {id}"))),
    }
}
