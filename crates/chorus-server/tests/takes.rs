//! Correcting a finished take: the sound moves against the picture in a new
//! version, made by remuxing (the video samples are the original's bytes),
//! the original stays, and bad requests say what is wrong.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chorus_core::{Job, JobStatus, Revision};
use chorus_server::draft_engine::DraftEngine;
use serde_json::json;

async fn finished_draft_job(s: &mut common::TestServer) -> Job {
    s.engines = vec![Arc::new(DraftEngine)];
    let worker = s.spawn_worker();
    let mut request = common::draft_request();
    request["duration_s"] = json!(3);
    let (status, job) = s.post_json("/api/jobs", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let id = job["id"].as_str().expect("id").to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_mins(2);
    let job = loop {
        let job = chorus_server::jobs::get(&s.state.db, &id)
            .await
            .expect("reads")
            .expect("exists");
        if job.status.is_terminal() {
            break job;
        }
        assert!(tokio::time::Instant::now() < deadline, "job never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    worker.abort();
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    job
}

fn audio_start_ticks(movie: &chorus_media::Movie) -> i64 {
    movie
        .audio_track()
        .and_then(|t| t.samples.iter().map(|s| s.presentation_time).min())
        .expect("audio samples")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_is_the_next_version_and_keeps_the_original() {
    let mut s = common::server().await;
    let job = finished_draft_job(&mut s).await;
    let id = job.id.to_string();
    assert_eq!(job.outputs.len(), 2);
    let original = job.outputs[1].clone();

    let (status, body) = s
        .post_json(
            &format!("/api/jobs/{id}/outputs/1/audio-shift"),
            &json!({"shift_ms": -120}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let job: Job = serde_json::from_value(body).expect("a job");
    assert_eq!(job.outputs.len(), 3, "appended, nothing replaced");
    assert_eq!(job.outputs[1], original, "the original take is untouched");
    let v2 = &job.outputs[2];
    assert_eq!(
        v2.revision,
        Some(Revision {
            of: 1,
            number: 2,
            audio_shift_ms: -120
        })
    );
    assert_eq!(v2.language, original.language);
    assert_ne!(v2.video, original.video);

    // Remuxed, not re-encoded: the same video sample bytes, sound earlier.
    let before = s.state.assets.read(&original.video).await.expect("file");
    let after = s.state.assets.read(&v2.video).await.expect("file");
    let (m0, m1) = (
        chorus_media::parse_file(&before).expect("parses"),
        chorus_media::parse_file(&after).expect("parses"),
    );
    let samples = |file: &[u8], movie: &chorus_media::Movie| -> Vec<Vec<u8>> {
        let track = movie.video_track().expect("video");
        track
            .samples
            .iter()
            .map(|x| file[x.offset as usize..x.offset as usize + x.size as usize].to_vec())
            .collect()
    };
    assert_eq!(samples(&before, &m0), samples(&after, &m1));
    let timescale = i64::from(m0.audio_track().expect("audio").timescale);
    assert_eq!(
        audio_start_ticks(&m0) - audio_start_ticks(&m1),
        120 * timescale / 1000
    );

    // A correction of the correction adds up, and numbers on.
    let (status, body) = s
        .post_json(
            &format!("/api/jobs/{id}/outputs/2/audio-shift"),
            &json!({"shift_ms": 40}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let job: Job = serde_json::from_value(body).expect("a job");
    assert_eq!(
        job.outputs[3].revision,
        Some(Revision {
            of: 1,
            number: 3,
            audio_shift_ms: -80
        })
    );
    assert_eq!(
        chorus_core::job::versions_of(&job.outputs, 1),
        vec![1, 2, 3]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_corrections_say_what_is_wrong_and_change_nothing() {
    let mut s = common::server().await;
    let job = finished_draft_job(&mut s).await;
    let id = job.id.to_string();
    let shift = |index: usize, ms: i64| {
        (
            format!("/api/jobs/{id}/outputs/{index}/audio-shift"),
            json!({ "shift_ms": ms }),
        )
    };

    let (url, body) = shift(0, 0);
    let (status, answer) = s.post_json(&url, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["problems"][0]["field"], "shift_ms");

    let (url, body) = shift(0, 5000);
    let (status, answer) = s.post_json(&url, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer["error"]["message"]
            .as_str()
            .expect("message")
            .contains("±1000 ms"),
        "{answer}"
    );

    let (url, body) = shift(7, 40);
    let (status, answer) = s.post_json(&url, &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        answer["error"]["message"]
            .as_str()
            .expect("message")
            .contains("no take 7")
    );

    let (status, _) = s
        .post_json(
            "/api/jobs/job_missing/outputs/0/audio-shift",
            &json!({"shift_ms": 40}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (url, _) = shift(0, 40);
    let (status, answer) = s.post_json(&url, &json!({"shift": 40})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .expect("message")
            .contains("shift_ms"),
        "{answer}"
    );

    let after = chorus_server::jobs::get(&s.state.db, &id)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(after.outputs, job.outputs, "nothing was added");
}
