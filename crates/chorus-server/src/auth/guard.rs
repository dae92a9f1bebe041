//! The access guard: every `/api/…` request passes through it. It finds
//! who is calling ([`Actor`]) and puts them on the request for handlers.
//!
//! With sign-in off the caller is the local owner. With sign-in required
//! the caller proves who it is with a session cookie or a bearer token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Actor, SignInMode};
use crate::error::ApiError;
use crate::state::AppState;

/// The client's address, where the connection has one (in-process test
/// calls have none).
pub fn client_address(request: &Request) -> Option<String> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let address = client_address(&request);
    match state.sign_in {
        SignInMode::Off => {
            request.extensions_mut().insert(Actor::local(address));
            next.run(request).await
        }
        SignInMode::Required => {
            ApiError::Unauthorized("Sign in to use this studio".into()).into_response()
        }
    }
}
