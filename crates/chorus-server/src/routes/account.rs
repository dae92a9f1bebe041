//! Accounts over the API: who is calling (`/api/me`), signing in and out
//! (`/api/session`), invite links (`/api/invites/{token}`), and the owners'
//! list of users (`/api/users`). The route table (`auth::route_table`)
//! decides who reaches each; these handlers do the rest.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chorus_core::Problem;
use chorus_core::access::{
    AcceptInvite, AuditAction, CreatedInvite, InviteView, Me, NewInvite, Role, RoleChange, SignIn,
    UserView, normalize_email,
};
use chorus_core::api::ErrorBody;

use super::ApiJson;
use crate::audit;
use crate::auth::guard::ClientAddress;
use crate::auth::invites::{self, InviteRefused, Standing};
use crate::auth::sign_in::{self, Refused};
use crate::auth::users::{self, ChangeRefused, User};
use crate::auth::{Actor, SignInMode, passwords, sessions};
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/session", post(sign_in).delete(sign_out))
        .route("/session/everywhere", post(sign_out_everywhere))
        .route("/invites/{token}", get(open_invite).post(accept_invite))
        .route("/users", get(list_users).post(invite_user))
        .route("/users/{id}", patch(change_role).delete(remove_user))
        .route("/users/{id}/invite", post(invite_again))
}

/// Who is calling, as `/api/me` and a sign-in answer it.
async fn me_of(state: &AppState, actor: Option<&Actor>) -> ApiResult<Me> {
    if state.sign_in == SignInMode::Off {
        return Ok(Me {
            sign_in_required: false,
            user: None,
            role: Some(Role::Owner),
        });
    }
    let Some(actor) = actor else {
        return Ok(Me {
            sign_in_required: true,
            user: None,
            role: None,
        });
    };
    let user = match &actor.user_id {
        Some(id) => match users::by_id(&state.db, id).await? {
            Some(user) => Some(users::view(&state.db, &user).await?),
            None => None,
        },
        None => None,
    };
    Ok(Me {
        sign_in_required: true,
        user,
        role: Some(actor.role),
    })
}

/// Who is calling
///
/// Whether this server asks for sign-in, and the caller's account and
/// role (none when signed out). Asked once by the studio before any page.
#[utoipa::path(get, path = "/api/me", tag = "accounts",
    responses((status = 200, description = "The caller", body = Me)))]
async fn me(State(state): State<AppState>, actor: Option<Actor>) -> ApiResult<Json<Me>> {
    Ok(Json(me_of(&state, actor.as_ref()).await?))
}

fn sign_in_is_off() -> ApiError {
    ApiError::Conflict("Sign-in is off on this server: everyone here acts as its owner".into())
}

fn cookie_header(value: &str) -> ApiResult<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("cookie header: {e}")))
}

/// Starts a session for `user` and answers who they are, with the cookie.
async fn signed_in(state: &AppState, user: &User, address: Option<&str>) -> ApiResult<Response> {
    let now = now_ms();
    let session = sessions::start(&state.db, &user.id, address, now).await?;
    users::record_sign_in(&state.db, &user.id, now).await?;
    let user = users::by_id(&state.db, &user.id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized(sign_in::WRONG.into()))?;
    let me = Me {
        sign_in_required: true,
        user: Some(users::view(&state.db, &user).await?),
        role: Some(user.role),
    };
    let secure = sessions::secure(state.public_url.as_deref());
    let mut response = Json(me).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie_header(&sessions::set_cookie(&session.secret, secure))?,
    );
    Ok(response)
}

