//! A fake fal queue: submit under the model path, status/result/cancel under
//! the app path only, `Authorization: Key` checked, ED25519-signed webhooks
//! with keys served as JWKS.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

use super::{self as support, Hook, Shared, State_, lock};

pub const KEY: &str = "fal-test-key-123";
const APP: &str = "/alibaba/happy-horse";

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

pub struct FakeFal {
    pub base: String,
    pub state: State_,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Key {KEY}"))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"detail": "Invalid API key"})),
    )
        .into_response()
}

async fn submit(
    State(state): State<State_>,
    Path(model): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let (id, base) = {
        let mut s = lock(&state);
        if let Some((status, message)) = support::refusal(&mut s) {
            return support::answer(status, &json!({"detail": [{"msg": message}]}));
        }
        s.submits.push(body);
        s.submit_uris
            .push(format!("/{model}?{}", query.clone().unwrap_or_default()));
        let id = s.new_id("req");
        let webhook = query.as_deref().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("fal_webhook="))
                .map(percent_decode)
        });
        s.jobs.insert(
            id.clone(),
            support::FakeJob {
                webhook,
                ..Default::default()
            },
        );
        (id, s.base.clone())
    };
    if let Some(fault) = support::after_submit(&state).await {
        return fault;
    }
    Json(json!({
        "request_id": id,
        "status_url": format!("{base}{APP}/requests/{id}/status"),
        "response_url": format!("{base}{APP}/requests/{id}"),
        "cancel_url": format!("{base}{APP}/requests/{id}/cancel"),
    }))
    .into_response()
}

fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
            out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf8")
}

async fn status(
    State(state): State<State_>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    if let Some(fault) = support::status_fault(&state).await {
        return fault;
    }
    let mut s = lock(&state);
    let Some((polls, done)) = s.poll(&id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"detail": "Request not found"})),
        )
            .into_response();
    };
    let body = if done {
        json!({"status": "COMPLETED"})
    } else if polls == 1 {
        json!({"status": "IN_QUEUE", "queue_position": 2})
    } else {
        json!({"status": "IN_PROGRESS"})
    };
    Json(body).into_response()
}

fn payload(s: &Shared) -> Value {
    json!({"video": {"url": s.video_url(), "content_type": "video/mp4"}, "seed": 42})
}

async fn result(
    State(state): State<State_>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let s = lock(&state);
    match (&s.script.fail_with, s.jobs.get(&id)) {
        (_, None) => (
            StatusCode::NOT_FOUND,
            Json(json!({"detail": "Request not found"})),
        )
            .into_response(),
        (Some(msg), _) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"detail": [{"msg": msg}]})),
        )
            .into_response(),
        (None, Some(_)) => Json(payload(&s)).into_response(),
    }
}

async fn cancel(
    State(state): State<State_>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let mut s = lock(&state);
    s.cancels.push(id.clone());
    match s.jobs.get_mut(&id) {
        None => (StatusCode::NOT_FOUND, Json(json!({"status": "NOT_FOUND"}))).into_response(),
        Some(job) if job.done => (
            StatusCode::BAD_REQUEST,
            Json(json!({"status": "ALREADY_COMPLETED"})),
        )
            .into_response(),
        Some(job) => {
            job.canceled = true;
            (
                StatusCode::ACCEPTED,
                Json(json!({"status": "CANCELLATION_REQUESTED"})),
            )
                .into_response()
        }
    }
}

async fn jwks() -> Json<Value> {
    let x = URL_SAFE_NO_PAD.encode(signing_key().verifying_key().as_bytes());
    Json(json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1"}]}))
}

impl FakeFal {
    pub async fn start(script: support::Script) -> FakeFal {
        let state: State_ = Arc::new(Mutex::new(Shared {
            script,
            ..Shared::default()
        }));
        let routes = Router::new()
            .route(&format!("{APP}/requests/{{id}}/status"), get(status))
            .route(&format!("{APP}/requests/{{id}}/cancel"), put(cancel))
            .route(&format!("{APP}/requests/{{id}}"), get(result))
            .route("/.well-known/jwks.json", get(jwks))
            .route("/{*model}", post(submit));
        let base = support::serve(routes, state.clone()).await;
        FakeFal { base, state }
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.base)
    }

    /// A signed completion webhook for `id`, spoiled as `hook` says.
    pub fn webhook(&self, id: &str, hook: Hook) -> (Vec<(String, String)>, Vec<u8>) {
        let s = lock(&self.state);
        let body = json!({
            "request_id": id,
            "gateway_request_id": id,
            "status": "OK",
            "payload": payload(&s),
            "error": null,
        })
        .to_string()
        .into_bytes();
        let ts = support::now() - if hook == Hook::Stale { 600 } else { 0 };
        let key = if hook == Hook::Forged {
            SigningKey::from_bytes(&[9u8; 32])
        } else {
            signing_key()
        };
        let message = crate::webhook::fal_signed_message(id, "user-1", &ts.to_string(), &body);
        let sig = hex::encode(key.sign(&message).to_bytes());
        let headers = vec![
            ("x-fal-webhook-request-id".to_string(), id.to_string()),
            ("x-fal-webhook-user-id".to_string(), "user-1".to_string()),
            ("x-fal-webhook-timestamp".to_string(), ts.to_string()),
            ("x-fal-webhook-signature".to_string(), sig),
        ];
        (headers, body)
    }

    /// Completes `id` and delivers its webhook per the script.
    pub async fn finish(&self, id: &str) {
        if let (Some(url), hook) = support::complete(&self.state, id) {
            support::deliver_as_scripted(&url, hook, self.webhook(id, hook)).await;
        }
    }
}
