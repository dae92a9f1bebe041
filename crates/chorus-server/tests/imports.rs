//! Importing clips made elsewhere: real recordings become a finished job
//! whose takes play and correct like generated ones, in the folder store
//! and in a real S3 bucket; a clip that fails its check by bytes refuses
//! the whole import, names the file and why, and leaves nothing stored.

mod common;

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::services::S3;
use serde_json::{Value, json};

fn footage(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("CHORUS_FOOTAGE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/footage"),
        PathBuf::from,
    );
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "real footage missing: {} ({e}; the shared folder beside the repository, or CHORUS_FOOTAGE)",
            path.display()
        )
    })
}

/// One part of a multipart form: a text field, or a file.
enum Part<'a> {
    Field(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

/// Sends `parts` to `POST /api/imports`, the body streamed in 64 KiB
/// pieces as a browser's upload arrives.
async fn import(s: &common::TestServer, parts: &[Part<'_>]) -> (StatusCode, Value) {
    let boundary = "chorusimport5d1c0f";
    let mut body = Vec::new();
    for part in parts {
        match part {
            Part::Field(name, value) => body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            ),
            Part::File(file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: video/mp4\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let pieces: Vec<Result<bytes::Bytes, std::io::Error>> = body
        .chunks(64 * 1024)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    s.json(
        Request::post("/api/imports")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from_stream(futures_util::stream::iter(pieces)))
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn recordings_become_takes_that_play_and_correct() {
    let s = common::server().await;
    let original = footage("talking-5.mp4");
    let late = chorus_media::shift_audio(&original, 200).expect("remux");
    let (status, job) = import(
        &s,
        &[
            Part::Field("language", "en"),
            Part::File("talking-5.mp4", &original),
            Part::Field("language", "de"),
            Part::File("talking-5 +200ms.mp4", &late),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["status"], "succeeded");
    assert_eq!(job["request"]["model"], "import");
    assert_eq!(
        job["request"]["prompt"],
        "talking-5.mp4, talking-5 +200ms.mp4"
    );
    let outputs = job["outputs"].as_array().expect("outputs");
    assert_eq!(outputs.len(), 2);
    for (output, (name, language)) in outputs
        .iter()
        .zip([("talking-5.mp4", "en"), ("talking-5 +200ms.mp4", "de")])
    {
        assert_eq!(output["name"], name, "{output}");
        assert_eq!(output["language"], language, "{output}");
        assert_eq!(
            (output["width"].as_u64(), output["height"].as_u64()),
            (Some(524), Some(524))
        );
        assert_eq!(output["fps"], 25);
        assert_eq!(output["has_audio"], true);
        let ms = output["duration_ms"].as_u64().expect("duration");
        assert!((4_800..=5_000).contains(&ms), "duration {ms} ms");
    }

    // The stored bytes are the file's, served with Range like any take.
    let id = outputs[0]["video"].as_str().expect("asset id");
    let (status, bytes, _) = s
        .call(
            Request::get(format!("/api/assets/{id}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        bytes == original,
        "the stored clip is the uploaded file, byte for byte"
    );
    let (_, listed) = s.get("/api/jobs").await;
    assert_eq!(
        listed["jobs"][0]["id"], job["id"],
        "the Library lists it first"
    );
    assert!(
        common::services::files_under(&s.state.spool).is_empty(),
        "nothing stays in the upload folder"
    );

    // An imported take corrects like a generated one.
    let job_id = job["id"].as_str().expect("job id");
    let (status, corrected) = s
        .post_json(
            &format!("/api/jobs/{job_id}/outputs/1/audio-shift"),
            &json!({ "shift_ms": -200 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{corrected}");
    let version = &corrected["outputs"][2];
    assert_eq!(version["revision"]["of"], 1);
    assert_eq!(version["name"], "talking-5 +200ms.mp4");
}

#[tokio::test]
async fn one_bad_clip_refuses_the_import_and_nothing_is_kept() {
    let s = common::server().await;
    let original = footage("talking-5.mp4");
    let cut = &original[..original.len() * 6 / 10];
    let png = common::png(640, 480, 3);
    let (status, body) = import(
        &s,
        &[
            Part::Field("language", "en"),
            Part::File("good.mp4", &original),
            Part::File("cut.mp4", cut),
            Part::Field("language", "none"),
            Part::File("still.png", &png),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let problems: Vec<String> = body["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with("cut.mp4: ") && problems[0].contains("cut short"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("still.png: ") && problems[1].contains("PNG"),
        "{problems:?}"
    );
    assert_eq!(body["error"]["problems"][0]["field"], "clips[1]");
    let (_, listed) = s.get("/api/jobs").await;
    assert_eq!(listed["jobs"], json!([]), "a refused import makes no job");
    assert!(
        common::services::files_under(&s.state.spool).is_empty(),
        "no spool file stays"
    );
    assert!(
        common::services::files_under(&s.dir.path().join("data/assets")).is_empty(),
        "not even the good clip is stored"
    );
}

#[tokio::test]
async fn every_clip_says_what_is_spoken_in_it() {
    let s = common::server().await;
    let original = footage("talking-5.mp4");
    let (status, body) = import(&s, &[Part::File("talking-5.mp4", &original)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Say which language is spoken in talking-5.mp4"),
        "{body}"
    );
    let (status, body) = import(
        &s,
        &[
            Part::Field("language", "xx"),
            Part::File("talking-5.mp4", &original),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("\"xx\"") && message.contains("en, cmn"),
        "{message}"
    );
    let (status, body) = import(&s, &[Part::Field("language", "en")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        common::services::files_under(&s.state.spool).is_empty(),
        "no spool file stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_clips_stream_into_a_bucket() {
    let s3 = S3::start();
    let mut s = common::server().await;
    s.state.assets = s3.bucket("imports");
    let original = footage("talking-2.mp4");
    let (status, job) = import(
        &s,
        &[
            Part::Field("language", "en"),
            Part::File("talking-2.mp4", &original),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let id = job["outputs"][0]["video"].as_str().expect("asset id");
    assert!(
        s3.stored_under("imports")
            .iter()
            .any(|p| p.ends_with(format!("{}/{id}", &id[..2]))),
        "the clip is in the bucket"
    );
    let (status, bytes, _) = s
        .call(
            Request::get(format!("/api/assets/{id}"))
                .header("range", "bytes=0-15")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(bytes, original[..16]);
    assert!(
        common::services::files_under(&s.state.spool).is_empty(),
        "the spool file is gone"
    );
}
