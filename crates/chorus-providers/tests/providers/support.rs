//! What every fake shares: the scripted faults, the served output file, a
//! local server on a random 127.0.0.1 port, an in-memory video store and a
//! webhook receiver that verifies, dedupes and wakes the poller.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chorus_providers::http::RetryPolicy;
use chorus_providers::{
    Backoff, BoxFuture, Deduper, DownloadPolicy, Provider, VideoInfo, VideoStore, WaitOptions,
    WebhookEvent, WebhookHeaders,
};
use serde_json::Value;
use tokio::sync::Notify;

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

/// Retries that finish in milliseconds.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        backoff: Backoff::new(Duration::from_millis(5), Duration::from_millis(20)),
        call_timeout: Duration::from_millis(400),
    }
}

pub fn fast_wait() -> WaitOptions {
    WaitOptions {
        backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(40)),
        time_limit: Duration::from_secs(5),
        max_poll_failures: 2,
        seed: 1,
    }
}

pub fn loopback_download() -> DownloadPolicy {
    DownloadPolicy {
        allow_loopback: true,
        max_bytes: 1024 * 1024,
        ..DownloadPolicy::default()
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Keeps stored videos in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub videos: Mutex<Vec<(Vec<u8>, VideoInfo)>>,
}

impl VideoStore for MemoryStore {
    fn store<'a>(
        &'a self,
        video: Bytes,
        info: &'a VideoInfo,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let mut videos = self.videos.lock().expect("store");
            videos.push((video.to_vec(), info.clone()));
            Ok(format!("asset-{}", videos.len()))
        })
    }
}

/// Our side of webhooks: verify, dedupe, wake the poller.
pub struct Receiver {
    pub url: String,
    pub wake: Arc<Notify>,
    /// Accepted first deliveries.
    pub accepted: Mutex<Vec<WebhookEvent>>,
    /// Deliveries refused, with the reason.
    pub refused: Mutex<Vec<String>>,
    pub duplicates: Mutex<u32>,
    provider: Arc<dyn Provider>,
    dedupe: Deduper,
}

async fn receive(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let pairs = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    match rx
        .provider
        .verify_webhook(&WebhookHeaders(pairs), &body, now())
        .await
    {
        Ok(event) => {
            if rx.dedupe.first_time(&event.delivery_id) {
                rx.accepted.lock().expect("rx").push(event);
                rx.wake.notify_one();
            } else {
                *rx.duplicates.lock().expect("rx") += 1;
            }
            StatusCode::OK
        }
        Err(e) => {
            rx.refused.lock().expect("rx").push(e.to_string());
            StatusCode::UNAUTHORIZED
        }
    }
}

pub async fn start_receiver(provider: Arc<dyn Provider>) -> Arc<Receiver> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let rx = Arc::new(Receiver {
        url,
        wake: Arc::new(Notify::new()),
        accepted: Mutex::default(),
        refused: Mutex::default(),
        duplicates: Mutex::default(),
        provider,
        dedupe: Deduper::default(),
    });
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(rx.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    rx
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
