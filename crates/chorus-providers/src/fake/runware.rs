//! A fake Runware task endpoint: one POST taking an array of tasks,
//! `videoInference` accepted asynchronously under the caller's `taskUUID`,
//! `getResponse` polls, failures as 4xx error lists, and (unsigned) task
//! webhooks like Runware's own.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::{self as support, Shared, State_, lock};

pub const KEY: &str = "runware-test-key";

pub struct FakeRunware {
    pub base: String,
    pub state: State_,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"))
}

fn errors(status: u16, uuid: &str, message: &str) -> Response {
    support::answer(
        status,
        &json!({"errors": [{"taskUUID": uuid, "status": "error", "message": message}]}),
    )
}

/// The poll answer for a finished task.
fn finished(s: &Shared, uuid: &str) -> Response {
    match &s.script.fail_with {
        Some(message) => errors(400, uuid, message),
        None => Json(json!({"data": [{
            "taskUUID": uuid, "status": "success", "videoURL": s.video_url(),
            "cost": 0.7, "seed": 11
        }]}))
        .into_response(),
    }
}

async fn tasks(
    State(state): State<State_>,
    headers: HeaderMap,
    Json(tasks): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"errors": [{"code": "invalidApiKey", "message": "Invalid API key"}]})),
        )
            .into_response();
    }
    let task = tasks[0].clone();
    let uuid = task["taskUUID"].as_str().unwrap_or_default().to_string();
    if task["taskType"] == "videoInference" {
        {
            let mut s = lock(&state);
            if let Some((status, message)) = support::refusal(&mut s) {
                return errors(status, &uuid, &message);
            }
            let webhook = task["webhookURL"].as_str().map(str::to_string);
            s.submits.push(task);
            s.jobs.insert(
                uuid.clone(),
                support::FakeJob {
                    webhook,
                    ..Default::default()
                },
            );
        }
        if let Some(fault) = support::after_submit(&state).await {
            return fault;
        }
        return Json(json!({"data": [{"taskType": "videoInference", "taskUUID": uuid}]}))
            .into_response();
    }
    if let Some(fault) = support::status_fault(&state).await {
        return fault;
    }
    let mut s = lock(&state);
    match s.poll(&uuid) {
        None => errors(400, &uuid, "Task not found"),
        Some((_, false)) => {
            Json(json!({"data": [{"taskUUID": uuid, "status": "processing"}]})).into_response()
        }
        Some((_, true)) => finished(&s, &uuid),
    }
}

impl FakeRunware {
    pub async fn start(script: support::Script) -> FakeRunware {
        let state: State_ = Arc::new(Mutex::new(Shared {
            script,
            ..Shared::default()
        }));
        let routes = Router::new().route("/v1", post(tasks));
        let base = support::serve(routes, state.clone()).await;
        FakeRunware { base, state }
    }

    /// The adapter's `api_url` for this fake.
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base)
    }

    /// Completes `uuid` and posts the task to its webhook, as Runware
    /// does: unsigned, so a receiver cannot tell it from a forgery.
    pub async fn finish(&self, uuid: &str) {
        let (url, body) = {
            let mut s = lock(&self.state);
            let job = s.jobs.get_mut(uuid).expect("task");
            job.done = true;
            let url = job.webhook.clone();
            let body = json!({"data": [{"taskUUID": uuid, "status": "success", "videoURL": s.video_url()}]});
            (url, body.to_string().into_bytes())
        };
        if let Some(url) = url {
            support::deliver(&url, &[], &body).await;
        }
    }
}
