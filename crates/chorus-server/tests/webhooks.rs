//! Provider webhooks through a real socket: a verified delivery wakes the
//! job's poller at once and a duplicate changes nothing; forged, stale and
//! dropped deliveries are refused or never come, and the job still ends by
//! polling. Runware signs nothing, so its deliveries are never trusted.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chorus_core::JobStatus;
use chorus_providers::Backoff;
use chorus_providers::fake::{Hook, Script, lock};
use common::hosted::{self, Fake, Which};

/// Polls this far apart: only a webhook ends a job sooner.
const POLL: Duration = Duration::from_secs(4);

/// Runs one job whose completion is announced as `hook` says; returns how
/// long after completion the job ended, or what went wrong.
async fn run(which: Which, hook: Hook) -> Result<Duration, String> {
    let fake: Fake = which
        .start(Script {
            polls_until_done: u32::MAX,
            hook,
            ..Script::default()
        })
        .await;
    let mut s = common::server().await;
    // The public URL must be known before the adapter is built: bind first.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let mut settings = hosted::fast_settings();
    settings.wait.backoff = Backoff::new(POLL, POLL);
    settings.public_url = Some(base);
    (s.state, s.engines) = fake.serve_with(&s.state, settings);
    let app = chorus_server::app(s.state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let (status, body) = s
        .post_json("/api/jobs", &hosted::request(which, "Hooked"))
        .await;
    if status != StatusCode::CREATED {
        return Err(format!("create answered {status}: {body}"));
    }
    let id = body["id"].as_str().unwrap_or_default().to_string();
    let worker = s.spawn_worker();
    common::until("the first poll", Duration::from_secs(20), async || {
        lock(fake.state()).jobs.values().any(|j| j.polls >= 1)
    })
    .await;
    let provider_id = fake.job_ids().pop().ok_or("no job at the fake")?;
    let finished = Instant::now();
    fake.finish(&provider_id).await;
    let done = common::wait_for_end(&s.state, &id, Duration::from_secs(20)).await;
    let took = finished.elapsed();
    worker.abort();
    if done.status != JobStatus::Succeeded {
        return Err(format!("ended {:?}: {:?}", done.status, done.error));
    }
    if lock(fake.state()).submits.len() != 1 {
        return Err("submitted more than once".into());
    }
    Ok(took)
}

async fn case(which: Which, hook: Hook) -> (Which, Hook, Result<Duration, String>) {
    (which, hook, run(which, hook).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_wake_pollers_and_bad_ones_fall_back_to_polling() {
    let mut runs = Vec::new();
    for which in [Which::Fal, Which::Replicate] {
        for hook in [
            Hook::Valid,
            Hook::Duplicated,
            Hook::Forged,
            Hook::Stale,
            Hook::Dropped,
        ] {
            runs.push(case(which, hook));
        }
    }
    // Runware's deliveries are unsigned: whatever it sends is ignored.
    runs.push(case(Which::Runware, Hook::Valid));
    let mut problems = Vec::new();
    for (which, hook, outcome) in futures_util::future::join_all(runs).await {
        let trusted = hook == Hook::Valid || hook == Hook::Duplicated;
        let trusted = trusted && which != Which::Runware;
        match outcome {
            Err(e) => problems.push(format!("{which:?} {hook:?}: {e}")),
            Ok(took) if trusted && took >= Duration::from_secs(2) => {
                problems.push(format!("{which:?} {hook:?}: woken only after {took:?}"));
            }
            Ok(took) if !trusted && took < Duration::from_secs(2) => {
                problems.push(format!(
                    "{which:?} {hook:?}: ended after {took:?}, before a poll"
                ));
            }
            Ok(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

async fn post(
    s: &common::TestServer,
    provider: &str,
    delivery: (Vec<(String, String)>, Vec<u8>),
) -> (StatusCode, serde_json::Value) {
    let (headers, body) = delivery;
    let mut request = Request::post(format!("/api/webhooks/{provider}"));
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let (status, body, _) = s
        .call(request.body(Body::from(body)).expect("request"))
        .await;
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_stale_deliveries_are_refused_and_repeats_answered() {
    for which in [Which::Fal, Which::Replicate] {
        let fake = which.start(Script::default()).await;
        let mut s = common::server().await;
        (s.state, s.engines) = fake.serve_with(&s.state, hosted::fast_settings());
        let delivery = |hook| match &fake {
            Fake::Fal(f) => f.webhook("req-1", hook),
            Fake::Replicate(f) => {
                lock(&f.state).jobs.entry("pred-1".into()).or_default();
                f.webhook("pred-1", hook)
            }
            _ => unreachable!("only fal and Replicate sign webhooks"),
        };
        for hook in [Hook::Forged, Hook::Stale] {
            let (status, body) = post(&s, which.name(), delivery(hook)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{which:?} {hook:?}");
            assert_eq!(body["error"]["code"], "unauthorized");
        }
        let valid = delivery(Hook::Valid);
        assert_eq!(
            post(&s, which.name(), valid.clone()).await.0,
            StatusCode::OK
        );
        // A redelivery is answered 2xx too, so the provider stops retrying.
        assert_eq!(post(&s, which.name(), valid).await.0, StatusCode::OK);
    }
    let s = common::server().await;
    let (status, body) = post(&s, "runware", (Vec::new(), b"{}".to_vec())).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
