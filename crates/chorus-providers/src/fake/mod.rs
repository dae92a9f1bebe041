//! Local fakes of the providers' protocols, for tests in this crate and in
//! the server (feature `fake`). This module holds what every fake shares:
//! the scripted faults, the served output file and a server on a random
//! 127.0.0.1 port; `translation` holds what the translation fakes share.
//! Nothing here ever leaves loopback.

pub mod dashscope;
pub mod deepl;
pub mod fal;
pub mod qwen_mt;
pub mod replicate;
pub mod runware;
pub mod translation;

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
    /// Submits answered 500 after the job was created (the caller cannot
    /// tell whether it exists).
    pub submit_500: bool,
    /// Submits refused with this HTTP status and message before any job
    /// exists (a 4xx the adapter must not retry).
    pub reject_submit: Option<(u16, String)>,
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
    /// Every submit body that created a job, in order.
    pub submits: Vec<Value>,
    /// Every submit request, refused ones included.
    pub submit_attempts: u32,
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

/// Counts a submit attempt; the scripted refusal, if any, comes back and
/// no job is created.
pub fn refusal(s: &mut Shared) -> Option<(u16, String)> {
    s.submit_attempts += 1;
    s.script.reject_submit.clone()
}

/// After a job was created: the scripted delay, then the scripted 500 if
/// any, in place of the real answer.
pub async fn after_submit(state: &State_) -> Option<Response> {
    let (ms, fail) = {
        let s = lock(state);
        (s.script.submit_delay_ms, s.script.submit_500)
    };
    delay(ms).await;
    fail.then(server_error)
}

/// Before a status answer: the scripted delay, then a scripted 500 or
/// malformed body if any, in place of the real answer.
pub async fn status_fault(state: &State_) -> Option<Response> {
    let ms = lock(state).script.status_delay_ms;
    delay(ms).await;
    let mut s = lock(state);
    if s.script.status_500s > 0 {
        s.script.status_500s -= 1;
        return Some(server_error());
    }
    s.script.malformed_status.then(malformed)
}

/// A JSON answer with `status`.
pub fn answer(status: u16, body: &Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(body.clone()),
    )
        .into_response()
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
    let listener = bind().await;
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    lock(&state).base.clone_from(&base);
    let app = routes
        .route("/files/video.mp4", get(file))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    base
}

/// Starts `app` on a random loopback port; its base URL.
pub async fn listen(app: Router) -> String {
    let listener = bind().await;
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    base
}

async fn bind() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
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

/// Marks `id` done; returns where its webhook goes (if it asked for one)
/// and how the script says to deliver it.
pub fn complete(state: &State_, id: &str) -> (Option<String>, Hook) {
    let mut s = lock(state);
    let hook = s.script.hook;
    let job = s.jobs.get_mut(id).expect("a job the fake created");
    job.done = true;
    (job.webhook.clone(), hook)
}

/// Delivers a completion webhook the way `hook` says: not at all (dropped),
/// twice (duplicated), or once (valid, forged and stale ones are spoiled in
/// their signature or timestamp by the fake that made them).
pub async fn deliver_as_scripted(
    url: &str,
    hook: Hook,
    (headers, body): (Vec<(String, String)>, Vec<u8>),
) {
    let times = match hook {
        Hook::Dropped => 0,
        Hook::Duplicated => 2,
        _ => 1,
    };
    for _ in 0..times {
        deliver(url, &headers, &body).await;
    }
}
