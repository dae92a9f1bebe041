//! Assets in a real S3-compatible server (s3s-fs, started here): uploads
//! and generated clips land in the bucket under the prefix, the player's
//! Range requests are answered from it, and a server pointed at a bucket
//! it cannot reach says so.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chorus_core::JobStatus;
use chorus_providers::fake::{AV_MP4, Script};
use chorus_server::assets::AssetStore;
use common::hosted::{self, Which};
use common::services::{S3, S3_KEY, S3_SECRET};

async fn range(
    s: &common::TestServer,
    id: &str,
    spec: &str,
) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    s.call(
        Request::get(format!("/api/assets/{id}"))
            .header("range", spec)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_clips_live_in_the_bucket_and_serve_ranges() {
    let s3 = S3::start();
    let mut s = common::server().await;
    s.state.assets = s3.bucket("studio/assets");
    assert_eq!(s.state.assets.describe(), "s3://chorus/studio/assets");

    let image = common::png(640, 480, 9);
    let (status, uploaded) = s.upload(&image).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    let id = uploaded["id"].as_str().expect("id").to_string();
    let stored = s3.stored_under("studio/assets");
    assert!(
        stored
            .iter()
            .any(|p| p.ends_with(format!("{}/{id}", &id[..2]))),
        "{stored:?}"
    );
    assert!(
        !s.dir.path().join("data/assets").join(&id[..2]).exists(),
        "nothing on local disk"
    );

    let (status, body, headers) = range(&s, &id, "bytes=100-199").await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, &image[100..200]);
    assert_eq!(
        headers["content-range"],
        format!("bytes 100-199/{}", image.len())
    );
    let (status, body, _) = range(&s, &id, "bytes=-10").await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, &image[image.len() - 10..]);
    let (status, body, _) = s.fetch(&format!("/api/assets/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, image);

    // A hosted clip is copied straight into the bucket.
    let fake = Which::Fal
        .start(Script {
            polls_until_done: 1,
            ..Script::default()
        })
        .await;
    (s.state, s.engines) = fake.serve_with(&s.state, hosted::fast_settings());
    let (status, created) = s
        .post_json("/api/jobs", &hosted::request(Which::Fal, "Into the bucket"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let job_id = created["id"].as_str().expect("id").to_string();
    let worker = s.spawn_worker();
    let done = common::wait_for_end(&s.state, &job_id, Duration::from_secs(20)).await;
    worker.abort();
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    let clip = &done.outputs[0].video;
    let (status, body, _) = range(&s, clip, "bytes=0-63").await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, &AV_MP4[..64]);
    assert_eq!(s.state.assets.read(clip).await.expect("read"), AV_MP4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_whose_object_is_gone_is_a_404_and_a_dead_store_an_error() {
    let s3 = S3::start();
    let mut s = common::server().await;
    s.state.assets = s3.bucket("gone");
    let (_, uploaded) = s.upload(&common::png(400, 400, 1)).await;
    let id = uploaded["id"].as_str().expect("id").to_string();
    for path in s3.stored_under("gone") {
        std::fs::remove_file(path).expect("remove");
    }
    let (status, _, _) = range(&s, &id, "bytes=0-9").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing listens there: storing fails with a reason naming the bucket.
    let dead = AssetStore::open_s3(
        "s3://chorus/x",
        &[
            ("aws_endpoint", "http://127.0.0.1:9"),
            ("aws_access_key_id", S3_KEY),
            ("aws_secret_access_key", S3_SECRET),
        ],
    )
    .expect("configures without a request");
    let err = dead
        .put(&s.state.db, b"bytes", "image/png", None)
        .await
        .expect_err("unreachable");
    assert!(format!("{err:#}").contains("s3://chorus/x"), "{err:#}");
}
