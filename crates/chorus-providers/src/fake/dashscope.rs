//! A fake DashScope async video task API: create only with
//! `X-DashScope-Async: enable`, then `GET /api/v1/tasks/{id}` through
//! PENDING, RUNNING and SUCCEEDED or FAILED; a task it no longer knows (or
//! whose video expired) answers UNKNOWN.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{self as support, Output, Shared, State_, lock};

pub const KEY: &str = "dashscope-test-key";
const CREATE: &str = "/api/v1/services/aigc/video-generation/video-synthesis";

pub struct FakeDashScope {
    pub base: String,
    pub state: State_,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"))
}

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
    let id = {
        let mut s = lock(&state);
        if let Some((status, message)) = support::refusal(&mut s) {
            return support::answer(
                status,
                &json!({"code": "InvalidParameter", "message": message}),
            );
        }
        s.submits.push(body);
        let id = s.new_id("task");
        s.jobs.insert(id.clone(), support::FakeJob::default());
        id
    };
    if let Some(fault) = support::after_submit(&state).await {
        return fault;
    }
    Json(json!({"output": {"task_id": id, "task_status": "PENDING"}, "request_id": "r1"}))
        .into_response()
}

async fn task(State(state): State<State_>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some(fault) = support::status_fault(&state).await {
        return fault;
    }
    let mut s = lock(&state);
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

impl FakeDashScope {
    pub async fn start(script: support::Script) -> FakeDashScope {
        let state: State_ = Arc::new(Mutex::new(Shared {
            script,
            ..Shared::default()
        }));
        let routes = Router::new()
            .route(CREATE, post(create))
            .route("/api/v1/tasks/{id}", get(task));
        let base = support::serve(routes, state.clone()).await;
        FakeDashScope { base, state }
    }
}
