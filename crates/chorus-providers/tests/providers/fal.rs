//! fal adapter end to end against `FakeFal`.

use std::sync::Arc;

use chorus_core::{AspectRatio, GenerationRequest, Mode, Resolution};
use chorus_providers::fal::{Fal, FalConfig};
use chorus_providers::{
    CancelOutcome, ImageInput, MemoryLedger, Provider, ProviderError, Secret, SubmitRequest,
    download_video, wait_for_outcome,
};

use super::support::{self, Hook, MemoryStore, Output, Script, lock};
use chorus_providers::fake::fal::{FakeFal, KEY};

fn adapter(fake: &FakeFal, key: &str) -> Fal {
    let mut config = FalConfig::new(Secret::new(key));
    config.client.base_url.clone_from(&fake.base);
    config.jwks_url = fake.jwks_url();
    config.client.retry = support::fast_retry();
    config.client.seed = 3;
    Fal::new(config, Arc::new(MemoryLedger::default())).expect("fal client")
}

fn take(job_key: &str) -> SubmitRequest {
    let mut req = GenerationRequest::new("happyhorse-1.1@fal");
    req.resolution = Resolution::P1080;
    req.aspect_ratio = AspectRatio::Portrait9x16;
    req.duration_s = 6;
    req.seed = Some(7);
    SubmitRequest::from_generation(job_key, &req, "A chef says: bonjour", Vec::new())
}

fn script(polls: u32) -> Script {
    Script {
        polls_until_done: polls,
        ..Script::default()
    }
}

#[tokio::test]
async fn t2v_submit_poll_download() {
    let fake = FakeFal::start(script(2)).await;
    let fal = adapter(&fake, KEY);
    let job = fal.submit(&take("job-1#0")).await.expect("submit");
    assert_eq!(job.endpoint, "alibaba/happy-horse/v1.1/text-to-video");
    {
        let s = lock(&fake.state);
        assert_eq!(s.submit_uris[0], "/alibaba/happy-horse/v1.1/text-to-video?");
        let body = &s.submits[0];
        assert_eq!(body["prompt"], "A chef says: bonjour");
        assert_eq!(body["aspect_ratio"], "9:16");
        assert_eq!(body["resolution"], "1080p");
        assert_eq!(body["duration"], 6);
        assert_eq!(body["seed"], 7);
    }
    let output = wait_for_outcome(&fal, &job, &support::fast_wait(), None)
        .await
        .expect("done");
    assert_eq!(output.seed, Some(42));
    let store = MemoryStore::default();
    let saved = download_video(
        "fal",
        &output.video_urls[0],
        &support::loopback_download(),
        &store,
    )
    .await
    .expect("download");
    assert!(saved.info.has_audio);
    assert_eq!(store.videos.lock().expect("store")[0].0, support::AV_MP4);
}

#[tokio::test]
async fn i2v_and_r2v_send_urls_or_data_urls() {
    let fake = FakeFal::start(script(0)).await;
    let fal = adapter(&fake, KEY);
    let png = |url: Option<&str>| ImageInput {
        bytes: bytes::Bytes::from_static(b"\x89PNG"),
        mime: "image/png".into(),
        public_url: url.map(str::to_string),
    };
    let mut i2v = take("job-i2v");
    i2v.mode = Mode::ImageToVideo;
    i2v.images = vec![png(None)];
    fal.submit(&i2v).await.expect("i2v");
    let mut r2v = take("job-r2v");
    r2v.mode = Mode::ReferenceToVideo;
    r2v.images = vec![png(Some("https://studio.example/a.png")), png(None)];
    let job = fal.submit(&r2v).await.expect("r2v");
    assert_eq!(job.endpoint, "alibaba/happy-horse/v1.1/reference-to-video");
    let s = lock(&fake.state);
    assert_eq!(s.submits[0]["image_url"], "data:image/png;base64,iVBORw==");
    assert_eq!(
        s.submits[1]["image_urls"][0],
        "https://studio.example/a.png"
    );
    assert_eq!(
        s.submits[1]["image_urls"][1],
        "data:image/png;base64,iVBORw=="
    );
}

#[tokio::test]
async fn a_retried_submit_never_creates_a_second_job() {
    let fake = FakeFal::start(script(0)).await;
    let fal = adapter(&fake, KEY);
    let first = fal.submit(&take("job-7#0")).await.expect("first");
    let again = fal.submit(&take("job-7#0")).await.expect("again");
    assert_eq!(first, again);
    assert_eq!(lock(&fake.state).submits.len(), 1);
}

