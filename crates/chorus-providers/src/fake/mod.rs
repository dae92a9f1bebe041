//! Local fakes of the providers' protocols, for tests in this crate and in
//! the server (feature `fake`). This module holds what every fake shares:
//! the scripted faults, the served output file and a server on a random
//! 127.0.0.1 port. Nothing here ever leaves loopback.

pub mod fal;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

pub const AV_MP4: &[u8] = include_bytes!("../../../chorus-media/tests/fixtures/av_aac.mp4");
pub const VIDEO_ONLY_MP4: &[u8] =
    include_bytes!("../../../chorus-media/tests/fixtures/cfr24_faststart.mp4");

/// What the output URL serves.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Output {
    #[default]
    Mp4,
    VideoOnly,
    NotMp4,
    /// The file answers 410 Gone.
    Expired,
    /// The provider reports the output deleted (Replicate `data_removed`).
    Removed,
}

/// How completion webhooks are delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Hook {
    #[default]
    Valid,
    Dropped,
    Duplicated,
    Forged,
    Stale,
}

/// Faults a test scripts into a fake.
#[derive(Debug, Default)]
pub struct Script {
    /// Status polls answered 500 before normal answers resume.
    pub status_500s: u32,
    /// Submits answered 500.
    pub submit_500: bool,
    /// Delay before answering a submit or status.
    pub submit_delay_ms: u64,
    pub status_delay_ms: u64,
    pub malformed_status: bool,
    /// Polls before the job completes on its own; `u32::MAX` waits for `finish`.
    pub polls_until_done: u32,
    pub output: Output,
    /// The provider's failure message, when the generation fails.
    pub fail_with: Option<String>,
    pub hook: Hook,
}

#[derive(Debug, Default)]
pub struct FakeJob {
    pub polls: u32,
    pub done: bool,
    pub canceled: bool,
    pub webhook: Option<String>,
}

/// The fake's whole state.
#[derive(Debug, Default)]
pub struct Shared {
    pub base: String,
    pub script: Script,
    pub jobs: HashMap<String, FakeJob>,
    /// Every submit body, in order.
    pub submits: Vec<Value>,
    /// Every submit's full path and query.
    pub submit_uris: Vec<String>,
    pub cancels: Vec<String>,
    pub next_id: u32,
}

pub type State_ = Arc<Mutex<Shared>>;

pub fn lock(s: &State_) -> std::sync::MutexGuard<'_, Shared> {
    s.lock().expect("fake state")
}

impl Shared {
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }

    /// Counts a poll and says whether the job is now finished.
    pub fn poll(&mut self, id: &str) -> Option<(u32, bool)> {
        let until = self.script.polls_until_done;
        let job = self.jobs.get_mut(id)?;
        job.polls += 1;
        if job.polls > until {
            job.done = true;
        }
        Some((job.polls, job.done))
    }

    pub fn video_url(&self) -> String {
        format!("{}/files/video.mp4", self.base)
    }
}

/// Serves the output per the script.
async fn file(State(state): State<State_>) -> Response {
    match lock(&state).script.output {
        Output::Mp4 | Output::Removed => ([("content-type", "video/mp4")], AV_MP4).into_response(),
        Output::VideoOnly => ([("content-type", "video/mp4")], VIDEO_ONLY_MP4).into_response(),
        Output::NotMp4 => (
            [("content-type", "text/html")],
            "<html><body>Access denied</body></html>",
        )
            .into_response(),
        Output::Expired => (StatusCode::GONE, "expired").into_response(),
    }
}

/// Starts `routes` (plus the output file) on a random loopback port.
pub async fn serve(routes: Router<State_>, state: State_) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    lock(&state).base.clone_from(&base);
    let app = routes
        .route("/files/video.mp4", get(file))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    base
}

/// Sleeps `ms` when scripted; kept outside the lock.
pub async fn delay(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

pub fn malformed() -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        "{\"status\": IN_PRO",
    )
        .into_response()
}

pub fn server_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "{\"detail\":\"internal error\"}",
    )
        .into_response()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Posts one webhook delivery as a provider would; returns the HTTP status.
pub async fn deliver(url: &str, headers: &[(String, String)], body: &[u8]) -> u16 {
    let client = reqwest::Client::new();
    let mut req = client.post(url).body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req.send().await.expect("deliver").status().as_u16()
}
