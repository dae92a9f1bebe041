//! Hosted jobs through the durable queue, against each provider's fake on
//! loopback: a job goes queued → running → succeeded with its clip in our
//! asset store, a restart resumes by polling without a second submit, a
//! cancel reaches the provider (where its API has one), reference images
//! go as our URLs or as data URLs, and models without keys are listed
//! unavailable with the reason.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chorus_core::JobStatus;
use chorus_providers::fake::{AV_MP4, Script, lock};
use chorus_server::AppState;
use chorus_server::state::models_with_keys;
use common::hosted::{self, ALL, Fake, Which};
use common::{job, until, wait_for_end};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(20);

fn waits_for_finish() -> Script {
    Script {
        polls_until_done: u32::MAX,
        ..Script::default()
    }
}

async fn create_job(s: &common::TestServer, request: &serde_json::Value) -> String {
    let (status, body) = s.post_json("/api/jobs", request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "queued");
    body["id"].as_str().expect("id").to_string()
}

async fn until_submitted(fake: &Fake, count: usize) {
    until("the fake sees the submit", LIMIT, async || {
        lock(fake.state()).submits.len() == count
    })
    .await;
}

/// The provider's id of the one job the fake holds.
fn only_job(fake: &Fake) -> String {
    let ids = fake.job_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].clone()
}

