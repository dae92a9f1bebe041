//! Test-side helpers: fast retry and wait settings, an in-memory video
//! store and a webhook receiver that verifies, dedupes and wakes the poller.
//! The fakes' shared parts live in `chorus_providers::fake`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chorus_providers::http::RetryPolicy;
use chorus_providers::{
    Backoff, BoxFuture, Deduper, DownloadPolicy, Provider, VideoInfo, VideoStore, WaitOptions,
    WebhookEvent, WebhookHeaders,
};
use tokio::sync::Notify;

pub use chorus_providers::fake::{AV_MP4, Hook, Output, Script, deliver, lock, now};

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
