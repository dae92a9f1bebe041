//! Replicate adapter end to end against `FakeReplicate`.

use std::sync::Arc;

use chorus_core::{AspectRatio, GenerationRequest, Mode, Resolution};
use chorus_providers::replicate::{Replicate, ReplicateConfig};
use chorus_providers::{
    CancelOutcome, ImageInput, JobState, MemoryLedger, Provider, ProviderError, Secret,
    SubmitRequest, WebhookHeaders, download_video, wait_for_outcome,
};

use super::support::{self, Hook, MemoryStore, Output, Script, lock};
use chorus_providers::fake::replicate::{FakeReplicate, TOKEN, webhook_secret};

fn adapter(fake: &FakeReplicate) -> Replicate {
    let mut config = ReplicateConfig::new(Secret::new(TOKEN));
    config.client.base_url.clone_from(&fake.base);
    config.webhook_secret = Some(Secret::new(webhook_secret()));
    config.client.retry = support::fast_retry();
    config.client.seed = 5;
    Replicate::new(config, Arc::new(MemoryLedger::default())).expect("replicate client")
}

fn take(model: &str, key: &str) -> SubmitRequest {
    let mut req = GenerationRequest::new(model);
    req.resolution = Resolution::P720;
    req.aspect_ratio = AspectRatio::Portrait9x16;
    req.duration_s = 5;
    req.negative_prompt = "blurry".into();
    SubmitRequest::from_generation(key, &req, "A fox says hello", Vec::new())
}

fn script(polls: u32) -> Script {
    Script {
        polls_until_done: polls,
        ..Script::default()
    }
}

#[tokio::test]
async fn wan_end_to_end_with_its_own_inputs() {
    let fake = FakeReplicate::start(script(2)).await;
    let rep = adapter(&fake);
    let mut request = take("wan-2.5@replicate", "job-1");
    request.webhook_url = Some("https://studio.example/hooks/replicate".into());
    let job = rep.submit(&request).await.expect("submit");
    {
        let s = lock(&fake.state);
        assert_eq!(
            s.submit_uris[0],
            "/v1/models/wan-video/wan-2.5-t2v-fast/predictions"
        );
        let body = &s.submits[0];
        assert_eq!(body["input"]["size"], "720*1280");
        assert_eq!(body["input"]["negative_prompt"], "blurry");
        assert_eq!(
            body["webhook_events_filter"],
            serde_json::json!(["completed"])
        );
    }
    let output = wait_for_outcome(&rep, &job, &support::fast_wait(), None)
        .await
        .expect("done");
    let store = MemoryStore::default();
    let saved = download_video(
        "replicate",
        &output.video_urls[0],
        &support::loopback_download(),
        &store,
    )
    .await
    .expect("download");
    assert!(saved.info.has_audio);
    // Idempotent on the job key.
    assert_eq!(rep.submit(&request).await.expect("again"), job);
    assert_eq!(lock(&fake.state).submits.len(), 1);
}

#[tokio::test]
async fn kling_and_veo_name_the_start_image_differently() {
    let fake = FakeReplicate::start(script(0)).await;
    let rep = adapter(&fake);
    let image = ImageInput {
        bytes: bytes::Bytes::from_static(b"jpg"),
        mime: "image/jpeg".into(),
        public_url: Some("https://studio.example/start.jpg".into()),
    };
    let mut kling = take("kling-2.6@replicate", "job-k");
    kling.mode = Mode::ImageToVideo;
    kling.resolution = Resolution::P1080;
    kling.images = vec![image.clone()];
    rep.submit(&kling).await.expect("kling");
    let mut veo = take("veo-3-fast@replicate", "job-v");
    veo.mode = Mode::ImageToVideo;
    veo.duration_s = 8;
    veo.audio = false;
    veo.images = vec![image];
    rep.submit(&veo).await.expect("veo");
    let s = lock(&fake.state);
    assert_eq!(
        s.submit_uris[0],
        "/v1/models/kwaivgi/kling-v2.6/predictions"
    );
    assert_eq!(
        s.submits[0]["input"]["start_image"],
        "https://studio.example/start.jpg"
    );
    assert_eq!(s.submit_uris[1], "/v1/models/google/veo-3-fast/predictions");
    assert_eq!(
        s.submits[1]["input"]["image"],
        "https://studio.example/start.jpg"
    );
    assert_eq!(s.submits[1]["input"]["generate_audio"], false);
    assert_eq!(s.submits[1]["input"]["resolution"], "720p");
}

