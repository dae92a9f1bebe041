//! Hosted jobs through the durable queue, against the fal fake on loopback:
//! a job goes queued → running → succeeded with its clip in our asset store,
//! a provider failure keeps the provider's words, a restart resumes by
//! polling without a second submit, and a cancel reaches the provider.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chorus_core::{Job, JobStatus};
use chorus_providers::fake::fal::{FakeFal, KEY};
use chorus_providers::fake::{AV_MP4, Script, lock};
use chorus_providers::fal::{Fal, FalConfig};
use chorus_providers::http::RetryPolicy;
use chorus_providers::{Backoff, DownloadPolicy, Secret, WaitOptions};
use chorus_server::AppState;
use chorus_server::provider_engine::{EngineSettings, ProviderEngine};
use chorus_server::state::models_with_keys;
use chorus_server::submit_ledger::DbLedger;
use serde_json::json;

fn settings() -> EngineSettings {
    EngineSettings {
        wait: WaitOptions {
            backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(40)),
            time_limit: Duration::from_secs(20),
            max_poll_failures: 2,
            seed: 1,
        },
        download: DownloadPolicy {
            allow_loopback: true,
            ..DownloadPolicy::default()
        },
        cancel_check: Duration::from_millis(20),
        public_url: None,
    }
}

/// `state` as a server with a fal key would be, its adapter aimed at `fake`.
fn with_fal(state: &AppState, fake: &FakeFal) -> AppState {
    let mut config = FalConfig::new(Secret::new(KEY));
    config.queue_base.clone_from(&fake.base);
    config.jwks_url = fake.jwks_url();
    config.retry = RetryPolicy {
        max_attempts: 3,
        backoff: Backoff::new(Duration::from_millis(5), Duration::from_millis(20)),
        call_timeout: Duration::from_secs(2),
    };
    let fal = Arc::new(Fal::new(config, Arc::new(DbLedger::new(state.db.clone()))));
    state
        .clone()
        .with_models(models_with_keys(|var| var == "FAL_KEY"))
        .with_providers(vec![fal.clone()])
        .with_engines(vec![Arc::new(ProviderEngine::new(fal, settings()))])
}

fn happyhorse_request() -> serde_json::Value {
    json!({
        "model": "happyhorse-1.1@fal",
        "mode": "text-to-video",
        "prompt": "A baker smiles at the camera in a warm kitchen",
        "dialogue": [{"language": "en", "text": "Fresh bread, every day."}],
        "duration_s": 5,
        "resolution": "720p",
        "aspect_ratio": "9:16"
    })
}

async fn create_job(s: &common::TestServer) -> String {
    let (status, body) = s.post_json("/api/jobs", &happyhorse_request()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "queued");
    body["id"].as_str().expect("id").to_string()
}

async fn job(state: &AppState, id: &str) -> Job {
    chorus_server::jobs::get(&state.db, id)
        .await
        .expect("reads")
        .expect("exists")
}