#[tokio::test]
async fn a_submit_with_unknown_outcome_is_not_sent_again() {
    // The answer comes after our per-call timeout: fal may have queued it.
    let fake = FakeFal::start(Script {
        submit_delay_ms: 800,
        ..script(0)
    })
    .await;
    let fal = adapter(&fake, KEY);
    let err = fal.submit(&take("job-8")).await.expect_err("times out");
    assert!(
        matches!(err, ProviderError::Network { attempts: 1, .. }),
        "{err}"
    );
    let err = fal.submit(&take("job-8")).await.expect_err("in doubt");
    assert!(matches!(err, ProviderError::SubmitInDoubt { .. }), "{err}");
    assert_eq!(lock(&fake.state).submits.len(), 1);

    // A 500 on submit is just as uncertain.
    let fake = FakeFal::start(Script {
        submit_500: true,
        ..script(0)
    })
    .await;
    let fal = adapter(&fake, KEY);
    let err = fal.submit(&take("job-9")).await.expect_err("500");
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    assert_eq!(
        lock(&fake.state).submits.len(),
        1,
        "a 500 submit is not retried"
    );
}

#[tokio::test]
async fn a_wrong_key_is_reported_without_the_key() {
    let fake = FakeFal::start(script(0)).await;
    let fal = adapter(&fake, "wrong-key-abc");
    let err = fal.submit(&take("job-k")).await.expect_err("401");
    let text = err.to_string();
    assert!(matches!(
        err,
        ProviderError::Unauthorized { status: 401, .. }
    ));
    assert!(
        text.contains("Invalid API key") && !text.contains("wrong-key-abc"),
        "{text}"
    );
    assert!(!format!("{fal:?}").contains("wrong-key-abc"));
    // A refused submit created nothing, so it may be sent again.
    assert!(matches!(
        fal.submit(&take("job-k")).await,
        Err(ProviderError::Unauthorized { .. })
    ));
}