/// Sign in
///
/// With an email and password; any session this browser held ends.
/// Tries are counted per address and email.
#[utoipa::path(post, path = "/api/session", tag = "accounts", request_body = SignIn,
    responses((status = 200, description = "Signed in: who, with the cookie", body = Me, headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 409, description = "Sign-in is off on this server", body = ErrorBody),
        (status = 429, description = "Too many tries; `Retry-After` says when to try again", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignIn>,
) -> ApiResult<Response> {
    if state.sign_in == SignInMode::Off {
        return Err(sign_in_is_off());
    }
    let outcome = sign_in::check_password(
        &state.db,
        &state.sign_in_tries,
        &body.email,
        &body.password,
        address.as_deref(),
    )
    .await?;
    match outcome {
        Ok(user) => {
            // Whatever session this browser held ends: from now on it
            // holds only the one just made.
            if let Some(old) = sessions::secret_in(&headers) {
                sessions::end(&state.db, old).await?;
            }
            let answer = signed_in(&state, &user, address.as_deref()).await?;
            audit::record_as(
                &state.db,
                &user.email,
                Some(&user.id),
                address.as_deref(),
                AuditAction::SignedIn,
                &user.email,
                "",
            )
            .await;
            Ok(answer)
        }
        Err(refused) => {
            // The email as typed: the log is for owners, who may see who
            // is being tried; the answer says nothing of it.
            let (why, error) = match refused {
                Refused::Wrong => (
                    "wrong email or password",
                    ApiError::Unauthorized(sign_in::WRONG.into()),
                ),
                Refused::Throttled(wait) => (
                    "too many tries",
                    ApiError::TooManyTries {
                        message: sign_in::wait_message(wait),
                        retry_after_s: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                    },
                ),
            };
            let tried: String = normalize_email(&body.email).chars().take(254).collect();
            audit::record_as(
                &state.db,
                "(not signed in)",
                None,
                address.as_deref(),
                AuditAction::SignInRefused,
                &tried,
                why,
            )
            .await;
            Err(error)
        }
    }
}

/// 204 with the session cookie removed.
fn signed_out(state: &AppState) -> ApiResult<Response> {
    let secure = sessions::secure(state.public_url.as_deref());
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie_header(&sessions::clear_cookie(secure))?,
    );
    Ok(response)
}

/// Sign out
///
/// Ends this browser's session, if it has one.
#[utoipa::path(delete, path = "/api/session", tag = "accounts",
    responses((status = 204, description = "Signed out; the cookie is removed", headers(("Set-Cookie" = String, description = "The session cookie")))))]
async fn sign_out(
    State(state): State<AppState>,
    actor: Option<Actor>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(secret) = sessions::secret_in(&headers) {
        sessions::end(&state.db, secret).await?;
        if let Some(actor) = actor.filter(|a| a.user_id.is_some()) {
            let email = actor.email.clone().unwrap_or_default();
            audit::record(&state.db, &actor, AuditAction::SignedOut, &email, "").await;
        }
    }
    signed_out(&state)
}

/// Sign out everywhere
///
/// Ends every session of the caller's account, on every device.
#[utoipa::path(post, path = "/api/session/everywhere", tag = "accounts",
    responses((status = 204, description = "Every session ended; this cookie is removed", headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 409, description = "Sign-in is off on this server", body = ErrorBody)))]
async fn sign_out_everywhere(State(state): State<AppState>, actor: Actor) -> ApiResult<Response> {
    let Some(user_id) = &actor.user_id else {
        return Err(sign_in_is_off());
    };
    sessions::end_all_of(&state.db, user_id).await?;
    let email = actor.email.clone().unwrap_or_default();
    audit::record(
        &state.db,
        &actor,
        AuditAction::SignedOutEverywhere,
        &email,
        "",
    )
    .await;
    signed_out(&state)
}

/// The open invite `token`, or the 404 or 410 that says why not.
async fn open_invite_of(state: &AppState, token: &str) -> ApiResult<(User, i64)> {
    match invites::find(&state.db, token, now_ms()).await? {
        None => Err(ApiError::NotFound(
            "There is no invite at this address: ask the studio's owner for a new link".into(),
        )),
        Some(Standing::Used) => Err(ApiError::Closed(
            "This invite link has been used (or replaced by a newer one): sign in, or ask an owner for a new link"
                .into(),
        )),
        Some(Standing::Expired) => Err(ApiError::Closed(
            "This invite link has expired: ask the studio's owner for a new one".into(),
        )),
        Some(Standing::Open { user, expires_at }) => Ok((user, expires_at)),
    }
}

