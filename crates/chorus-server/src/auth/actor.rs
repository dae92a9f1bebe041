//! The caller of a request, as the access guard found it: handlers take an
//! [`Actor`] to know whose job they create, whose budget it spends and what
//! the audit log says.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use chorus_core::access::{Role, Scope};

use crate::error::ApiError;

/// Who is calling and as what role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account; `None` when sign-in is off.
    pub user_id: Option<String>,
    pub email: Option<String>,
    /// What this caller may do here (a token's role is its maker's, capped
    /// by its scopes).
    pub role: Role,
    pub via: Via,
    /// The client's address, where the connection had one.
    pub address: Option<String>,
}

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Sign-in is off: the person at this machine.
    Local,
    /// A session cookie; `session_id` is the stored hash's row id.
    Session { session_id: String },
    /// An API token.
    Token {
        token_id: String,
        name: String,
        scopes: Vec<Scope>,
    },
}

impl Actor {
    /// The caller when sign-in is off.
    pub fn local(address: Option<String>) -> Actor {
        Actor {
            user_id: None,
            email: None,
            role: Role::Owner,
            via: Via::Local,
            address,
        }
    }

    /// How the audit log names this caller: an email, "token nightly
    /// (ana@example.com)", or "local".
    pub fn label(&self) -> String {
        let who = self.email.clone().unwrap_or_else(|| "local".to_string());
        match &self.via {
            Via::Token { name, .. } => format!("token {name} ({who})"),
            Via::Local | Via::Session { .. } => who,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Actor, ApiError> {
        // The guard puts the actor on every request it lets through; a
        // handler reached without it is a wiring mistake, refused rather
        // than guessed at.
        parts.extensions.get::<Actor>().cloned().ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "no caller on this request: the access guard did not run"
            ))
        })
    }
}

/// The audit log names a caller by its label, account and address.
impl crate::audit::Acting for Actor {
    fn audit_label(&self) -> String {
        self.label()
    }

    fn audit_user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    fn audit_address(&self) -> Option<&str> {
        self.address.as_deref()
    }
}

/// `Option<Actor>`: `None` on a route anyone may use, called by someone
/// who is not signed in.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Actor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Actor>, std::convert::Infallible> {
        Ok(parts.extensions.get::<Actor>().cloned())
    }
}