#[tokio::test]
async fn limits_are_checked_before_anything_is_sent() {
    let fake = FakeReplicate::start(script(0)).await;
    let rep = adapter(&fake);
    let mut veo = take("veo-3-fast@replicate", "job-x");
    veo.duration_s = 12;
    let err = rep.submit(&veo).await.expect_err("too long");
    assert!(
        err.to_string().contains("duration 12 s is outside 4–8 s"),
        "{err}"
    );
    assert!(lock(&fake.state).submits.is_empty());
}

#[tokio::test]
async fn removed_outputs_and_failures_have_clear_reasons() {
    let fake = FakeReplicate::start(Script {
        output: Output::Removed,
        ..script(0)
    })
    .await;
    let rep = adapter(&fake);
    let job = rep
        .submit(&take("wan-2.5@replicate", "job-e"))
        .await
        .expect("submit");
    let err = wait_for_outcome(&rep, &job, &support::fast_wait(), None)
        .await
        .expect_err("gone");
    assert!(
        matches!(err, ProviderError::OutputExpired { .. })
            && err.to_string().contains("data_removed"),
        "{err}"
    );

    let fake = FakeReplicate::start(Script {
        fail_with: Some("CUDA out of memory".into()),
        ..script(0)
    })
    .await;
    let rep = adapter(&fake);
    let job = rep
        .submit(&take("wan-2.5@replicate", "job-f"))
        .await
        .expect("submit");
    let err = wait_for_outcome(&rep, &job, &support::fast_wait(), None)
        .await
        .expect_err("failed");
    assert_eq!(
        err.to_string(),
        "replicate could not generate the video: CUDA out of memory"
    );
}

#[tokio::test]
async fn cancel_is_passed_through() {
    let fake = FakeReplicate::start(script(u32::MAX)).await;
    let rep = adapter(&fake);
    let job = rep
        .submit(&take("wan-2.5@replicate", "job-c"))
        .await
        .expect("submit");
    assert_eq!(
        rep.cancel(&job).await.expect("cancel"),
        CancelOutcome::Requested
    );
    assert_eq!(lock(&fake.state).cancels, vec![job.provider_id.clone()]);
    let err = wait_for_outcome(&rep, &job, &support::fast_wait(), None)
        .await
        .expect_err("canceled");
    assert!(matches!(err, ProviderError::Canceled { .. }));
}

#[tokio::test]
async fn webhooks_verified_forged_stale_and_deduped() {
    let fake = FakeReplicate::start(script(u32::MAX)).await;
    let rep = Arc::new(adapter(&fake));
    let job = rep
        .submit(&take("wan-2.5@replicate", "job-w"))
        .await
        .expect("submit");
    let (headers, body) = fake.webhook(&job.provider_id, Hook::Valid);
    let event = rep
        .verify_webhook(&WebhookHeaders(headers.clone()), &body, support::now())
        .await
        .expect("valid");
    assert_eq!(event.provider_id, job.provider_id);
    assert!(matches!(event.state, JobState::Succeeded(_)));

    for (hook, text) in [
        (Hook::Forged, "signature does not match"),
        (Hook::Stale, "window"),
    ] {
        let (h, b) = fake.webhook(&job.provider_id, hook);
        let err = rep
            .verify_webhook(&WebhookHeaders(h), &b, support::now())
            .await
            .expect_err("refused");
        assert!(err.to_string().contains(text), "{hook:?}: {err}");
    }

    // Over HTTP, a redelivery is accepted once.
    let rx = support::start_receiver(rep.clone()).await;
    assert_eq!(support::deliver(&rx.url, &headers, &body).await, 200);
    assert_eq!(support::deliver(&rx.url, &headers, &body).await, 200);
    assert_eq!(rx.accepted.lock().expect("rx").len(), 1);
    assert_eq!(*rx.duplicates.lock().expect("rx"), 1);
}