/// Open an invite link
///
/// Whose account it is for and with which role, before a password is set.
#[utoipa::path(get, path = "/api/invites/{token}", tag = "accounts", params(("token" = String, Path, description = "The invite link's secret")),
    responses((status = 200, description = "The invite", body = InviteView),
        (status = 404, description = "No invite at this address", body = ErrorBody),
        (status = 410, description = "Used, replaced or expired", body = ErrorBody)))]
async fn open_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<InviteView>> {
    let (user, expires_at) = open_invite_of(&state, &token).await?;
    Ok(Json(InviteView {
        email: user.email,
        role: user.role,
        expires_at,
    }))
}

/// Accept an invite
///
/// Sets the account's password and signs in. A fresh link for an account
/// that had a password resets it, ending its sessions.
#[utoipa::path(post, path = "/api/invites/{token}", tag = "accounts", params(("token" = String, Path, description = "The invite link's secret")), request_body = AcceptInvite,
    responses((status = 200, description = "Signed in: who, with the cookie", body = Me, headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 404, description = "No invite at this address", body = ErrorBody),
        (status = 410, description = "Used, replaced or expired", body = ErrorBody),
        (status = 422, description = "A password that breaks the rules; `problems` say which", body = ErrorBody)))]
async fn accept_invite(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<AcceptInvite>,
) -> ApiResult<Response> {
    let (user, _) = open_invite_of(&state, &token).await?;
    let problems = passwords::problems(&body.password, &user.email);
    if !problems.is_empty() {
        return Err(ApiError::invalid(
            problems
                .into_iter()
                .map(|p| Problem::error("password", p))
                .collect(),
        ));
    }
    let phc = passwords::hash_off_thread(body.password).await?;
    if !invites::accept(&state.db, &token, &user.id, &phc, now_ms()).await? {
        return Err(ApiError::Closed(
            "This invite link has just been used: sign in, or ask an owner for a new link".into(),
        ));
    }
    if user.password_hash.is_some() {
        // A fresh link for an account with a password resets it: whoever
        // knew the old one is signed out.
        sessions::end_all_of(&state.db, &user.id).await?;
    }
    let how = if user.password_hash.is_some() {
        "reset with a fresh link; every session ended"
    } else {
        "from an invite"
    };
    audit::record_as(
        &state.db,
        &user.email,
        Some(&user.id),
        address.as_deref(),
        AuditAction::PasswordSet,
        &user.email,
        how,
    )
    .await;
    if state.sign_in == SignInMode::Off {
        return Ok(Json(me_of(&state, None).await?).into_response());
    }
    signed_in(&state, &user, address.as_deref()).await
}

/// List the accounts
#[utoipa::path(get, path = "/api/users", tag = "accounts",
    responses((status = 200, description = "Every account", body = Vec<UserView>)))]
async fn list_users(State(state): State<AppState>) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(users::list(&state.db).await?))
}

async fn created_invite(
    state: &AppState,
    user: &User,
    invite: &invites::NewInvite,
) -> ApiResult<(StatusCode, Json<CreatedInvite>)> {
    Ok((
        StatusCode::CREATED,
        Json(CreatedInvite {
            user: users::view(&state.db, user).await?,
            url: invites::url(state.public_url.as_deref(), &invite.secret),
            expires_at: invite.expires_at,
        }),
    ))
}

/// Invite someone
///
/// Makes their account with a role and answers the invite link, shown this
/// once (only its hash is kept).
#[utoipa::path(post, path = "/api/users", tag = "accounts", request_body = NewInvite,
    responses((status = 201, description = "The account and its invite link", body = CreatedInvite),
        (status = 409, description = "An account with this email exists", body = ErrorBody),
        (status = 422, description = "Not an email address", body = ErrorBody)))]