/// Completes the fake's one job and waits for ours to succeed with it.
async fn finish_and_wait(
    fake: &Fake,
    state: &AppState,
    id: &str,
    worker: tokio::task::JoinHandle<()>,
) -> chorus_core::Job {
    fake.finish(&only_job(fake)).await;
    let done = wait_for_end(state, id, LIMIT).await;
    worker.abort();
    assert_eq!(
        done.status,
        JobStatus::Succeeded,
        "{:?}: {:?}",
        fake.which(),
        done.error
    );
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_end_to_end_on_each_provider() {
    for which in ALL {
        let fake = which.start(waits_for_finish()).await;
        let mut s = common::server().await;
        (s.state, s.engines) = fake.serve_with(&s.state, hosted::fast_settings());
        let (_, models) = s.get("/api/models").await;
        let listed = models
            .as_array()
            .expect("list")
            .iter()
            .find(|m| m["id"] == which.model())
            .cloned()
            .expect("listed");
        assert_eq!(listed["available"], true, "{listed}");

        let mut request = hosted::request(which, "A baker smiles in a warm kitchen");
        request["dialogue"] = json!([{"language": "en", "text": "Fresh bread, every day."}]);
        let id = create_job(&s, &request).await;
        let worker = s.spawn_worker();
        until_submitted(&fake, 1).await;
        assert_eq!(job(&s.state, &id).await.status, JobStatus::Running);
        let prompt = &fake.submitted_prompts()[0];
        assert!(prompt.contains("Fresh bread, every day."), "{prompt}");
        let done = finish_and_wait(&fake, &s.state, &id, worker).await;
        assert_eq!(done.outputs.len(), 1);
        let clip = &done.outputs[0];
        assert!(clip.has_audio && clip.width > 0 && clip.duration_ms > 0);
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_job_resumes_by_polling_without_a_second_submit() {
    for which in ALL {
        let fake = which.start(waits_for_finish()).await;
        let mut s = common::server().await;
        (s.state, s.engines) = fake.serve_with(&s.state, hosted::fast_settings());
        let id = create_job(&s, &hosted::request(which, "A restart in the middle")).await;
        let worker = s.spawn_worker();
        // Once the provider has the job and is being polled (the submit's
        // answer recorded), the server dies: the worker stops where it is.
        until("the provider job is polled", LIMIT, async || {
            lock(fake.state()).jobs.values().any(|j| j.polls >= 1)
        })
        .await;
        worker.abort();
        let _ = worker.await;

        let reopened = AppState::open(&common::config(s.dir.path()))
            .await
            .expect("reopens");
        // What `chorus serve` does before its worker starts.
        chorus_server::leases::requeue_interrupted(&reopened.db)
            .await
            .expect("requeues");
        assert_eq!(job(&reopened, &id).await.status, JobStatus::Queued);
        (s.state, s.engines) = fake.serve_with(&reopened, hosted::fast_settings());
        let worker = s.spawn_worker();
        until("the resumed job runs again", LIMIT, async || {
            job(&s.state, &id).await.status == JobStatus::Running
        })
        .await;
        finish_and_wait(&fake, &s.state, &id, worker).await;
        assert_eq!(
            fake.submitted_prompts().len(),
            1,
            "{which:?} submitted twice"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_is_passed_to_the_provider() {
    for which in ALL {
        let fake = which.start(waits_for_finish()).await;
        let mut s = common::server().await;
        (s.state, s.engines) = fake.serve_with(&s.state, hosted::fast_settings());
        let id = create_job(&s, &hosted::request(which, "Cancel me")).await;
        let worker = s.spawn_worker();
        until_submitted(&fake, 1).await;
        let (status, body) = s
            .post_json(&format!("/api/jobs/{id}/cancel"), &json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let provider_id = only_job(&fake);
        match which {
            Which::Fal | Which::Replicate => {
                until("the fake sees the cancel", LIMIT, async || {
                    lock(fake.state()).cancels == [provider_id.clone()]
                })
                .await;
                assert!(lock(fake.state()).jobs[&provider_id].canceled);
            }
            // Their APIs have no cancel: the job stops here, nothing is sent.
            Which::Runware | Which::DashScope => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                assert!(lock(fake.state()).cancels.is_empty());
            }
        }
        worker.abort();
        assert_eq!(job(&s.state, &id).await.status, JobStatus::Canceled);
    }
}

/// Uploads a reference image and makes an image- or reference-to-video job
/// request for `which` with it.
async fn with_image(
    s: &common::TestServer,
    which: Which,
    mode: &str,
) -> (serde_json::Value, String) {
    let (status, uploaded) = s.upload(&common::png(640, 480, 3)).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    let asset = uploaded["id"].as_str().expect("id").to_string();
    let mut request = hosted::request(which, "character1 waves at the camera");
    request["mode"] = json!(mode);
    request["references"] = json!([asset]);
    (request, asset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_images_go_as_our_urls_or_as_data_urls() {
    let public = "https://studio.example";
    for (which, mode, public_url, pointer) in [
        (Which::Fal, "image-to-video", None, "/image_url"),
        (
            Which::Fal,
            "reference-to-video",
            Some(public),
            "/image_urls/0",
        ),
        (
            Which::DashScope,
            "reference-to-video",
            Some(public),
            "/input/media/0/url",
        ),
        (
            Which::Runware,
            "image-to-video",
            None,
            "/frameImages/0/inputImage",
        ),
    ] {
        let fake = which.start(Script::default()).await;
        let mut s = common::server().await;
        let mut settings = hosted::fast_settings();
        settings.public_url = public_url.map(str::to_string);
        (s.state, s.engines) = fake.serve_with(&s.state, settings);
        let (request, asset) = with_image(&s, which, mode).await;
        create_job(&s, &request).await;
        let worker = s.spawn_worker();
        until_submitted(&fake, 1).await;
        worker.abort();
        let body = lock(fake.state()).submits[0].clone();
        let sent = body
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        match public_url {
            Some(base) => assert_eq!(sent, format!("{base}/api/assets/{asset}"), "{which:?}"),
            None => assert!(
                sent.starts_with("data:image/png;base64,"),
                "{which:?}: {sent:.40}"
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_only_provider_without_a_public_url_fails_clearly() {
    let fake = Which::DashScope.start(Script::default()).await;
    let mut s = common::server().await;
    (s.state, s.engines) = fake.serve_with(&s.state, hosted::fast_settings());
    let (request, _) = with_image(&s, Which::DashScope, "reference-to-video").await;
    let id = create_job(&s, &request).await;
    let worker = s.spawn_worker();
    let done = wait_for_end(&s.state, &id, LIMIT).await;
    worker.abort();
    assert_eq!(done.status, JobStatus::Failed);
    let error = done.error.expect("a reason");
    assert!(
        error.contains("configure the server's public base URL"),
        "{error}"
    );
    assert_eq!(lock(fake.state()).submit_attempts, 0, "nothing was sent");
}

#[tokio::test]
async fn models_without_keys_are_unavailable_with_the_reason() {
    let mut s = common::server().await;
    s.state = s.state.clone().with_models(models_with_keys(|_| false));
    let (_, models) = s.get("/api/models").await;
    for which in ALL {
        for model in models.as_array().expect("list") {
            if model["provider"] != which.name() {
                continue;
            }
            assert_eq!(model["available"], false, "{model}");
            assert_eq!(
                model["unavailable_reason"],
                format!("{} is not set on the server", which.key_variable())
            );
        }
    }
    // With every key set, they are available and no key shows anywhere.
    s.state = s.state.clone().with_models(models_with_keys(|_| true));
    let (_, models) = s.get("/api/models").await;
    let text = models.to_string();
    for which in ALL {
        assert!(!text.contains(which.key()));
    }
    assert!(
        models
            .as_array()
            .expect("list")
            .iter()
            .all(|m| m["available"] == true)
    );
}
