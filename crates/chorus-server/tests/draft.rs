//! The draft engine behind the queue: a job goes queued → running →
//! succeeded with one MP4 and sidecar per language, speech that does not
//! fit the clip is refused before anything is rendered, and a long-running
//! server renders the same bytes as a fresh `chorus draft`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chorus_core::{Job, JobStatus};
use chorus_server::draft_engine::DraftEngine;
use serde_json::json;

/// Speaks through `chorus __voice` child processes, as `chorus serve` does.
fn speak_like_chorus_serve() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        chorus_draft::set_speaker(chorus_draft::Speaker::ChildProcess {
            program: env!("CARGO_BIN_EXE_chorus").into(),
            args: vec![chorus_server::cli::VOICE_SUBCOMMAND.into()],
        });
    });
}

async fn wait_for_end(s: &common::TestServer, id: &str) -> Job {
    let deadline = tokio::time::Instant::now() + Duration::from_mins(2);
    loop {
        let job = chorus_server::jobs::get(&s.state.db, id)
            .await
            .expect("reads")
            .expect("exists");
        if job.status.is_terminal() {
            return job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job still {:?}",
            job.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_job_renders_one_clip_per_language() {
    speak_like_chorus_serve();
    let mut s = common::server().await;
    s.engines = vec![Arc::new(DraftEngine)];
    let worker = s.spawn_worker();
    let mut events = s.state.events.subscribe();

    let mut request = common::draft_request();
    request["duration_s"] = json!(4);
    let (status, job) = s.post_json("/api/jobs", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let id = job["id"].as_str().expect("id").to_string();
    let job = wait_for_end(&s, &id).await;
    worker.abort();

    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    assert_eq!(job.outputs.len(), 2);
    for (output, lang) in job.outputs.iter().zip(["en", "de"]) {
        assert_eq!(output.language.map(chorus_core::Language::code), Some(lang));
        assert_eq!((output.width, output.height), (720, 1280));
        assert!(output.has_audio);
        let (status, bytes, headers) = s
            .call(
                axum::http::Request::get(format!("/api/assets/{}", output.video))
                    .body(axum::body::Body::empty())
                    .expect("req"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "video/mp4");
        let movie = chorus_media::parse_file(&bytes).expect("our own demuxer reads it");
        assert!(movie.video_track().is_some() && movie.audio_track().is_some());
        let sidecar = output.sidecar.as_ref().expect("sidecar");
        let (status, sidecar) = s.get(&format!("/api/assets/{sidecar}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!sidecar["visemes"].as_array().expect("visemes").is_empty());
    }

    // The tab saw it run: a running event with progress, then success.
    let mut statuses = Vec::new();
    while let Ok(job) = events.try_recv() {
        statuses.push((job.status, job.progress));
    }
    assert!(
        statuses
            .iter()
            .any(|(s, p)| *s == JobStatus::Running && *p > 0.0),
        "{statuses:?}"
    );
    assert_eq!(statuses.last().map(|(s, _)| *s), Some(JobStatus::Succeeded));
}

#[tokio::test]
async fn speech_fit_measures_each_line_and_flags_kanji() {
    speak_like_chorus_serve();
    let s = common::server().await;
    let (status, body) = s
        .post_json(
            "/api/speech-fit",
            &json!({"duration_s": 3, "dialogue": [
                {"language": "de", "text": "Das ist ein sehr langer Satz, der auf keinen Fall in drei Sekunden hineinpasst, egal wie schnell man spricht."},
                {"language": "ja", "text": "東京へようこそ"}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let de = &body["lines"][0];
    assert_eq!(de["language"], "de");
    assert_eq!(de["fits"], false);
    let seconds = de["seconds"].as_f64().expect("seconds");
    assert!(seconds > 3.0, "{seconds}");
    assert!(
        de["message"]
            .as_str()
            .expect("message")
            .starts_with("German needs "),
        "{de}"
    );
    let ja = &body["lines"][1];
    let unpronounceable: Vec<&str> = ja["unpronounceable"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(
        unpronounceable.contains(&"東") && unpronounceable.contains(&"京"),
        "{ja}"
    );
}

#[tokio::test]
async fn a_job_whose_line_does_not_fit_is_refused() {
    speak_like_chorus_serve();
    let s = common::server().await;
    let mut request = common::draft_request();
    request["duration_s"] = json!(3);
    request["dialogue"][1]["text"] = json!(
        "Das ist ein sehr langer Satz, der auf keinen Fall in drei Sekunden hineinpasst, egal wie schnell man spricht."
    );
    let (status, body) = s.post_json("/api/jobs", &request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = &body["error"]["problems"][0];
    assert_eq!(problem["field"], "dialogue[1].text");
    let message = problem["message"].as_str().expect("message");
    assert!(
        message.starts_with("German needs ") && message.ends_with("; the clip is 3 s"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_spoke_other_lines_renders_the_bytes_of_a_fresh_cli_run() {
    speak_like_chorus_serve();
    let mut s = common::server().await;
    s.engines = vec![Arc::new(DraftEngine)];
    let worker = s.spawn_worker();
    let prompt = "A baker dusts flour over fresh loaves";
    let job = |language: &str, text: &str, ratio: &str| {
        json!({
            "model": "draft", "mode": "text-to-video", "prompt": prompt, "seed": 77,
            "dialogue": [{"language": language, "text": text}],
            "duration_s": 3, "resolution": "720p", "aspect_ratio": ratio
        })
    };
    // Other lines first, in other languages and shapes, then the take.
    let mut video = None;
    for (language, text, ratio) in [
        ("fr", "Du pain chaud, tout de suite.", "16:9"),
        ("ko", "따뜻한 빵이 나왔어요.", "9:16"),
        ("en", "Warm bread, right out of the oven.", "1:1"),
    ] {
        let (status, created) = s.post_json("/api/jobs", &job(language, text, ratio)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let done = wait_for_end(&s, created["id"].as_str().expect("id")).await;
        assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
        video = Some(done.outputs[0].video.clone());
    }
    worker.abort();
    let served = s
        .state
        .assets
        .read(&video.expect("the last take"))
        .await
        .expect("stored");

    let out = s.dir.path().join("fresh.mp4");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args([
            "draft",
            "--lang",
            "en",
            "--text",
            "Warm bread, right out of the oven.",
        ])
        .args(["--prompt", prompt, "--seed", "77", "--duration", "3"])
        .args(["--aspect", "1:1", "--resolution", "720p", "--out"])
        .arg(&out)
        .status()
        .expect("chorus draft runs");
    assert!(status.success());
    let fresh = std::fs::read(&out).expect("fresh take");
    assert!(
        served == fresh,
        "the server's take ({} bytes) differs from a fresh render ({} bytes)",
        served.len(),
        fresh.len()
    );
}
