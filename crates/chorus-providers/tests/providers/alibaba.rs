//! Runware and DashScope adapters end to end against their fakes.

use std::sync::Arc;

use chorus_core::{AspectRatio, GenerationRequest, Mode, Resolution};
use chorus_providers::dashscope::{self, DashScope};
use chorus_providers::http::ClientConfig;
use chorus_providers::runware::{self, Runware};
use chorus_providers::{
    CancelOutcome, ImageInput, MemoryLedger, Provider, ProviderError, Secret, SubmitRequest,
    download_video, wait_for_outcome,
};

use super::support::{self, MemoryStore, Output, Script, lock};
use chorus_providers::fake::dashscope::{self as fake_dashscope, FakeDashScope};
use chorus_providers::fake::runware::{self as fake_runware, FakeRunware};

fn runware(fake: &FakeRunware) -> Runware {
    let mut config = ClientConfig::new(&runware::API, Secret::new(fake_runware::KEY));
    config.base_url = fake.api_url();
    config.retry = support::fast_retry();
    Runware::new(config, Arc::new(MemoryLedger::default())).expect("runware client")
}

fn dashscope(fake: &FakeDashScope) -> DashScope {
    let mut config = ClientConfig::new(&dashscope::API, Secret::new(fake_dashscope::KEY));
    config.base_url.clone_from(&fake.base);
    config.retry = support::fast_retry();
    DashScope::new(config, Arc::new(MemoryLedger::default())).expect("dashscope client")
}

fn take(model: &str, key: &str) -> SubmitRequest {
    let mut req = GenerationRequest::new(model);
    req.resolution = Resolution::P720;
    req.aspect_ratio = AspectRatio::Landscape4x3;
    req.duration_s = 5;
    req.seed = Some(3);
    SubmitRequest::from_generation(key, &req, "Two friends chat in German", Vec::new())
}

fn script(polls: u32) -> Script {
    Script {
        polls_until_done: polls,
        ..Script::default()
    }
}

#[tokio::test]
async fn runware_task_poll_cost_download() {
    let fake = FakeRunware::start(Script {
        status_500s: 1,
        ..script(2)
    })
    .await;
    let rw = runware(&fake);
    let mut request = take("happyhorse-1.1@runware", "job-1");
    request.mode = Mode::ImageToVideo;
    request.images = vec![ImageInput {
        bytes: bytes::Bytes::from_static(b"png"),
        mime: "image/png".into(),
        public_url: None,
    }];
    let job = rw.submit(&request).await.expect("submit");
    assert!(
        uuid::Uuid::parse_str(&job.provider_id)
            .expect("uuid")
            .get_version_num()
            == 4
    );
    {
        let s = lock(&fake.state);
        let task = &s.submits[0];
        assert_eq!(task["model"], "alibaba:happyhorse@1.1");
        assert_eq!(
            (task["width"].as_u64(), task["height"].as_u64()),
            (Some(960), Some(720))
        );
        assert_eq!(task["deliveryMethod"], "async");
        assert_eq!(task["includeCost"], true);
        assert_eq!(task["outputFormat"], "MP4");
        assert_eq!(task["frameImages"][0]["frame"], "first");
        assert_eq!(
            task["frameImages"][0]["inputImage"],
            "data:image/png;base64,cG5n"
        );
        assert_eq!(task["providerSettings"]["alibaba"]["audio"], true);
    }
    let output = wait_for_outcome(&rw, &job, &support::fast_wait(), None)
        .await
        .expect("done");
    assert_eq!(output.cost_usd_micros, Some(700_000));
    assert_eq!(output.seed, Some(11));
    let saved = download_video(
        "runware",
        &output.video_urls[0],
        &support::loopback_download(),
        &MemoryStore::default(),
    )
    .await
    .expect("download");
    assert!(saved.info.has_audio);
    assert_eq!(
        rw.cancel(&job).await.expect("cancel"),
        CancelOutcome::Unsupported
    );
}

#[tokio::test]
async fn runware_resumes_a_lost_submit_by_its_own_task_id() {
    let fake = FakeRunware::start(Script {
        submit_delay_ms: 800,
        ..script(0)
    })
    .await;
    let rw = runware(&fake);
    let request = take("happyhorse-1.1@runware", "job-2");
    let err = rw.submit(&request).await.expect_err("answer lost");
    assert!(matches!(err, ProviderError::Network { .. }), "{err}");
    let job = rw.submit(&request).await.expect("resumed, not resent");
    assert_eq!(lock(&fake.state).submits.len(), 1);
    assert_eq!(
        lock(&fake.state).submits[0]["taskUUID"],
        job.provider_id.as_str()
    );
    wait_for_outcome(&rw, &job, &support::fast_wait(), None)
        .await
        .expect("the first task finishes");
}

