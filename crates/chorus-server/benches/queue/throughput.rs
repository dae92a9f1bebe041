//! Jobs per second through the queue: jobs created through `jobs::create`,
//! then timed from the worker's start until every one has finished. Two
//! engines: one that finishes at once (the queue's own cost: claim with a
//! lease, progress, fenced finish, events) and the fal adapter against its
//! fake (submit, poll, download, check, store the clip).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chorus_core::{GenerationRequest, Job, JobOutput};
use chorus_providers::fake::Script;
use chorus_providers::fake::fal::{FakeFal, KEY};
use chorus_providers::fal::{Fal, FalConfig};
use chorus_providers::http::RetryPolicy;
use chorus_providers::{Backoff, DownloadPolicy, Secret, WaitOptions};
use chorus_server::AppState;
use chorus_server::provider_engine::{EngineSettings, ProviderEngine};
use chorus_server::queue::{Engine, EngineFuture, JobContext};
use chorus_server::state::models_with_keys;
use chorus_server::submit_ledger::DbLedger;

pub const NULL_MODEL: &str = "happyhorse-1.1@runware";

/// Finishes every job at once with one made-up clip.
struct FinishAtOnce;

impl Engine for FinishAtOnce {
    fn models(&self) -> Vec<String> {
        vec![NULL_MODEL.to_string()]
    }

    fn run<'a>(&'a self, _job: &'a Job, ctx: &'a JobContext) -> EngineFuture<'a> {
        Box::pin(async move {
            ctx.progress(0.5).await;
            Ok(vec![JobOutput {
                language: None,
                video: "0".repeat(64),
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
            }])
        })
    }

    fn at_once(&self, settings: &chorus_server::QueueSettings) -> usize {
        settings.hosted_at_once
    }
}

async fn create(state: &AppState, model: &str, n: usize) {
    for i in 0..n {
        let mut request = GenerationRequest::new(model);
        request.prompt = format!("Benchmark job {i}");
        chorus_server::jobs::create(state, request, None)
            .await
            .expect("create");
    }
}

async fn all_done(state: &AppState, n: usize) {
    let deadline = Instant::now() + Duration::from_mins(5);
    while chorus_server::jobs::count_unfinished(&state.db)
        .await
        .expect("count")
        > 0
    {
        assert!(Instant::now() < deadline, "the queue stalled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let jobs = chorus_server::jobs::list(&state.db, 1000)
        .await
        .expect("list");
    let failed = jobs
        .iter()
        .find(|j| j.status != chorus_core::JobStatus::Succeeded);
    assert!(
        failed.is_none(),
        "a benchmark job failed: {:?}",
        failed.map(|j| &j.error)
    );
    assert!(jobs.len() >= n.min(1000));
}

/// `servers` workers (each as its own server would run it) on `states`
/// work through `n` jobs that finish at once; jobs per second.
pub async fn instant_jobs(states: &[AppState], n: usize) -> f64 {
    create(&states[0], NULL_MODEL, n).await;
    let started = Instant::now();
    let workers: Vec<_> = states
        .iter()
        .map(|s| chorus_server::queue::spawn_worker(s.clone(), vec![Arc::new(FinishAtOnce)]))
        .collect();
    all_done(&states[0], n).await;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    for w in workers {
        w.abort();
    }
    rate
}

/// One worker runs `n` fal jobs against the fake, clips downloaded and
/// stored; jobs per second.
pub async fn fal_jobs(state: &AppState, n: usize) -> f64 {
    let fake = FakeFal::start(Script::default()).await;
    let mut config = FalConfig::new(Secret::new(KEY));
    config.client.base_url.clone_from(&fake.base);
    config.jwks_url = fake.jwks_url();
    config.client.retry = RetryPolicy {
        max_attempts: 3,
        backoff: Backoff::new(Duration::from_millis(5), Duration::from_millis(20)),
        call_timeout: Duration::from_secs(10),
    };
    let fal =
        Arc::new(Fal::new(config, Arc::new(DbLedger::new(state.db.clone()))).expect("fal client"));
    let settings = EngineSettings {
        wait: WaitOptions {
            backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(10)),
            time_limit: Duration::from_mins(2),
            max_poll_failures: 2,
            seed: 1,
        },
        download: DownloadPolicy {
            allow_loopback: true,
            ..DownloadPolicy::default()
        },
        cancel_check: Duration::from_millis(200),
        public_url: None,
    };
    let state = state
        .clone()
        .with_models(models_with_keys(|v| v == "FAL_KEY"));
    create(&state, "happyhorse-1.1@fal", n).await;
    let started = Instant::now();
    let worker = chorus_server::queue::spawn_worker(
        state.clone(),
        vec![Arc::new(ProviderEngine::new(fal, settings))],
    );
    all_done(&state, n).await;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    worker.abort();
    rate
}
