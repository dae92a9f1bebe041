//! One error type for every API failure, so each answers with the same JSON
//! shape (`chorus_core::api::ErrorBody`). Client mistakes say exactly what is
//! wrong; server faults say little to the client and are logged once here.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chorus_core::Problem;
use chorus_core::api::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request was understood but breaks the rules; `problems` say where.
    #[error("{message}")]
    Invalid {
        message: String,
        problems: Vec<Problem>,
    },
    #[error("{0}")]
    BadRequest(String),
    /// A caller that could not prove who it is (a forged or stale webhook).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but this caller's role or token may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A job that would pass a monthly spend limit (402): "This job needs
    /// $4.20; $3.10 of this month's $500.00 is left."
    #[error("{0}")]
    OverBudget(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMedia(String),
    /// A review link that was revoked or has expired.
    #[error("{0}")]
    Closed(String),
    /// A review link with a passcode, asked without its unlock cookie.
    #[error("{0}")]
    PasscodeRequired(String),
    #[error("{0}")]
    WrongPasscode(String),
    /// Too many wrong tries; `retry_after_s` says when to try again.
    #[error("{message}")]
    TooManyTries { message: String, retry_after_s: u64 },
    /// Nothing here can do it (no translation engine set up): 503.
    #[error("{0}")]
    Unavailable(String),
    #[error("requested range is outside the file")]
    RangeNotSatisfiable { size: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn invalid(problems: Vec<Problem>) -> Self {
        let errors = problems.iter().filter(|p| p.is_error()).count();
        let message = if errors == 1 {
            problems.iter().find(|p| p.is_error()).map_or_else(
                || "The request has a problem".to_string(),
                |p| p.message.clone(),
            )
        } else {
            format!("The request has {errors} problems")
        };
        ApiError::Invalid { message, problems }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_)
            | ApiError::PasscodeRequired(_)
            | ApiError::WrongPasscode(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::OverBudget(_) => StatusCode::PAYMENT_REQUIRED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Closed(_) => StatusCode::GONE,
            ApiError::TooManyTries { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid { .. } => "invalid_request",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::OverBudget(_) => "over_budget",
            ApiError::TooLarge(_) => "too_large",
            ApiError::UnsupportedMedia(_) => "unsupported_media",
            ApiError::Closed(_) => "closed",
            ApiError::PasscodeRequired(_) => "passcode_required",
            ApiError::WrongPasscode(_) => "wrong_passcode",
            ApiError::TooManyTries { .. } => "too_many_tries",
            ApiError::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<crate::budget::OverBudget> for ApiError {
    fn from(refused: crate::budget::OverBudget) -> Self {
        ApiError::OverBudget(refused.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                "Something went wrong on the server; your work is saved. Try again, and tell us if it keeps happening.".to_string()
            }
            other => other.to_string(),
        };
        let problems = match &self {
            ApiError::Invalid { problems, .. } => problems.clone(),
            _ => Vec::new(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().into(),
                message,
                problems,
            },
        };
        let mut response = (status, Json(body)).into_response();
        match self {
            ApiError::RangeNotSatisfiable { size } => {
                if let Ok(value) = format!("bytes */{size}").parse() {
                    response
                        .headers_mut()
                        .insert(axum::http::header::CONTENT_RANGE, value);
                }
            }
            ApiError::TooManyTries { retry_after_s, .. } => {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, retry_after_s.into());
            }
            _ => {}
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A byte count as people read limits: "2 GiB", "20 MiB", "512 KiB".
pub fn describe_bytes(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    const GIB: usize = 1024 * MIB;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}
