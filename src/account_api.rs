//! Calls about who may use the studio: signing in and out, invites,
//! accounts and roles, API tokens, spend limits and the audit log. Sign-in
//! and invites read their answers quietly (a 401 there is a wrong password,
//! not a lost session); everything else goes through `api::read`, so a
//! session that ended sends the person to sign in.

use chorus_core::access::{
    AcceptInvite, ApiTokenView, AuditPage, Budget, BudgetLeft, CreatedApiToken, CreatedInvite,
    InviteView, Me, NewApiToken, NewInvite, ProviderKey, RoleChange, SignIn, Spend, UserView,
};
use gloo_net::http::Request;

use crate::access_rules::{AuditFilter, percent_encode};
use crate::api::{ApiError, get, network, read, read_empty, read_quietly, send, send_empty};

// Signing in.

/// Who the studio is talking to. Read quietly: being signed out is an
/// answer here, not a reason to redirect.
pub async fn me() -> Result<Me, ApiError> {
    let response = Request::get("/api/me")
        .send()
        .await
        .map_err(|e| network(&e))?;
    read_quietly(response).await
}

/// Why signing in did not work.
#[derive(Debug, Clone)]
pub struct SignInRefused {
    pub error: ApiError,
    /// Seconds to wait, when the server throttled the tries (429).
    pub retry_after: Option<u64>,
}

pub async fn sign_in(form: &SignIn) -> Result<Me, SignInRefused> {
    let response = send(Request::post("/api/session"), form)
        .await
        .map_err(|error| SignInRefused {
            error,
            retry_after: None,
        })?;
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok());
    read_quietly(response)
        .await
        .map_err(|error| SignInRefused { error, retry_after })
}

pub async fn sign_out() -> Result<(), ApiError> {
    read_empty(send_empty(Request::delete("/api/session")).await?).await
}

/// Ends every session of this account, this one included.
pub async fn sign_out_everywhere() -> Result<(), ApiError> {
    read_empty(send_empty(Request::post("/api/session/everywhere")).await?).await
}

pub async fn invite(token: &str) -> Result<InviteView, ApiError> {
    let path = format!("/api/invites/{}", percent_encode(token));
    let response = Request::get(&path).send().await.map_err(|e| network(&e))?;
    read_quietly(response).await
}

/// Sets the invitee's password; answers signed in as them.
pub async fn accept_invite(token: &str, accept: &AcceptInvite) -> Result<Me, ApiError> {
    let path = format!("/api/invites/{}", percent_encode(token));
    read_quietly(send(Request::post(&path), accept).await?).await
}

// Accounts (owners).

pub async fn users() -> Result<Vec<UserView>, ApiError> {
    get("/api/users").await
}

pub async fn invite_user(invite: &NewInvite) -> Result<CreatedInvite, ApiError> {
    read(send(Request::post("/api/users"), invite).await?).await
}

pub async fn change_role(user: &str, change: &RoleChange) -> Result<UserView, ApiError> {
    let path = format!("/api/users/{}", percent_encode(user));
    read(send(Request::patch(&path), change).await?).await
}

pub async fn remove_user(user: &str) -> Result<(), ApiError> {
    let path = format!("/api/users/{}", percent_encode(user));
    read_empty(send_empty(Request::delete(&path)).await?).await
}

/// A fresh invite link for someone who has not set a password yet (the
/// old one stops working).
pub async fn new_invite_link(user: &str) -> Result<CreatedInvite, ApiError> {
    let path = format!("/api/users/{}/invite", percent_encode(user));
    read(send_empty(Request::post(&path)).await?).await
}

/// An invite's address, whole: the server gives a path when it does not
/// know its public address.
pub fn full_url(url: &str) -> String {
    if url.starts_with('/') {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        format!("{origin}{url}")
    } else {
        url.to_string()
    }
}

// API tokens (editors and owners).

pub async fn tokens() -> Result<Vec<ApiTokenView>, ApiError> {
    get("/api/tokens").await
}

pub async fn create_token(token: &NewApiToken) -> Result<CreatedApiToken, ApiError> {
    read(send(Request::post("/api/tokens"), token).await?).await
}

pub async fn revoke_token(id: &str) -> Result<(), ApiError> {
    let path = format!("/api/tokens/{}", percent_encode(id));
    read_empty(send_empty(Request::delete(&path)).await?).await
}

// Spend (owners; what is left for editors too).

pub async fn spend(month: Option<&str>) -> Result<Spend, ApiError> {
    match month {
        Some(month) => get(&format!("/api/spend?month={}", percent_encode(month))).await,
        None => get("/api/spend").await,
    }
}

pub async fn set_budget(budget: &Budget) -> Result<Spend, ApiError> {
    read(send(Request::put("/api/budget"), budget).await?).await
}

pub async fn budget_left() -> Result<BudgetLeft, ApiError> {
    get("/api/spend/left").await
}

// Provider keys (owners): where each is read from and whether it is set.

pub async fn provider_keys() -> Result<Vec<ProviderKey>, ApiError> {
    get("/api/providers").await
}

// The audit log (owners).

pub async fn audit(filter: &AuditFilter, before: Option<i64>, limit: u32) -> Result<AuditPage, ApiError> {
    get(&format!("/api/audit{}", filter.query(before, Some(limit)))).await
}

/// Where the whole log (as filtered) downloads as CSV.
pub fn audit_csv_href(filter: &AuditFilter) -> String {
    format!("/api/audit.csv{}", filter.query(None, None))
}