/// Waits until `done` holds, failing after ten seconds with `what`.
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_end(state: &AppState, id: &str) -> Job {
    until("the job ends", async || {
        job(state, id).await.status.is_terminal()
    })
    .await;
    job(state, id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_happyhorse_job_runs_on_fal_end_to_end() {
    let fake = FakeFal::start(Script {
        polls_until_done: u32::MAX,
        ..Script::default()
    })
    .await;
    let mut s = common::server().await;
    s.state = with_fal(&s.state, &fake);
    let (_, models) = s.get("/api/models").await;
    let fal_model = models
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["id"] == "happyhorse-1.1@fal")
        .expect("listed");
    assert_eq!(fal_model["available"], true);

    let id = create_job(&s).await;
    let worker = chorus_server::queue::spawn_worker(s.state.clone());
    until("the fake sees the submit", async || {
        lock(&fake.state).submits.len() == 1
    })
    .await;
    assert_eq!(job(&s.state, &id).await.status, JobStatus::Running);
    let submitted = lock(&fake.state).submits[0].clone();
    assert!(
        submitted["prompt"]
            .as_str()
            .expect("prompt")
            .contains("Fresh bread, every day."),
        "{submitted}"
    );
    fake.finish("req-1").await;

    let done = wait_for_end(&s.state, &id).await;
    worker.abort();
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.outputs.len(), 1);
    let clip = &done.outputs[0];
    assert!(clip.has_audio);
    assert!(clip.width > 0 && clip.duration_ms > 0);
    assert_eq!(
        s.state.assets.read(&clip.video).await.expect("stored"),
        AV_MP4
    );

    let (status, body, headers) = s
        .call(
            Request::get(format!("/api/assets/{}", clip.video))
                .header("range", "bytes=0-99")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, &AV_MP4[..100]);
    assert_eq!(headers["content-type"], "video/mp4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_failure_keeps_the_providers_message() {
    let fake = FakeFal::start(Script {
        polls_until_done: 1,
        fail_with: Some("Prompt flagged by the content checker".into()),
        ..Script::default()
    })
    .await;
    let mut s = common::server().await;
    s.state = with_fal(&s.state, &fake);
    let id = create_job(&s).await;
    let worker = chorus_server::queue::spawn_worker(s.state.clone());
    let done = wait_for_end(&s.state, &id).await;
    worker.abort();
    assert_eq!(done.status, JobStatus::Failed);
    let error = done.error.expect("error");
    assert!(
        error.contains("Prompt flagged by the content checker"),
        "{error}"
    );
    assert!(done.outputs.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_job_resumes_by_polling_without_a_second_submit() {
    let fake = FakeFal::start(Script {
        polls_until_done: u32::MAX,
        ..Script::default()
    })
    .await;
    let mut s = common::server().await;
    s.state = with_fal(&s.state, &fake);
    let id = create_job(&s).await;
    let worker = chorus_server::queue::spawn_worker(s.state.clone());
    until("the fake sees the submit", async || {
        lock(&fake.state).submits.len() == 1
    })
    .await;
    // The server dies mid-job: the worker stops where it is.
    worker.abort();
    let _ = worker.await;

    let reopened = AppState::open(&common::config(s.dir.path()))
        .await
        .expect("reopens");
    assert_eq!(job(&reopened, &id).await.status, JobStatus::Queued);
    s.state = with_fal(&reopened, &fake);
    let worker = chorus_server::queue::spawn_worker(s.state.clone());
    until("the resumed job polls again", async || {
        job(&s.state, &id).await.status == JobStatus::Running
    })
    .await;
    fake.finish("req-1").await;
    let done = wait_for_end(&s.state, &id).await;
    worker.abort();
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(lock(&fake.state).submits.len(), 1, "submitted twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_is_passed_to_the_provider() {
    let fake = FakeFal::start(Script {
        polls_until_done: u32::MAX,
        ..Script::default()
    })
    .await;
    let mut s = common::server().await;
    s.state = with_fal(&s.state, &fake);
    let id = create_job(&s).await;
    let worker = chorus_server::queue::spawn_worker(s.state.clone());
    until("the fake sees the submit", async || {
        lock(&fake.state).submits.len() == 1
    })
    .await;
    let (status, body) = s
        .post_json(&format!("/api/jobs/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    until("the fake sees the cancel", async || {
        lock(&fake.state).cancels == ["req-1"]
    })
    .await;
    worker.abort();
    let done = job(&s.state, &id).await;
    assert_eq!(done.status, JobStatus::Canceled);
    assert!(lock(&fake.state).jobs["req-1"].canceled);
}

async fn post_webhook(
    s: &common::TestServer,
    (headers, body): (Vec<(String, String)>, Vec<u8>),
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::post("/api/webhooks/fal");
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let (status, body, _) = s
        .call(request.body(Body::from(body)).expect("request"))
        .await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_webhook_wakes_the_poller_and_forgeries_are_refused() {
    use chorus_providers::fake::Hook;
    let fake = FakeFal::start(Script {
        polls_until_done: u32::MAX,
        ..Script::default()
    })
    .await;
    let mut s = common::server().await;
    s.state = with_fal(&s.state, &fake);
    // Polls five seconds apart: only the webhook can end this job quickly.
    let mut slow = settings();
    slow.wait.backoff = Backoff::new(Duration::from_secs(5), Duration::from_secs(5));
    let fal = Arc::clone(&s.state.providers[0]);
    s.state = s
        .state
        .clone()
        .with_engines(vec![Arc::new(ProviderEngine::new(fal, slow))]);
    let id = create_job(&s).await;
    let worker = chorus_server::queue::spawn_worker(s.state.clone());
    until("the first poll", async || {
        lock(&fake.state)
            .jobs
            .get("req-1")
            .is_some_and(|j| j.polls >= 1)
    })
    .await;

    for hook in [Hook::Forged, Hook::Stale] {
        let (status, body) = post_webhook(&s, fake.webhook("req-1", hook)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{hook:?}");
        let error: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(error["error"]["code"], "unauthorized");
    }

    lock(&fake.state).jobs.get_mut("req-1").expect("job").done = true;
    let started = tokio::time::Instant::now();
    let delivery = fake.webhook("req-1", Hook::Valid);
    assert_eq!(post_webhook(&s, delivery.clone()).await.0, StatusCode::OK);
    // A redelivery is answered 2xx too, and changes nothing.
    assert_eq!(post_webhook(&s, delivery).await.0, StatusCode::OK);
    let done = wait_for_end(&s.state, &id).await;
    worker.abort();
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "woken late: {:?}",
        started.elapsed()
    );
}
