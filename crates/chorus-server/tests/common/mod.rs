//! Helpers shared by the server tests: a server state on a throwaway data
//! folder, and small request/response conveniences.

#![allow(dead_code, reason = "each test binary uses some of the helpers")]

pub mod hosted;
pub mod services;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chorus_core::{GenerationRequest, Job, JobId, JobOutput, JobStatus};
use chorus_server::queue::Engine;
use chorus_server::{AppState, ServeConfig};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

pub struct TestServer {
    pub state: AppState,
    /// What `spawn_worker` runs jobs on; none at first.
    pub engines: Vec<Arc<dyn Engine>>,
    pub dir: tempfile::TempDir,
}

pub fn config(dir: &std::path::Path) -> ServeConfig {
    ServeConfig::local(
        "127.0.0.1:0".parse().expect("addr"),
        dir.join("data"),
        dir.join("dist"),
    )
}

pub async fn server() -> TestServer {
    server_with(|_| {}).await
}

/// A server whose config `adjust` changed first (another database, assets
/// elsewhere, queue settings).
pub async fn server_with(adjust: impl FnOnce(&mut ServeConfig)) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).expect("dist");
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>Chorus test</title>",
    )
    .expect("index");
    let mut config = config(dir.path());
    adjust(&mut config);
    let state = AppState::open(&config).await.expect("state opens");
    TestServer {
        state,
        engines: Vec::new(),
        dir,
    }
}

impl TestServer {
    /// Starts the queue worker on this server's state and engines.
    pub fn spawn_worker(&self) -> tokio::task::JoinHandle<()> {
        chorus_server::queue::spawn_worker(self.state.clone(), self.engines.clone())
    }

    pub async fn call(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
        let response = chorus_server::app(self.state.clone())
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (status, body, headers)
    }

    /// `GET uri`, answered as it comes.
    pub async fn fetch(&self, uri: &str) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
        self.call(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn json(&self, request: Request<Body>) -> (StatusCode, serde_json::Value) {
        let (status, body, _) = self.call(request).await;
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&body)));
        (status, value)
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, serde_json::Value) {
        self.json(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn post_json(
        &self,
        uri: &str,
        body: &serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        self.json(
            Request::post(uri)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await
    }

    pub async fn upload(&self, bytes: &[u8]) -> (StatusCode, serde_json::Value) {
        let boundary = "chorusboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.json(
            Request::post("/api/uploads")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }
}

/// A job record as a test writes it straight into the database.
pub fn job_record(id: &str, model: &str, created_at: i64, status: JobStatus) -> Job {
    let mut request = GenerationRequest::new(model);
    request.prompt = format!("A job made at {created_at}");
    Job {
        id: JobId(id.into()),
        status,
        progress: if status == JobStatus::Succeeded {
            1.0
        } else {
            0.0
        },
        request,
        estimate: None,
        created_at,
        updated_at: created_at,
        outputs: Vec::new(),
        error: None,
        actual_cost_usd_micros: None,
        bytes: 0,
        deleted_at: None,
    }
}

/// A 720p take of 5 s whose clip is the asset `video`.
pub fn take(video: &str) -> JobOutput {
    JobOutput {
        language: None,
        video: video.into(),
        sidecar: None,
        width: 1280,
        height: 720,
        duration_ms: 5000,
        fps: 24,
        has_audio: true,
        revision: None,
        name: None,
        poster: None,
        strip: None,
    }
}

pub fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x % 251) as u8 ^ seed,
            (y % 241) as u8,
            seed.wrapping_mul(3),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

pub fn draft_request() -> serde_json::Value {
    serde_json::json!({
        "model": "draft",
        "mode": "text-to-video",
        "prompt": "A florist arranges tulips in a sunny shop",
        "dialogue": [
            {"language": "en", "text": "Fresh tulips, every morning."},
            {"language": "de", "text": "Frische Tulpen, jeden Morgen."}
        ],
        "duration_s": 5,
        "resolution": "720p",
        "aspect_ratio": "9:16"
    })
}

/// The job as the database has it now.
pub async fn job(state: &AppState, id: &str) -> chorus_core::Job {
    chorus_server::jobs::get(&state.db, id)
        .await
        .expect("reads")
        .expect("exists")
}

/// Waits until `done` holds, failing after `limit` with `what`.
pub async fn until(what: &str, limit: std::time::Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Waits (up to `limit`) for job `id` to finish; returns it.
pub async fn wait_for_end(
    state: &AppState,
    id: &str,
    limit: std::time::Duration,
) -> chorus_core::Job {
    until(&format!("job {id} ends"), limit, async || {
        job(state, id).await.status.is_terminal()
    })
    .await;
    job(state, id).await
}

/// Sends `method uri` with an optional JSON body to a fresh router over
/// `state`; the status and the answer's JSON (`null` when it has none).
pub async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    body: Option<&serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let request = Request::builder().method(method).uri(uri);
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("request");
    let response = chorus_server::app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, value)
}
