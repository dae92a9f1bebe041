//! A fake of Qwen-MT on DashScope's OpenAI-compatible chat API. It checks
//! requests as the real one does: `Authorization: Bearer <KEY>` (else 401),
//! a `qwen-mt…` model (else 404), exactly one `user` message (a system
//! message or several messages: 400), and `translation_options` with known
//! language names and well-formed `terms`. Errors come in DashScope's
//! compatible-mode shape: `{"error": {"message", "type", "code"}}`. A
//! `domains` hint that mentions "seconds" gets the short translation.
//! `usage` counts one prompt token per character of the text and one
//! completion token per character of the answer.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chorus_core::Language;
use serde_json::{Value, json};

use super::translation::{self as shared, Book, Scripted, Shared};

pub const KEY: &str = "qwen-mt-test-key";
pub const PATH: &str = "/compatible-mode/v1/chat/completions";

/// The running fake; scripted through `Scripted` (`phrase`, `drop_term`,
/// `timeout`, `status`, `malformed`, `retry_after`).
#[derive(Debug, Clone)]
pub struct FakeQwenMt(Scripted);

impl std::ops::Deref for FakeQwenMt {
    type Target = Scripted;
    fn deref(&self) -> &Scripted {
        &self.0
    }
}

impl FakeQwenMt {
    /// Starts the fake on a random loopback port.
    pub async fn start() -> FakeQwenMt {
        let state: Shared = Arc::new(Mutex::new(Book::default()));
        let app = Router::new()
            .route(PATH, post(chat))
            .with_state(state.clone());
        let base = super::listen(app).await;
        FakeQwenMt(Scripted { base, state })
    }

    /// Every chat body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.requests_to(PATH)
    }
}

/// An error in DashScope's compatible-mode shape.
fn error(status: u16, code: &str, message: &str) -> Response {
    super::answer(status, &error_body(code, message))
}

fn error_body(code: &str, message: &str) -> Value {
    json!({
        "error": {"message": message, "type": "invalid_request_error", "param": null, "code": code},
        "request_id": "fake-request",
    })
}

fn scripted_error(status: u16) -> Value {
    match status {
        429 => error_body(
            "limit_requests",
            "Requests rate limit exceeded, please try again later.",
        ),
        401 | 403 => error_body("AccessDenied", "Access denied."),
        s if s >= 500 => error_body(
            "internal_error",
            "An internal error has occured, please try again later.",
        ),
        _ => error_body("invalid_parameter_error", "The request was refused."),
    }
}

/// The languages Qwen-MT names (of those Chorus uses).
fn language(name: &str) -> Option<Language> {
    Some(match name {
        "English" => Language::English,
        "Chinese" => Language::Mandarin,
        "Cantonese" => Language::Cantonese,
        "Japanese" => Language::Japanese,
        "Korean" => Language::Korean,
        "German" => Language::German,
        "French" => Language::French,
        _ => return None,
    })
}

/// What a valid request asks: the text, the target, whether `domains`
/// tells the length, and the terms.
type Asked = (String, Language, bool, Vec<(String, String)>);

/// A refusal: status, error code, message.
struct Refused(u16, &'static str, String);

fn check(body: &Value) -> Result<Asked, Refused> {
    let bad = |message: &str| Refused(400, "invalid_parameter_error", message.to_string());
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !model.starts_with("qwen-mt") {
        return Err(Refused(
            404,
            "model_not_found",
            format!("The model `{model}` does not exist or you do not have access to it."),
        ));
    }
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("messages is required"))?;
    if messages.len() != 1 || messages[0].get("role").and_then(Value::as_str) != Some("user") {
        return Err(bad(
            "Qwen-MT supports only one user message: system messages and multi-round conversations are not supported.",
        ));
    }
    let text = messages[0]
        .get("content")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| bad("the user message must have text content"))?;
    let options = body
        .get("translation_options")
        .ok_or_else(|| bad("translation_options is required"))?;
    let source = options.get("source_lang").and_then(Value::as_str);
    if !source.is_some_and(|s| s == "auto" || language(s).is_some()) {
        return Err(bad(&format!("source_lang {source:?} is not supported")));
    }
    let target = options
        .get("target_lang")
        .and_then(Value::as_str)
        .and_then(language)
        .ok_or_else(|| bad("target_lang is missing or not supported"))?;
    let domains = match options.get("domains") {
        None => None,
        Some(d) => Some(d.as_str().ok_or_else(|| bad("domains must be a string"))?),
    };
    let mut terms = Vec::new();
    if let Some(list) = options.get("terms") {
        for term in list.as_array().ok_or_else(|| bad("terms must be a list"))? {
            let side = |k: &str| term.get(k).and_then(Value::as_str).map(str::to_string);
            let (Some(s), Some(t)) = (side("source"), side("target")) else {
                return Err(bad("each term needs a source and a target"));
            };
            terms.push((s, t));
        }
    }
    Ok((
        text.to_string(),
        target,
        shared::mentions_seconds(domains),
        terms,
    ))
}

async fn chat(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let key = headers.get("authorization").and_then(|v| v.to_str().ok());
    if key != Some(&format!("Bearer {KEY}")) {
        return error(401, "invalid_api_key", "Incorrect API key provided.");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(
            400,
            "invalid_parameter_error",
            "The request body is not valid JSON.",
        );
    };
    if let Some(fault) = shared::arrive(&state, PATH, &body)
        && let Some(response) = shared::fault_answer(&state, fault, scripted_error).await
    {
        return response;
    }
    let (text, target, hinted, terms) = match check(&body) {
        Ok(asked) => asked,
        Err(Refused(status, code, message)) => return error(status, code, &message),
    };
    let answer = shared::answer_for(&state, &text, target, hinted, &terms);
    let prompt = text.chars().count();
    let completion = answer.chars().count();
    axum::Json(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": super::now(),
        "model": body["model"],
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": answer},
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }))
    .into_response()
}
