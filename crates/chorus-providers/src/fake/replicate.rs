//! A fake Replicate predictions API: model-path create, read, cancel,
//! Bearer auth, outputs that can be `data_removed`, and webhooks signed the
//! Standard Webhooks way (HMAC-SHA256 with the `whsec_` secret).

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{self as support, Hook, Output, Shared, State_, lock};

pub const TOKEN: &str = "r8_test_token";
pub const SIGNING_KEY: &[u8] = b"replicate-fake-signing-key-32byt";

pub fn webhook_secret() -> String {
    format!("whsec_{}", STANDARD.encode(SIGNING_KEY))
}

pub struct FakeReplicate {
    pub base: String,
    pub state: State_,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

fn prediction(s: &Shared, id: &str) -> Value {
    let job = &s.jobs[id];
    let mut p = json!({"id": id, "status": "starting", "output": null, "error": null});
    if job.canceled {
        p["status"] = json!("canceled");
    } else if job.done {
        match (&s.script.fail_with, s.script.output) {
            (Some(msg), _) => {
                p["status"] = json!("failed");
                p["error"] = json!(msg);
            }
            (None, Output::Removed) => {
                p["status"] = json!("succeeded");
                p["data_removed"] = json!(true);
            }
            (None, _) => {
                p["status"] = json!("succeeded");
                p["output"] = json!(s.video_url());
            }
        }
    } else if job.polls > 1 {
        p["status"] = json!("processing");
    }
    p
}

async fn create(
    State(state): State<State_>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"title": "Unauthenticated", "detail": "You did not pass a valid authentication token"}))).into_response();
    }
    let id = {
        let mut s = lock(&state);
        if let Some((status, message)) = support::refusal(&mut s) {
            return support::answer(
                status,
                &json!({"title": "Invalid input", "detail": message, "status": status}),
            );
        }
        s.submit_uris
            .push(format!("/v1/models/{owner}/{name}/predictions"));
        let webhook = body
            .get("webhook")
            .and_then(Value::as_str)
            .map(str::to_string);
        s.submits.push(body);
        let id = s.new_id("pred");
        s.jobs.insert(
            id.clone(),
            support::FakeJob {
                webhook,
                ..Default::default()
            },
        );
        id
    };
    if let Some(fault) = support::after_submit(&state).await {
        return fault;
    }
    let s = lock(&state);
    (StatusCode::CREATED, Json(prediction(&s, &id))).into_response()
}

async fn read(State(state): State<State_>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some(fault) = support::status_fault(&state).await {
        return fault;
    }
    let mut s = lock(&state);
    if s.poll(&id).is_none() {
        return (StatusCode::NOT_FOUND, Json(json!({"detail": "Not found."}))).into_response();
    }
    Json(prediction(&s, &id)).into_response()
}

async fn cancel(
    State(state): State<State_>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut s = lock(&state);
    s.cancels.push(id.clone());
    match s.jobs.get_mut(&id) {
        None => (StatusCode::NOT_FOUND, Json(json!({"detail": "Not found."}))).into_response(),
        Some(job) => {
            if !job.done {
                job.canceled = true;
            }
            Json(prediction(&s, &id)).into_response()
        }
    }
}

impl FakeReplicate {
    pub async fn start(script: support::Script) -> FakeReplicate {
        let state: State_ = Arc::new(Mutex::new(Shared {
            script,
            ..Shared::default()
        }));
        let routes = Router::new()
            .route("/v1/models/{owner}/{name}/predictions", post(create))
            .route("/v1/predictions/{id}", get(read))
            .route("/v1/predictions/{id}/cancel", post(cancel));
        let base = support::serve(routes, state.clone()).await;
        FakeReplicate { base, state }
    }

    /// Completes `id` and delivers its webhook per the script.
    pub async fn finish(&self, id: &str) {
        if let (Some(url), hook) = support::complete(&self.state, id) {
            support::deliver_as_scripted(&url, hook, self.webhook(id, hook)).await;
        }
    }

    /// A completion webhook for `id`, spoiled as `hook` says.
    pub fn webhook(&self, id: &str, hook: Hook) -> (Vec<(String, String)>, Vec<u8>) {
        let body = {
            let mut s = lock(&self.state);
            s.jobs.get_mut(id).expect("job").done = true;
            prediction(&s, id).to_string().into_bytes()
        };
        let ts = support::now() - if hook == Hook::Stale { 400 } else { 0 };
        let key: &[u8] = if hook == Hook::Forged {
            b"someone else's key"
        } else {
            SIGNING_KEY
        };
        let msg_id = format!("msg_{id}");
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("key");
        mac.update(format!("{msg_id}.{ts}.").as_bytes());
        mac.update(&body);
        let sig = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        let headers = vec![
            ("webhook-id".to_string(), msg_id),
            ("webhook-timestamp".to_string(), ts.to_string()),
            ("webhook-signature".to_string(), sig),
        ];
        (headers, body)
    }
}
