//! Fakes of Runware's task endpoint and DashScope's async task API.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::support::{self, Output, Shared, State_, lock};

pub const KEY: &str = "alibaba-test-key";

pub struct Fake {
    pub base: String,
    pub state: State_,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"))
}

/// Runware: one endpoint, an array of tasks.
async fn runware(
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
    let delay = { lock(&state).script.submit_delay_ms };
    if task["taskType"] == "videoInference" {
        {
            let mut s = lock(&state);
            s.submits.push(task);
            s.jobs.insert(uuid.clone(), support::FakeJob::default());
        }
        support::delay(delay).await;
        return Json(json!({"data": [{"taskType": "videoInference", "taskUUID": uuid}]}))
            .into_response();
    }
    let mut s = lock(&state);
    if s.script.status_500s > 0 {
        s.script.status_500s -= 1;
        return support::server_error();
    }
    let Some((_, done)) = s.poll(&uuid) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": [{"taskUUID": uuid, "message": "Task not found"}]})),
        )
            .into_response();
    };
    if !done {
        return Json(json!({"data": [{"taskUUID": uuid, "status": "processing"}]})).into_response();
    }
    if let Some(msg) = &s.script.fail_with {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": [{"taskUUID": uuid, "status": "error", "message": msg}]})),
        )
            .into_response();
    }
    Json(json!({"data": [{"taskUUID": uuid, "status": "success", "videoURL": s.video_url(), "cost": 0.7, "seed": 11}]})).into_response()
}

/// DashScope create.
async fn create(
    State(state): State<State_>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": "InvalidApiKey", "message": "Invalid API-key provided."})),
        )
            .into_response();
    }
    if headers
        .get("x-dashscope-async")
        .and_then(|v| v.to_str().ok())
        != Some("enable")
    {
        return (StatusCode::FORBIDDEN, Json(json!({"code": "AccessDenied", "message": "current user api does not support synchronous calls"}))).into_response();
    }
    let mut s = lock(&state);
    s.submits.push(body);
    let id = s.new_id("task");
    s.jobs.insert(id.clone(), support::FakeJob::default());
    Json(json!({"output": {"task_id": id, "task_status": "PENDING"}, "request_id": "r1"}))
        .into_response()
}

/// DashScope task poll.
async fn task(State(state): State<State_>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut s = lock(&state);
    if s.script.malformed_status {
        return support::malformed();
    }
    let Some((polls, done)) = s.poll(&id) else {
        return Json(json!({"output": {"task_id": id, "task_status": "UNKNOWN"}})).into_response();
    };
    let output = match (&s.script.fail_with, done, s.script.output) {
        (_, false, _) if polls == 1 => json!({"task_id": id, "task_status": "PENDING"}),
        (_, false, _) => json!({"task_id": id, "task_status": "RUNNING"}),
        (Some(msg), true, _) => {
            json!({"task_id": id, "task_status": "FAILED", "code": "DataInspectionFailed", "message": msg})
        }
        (None, true, Output::Removed) => json!({"task_id": id, "task_status": "UNKNOWN"}),
        (None, true, _) => {
            json!({"task_id": id, "task_status": "SUCCEEDED", "video_url": s.video_url()})
        }
    };
    Json(json!({"output": output, "usage": {"video_duration": 5}})).into_response()
}

impl Fake {
    pub async fn start(script: support::Script) -> Fake {
        let state: State_ = Arc::new(Mutex::new(Shared {
            script,
            ..Shared::default()
        }));
        let routes = Router::new()
            .route("/v1", post(runware))
            .route(
                "/api/v1/services/aigc/video-generation/video-synthesis",
                post(create),
            )
            .route("/api/v1/tasks/{id}", get(task));
        let base = support::serve(routes, state.clone()).await;
        Fake { base, state }
    }
}