#[tokio::test]
async fn runware_failure_keeps_its_message() {
    let fake = FakeRunware::start(Script {
        fail_with: Some("Content moderation rejected the prompt".into()),
        ..script(0)
    })
    .await;
    let rw = runware(&fake);
    let job = rw
        .submit(&take("happyhorse-1.1@runware", "job-3"))
        .await
        .expect("submit");
    let err = wait_for_outcome(&rw, &job, &support::fast_wait(), None)
        .await
        .expect_err("fails");
    assert_eq!(
        err.to_string(),
        "runware could not generate the video: Content moderation rejected the prompt"
    );
}

#[tokio::test]
async fn dashscope_async_task_without_watermark() {
    let fake = FakeDashScope::start(script(2)).await;
    let ds = dashscope(&fake);
    let mut request = take("happyhorse-1.1@dashscope", "job-d");
    request.mode = Mode::ReferenceToVideo;
    request.resolution = Resolution::P1080;
    request.images = vec![ImageInput {
        bytes: bytes::Bytes::from_static(b"png"),
        mime: "image/png".into(),
        public_url: Some("https://studio.example/c1.png".into()),
    }];
    let job = ds.submit(&request).await.expect("submit");
    {
        let s = lock(&fake.state);
        let body = &s.submits[0];
        assert_eq!(body["model"], "happyhorse-1.1-r2v");
        assert_eq!(body["parameters"]["watermark"], false);
        assert_eq!(body["parameters"]["resolution"], "1080P");
        assert_eq!(body["parameters"]["ratio"], "4:3");
        assert_eq!(body["input"]["media"][0]["type"], "reference_image");
        assert_eq!(
            body["input"]["media"][0]["url"],
            "https://studio.example/c1.png"
        );
    }
    let output = wait_for_outcome(&ds, &job, &support::fast_wait(), None)
        .await
        .expect("done");
    download_video(
        "dashscope",
        &output.video_urls[0],
        &support::loopback_download(),
        &MemoryStore::default(),
    )
    .await
    .expect("download");
}

#[tokio::test]
async fn dashscope_refuses_what_it_cannot_take_before_sending() {
    let fake = FakeDashScope::start(script(0)).await;
    let ds = dashscope(&fake);
    let mut wide = take("happyhorse-1.1@dashscope", "job-w");
    wide.aspect_ratio = AspectRatio::Cinema21x9;
    let err = ds.submit(&wide).await.expect_err("21:9");
    assert!(
        err.to_string().contains("aspect ratio 21:9 is not offered"),
        "{err}"
    );
    let mut inline = take("happyhorse-1.1@dashscope", "job-i");
    inline.mode = Mode::ReferenceToVideo;
    inline.images = vec![ImageInput {
        bytes: bytes::Bytes::from_static(b"x"),
        mime: "image/png".into(),
        public_url: None,
    }];
    let err = ds.submit(&inline).await.expect_err("needs a URL");
    assert!(err.to_string().contains("public base URL"), "{err}");
    assert!(lock(&fake.state).submits.is_empty());
}

#[tokio::test]
async fn dashscope_failed_and_expired_tasks() {
    let fake = FakeDashScope::start(Script {
        fail_with: Some("Input data may contain inappropriate content.".into()),
        ..script(0)
    })
    .await;
    let ds = dashscope(&fake);
    let job = ds
        .submit(&take("happyhorse-1.1@dashscope", "job-f"))
        .await
        .expect("submit");
    let err = wait_for_outcome(&ds, &job, &support::fast_wait(), None)
        .await
        .expect_err("fails");
    assert_eq!(
        err.to_string(),
        "dashscope could not generate the video: DataInspectionFailed: Input data may contain inappropriate content."
    );

    let fake = FakeDashScope::start(Script {
        output: Output::Removed,
        ..script(0)
    })
    .await;
    let ds = dashscope(&fake);
    let job = ds
        .submit(&take("happyhorse-1.1@dashscope", "job-u"))
        .await
        .expect("submit");
    let err = wait_for_outcome(&ds, &job, &support::fast_wait(), None)
        .await
        .expect_err("expired");
    assert!(err.to_string().contains("expire after 24 h"), "{err}");
}