#[tokio::test]
async fn status_500s_are_retried_then_given_up() {
    let fake = FakeFal::start(Script {
        status_500s: 2,
        ..script(1)
    })
    .await;
    let fal = adapter(&fake, KEY);
    let job = fal.submit(&take("job-r")).await.expect("submit");
    wait_for_outcome(&fal, &job, &support::fast_wait(), None)
        .await
        .expect("recovers");

    let fake = FakeFal::start(Script {
        status_500s: 1000,
        ..script(1)
    })
    .await;
    let fal = adapter(&fake, KEY);
    let job = fal.submit(&take("job-r")).await.expect("submit");
    let err = wait_for_outcome(&fal, &job, &support::fast_wait(), None)
        .await
        .expect_err("gives up");
    assert!(
        matches!(
            err,
            ProviderError::Unavailable {
                status: 500,
                attempts: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("internal error"), "{err}");
}

#[tokio::test]
async fn malformed_status_and_slow_polls_end_clearly() {
    let fake = FakeFal::start(Script {
        malformed_status: true,
        ..script(1)
    })
    .await;
    let fal = adapter(&fake, KEY);
    let job = fal.submit(&take("job-m")).await.expect("submit");
    let err = wait_for_outcome(&fal, &job, &support::fast_wait(), None)
        .await
        .expect_err("bad json");
    assert!(
        matches!(
            err,
            ProviderError::BadResponse {
                context: "status",
                ..
            }
        ),
        "{err}"
    );

    let fake = FakeFal::start(Script {
        status_delay_ms: 300,
        ..script(u32::MAX)
    })
    .await;
    let fal = adapter(&fake, KEY);
    let job = fal.submit(&take("job-s")).await.expect("submit");
    let mut wait = support::fast_wait();
    wait.time_limit = std::time::Duration::from_millis(700);
    let err = wait_for_outcome(&fal, &job, &wait, None)
        .await
        .expect_err("time limit");
    assert!(matches!(err, ProviderError::TimedOut { .. }), "{err}");
}

#[tokio::test]
async fn a_failed_generation_keeps_fals_message() {
    let fake = FakeFal::start(Script {
        fail_with: Some("Prompt flagged by content policy".into()),
        ..script(0)
    })
    .await;
    let fal = adapter(&fake, KEY);
    let job = fal.submit(&take("job-f")).await.expect("submit");
    let err = wait_for_outcome(&fal, &job, &support::fast_wait(), None)
        .await
        .expect_err("fails");
    assert_eq!(
        err.to_string(),
        "fal could not generate the video: Prompt flagged by content policy"
    );
}

#[tokio::test]
async fn cancel_is_passed_through() {
    let fake = FakeFal::start(script(u32::MAX)).await;
    let fal = adapter(&fake, KEY);
    let job = fal.submit(&take("job-c")).await.expect("submit");
    assert_eq!(
        fal.cancel(&job).await.expect("cancel"),
        CancelOutcome::Requested
    );
    assert_eq!(lock(&fake.state).cancels, vec![job.provider_id.clone()]);
    fake.finish(&job.provider_id).await;
    assert_eq!(
        fal.cancel(&job).await.expect("late"),
        CancelOutcome::AlreadyFinished
    );
    let mut unknown = job.clone();
    unknown.provider_id = "req-404".into();
    assert_eq!(
        fal.cancel(&unknown).await.expect("unknown"),
        CancelOutcome::NotFound
    );
}

async fn webhook_run(
    hook: Hook,
) -> (
    Arc<support::Receiver>,
    Result<chorus_providers::ProviderOutput, ProviderError>,
) {
    let fake = FakeFal::start(Script {
        hook,
        ..script(u32::MAX)
    })
    .await;
    let fal = Arc::new(adapter(&fake, KEY));
    let rx = support::start_receiver(fal.clone()).await;
    let mut request = take("job-w");
    request.webhook_url = Some(rx.url.clone());
    let job = fal.submit(&request).await.expect("submit");
    assert!(lock(&fake.state).submit_uris[0].contains("fal_webhook=http%3A%2F%2F127.0.0.1"));
    // Slow polling: only a webhook ends this wait quickly.
    let mut wait = support::fast_wait();
    wait.backoff = chorus_providers::Backoff::new(
        std::time::Duration::from_millis(1500),
        std::time::Duration::from_millis(1500),
    );
    let waiting = {
        let fal = fal.clone();
        let rx = rx.clone();
        let job = job.clone();
        tokio::spawn(
            async move { wait_for_outcome(fal.as_ref(), &job, &wait, Some(&rx.wake)).await },
        )
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    fake.finish(&job.provider_id).await;
    let outcome = waiting.await.expect("join");
    if matches!(hook, Hook::Valid | Hook::Duplicated) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "woken by the webhook"
        );
    }
    (rx, outcome)
}

#[tokio::test]
async fn webhooks_wake_the_poller_and_duplicates_are_dropped() {
    let (rx, outcome) = webhook_run(Hook::Valid).await;
    outcome.expect("done");
    assert_eq!(rx.accepted.lock().expect("rx").len(), 1);

    let (rx, outcome) = webhook_run(Hook::Duplicated).await;
    outcome.expect("done");
    assert_eq!(rx.accepted.lock().expect("rx").len(), 1);
    assert_eq!(*rx.duplicates.lock().expect("rx"), 1);
}

#[tokio::test]
async fn forged_stale_and_dropped_webhooks_fall_back_to_polling() {
    for (hook, refusal) in [
        (Hook::Forged, Some("signature does not match")),
        (Hook::Stale, Some("outside the ±300 s window")),
        (Hook::Dropped, None),
    ] {
        let (rx, outcome) = webhook_run(hook).await;
        outcome.expect("polling still finishes the job");
        assert!(rx.accepted.lock().expect("rx").is_empty(), "{hook:?}");
        let refused = rx.refused.lock().expect("rx").clone();
        match refusal {
            Some(text) => assert!(
                refused.len() == 1 && refused[0].contains(text),
                "{refused:?}"
            ),
            None => assert!(refused.is_empty()),
        }
    }
}

#[tokio::test]
async fn outputs_that_are_gone_not_mp4_or_silent() {
    for (output, check) in [
        (Output::Expired, "no longer available"),
        (Output::NotMp4, "not a usable MP4"),
    ] {
        let fake = FakeFal::start(Script {
            output,
            ..script(0)
        })
        .await;
        let url = format!("{}/files/video.mp4", fake.base);
        let store = MemoryStore::default();
        let err = download_video("fal", &url, &support::loopback_download(), &store)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains(check), "{err}");
        assert!(store.videos.lock().expect("store").is_empty());
    }
    let fake = FakeFal::start(Script {
        output: Output::VideoOnly,
        ..script(0)
    })
    .await;
    let url = format!("{}/files/video.mp4", fake.base);
    let saved = download_video(
        "fal",
        &url,
        &support::loopback_download(),
        &MemoryStore::default(),
    )
    .await
    .expect("saved");
    assert!(!saved.info.has_audio, "no audio is flagged");
    // The same fake, without the test-only loopback allowance, is refused.
    let err = download_video(
        "fal",
        &url,
        &chorus_providers::DownloadPolicy::default(),
        &MemoryStore::default(),
    )
    .await
    .expect_err("loopback refused");
    assert!(matches!(err, ProviderError::UnsafeUrl { .. }), "{err}");
    // And the size cap holds.
    let tiny = chorus_providers::DownloadPolicy {
        max_bytes: 1000,
        ..support::loopback_download()
    };
    let err = download_video("fal", &url, &tiny, &MemoryStore::default())
        .await
        .expect_err("cap");
    assert!(matches!(err, ProviderError::TooLarge { .. }), "{err}");
}
