//! The Library's server side (#16): pages with no duplicates or gaps while
//! jobs arrive, search and filters, storage per job and in total, deleting
//! for real (an undo window, then the job and every asset no other job
//! uses leave the store, shared ones stay), and posters with scrub strips
//! for a draft render and an import.
//!
//! The cases share one server per database: SQLite with assets in a local
//! folder, PostgreSQL with assets in an S3 bucket.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chorus_core::{DialogueLine, Job, JobStatus, Language};
use chorus_server::{jobs, library, removal};
use common::TestServer;
use common::services::{Postgres, S3};
use serde_json::{Value, json};

/// Where a server's asset bytes are, to count them.
enum Bytes<'a> {
    Folder(PathBuf),
    Bucket(&'a S3, &'static str),
}

impl Bytes<'_> {
    fn stored(&self) -> BTreeSet<String> {
        let paths = match self {
            Bytes::Folder(dir) => common::services::files_under(dir),
            Bytes::Bucket(s3, prefix) => s3.stored_under(prefix),
        };
        paths
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .filter(|name| chorus_server::assets::is_valid_id(name))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_on_sqlite_with_a_local_folder() {
    let s = common::server().await;
    let bytes = Bytes::Folder(s.dir.path().join("data/assets"));
    every_case(&s, &bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_on_postgres_with_a_bucket() {
    let s3 = S3::start();
    let url = Postgres::shared().fresh_database().await;
    let mut s = common::server_with(|c| c.database_url = Some(url)).await;
    s.state.assets = s3.bucket("library");
    every_case(&s, &Bytes::Bucket(&s3, "library")).await;
}

async fn every_case(s: &TestServer, bytes: &Bytes<'_>) {
    pages_have_no_duplicates_or_gaps_while_jobs_arrive(s).await;
    search_and_filters_find_what_they_say(s).await;
    bad_parameters_are_refused_saying_which(s).await;
    deleting_frees_what_no_other_job_uses(s, bytes).await;
}

fn job(id: &str, model: &str, created_at: i64) -> Job {
    common::job_record(id, model, created_at, JobStatus::Succeeded)
}

async fn insert(s: &TestServer, job: &Job) {
    jobs::insert(&s.state.db, job).await.expect("insert");
}

/// The ids on a list answer, and its `next`.
fn page(body: &Value) -> (Vec<String>, Option<String>) {
    let ids = body["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("no jobs: {body}"))
        .iter()
        .map(|j| j["id"].as_str().expect("id").to_string())
        .collect();
    (ids, body["next"].as_str().map(str::to_string))
}

async fn ids(s: &TestServer, query: &str) -> Vec<String> {
    let (status, body) = s.get(&format!("/api/jobs?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    page(&body).0
}

async fn pages_have_no_duplicates_or_gaps_while_jobs_arrive(s: &TestServer) {
    // 40 jobs, several created in the same millisecond (the id decides).
    let mut expected = Vec::new();
    for n in 0..40_i64 {
        let id = format!("job_page_{n:03}");
        insert(s, &job(&id, "page-test", 1_000_000 + n / 3)).await;
        expected.push(id);
    }
    expected.reverse();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut arrivals = 0;
    loop {
        let before = cursor
            .as_ref()
            .map_or_else(String::new, |c| format!("&before={c}"));
        let (status, body) = s
            .get(&format!("/api/jobs?model=page-test&limit=7{before}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (ids, next) = page(&body);
        seen.extend(ids);
        // New jobs arrive between pages, newer than everything shown.
        arrivals += 1;
        let id = format!("job_page_new{arrivals:02}");
        insert(s, &job(&id, "page-test", 2_000_000 + arrivals)).await;
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every job once, newest first");
    assert_eq!(arrivals, 6, "40 jobs in pages of 7");
    // The first page now starts with the newest arrivals.
    let first = ids(s, "model=page-test&limit=2").await;
    assert_eq!(first, ["job_page_new06", "job_page_new05"]);
}

fn line(language: Language, text: &str) -> DialogueLine {
    DialogueLine::new(language, text)
}

/// 2024-03-`day` at noon UTC, in Unix ms.
fn march(day: i64) -> i64 {
    1_709_251_200_000 + (day - 1) * 86_400_000 + 43_200_000
}

async fn search_and_filters_find_what_they_say(s: &TestServer) {
    let mut tulips = job("job_find_tulips", "find-test", march(1));
    tulips.request.prompt = "A florist arranges flowers".into();
    tulips.request.dialogue = vec![
        line(Language::English, "Fresh tulips, every morning."),
        line(Language::German, "Frische Tulpen, jeden Morgen."),
    ];
    let mut coffee = job("job_find_coffee", "find-test", march(5));
    coffee.status = JobStatus::Failed;
    coffee.request.prompt = "Coffee shop at 50 percent".into();
    coffee.request.dialogue = vec![line(Language::French, "Bonjour, un café ?")];
    let mut field = job("job_find_field", "find-test-2", march(10));
    field.status = JobStatus::Queued;
    field.request.prompt = "TULPENFELD at dusk, GRÜSSE".into();
    for j in [&tulips, &coffee, &field] {
        insert(s, j).await;
    }
    let both = "model=find-test,find-test-2";
    let cases: &[(&str, &[&str])] = &[
        ("q=tulpen", &["job_find_field", "job_find_tulips"]),
        ("q=TULPEN", &["job_find_field", "job_find_tulips"]),
        ("q=frische%20tulpen", &["job_find_tulips"]),
        ("q=tulips", &["job_find_tulips"]),
        ("q=gr%C3%BC%C3%9Fe", &["job_find_field"]),
        ("q=caf%C3%A9", &["job_find_coffee"]),
        ("q=50%25", &[]),
        ("q=_", &[]),
        ("language=de", &["job_find_tulips"]),
        ("language=fr,de", &["job_find_coffee", "job_find_tulips"]),
        ("status=failed", &["job_find_coffee"]),
        (
            "status=succeeded,queued",
            &["job_find_field", "job_find_tulips"],
        ),
        ("from=2024-03-02", &["job_find_field", "job_find_coffee"]),
        ("to=2024-03-05", &["job_find_coffee", "job_find_tulips"]),
        ("from=2024-03-05&to=2024-03-05", &["job_find_coffee"]),
        ("q=tulpen&status=queued", &["job_find_field"]),
    ];
    for (query, want) in cases {
        assert_eq!(ids(s, &format!("{both}&{query}")).await, *want, "{query}");
    }
    assert_eq!(
        ids(s, "model=find-test-2").await,
        ["job_find_field"],
        "model"
    );

    // A job written before the search columns existed is indexed at
    // start-up and found like the others.
    s.state
        .db
        .execute("UPDATE jobs SET search = NULL, languages = '' WHERE id = 'job_find_tulips'")
        .await
        .expect("forget");
    assert!(
        ids(s, &format!("{both}&q=tulpen&language=de"))
            .await
            .is_empty()
    );
    assert!(library::index_older_jobs(&s.state.db).await.expect("index") >= 1);
    assert_eq!(
        ids(s, &format!("{both}&q=tulpen&language=de")).await,
        ["job_find_tulips"]
    );
}

async fn bad_parameters_are_refused_saying_which(s: &TestServer) {
    for (query, says) in [
        ("limit=0", "limit=0"),
        ("limit=500", "from 1 to 200"),
        ("limit=ten", "limit=ten"),
        ("before=yesterday", "before=yesterday"),
        ("status=done", "status=done"),
        ("language=xx", "language=xx"),
        ("from=1%2F3%2F2024", "YYYY-MM-DD"),
        ("sort=oldest", "sort is not a parameter"),
    ] {
        let (status, body) = s.get(&format!("/api/jobs?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{body}");
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains(says), "{query}: {message}");
    }
}

async fn put(s: &TestServer, bytes: &[u8], mime: &str) -> (String, u64) {
    let record = s
        .state
        .assets
        .put(&s.state.db, bytes, mime, None)
        .await
        .expect("stored");
    (record.id, bytes.len() as u64)
}

async fn delete(s: &TestServer, id: &str) -> (StatusCode, Value) {
    s.json(
        Request::delete(format!("/api/jobs/{id}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

/// Moves every deleted job's undo window into the past.
async fn close_undo_windows(s: &TestServer) {
    s.state
        .db
        .execute("UPDATE jobs SET deleted_at = deleted_at - 3600000 WHERE deleted_at IS NOT NULL")
        .await
        .expect("backdate");
}

async fn deleting_frees_what_no_other_job_uses(s: &TestServer, bytes: &Bytes<'_>) {
    let (status, uploaded) = s.upload(&common::png(400, 300, 7)).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    let reference = uploaded["id"].as_str().expect("id").to_string();
    let reference_bytes = uploaded["bytes"].as_u64().expect("bytes");
    let (only_x, only_x_bytes) = put(s, b"take only job X made", "video/mp4").await;
    let (sidecar_x, sidecar_x_bytes) = put(s, b"{\"sidecar\": \"of X\"}", "application/json").await;
    let (same, same_bytes) = put(s, b"a take both jobs made alike", "video/mp4").await;
    let (only_y, _) = put(s, b"take only job Y made", "video/mp4").await;

    let mut x = job("job_del_x", "delete-test", 3_000_000);
    x.request.references = vec![reference.clone()];
    let mut first = common::take(&only_x);
    first.sidecar = Some(sidecar_x.clone());
    x.outputs = vec![first, common::take(&same)];
    let mut y = job("job_del_y", "delete-test", 3_000_001);
    y.request.references = vec![reference.clone()];
    y.outputs = vec![common::take(&same), common::take(&only_y)];
    let mut queued = job("job_del_queued", "delete-test", 3_000_002);
    queued.status = JobStatus::Queued;
    queued.request.references = vec![reference.clone()];
    for j in [&x, &y, &queued] {
        insert(s, j).await;
    }

    // Storage per job and in total.
    let (_, read) = s.get("/api/jobs/job_del_x").await;
    assert_eq!(
        read["bytes"].as_u64(),
        Some(reference_bytes + only_x_bytes + sidecar_x_bytes + same_bytes),
        "{read}"
    );
    let (_, listed) = s.get("/api/jobs?model=delete-test").await;
    assert_eq!(listed["jobs"][2]["bytes"], read["bytes"]);
    let (status, usage_before) = s.get("/api/library/usage").await;
    assert_eq!(status, StatusCode::OK);

    let everything = bytes.stored();
    for id in [&reference, &only_x, &sidecar_x, &same, &only_y] {
        assert!(everything.contains(id.as_str()), "{id} stored");
    }

    // Deleted: hidden at once, restorable within the window.
    let (status, deleted) = delete(s, "job_del_x").await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    let deleted_at = deleted["job"]["deleted_at"].as_i64().expect("deleted_at");
    assert_eq!(
        deleted["restore_until"].as_i64(),
        Some(deleted_at + 10_000),
        "{deleted}"
    );
    assert_eq!(
        ids(s, "model=delete-test").await,
        ["job_del_queued", "job_del_y"]
    );
    let (_, usage) = s.get("/api/library/usage").await;
    assert_eq!(
        usage["jobs"].as_u64(),
        usage_before["jobs"].as_u64().map(|n| n - 1)
    );
    assert_eq!(
        usage["bytes"].as_u64(),
        usage_before["bytes"]
            .as_u64()
            .map(|n| n - only_x_bytes - sidecar_x_bytes),
        "what only X used no longer counts"
    );
    let (status, restored) = s.post_json("/api/jobs/job_del_x/restore", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert!(restored.get("deleted_at").is_none(), "{restored}");
    assert_eq!(ids(s, "model=delete-test").await.len(), 3);

    // A queued job is canceled first.
    let (status, deleted) = delete(s, "job_del_queued").await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["job"]["status"], "canceled");
    let (status, _) = delete(s, "job_del_x").await;
    assert_eq!(status, StatusCode::OK);

    // Nothing goes while the window is open.
    let purged = removal::purge_due(&s.state).await.expect("purge");
    assert_eq!(purged.jobs, 0);
    assert_eq!(bytes.stored(), everything);

    close_undo_windows(s).await;
    let (status, refused) = s.post_json("/api/jobs/job_del_x/restore", &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let purged = removal::purge_due(&s.state).await.expect("purge");
    assert_eq!((purged.jobs, purged.assets), (2, 2), "{purged:?}");
    let mut left = everything.clone();
    left.remove(&only_x);
    left.remove(&sidecar_x);
    assert_eq!(
        bytes.stored(),
        left,
        "only what X alone used is gone; the reference Y shares and the take both made stay"
    );
    let (status, gone) = s.get("/api/jobs/job_del_x").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    let (status, _) = delete(s, "job_del_x").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, kept) = s.get("/api/jobs/job_del_y").await;
    let (status, _, _) = s.fetch(&format!("/api/assets/{same}")).await;
    assert_eq!(status, StatusCode::OK, "Y's take still plays");
    assert!(kept["bytes"].as_u64().expect("bytes") > 0);

    // The last job using them takes the rest with it.
    delete(s, "job_del_y").await;
    close_undo_windows(s).await;
    let purged = removal::purge_due(&s.state).await.expect("purge");
    assert_eq!((purged.jobs, purged.assets), (1, 3), "{purged:?}");
    let mut left = everything;
    for id in [&only_x, &sidecar_x, &same, &only_y, &reference] {
        left.remove(id.as_str());
    }
    assert_eq!(bytes.stored(), left, "no orphan files or objects");
    for id in [&reference, &same, &only_y] {
        assert!(
            chorus_server::assets::find(&s.state.db, id)
                .await
                .expect("find")
                .is_none(),
            "{id}'s record is gone too"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posters_and_strips_for_a_draft_render_and_an_import() {
    let mut s = common::server().await;
    s.engines = vec![Arc::new(chorus_server::draft_engine::DraftEngine)];
    let worker = s.spawn_worker();
    let mut request = common::draft_request();
    request["duration_s"] = json!(3);
    request["dialogue"] = json!([{"language": "de", "text": "Frische Tulpen."}]);
    let (status, created) = s.post_json("/api/jobs", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let draft = common::wait_for_end(&s.state, &id, Duration::from_mins(2)).await;
    worker.abort();
    assert_eq!(draft.status, JobStatus::Succeeded, "{:?}", draft.error);
    let take = &draft.outputs[0];
    let poster = picture(&s, take.poster.as_deref().expect("a poster")).await;
    assert_eq!(poster.width(), chorus_server::posters::POSTER_WIDTH);
    let strip = take.strip.as_ref().expect("a strip");
    // A keyframe a second: three in three seconds.
    assert_eq!(strip.times_ms, [0, 1000, 2000]);
    let sprite = picture(&s, &strip.image).await;
    assert_eq!(sprite.width(), strip.frame_width * 3);
    assert_eq!(sprite.height(), strip.frame_height);
    assert_eq!(strip.frame_width, chorus_server::posters::STRIP_TILE_WIDTH);
    // The poster is in colour: the drawn presenter is not grey.
    let rgb = poster.to_rgb8();
    assert!(
        rgb.pixels()
            .any(|p| p[0].abs_diff(p[1]) > 20 || p[1].abs_diff(p[2]) > 20),
        "a colour poster"
    );
    assert!(draft.bytes > 0);

    // An import gets the same.
    let clip = chorus_providers::fake::AV_MP4;
    let boundary = "chorusposters";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\n\
         Content-Type: video/mp4\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(clip);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, imported) = s
        .json(
            Request::post("/api/imports")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    let poster_id = imported["outputs"][0]["poster"].as_str().expect("a poster");
    let poster = picture(&s, poster_id).await;
    assert!(poster.width() > 0 && poster.width() <= chorus_server::posters::POSTER_WIDTH);
    assert!(
        !imported["outputs"][0]["strip"]["times_ms"]
            .as_array()
            .expect("strip")
            .is_empty()
    );
    assert_eq!(
        imported["bytes"].as_u64().expect("bytes"),
        clip.len() as u64
            + asset_size(&s, poster_id).await
            + asset_size(
                &s,
                imported["outputs"][0]["strip"]["image"]
                    .as_str()
                    .expect("strip")
            )
            .await,
        "the clip, its poster and its strip"
    );

    // Deleting the render removes every file it made.
    let folder = Bytes::Folder(s.dir.path().join("data/assets"));
    let before = folder.stored();
    let made: Vec<String> = chorus_server::holdings::of_outputs(&draft.outputs);
    assert_eq!(made.len(), 4, "clip, sidecar, poster, strip");
    delete(&s, &id).await;
    close_undo_windows(&s).await;
    removal::purge_due(&s.state).await.expect("purge");
    let after = folder.stored();
    let removed: BTreeSet<String> = before.difference(&after).cloned().collect();
    assert_eq!(
        removed,
        made.into_iter().collect(),
        "exactly the render's files"
    );
}

async fn picture(s: &TestServer, id: &str) -> image::DynamicImage {
    let (status, body, headers) = s.fetch(&format!("/api/assets/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    image::load_from_memory(&body).expect("a JPEG")
}

async fn asset_size(s: &TestServer, id: &str) -> u64 {
    chorus_server::assets::find(&s.state.db, id)
        .await
        .expect("find")
        .expect("recorded")
        .bytes as u64
}