async fn invite_user(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<NewInvite>,
) -> ApiResult<(StatusCode, Json<CreatedInvite>)> {
    let invited = invites::invite_new_account(&state.db, &body.email, body.role, now_ms())
        .await
        .map_err(|e| match e {
            InviteRefused::BadEmail(problem) => {
                ApiError::invalid(vec![Problem::error("email", problem)])
            }
            InviteRefused::Exists(_) => ApiError::Conflict(e.to_string()),
            InviteRefused::Database(e) => ApiError::Internal(e),
        })?;
    audit::record(
        &state.db,
        &actor,
        AuditAction::UserInvited,
        &invited.user.email,
        &format!("as {}", invited.user.role.as_str()),
    )
    .await;
    created_invite(&state, &invited.user, &invited.invite).await
}

/// Send a fresh invite link
///
/// Replaces any earlier link; used on an account with a password, it
/// resets the password.
#[utoipa::path(post, path = "/api/users/{id}/invite", tag = "accounts", params(("id" = String, Path, description = "The account's id")),
    responses((status = 201, description = "The account and its new link", body = CreatedInvite),
        (status = 404, description = "No such account", body = ErrorBody)))]
async fn invite_again(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<CreatedInvite>)> {
    let user = users::by_id(&state.db, &id)
        .await?
        .ok_or_else(|| no_account(&id))?;
    let invite = invites::create(&state.db, &user.id, now_ms()).await?;
    let detail = if user.password_hash.is_some() {
        "a fresh link (resets the password when used)"
    } else {
        "a fresh link"
    };
    audit::record(
        &state.db,
        &actor,
        AuditAction::UserInvited,
        &user.email,
        detail,
    )
    .await;
    created_invite(&state, &user, &invite).await
}

fn no_account(id: &str) -> ApiError {
    ApiError::NotFound(format!("There is no account {id}"))
}

fn refused(id: &str, e: ChangeRefused) -> ApiError {
    match e {
        ChangeRefused::NotFound => no_account(id),
        ChangeRefused::LastOwner(_) => ApiError::Conflict(e.to_string()),
        ChangeRefused::Database(e) => ApiError::Internal(e),
    }
}

/// Change someone's role
#[utoipa::path(patch, path = "/api/users/{id}", tag = "accounts", params(("id" = String, Path, description = "The account's id")), request_body = RoleChange,
    responses((status = 200, description = "The account as it now is", body = UserView),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "It would leave the studio with no owner", body = ErrorBody)))]
async fn change_role(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RoleChange>,
) -> ApiResult<Json<UserView>> {
    let before = users::by_id(&state.db, &id).await?.map(|u| u.role);
    let user = users::change_role(&state.db, &id, body.role)
        .await
        .map_err(|e| refused(&id, e))?;
    if let Some(before) = before.filter(|b| *b != user.role) {
        let detail = format!("{} → {}", before.as_str(), user.role.as_str());
        audit::record(
            &state.db,
            &actor,
            AuditAction::RoleChanged,
            &user.email,
            &detail,
        )
        .await;
    }
    Ok(Json(users::view(&state.db, &user).await?))
}

/// Remove an account
///
/// Its sessions end and its API tokens are revoked at once.
#[utoipa::path(delete, path = "/api/users/{id}", tag = "accounts", params(("id" = String, Path, description = "The account's id")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "It is the last owner", body = ErrorBody)))]
async fn remove_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let removed = users::remove(&state.db, &id, now_ms())
        .await
        .map_err(|e| refused(&id, e))?;
    let detail = "sessions ended, API tokens revoked";
    audit::record(
        &state.db,
        &actor,
        AuditAction::UserRemoved,
        &removed.email,
        detail,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
