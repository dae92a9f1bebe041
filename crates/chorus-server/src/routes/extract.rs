//! Extractors whose rejections answer in the API's JSON error shape.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The largest JSON body an endpoint takes (2 MiB): a request with every
/// field at its longest is a few kilobytes.
pub const JSON_LIMIT: usize = 2 * 1024 * 1024;

/// The 413 for a JSON body (`what`: "request", "webhook") over `JSON_LIMIT`.
pub fn json_too_large(what: &str) -> ApiError {
    ApiError::TooLarge(format!(
        "The {what} body is larger than {}, the limit for JSON requests",
        crate::error::describe_bytes(JSON_LIMIT)
    ))
}

/// `axum::Json`, but a body that does not parse gets a 400 in our error shape
/// saying where the JSON went wrong.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(json_too_large("request"))
            }
            Err(rejection) => Err(ApiError::BadRequest(describe(&rejection))),
        }
    }
}

fn describe(rejection: &JsonRejection) -> String {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "Send the body as JSON (Content-Type: application/json)".into()
        }
        JsonRejection::JsonSyntaxError(e) => {
            format!("The body is not valid JSON: {}", inner(&e.body_text()))
        }
        JsonRejection::JsonDataError(e) => format!(
            "The JSON does not match what this endpoint takes: {}",
            inner(&e.body_text())
        ),
        other => other.body_text(),
    }
}

/// axum prefixes serde's message with its own sentence; keep serde's part,
/// which names the field and position.
fn inner(text: &str) -> String {
    text.split_once(": ")
        .map_or(text, |(_, rest)| rest)
        .to_string()
}
