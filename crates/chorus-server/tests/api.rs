//! The job API, uploads and assets, called through the router in-process.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{draft_request, png, server};
use serde_json::json;

#[tokio::test]
async fn models_lists_draft_and_happyhorse_with_availability() {
    let s = server().await;
    let (status, models) = s.get("/api/models").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = models
        .as_array()
        .expect("array")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert!(
        ids.contains(&"draft") && ids.contains(&"happyhorse-1.1@fal"),
        "{ids:?}"
    );
    let draft = &models[0];
    assert_eq!(draft["available"], true);
    let hh = models
        .as_array()
        .expect("array")
        .iter()
        .find(|m| m["id"] == "happyhorse-1.1@fal")
        .expect("hh");
    if std::env::var_os("FAL_KEY").is_none() {
        assert_eq!(hh["available"], false);
        assert_eq!(hh["unavailable_reason"], "FAL_KEY is not set on the server");
    }
}

#[tokio::test]
async fn a_valid_job_is_created_queued_listed_and_read() {
    let s = server().await;
    let (status, job) = s.post_json("/api/jobs", &draft_request()).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["status"], "queued");
    assert_eq!(job["estimate"]["usd_micros"], 0);
    assert_eq!(job["estimate"]["takes"], 2);
    let id = job["id"].as_str().expect("id");

    let (status, one) = s.get(&format!("/api/jobs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["request"]["dialogue"][1]["language"], "de");

    let (_, second) = s.post_json("/api/jobs", &draft_request()).await;
    let (status, list) = s.get("/api/jobs").await;
    assert_eq!(status, StatusCode::OK);
    let jobs = list["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["id"], second["id"], "newest first");
}

#[tokio::test]
async fn an_invalid_job_gets_422_with_every_field_problem() {
    let s = server().await;
    let mut request = draft_request();
    request["duration_s"] = json!(20);
    request["prompt"] = json!("x".repeat(2501));
    request["dialogue"][1]["text"] = json!("");
    let (status, body) = s.post_json("/api/jobs", &request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid_request");
    assert_eq!(body["error"]["message"], "The request has 3 problems");
    let fields: Vec<&str> = body["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, vec!["prompt", "dialogue[1].text", "duration_s"]);
    let duration = &body["error"]["problems"][2]["message"];
    assert_eq!(
        duration,
        "Duration 20 s is longer than Chorus Draft allows (3–15 s)"
    );
    let (_, list) = s.get("/api/jobs").await;
    assert!(
        list["jobs"].as_array().expect("jobs").is_empty(),
        "nothing was created"
    );
}

#[tokio::test]
async fn malformed_json_says_where() {
    let s = server().await;
    let (status, body) = s
        .json(
            Request::post("/api/jobs")
                .header("content-type", "application/json")
                .body(Body::from(
                    r#"{"model":"draft","mode":"text-to-video","aspect_ratio":"2:1"}"#,
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("2:1") && message.contains("column"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_reference_is_a_field_problem() {
    let s = server().await;
    let mut request = draft_request();
    request["mode"] = json!("image-to-video");
    request["references"] = json!(["0".repeat(64)]);
    let (status, body) = s.post_json("/api/jobs", &request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["problems"][0]["field"], "references[0]");
}

#[tokio::test]
async fn cancel_moves_only_unfinished_jobs() {
    let s = server().await;
    let (_, job) = s.post_json("/api/jobs", &draft_request()).await;
    let id = job["id"].as_str().expect("id");
    let (status, canceled) = s
        .post_json(&format!("/api/jobs/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(canceled["status"], "canceled");
    let (status, again) = s
        .post_json(&format!("/api/jobs/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        again["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("already been canceled")
    );
    let (status, _) = s.post_json("/api/jobs/job_nope/cancel", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn uploads_are_checked_stored_once_and_served_with_ranges() {
    let s = server().await;
    let image = png(640, 480, 7);
    let (status, asset) = s.upload(&image).await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    assert_eq!(asset["mime"], "image/png");
    assert_eq!(
        (asset["width"].as_u64(), asset["height"].as_u64()),
        (Some(640), Some(480))
    );
    let (_, again) = s.upload(&image).await;
    assert_eq!(again["id"], asset["id"], "same bytes, same asset");

    let url = asset["url"].as_str().expect("url");
    let (status, whole, headers) = s
        .call(Request::get(url).body(Body::empty()).expect("req"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(whole, image);
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["content-type"], "image/png");

    let (status, part, headers) = s
        .call(
            Request::get(url)
                .header("range", "bytes=8-23")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, image[8..24]);
    assert_eq!(
        headers["content-range"],
        format!("bytes 8-23/{}", image.len())
    );

    let (status, _, headers) = s
        .call(
            Request::get(url)
                .header("range", format!("bytes={}-", image.len()))
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(headers["content-range"], format!("bytes */{}", image.len()));
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_reason() {
    let s = server().await;
    let (status, body) = s.upload(b"just some text pretending to be a photo").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        body["error"]["message"],
        "This file is not an image we recognise; upload a PNG, JPEG or WebP image"
    );

    let (status, body) = s.upload(&png(200, 200, 1)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["message"],
        "The image is 200×200; its short side must be at least 300 px"
    );

    let (status, body) = s.upload(&png(1200, 300, 1)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("between 1:2.5 and 2.5:1")
    );
}

#[tokio::test]
async fn unknown_api_paths_are_json_404_and_app_paths_fall_back_to_the_app() {
    let s = server().await;
    let (status, body) = s.get("/api/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, page, _) = s
        .call(Request::get("/library").body(Body::empty()).expect("req"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("Chorus test"));
    let (status, _) = s.get("/api/assets/not-a-hash").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn jobs_survive_a_restart_and_interrupted_ones_are_requeued() {
    let s = server().await;
    let (_, job) = s.post_json("/api/jobs", &draft_request()).await;
    let id = job["id"].as_str().expect("id").to_string();
    // Simulate a server that died mid-render: its worker had claimed the job.
    let lease = chorus_server::leases::Lease::new(std::time::Duration::from_mins(10));
    let claimed = chorus_server::leases::claim_next(&s.state.db, &["draft".to_string()], &lease)
        .await
        .expect("claims")
        .expect("the job");
    assert_eq!(claimed.id.0, id);
    s.state.db.close().await;

    let reopened = chorus_server::AppState::open(&common::config(s.dir.path()))
        .await
        .expect("reopens");
    // What `chorus serve` does before its worker starts.
    chorus_server::leases::requeue_interrupted(&reopened.db)
        .await
        .expect("requeues");
    let job = chorus_server::jobs::get(&reopened.db, &id)
        .await
        .expect("reads")
        .expect("still there");
    assert_eq!(job.status, chorus_core::JobStatus::Queued);
    assert_eq!(job.request.dialogue.len(), 2);
}
