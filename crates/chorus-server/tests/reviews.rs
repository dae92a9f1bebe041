//! Client review (#17) on the server: links that keep only their token's
//! hash, what a token opens (exactly the shared takes and their versions)
//! and what it does not (other takes, other jobs, the studio's API),
//! Range on shared files, expiry and revocation (a live review page's
//! stream closes at once), passcodes with counted tries, comments and
//! drawings checked field by field, decisions, replies, exports for
//! editors (CSV, an EDL of Resolve markers), the studio's live `review`
//! events, lip-sync readings, and review rows leaving with their job.
//!
//! The cases share one server per database: SQLite with assets in a local
//! folder, PostgreSQL with assets in an S3 bucket.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chorus_core::{JobOutput, JobStatus, Language, Revision, Strip};
use chorus_server::jobs;
use common::TestServer;
use common::services::{Postgres, S3};
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_on_sqlite_with_a_local_folder() {
    let s = common::server().await;
    every_case(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_on_postgres_with_a_bucket() {
    let s3 = S3::start();
    let url = Postgres::shared().fresh_database().await;
    let mut s = common::server_with(|c| c.database_url = Some(url)).await;
    s.state.assets = s3.bucket("reviews");
    every_case(&s).await;
}

async fn every_case(s: &TestServer) {
    let f = fixture(s).await;
    creating_a_link_keeps_only_its_hash(s, &f).await;
    a_token_opens_exactly_what_was_shared(s, &f).await;
    shared_files_answer_ranges(s, &f).await;
    an_expired_link_is_closed(s, &f).await;
    revoking_closes_a_live_review_page(s, &f).await;
    passcodes_are_asked_once_and_tries_are_counted(s, &f).await;
    comments_are_checked_field_by_field(s, &f).await;
    decisions_stand_per_take(s, &f).await;
    replies_resolving_and_exports(s, &f).await;
    the_studio_hears_comments_and_decisions(s, &f).await;
    readings_arrive_for_shared_takes(s, &f).await;
    review_rows_leave_with_their_job(s).await;
}

/// The finished job under review (EN, DE, JA takes) and another job.
struct Fixture {
    job: String,
    other_job: String,
    /// Each take's video, poster and strip, by output index.
    videos: Vec<String>,
    posters: Vec<String>,
    strips: Vec<String>,
    /// Bytes of the EN take's video.
    en_bytes: Vec<u8>,
    other_video: String,
}

async fn put(s: &TestServer, bytes: &[u8], mime: &str) -> String {
    s.state
        .assets
        .put(&s.state.db, bytes, mime, None)
        .await
        .expect("stored")
        .id
}

fn take(language: Language, video: &str, poster: &str, strip: &str) -> JobOutput {
    let mut take = common::take(video);
    take.language = Some(language);
    take.poster = Some(poster.into());
    take.strip = Some(Strip {
        image: strip.into(),
        frame_width: 160,
        frame_height: 90,
        times_ms: vec![0, 1000],
    });
    take
}

async fn fixture(s: &TestServer) -> Fixture {
    let mut f = Fixture {
        job: "job_review_tulips".into(),
        other_job: "job_review_other".into(),
        videos: Vec::new(),
        posters: Vec::new(),
        strips: Vec::new(),
        en_bytes: (0..2000_u32).map(|i| (i * 7 % 251) as u8).collect(),
        other_video: put(s, b"the other job's take", "video/mp4").await,
    };
    let mut job = common::job_record(&f.job, "draft", db_now(), JobStatus::Succeeded);
    job.request.prompt = "A florist arranges tulips in a sunny shop".into();
    for (i, language) in [Language::English, Language::German, Language::Japanese]
        .into_iter()
        .enumerate()
    {
        let video = if i == 0 {
            put(s, &f.en_bytes, "video/mp4").await
        } else {
            put(s, format!("take {i} bytes").as_bytes(), "video/mp4").await
        };
        let poster = put(s, format!("poster {i}").as_bytes(), "image/jpeg").await;
        let strip = put(s, format!("strip {i}").as_bytes(), "image/jpeg").await;
        job.outputs.push(take(language, &video, &poster, &strip));
        f.videos.push(video);
        f.posters.push(poster);
        f.strips.push(strip);
    }
    jobs::insert(&s.state.db, &job).await.expect("insert");
    let mut other = common::job_record(&f.other_job, "draft", db_now(), JobStatus::Succeeded);
    other.outputs = vec![common::take(&f.other_video)];
    jobs::insert(&s.state.db, &other).await.expect("insert");
    f
}

fn db_now() -> i64 {
    chorus_server::db::now_ms()
}

fn sha256_hex(text: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Shares `body` of job `job`: the link's JSON and its token.
async fn share(s: &TestServer, job: &str, body: &Value) -> (Value, String) {
    let (status, created) = s.post_json(&format!("/api/jobs/{job}/reviews"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = created["path"].as_str().expect("path");
    let token = path.strip_prefix("/r/").expect("/r/<token>").to_string();
    (created["link"].clone(), token)
}

/// A request to `uri` with `headers`, JSON `body` when given.
async fn send(
    s: &TestServer,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (StatusCode, Value, HeaderMap) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("request");
    let (status, bytes, headers) = s.call(request).await;
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value, headers)
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn fields(body: &Value) -> Vec<String> {
    body["error"]["problems"]
        .as_array()
        .map(|p| {
            p.iter()
                .map(|p| p["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn comment(take: usize, text: &str) -> Value {
    json!({"take": take, "frame": 37, "author": "Mia", "text": text})
}

async fn creating_a_link_keeps_only_its_hash(s: &TestServer, f: &Fixture) {
    let before = db_now();
    let (link, token) = share(s, &f.job, &json!({"takes": [0, 1]})).await;
    assert_eq!(token.len(), 43, "{token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "base64url without padding: {token}"
    );
    assert_eq!(link["takes"], json!([0, 1]));
    assert_eq!(link["has_passcode"], false);
    assert_eq!(link["downloads"], "after_approval");
    let expires = link["expires_at"].as_i64().expect("expires by default");
    assert!(expires >= before + 30 * 86_400_000, "{link}");

    // Only the token's hash is kept, and the token nowhere.
    let id = link["id"].as_str().expect("id");
    let rows = s
        .state
        .db
        .text_rows(&format!(
            "SELECT token_hash, id, job_id, takes, downloads, COALESCE(passcode_hash, '')
             FROM review_links WHERE id = '{id}'"
        ))
        .await
        .expect("reads");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0].as_deref(), Some(sha256_hex(&token).as_str()));
    let everything = s
        .state
        .db
        .text_rows("SELECT token_hash, id, job_id, takes, downloads, COALESCE(passcode_hash, '') FROM review_links")
        .await
        .expect("reads");
    for value in everything.iter().flatten().flatten() {
        assert!(!value.contains(&token), "the token is stored: {value}");
    }

    let (status, listed) = s.get(&format!("/api/jobs/{}/reviews", f.job)).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["links"][0]["id"], link["id"]);
    assert_eq!(listed["links"][0]["comments"], 0);

    // Refusals name their field.
    for (body, field) in [
        (json!({"takes": [0, 7]}), "takes[1]"),
        (json!({"expires_in_days": 0}), "expires_in_days"),
        (json!({"expires_in_days": 4000}), "expires_in_days"),
        (json!({"passcode": ""}), "passcode"),
        (json!({"passcode": "x".repeat(129)}), "passcode"),
    ] {
        let (status, refused) = s
            .post_json(&format!("/api/jobs/{}/reviews", f.job), &body)
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {refused}"
        );
        assert_eq!(fields(&refused), [field], "{refused}");
    }
    let (status, _) = s
        .post_json("/api/jobs/job_nobody/reviews", &json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let queued = common::job_record("job_review_queued", "draft", db_now(), JobStatus::Queued);
    jobs::insert(&s.state.db, &queued).await.expect("insert");
    let (status, refused) = s
        .post_json("/api/jobs/job_review_queued/reviews", &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");

    // The page is the app's, the same whatever the token, and private.
    let (status, page, headers) = s.fetch(&format!("/r/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("Chorus test"));
    for (name, value) in [
        ("referrer-policy", "no-referrer"),
        ("x-robots-tag", "noindex, nofollow"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(headers[name], value, "{name}");
    }
    assert!(headers.contains_key("content-security-policy"));
    let (status, other_page, _) = s.fetch(&format!("/r/{}", "A".repeat(43))).await;
    assert_eq!(
        (status, &other_page),
        (StatusCode::OK, &page),
        "reveals nothing"
    );
    let (status, slash_page, headers) = s.fetch(&format!("/r/{token}/")).await;
    assert_eq!((status, &slash_page), (StatusCode::OK, &page));
    assert_eq!(headers["cache-control"], "no-store");
    for path in ["elsewhere", "api/nothing", "assets"] {
        let (status, _, headers) = s.fetch(&format!("/r/{token}/{path}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-robots-tag"], "noindex, nofollow", "{path}");
    }
}

async fn a_token_opens_exactly_what_was_shared(s: &TestServer, f: &Fixture) {
    let (link, token) = share(s, &f.job, &json!({"takes": [0, 1]})).await;
    // A version of DE made after the link was shared comes with it.
    let job = common::job(&s.state, &f.job).await;
    let version_video = put(s, b"DE, sound 40 ms earlier", "video/mp4").await;
    let mut version = job.outputs[1].clone();
    version.video.clone_from(&version_video);
    version.poster = None;
    version.strip = None;
    version.revision = Some(Revision {
        of: 1,
        number: 2,
        audio_shift_ms: -40,
    });
    jobs::append_output(&s.state, &f.job, &job.outputs, version)
        .await
        .expect("appends")
        .expect("unchanged meanwhile");

    let (status, review) = s.get(&format!("/r/{token}/api/review")).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(review["link_id"], link["id"]);
    assert_eq!(review["title"], "A florist arranges tulips in a sunny shop");
    let takes: Vec<(u64, u64, u64)> = review["takes"]
        .as_array()
        .expect("takes")
        .iter()
        .map(|t| {
            (
                t["index"].as_u64().expect("index"),
                t["original"].as_u64().expect("original"),
                t["version"].as_u64().expect("version"),
            )
        })
        .collect();
    assert_eq!(takes, [(0, 0, 1), (1, 1, 1), (3, 1, 2)]);
    assert_eq!(
        review["takes"][0]["video"],
        format!("/r/{token}/assets/{}", f.videos[0])
    );
    assert_eq!(
        review["takes"][0]["poster"],
        format!("/r/{token}/assets/{}", f.posters[0])
    );

    // Shared files play; nothing else does.
    let asset = |id: &str| format!("/r/{token}/assets/{id}");
    for id in [&f.videos[0], &f.posters[1], &f.strips[0], &version_video] {
        let (status, _, headers) = s.fetch(&asset(id)).await;
        assert_eq!(status, StatusCode::OK, "{id}");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["x-robots-tag"], "noindex, nofollow");
    }
    let random = sha256_hex("no such asset");
    for id in [&f.videos[2], &f.posters[2], &f.other_video, &random] {
        let (status, body, headers) = s.fetch(&asset(id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        assert!(String::from_utf8_lossy(&body).contains("not_found"));
        assert_eq!(headers["cache-control"], "no-store");
    }
    let (status, _, _) = s.fetch(&format!("/r/{}/api/review", "A".repeat(43))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an unknown token");
    let (status, _, _) = s.fetch("/r/short/api/review").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a token");

    // A comment on an unshared take is refused as if it did not exist.
    let (status, refused) = s
        .post_json(&format!("/r/{token}/api/comments"), &comment(2, "JA?"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    let (status, on_version) = s
        .post_json(&format!("/r/{token}/api/comments"), &comment(3, "Better"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{on_version}");
    assert_eq!(
        (
            on_version["original"].as_u64(),
            on_version["version"].as_u64()
        ),
        (Some(1), Some(2))
    );

    // The token opens nothing of the studio's.
    let bearer = format!("Bearer {token}");
    for uri in [
        format!("/api/jobs/{}", f.job),
        format!("/api/jobs/{}/reviews", f.job),
        format!("/api/assets/{}", f.videos[0]),
    ] {
        let (status, body, _) = send(s, "GET", &uri, &[("authorization", &bearer)], None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
        let (status, _, _) = send(
            s,
            "GET",
            &uri,
            &[("cookie", "chorus_review=anything")],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri} with a review cookie");
        let (status, _, _) = s.fetch(&uri).await;
        assert_eq!(status, StatusCode::OK, "{uri} for the studio");
    }
    let (status, _, _) = send(
        s,
        "GET",
        &format!("/api/jobs/{}", f.job),
        &[("authorization", &format!("Bearer {}", "B".repeat(43)))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a token of no link is not refused");

    // Another link's comment cannot be replied to here.
    let (_, ja_token) = share(s, &f.job, &json!({"takes": [2]})).await;
    let (status, elsewhere) = s
        .post_json(
            &format!("/r/{ja_token}/api/comments"),
            &comment(2, "JA here"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{elsewhere}");
    let mut reply = comment(0, "Replying across links");
    reply["parent"] = elsewhere["id"].clone();
    let (status, refused) = s
        .post_json(&format!("/r/{token}/api/comments"), &reply)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    let (status, review) = s.get(&format!("/r/{token}/api/review")).await;
    assert_eq!(status, StatusCode::OK);
    let texts: Vec<&str> = review["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| c["text"].as_str().expect("text"))
        .collect();
    assert_eq!(texts, ["Better"], "only this link's comments");
}

async fn shared_files_answer_ranges(s: &TestServer, f: &Fixture) {
    let (_, token) = share(s, &f.job, &json!({"takes": [0]})).await;
    let (status, body, headers) = s
        .call(
            Request::get(format!("/r/{token}/assets/{}", f.videos[0]))
                .header("range", "bytes=100-199")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers["content-range"], "bytes 100-199/2000");
    assert_eq!(body, &f.en_bytes[100..200]);
    let (status, body, _) = s
        .call(
            Request::get(format!("/r/{token}/assets/{}", f.videos[0]))
                .header("range", "bytes=-10")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, &f.en_bytes[1990..]);
    // Downloads wait for an approval by default.
    let (status, _, _) = s
        .fetch(&format!("/r/{token}/assets/{}?download=1", f.videos[0]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn an_expired_link_is_closed(s: &TestServer, f: &Fixture) {
    let (link, token) = share(s, &f.job, &json!({"takes": [0]})).await;
    let (status, _) = s.get(&format!("/r/{token}/api/review")).await;
    assert_eq!(status, StatusCode::OK);
    let id = link["id"].as_str().expect("id");
    // 2025-12-07, 01:11 UTC.
    s.state
        .db
        .execute(&format!(
            "UPDATE review_links SET expires_at = 1765069896000 WHERE id = '{id}'"
        ))
        .await
        .expect("backdate");
    let (status, closed) = s.get(&format!("/r/{token}/api/review")).await;
    assert_eq!(status, StatusCode::GONE, "{closed}");
    assert_eq!(code(&closed), "closed");
    assert_eq!(
        closed["error"]["message"],
        "This review link expired on 7 December 2025"
    );
    let (status, _, _) = s.fetch(&format!("/r/{token}/assets/{}", f.videos[0])).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no files from a closed link");
    let (status, refused) = s
        .post_json(&format!("/r/{token}/api/comments"), &comment(0, "Late"))
        .await;
    assert_eq!(status, StatusCode::GONE, "{refused}");

    // Given more days, it opens again.
    let (status, changed, _) = send(
        s,
        "PATCH",
        &format!("/api/reviews/{id}"),
        &[],
        Some(&json!({"expires_in_days": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let (status, _) = s.get(&format!("/r/{token}/api/review")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, changed, _) = send(
        s,
        "PATCH",
        &format!("/api/reviews/{id}"),
        &[],
        Some(&json!({"expires_in_days": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["expires_at"], Value::Null, "never expires");
    let (status, _, _) = send(s, "PATCH", "/api/reviews/rl_nobody", &[], Some(&json!({}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Serves the app over a real socket; its address.
async fn serve(s: &TestServer) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = chorus_server::app(s.state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn revoking_closes_a_live_review_page(s: &TestServer, f: &Fixture) {
    let (link, token) = share(s, &f.job, &json!({"takes": [0, 1]})).await;
    let addr = serve(s).await;
    let client = reqwest::Client::new();
    let events = client
        .get(format!("http://{addr}/r/{token}/api/events"))
        .send()
        .await
        .expect("connects");
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    assert_eq!(events.headers()["cache-control"], "no-store");
    let mut stream = events.bytes_stream();

    // A comment on this link arrives; one on another job does not.
    let (status, made) = s
        .post_json(&format!("/r/{token}/api/comments"), &comment(0, "Live"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
            if seen.contains("event: comment") && seen.contains("Live") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "stream so far: {seen}");

    let id = link["id"].as_str().expect("id");
    let revoked_at = std::time::Instant::now();
    let (status, revoked) = s
        .post_json(&format!("/api/reviews/{id}/revoke"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].is_i64(), "{revoked}");
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(chunk) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the stream is still open 2 s after the revoke: {seen}"
    );
    assert!(revoked_at.elapsed() < Duration::from_secs(2));
    let after = seen.split("event: comment").nth(1).unwrap_or("");
    assert!(after.contains("event: closed"), "{seen}");
    assert!(after.contains("closed by the studio"), "{seen}");

    let (status, closed) = s.get(&format!("/r/{token}/api/review")).await;
    assert_eq!(status, StatusCode::GONE, "{closed}");
    assert_eq!(
        closed["error"]["message"],
        "This review link was closed by the studio"
    );
    let refused = client
        .get(format!("http://{addr}/r/{token}/api/events"))
        .send()
        .await
        .expect("answers");
    assert_eq!(refused.status(), StatusCode::GONE);

    // A page open when its link expires hears so, and its stream ends.
    let (link, token) = share(s, &f.job, &json!({"takes": [0]})).await;
    let id = link["id"].as_str().expect("id");
    s.state
        .db
        .execute(&format!(
            "UPDATE review_links SET expires_at = {} WHERE id = '{id}'",
            db_now() + 700
        ))
        .await
        .expect("expires soon");
    let events = client
        .get(format!("http://{addr}/r/{token}/api/events"))
        .send()
        .await
        .expect("connects");
    assert_eq!(events.status(), StatusCode::OK);
    let mut stream = events.bytes_stream();
    let mut seen = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(chunk) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its link: {seen}");
    assert!(seen.contains("event: closed"), "{seen}");
    assert!(seen.contains("This review link expired on"), "{seen}");
}

async fn passcodes_are_asked_once_and_tries_are_counted(s: &TestServer, f: &Fixture) {
    let (link, token) = share(
        s,
        &f.job,
        &json!({"takes": [0], "passcode": "tulip season"}),
    )
    .await;
    assert_eq!(link["has_passcode"], true);
    let review = format!("/r/{token}/api/review");
    let unlock = format!("/r/{token}/api/unlock");
    let (status, locked) = s.get(&review).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{locked}");
    assert_eq!(code(&locked), "passcode_required");
    let (status, _, _) = s.fetch(&format!("/r/{token}/assets/{}", f.videos[0])).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "files wait for the passcode too"
    );

    let (status, wrong) = s.post_json(&unlock, &json!({"passcode": "tulip"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong}");
    assert_eq!(code(&wrong), "wrong_passcode");
    let (status, _, headers) = send(
        s,
        "POST",
        &unlock,
        &[("x-forwarded-proto", "https")],
        Some(&json!({"passcode": "tulip season"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let set_cookie = headers["set-cookie"].to_str().expect("ascii");
    assert!(set_cookie.starts_with("chorus_review="), "{set_cookie}");
    assert!(
        set_cookie.ends_with(&format!(
            "; Path=/r/{token}; HttpOnly; SameSite=Strict; Secure"
        )),
        "{set_cookie}"
    );
    let cookie = set_cookie
        .split(';')
        .next()
        .expect("name=value")
        .to_string();
    let (status, opened, _) = send(s, "GET", &review, &[("cookie", &cookie)], None).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    let (status, _, _) = send(
        s,
        "GET",
        &format!("/r/{token}/assets/{}", f.videos[0]),
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(
        s,
        "GET",
        &review,
        &[("cookie", "chorus_review=forged")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Over plain http the cookie is not marked Secure.
    let (_, _, headers) = send(
        s,
        "POST",
        &unlock,
        &[],
        Some(&json!({"passcode": "tulip season"})),
    )
    .await;
    assert!(
        !headers["set-cookie"]
            .to_str()
            .expect("ascii")
            .contains("Secure")
    );

    // Four more wrong tries are answered; the sixth waits, right or not.
    for _ in 0..4 {
        let (status, _) = s.post_json(&unlock, &json!({"passcode": "guess"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, throttled, headers) = send(
        s,
        "POST",
        &unlock,
        &[],
        Some(&json!({"passcode": "tulip season"})),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{throttled}");
    let retry: u64 = headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((800..=900).contains(&retry), "{retry}");
    assert!(
        throttled["error"]["message"]
            .as_str()
            .expect("message")
            .contains("try again in 15 minutes"),
        "{throttled}"
    );

    // A new passcode ends the sessions the old one opened.
    let id = link["id"].as_str().expect("id");
    let (status, _, _) = send(
        s,
        "PATCH",
        &format!("/api/reviews/{id}"),
        &[],
        Some(&json!({"passcode": "new season"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(s, "GET", &review, &[("cookie", &cookie)], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, changed, _) = send(
        s,
        "PATCH",
        &format!("/api/reviews/{id}"),
        &[],
        Some(&json!({"passcode": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["has_passcode"], false);
    let (status, _) = s.get(&review).await;
    assert_eq!(status, StatusCode::OK, "no passcode any more");
}

async fn comments_are_checked_field_by_field(s: &TestServer, f: &Fixture) {
    let (_, token) = share(s, &f.job, &json!({"takes": [0]})).await;
    let uri = format!("/r/{token}/api/comments");
    let with_shape = |shape: Value| {
        let mut body = comment(0, "Look here");
        body["shape"] = shape;
        body
    };
    let stroke: Vec<[f32; 2]> = (0..600).map(|i| [0.5, i as f32 / 600.0]).collect();
    for (body, field, says) in [
        (
            with_shape(json!({"kind": "pin", "at": [1.5, 0.5]})),
            "shape",
            "1.5",
        ),
        (
            with_shape(json!({"kind": "freehand", "points": stroke})),
            "shape",
            "600 points",
        ),
        (
            with_shape(json!({"kind": "circle", "at": [0.5, 0.5]})),
            "shape",
            "circle",
        ),
        (with_shape(json!({"kind": "pin", "at": [0.5]})), "shape", ""),
        (comment(0, &"a".repeat(2001)), "text", "2001 characters"),
        (comment(0, "nul \u{0} inside"), "text", "control character"),
        (
            json!({"take": 0, "frame": 120, "author": "Mia", "text": "Past the end"}),
            "frame",
            "120 frames",
        ),
        (
            json!({"take": 0, "frame": 1, "author": " ", "text": "Who?"}),
            "author",
            "",
        ),
    ] {
        let (status, refused) = s.post_json(&uri, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(code(&refused), "invalid_request");
        assert_eq!(fields(&refused), [field], "{refused}");
        let message = refused["error"]["problems"][0]["message"]
            .as_str()
            .unwrap_or("");
        assert!(message.contains(says), "{message}");
    }
    // Several problems at once are all listed.
    let (status, refused) = s
        .post_json(
            &uri,
            &json!({"take": 0, "frame": 500, "frame_out": 2, "author": "", "text": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&refused), ["author", "text", "frame", "frame_out"]);

    let (status, made) = s
        .post_json(
            &uri,
            &json!({"take": 0, "frame": 119, "frame_out": 119, "author": "Mia",
                    "text": "Last frame\n\twith a tab",
                    "shape": {"kind": "rect", "from": [0.1, 0.2], "to": [0.4, 0.5]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["side"], "reviewer");
    assert_eq!(made["shape"]["kind"], "rect");
    let (status, _, _) = send(
        s,
        "POST",
        &format!("/r/{token}/api/opened"),
        &[],
        Some(&json!({"name": "Mia"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, refused) = s
        .post_json(&format!("/r/{token}/api/opened"), &json!({"name": ""}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&refused), ["name"]);
}

async fn decisions_stand_per_take(s: &TestServer, f: &Fixture) {
    let (link, token) = share(s, &f.job, &json!({"takes": [0, 1]})).await;
    let uri = format!("/r/{token}/api/decisions");
    let decide = |take: usize, verdict: &str, note: Option<&str>| json!({"take": take, "version": 1, "verdict": verdict, "note": note, "author": "Mia"});
    let (status, approved) = s.post_json(&uri, &decide(0, "approved", None)).await;
    assert_eq!(status, StatusCode::CREATED, "{approved}");
    assert_eq!(approved["verdict"], "approved");

    // Approved: the take may be downloaded now.
    let (status, _, headers) = s
        .fetch(&format!("/r/{token}/assets/{}?download=1", f.videos[0]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(disposition.contains("en-v1.mp4"), "{disposition}");
    let (status, _, _) = s
        .fetch(&format!("/r/{token}/assets/{}?download=1", f.videos[1]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "DE is not approved");

    let (status, refused) = s
        .post_json(&uri, &decide(0, "changes_requested", None))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), ["note"]);
    let (status, changed) = s
        .post_json(&uri, &decide(0, "changes_requested", Some("Cut the pause")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{changed}");
    let (status, refused) = s.post_json(&uri, &decide(2, "approved", None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "JA is not shared: {refused}");
    let (status, refused) = s.post_json(&uri, &decide(3, "approved", None)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a version is not an original: {refused}"
    );
    let mut no_version = decide(1, "approved", None);
    no_version["version"] = json!(9);
    let (status, refused) = s.post_json(&uri, &no_version).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), ["version"]);

    let (_, review) = s.get(&format!("/r/{token}/api/review")).await;
    let standing = review["decisions"].as_array().expect("decisions");
    assert_eq!(standing.len(), 1, "one standing decision: {review}");
    assert_eq!(standing[0]["verdict"], "changes_requested");
    assert_eq!(standing[0]["note"], "Cut the pause");
    let (_, listed) = s.get(&format!("/api/jobs/{}/reviews", f.job)).await;
    let mine = listed["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["id"] == link["id"])
        .expect("listed")
        .clone();
    assert_eq!(mine["decisions"], 1);

    let id = link["id"].as_str().expect("id");
    let (status, _, _) = send(
        s,
        "PATCH",
        &format!("/api/reviews/{id}"),
        &[],
        Some(&json!({"approvals": false, "downloads": "always"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = s.post_json(&uri, &decide(1, "approved", None)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .expect("message")
            .contains("approvals"),
        "{refused}"
    );
    let (status, _, _) = s
        .fetch(&format!("/r/{token}/assets/{}?download=1", f.videos[1]))
        .await;
    assert_eq!(status, StatusCode::OK, "downloads always allowed now");
}

async fn replies_resolving_and_exports(s: &TestServer, f: &Fixture) {
    let (_, token) = share(s, &f.job, &json!({"takes": [0, 1]})).await;
    let mut first = comment(0, "Her mouth is late");
    first["frame_out"] = json!(48);
    first["shape"] = json!({"kind": "pin", "at": [0.5, 0.5]});
    let (status, first) = s
        .post_json(&format!("/r/{token}/api/comments"), &first)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, second) = s
        .post_json(
            &format!("/r/{token}/api/comments"),
            &comment(1, "=SUM(A1) | pipe"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");

    let replies = format!("/api/jobs/{}/comments", f.job);
    let (status, refused) = s
        .post_json(
            &replies,
            &json!({"take": 0, "frame": 0, "author": "Ana", "text": "Hi"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), ["parent"]);
    let (status, _) = s
        .post_json(
            &format!("/api/jobs/{}/comments", f.other_job),
            &json!({"take": 0, "frame": 0, "author": "Ana", "text": "Hi", "parent": first["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a comment of another job");
    let (status, reply) = s
        .post_json(
            &replies,
            &json!({"take": 0, "frame": 0, "author": "Ana", "text": "Fixed in v2", "parent": first["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["side"], "studio");
    assert_eq!(reply["frame"], 37, "at the comment's frame");
    assert_eq!(reply["link_id"], first["link_id"]);

    let resolve = format!(
        "/api/comments/{}/resolve",
        first["id"].as_str().expect("id")
    );
    let (status, resolved) = s.post_json(&resolve, &json!({"resolved": true})).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    let at = resolved["resolved_at"].as_i64().expect("resolved");
    let (_, again) = s.post_json(&resolve, &json!({"resolved": true})).await;
    assert_eq!(
        again["resolved_at"].as_i64(),
        Some(at),
        "keeps its first time"
    );
    let (status, _) = s
        .post_json(
            "/api/comments/cm_nobody/resolve",
            &json!({"resolved": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, feedback) = s.get(&format!("/api/jobs/{}/feedback", f.job)).await;
    assert_eq!(status, StatusCode::OK);
    let comments = feedback["comments"].as_array().expect("comments");
    let created: Vec<i64> = comments
        .iter()
        .map(|c| c["created_at"].as_i64().expect("at"))
        .collect();
    assert!(created.is_sorted(), "oldest first");
    assert!(comments.iter().any(|c| c["id"] == reply["id"]));

    // CSV: every comment and reply, replies after their comment.
    let (status, csv, headers) = s
        .fetch(&format!("/api/jobs/{}/comments.csv?take=0", f.job))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert_eq!(
        disposition,
        "attachment; filename=\"a-florist-arranges-tulips-in-a-sunny-shop-en-v1-comments.csv\""
    );
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    assert_eq!(
        reader.headers().expect("header").iter().collect::<Vec<_>>(),
        [
            "take", "language", "version", "frame", "timecode", "range", "author", "side", "text",
            "shape", "status", "created"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert!(rows.iter().all(|r| &r[0] == "0"), "take 0 only");
    let at = rows
        .iter()
        .position(|r| &r[8] == "Her mouth is late")
        .expect("the comment");
    let row = &rows[at];
    assert_eq!(
        row.iter().take(11).collect::<Vec<_>>(),
        [
            "0",
            "en",
            "1",
            "37",
            "00:00:01:13",
            "00:00:01:13-00:00:02:00",
            "Mia",
            "reviewer",
            "Her mouth is late",
            "pin",
            "resolved"
        ]
    );
    assert!(
        row[11].ends_with('Z') && row[11].contains('T'),
        "RFC 3339: {}",
        &row[11]
    );
    assert_eq!(&rows[at + 1][8], "Fixed in v2", "the reply follows");
    assert_eq!(&rows[at + 1][7], "studio");
    let (_, everything, _) = s.fetch(&format!("/api/jobs/{}/comments.csv", f.job)).await;
    let text = String::from_utf8(everything).expect("utf-8");
    assert!(
        text.contains("'=SUM(A1) | pipe"),
        "formulas kept as text: {text}"
    );

    // EDL: markers Resolve imports, at one hour.
    let (status, edl, headers) = s
        .fetch(&format!("/api/jobs/{}/comments.edl?take=0", f.job))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .ends_with("-markers.edl\"")
    );
    let edl = String::from_utf8(edl).expect("utf-8");
    assert!(
        edl.starts_with("TITLE: A florist arranges tulips in a sunny shop\nFCM: NON-DROP FRAME\n"),
        "{edl}"
    );
    assert!(
        edl.contains(
            "  001      V     C        00:00:01:13 00:00:02:01 01:00:01:13 01:00:02:01\n \
             |C:ResolveColorGreen |M:Mia: Her mouth is late // Ana: Fixed in v2 |D:12\n"
        ),
        "{edl}"
    );
    let (_, all_takes, _) = s.fetch(&format!("/api/jobs/{}/comments.edl", f.job)).await;
    let all_takes = String::from_utf8(all_takes).expect("utf-8");
    assert!(
        all_takes.contains("|C:ResolveColorRed |M:[de v1] Mia: =SUM(A1) pipe |D:1"),
        "{all_takes}"
    );
    let (status, _, _) = s
        .fetch(&format!("/api/jobs/{}/comments.csv?take=9", f.job))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = s
        .fetch(&format!("/api/jobs/{}/comments.csv?take=x", f.job))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn the_studio_hears_comments_and_decisions(s: &TestServer, f: &Fixture) {
    let (link, token) = share(s, &f.job, &json!({"takes": [0]})).await;
    let addr = serve(s).await;
    let events = reqwest::Client::new()
        .get(format!("http://{addr}/api/events"))
        .send()
        .await
        .expect("connects");
    let mut stream = events.bytes_stream();
    let (status, _) = s
        .post_json(
            &format!("/r/{token}/api/comments"),
            &comment(0, "Heard live"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = s
        .post_json(
            &format!("/r/{token}/api/decisions"),
            &json!({"take": 0, "version": 1, "verdict": "approved", "author": "Mia"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut seen = String::new();
    let mut kinds: Vec<String> = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
            kinds = review_events(&seen)
                .into_iter()
                .filter(|e| {
                    e["comment"]["link_id"] == link["id"] || e["decision"]["link_id"] == link["id"]
                })
                .map(|e| e["kind"].as_str().unwrap_or("").to_string())
                .collect();
            if kinds.len() >= 2 {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "stream so far: {seen}");
    assert_eq!(kinds, ["comment", "decision"]);
    let event = review_events(&seen)
        .into_iter()
        .find(|e| e["kind"] == "comment" && e["comment"]["text"] == "Heard live")
        .expect("the comment");
    assert_eq!(event["job_id"], f.job.as_str());
}

/// The data of every `review` event in an SSE text.
fn review_events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter(|block| block.lines().any(|l| l == "event: review"))
        .filter_map(|block| {
            let data = block.lines().find_map(|l| l.strip_prefix("data:"))?;
            serde_json::from_str(data.trim()).ok()
        })
        .collect()
}

async fn readings_arrive_for_shared_takes(s: &TestServer, f: &Fixture) {
    // These takes are not real clips: each reading says it cannot tell why.
    let (_, token) = share(s, &f.job, &json!({"takes": [2]})).await;
    let review = format!("/r/{token}/api/review");
    let mut readings = Value::Null;
    common::until(
        "readings of the shared take",
        Duration::from_secs(20),
        async || {
            let (_, body) = s.get(&review).await;
            readings = body["readings"].clone();
            readings.as_array().is_some_and(|r| !r.is_empty())
        },
    )
    .await;
    assert_eq!(readings[0]["take"], 2);
    assert_eq!(readings[0]["verdict"], "cant_tell");
    assert!(
        readings[0]["summary"]
            .as_str()
            .expect("summary")
            .contains("could not be analysed")
    );
    let (_, quiet) = share(s, &f.job, &json!({"takes": [2], "verdicts": false})).await;
    let (_, body) = s.get(&format!("/r/{quiet}/api/review")).await;
    assert_eq!(
        body["readings"],
        json!([]),
        "not shown when verdicts are off"
    );
}

async fn review_rows_leave_with_their_job(s: &TestServer) {
    let video = put(s, b"a take about to go", "video/mp4").await;
    let mut job = common::job_record("job_review_gone", "draft", db_now(), JobStatus::Succeeded);
    job.outputs = vec![common::take(&video)];
    jobs::insert(&s.state.db, &job).await.expect("insert");
    let (_, token) = share(s, &job.id.0, &json!({"verdicts": false})).await;
    let (status, _) = s
        .post_json(&format!("/r/{token}/api/comments"), &comment(0, "Bye"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = s
        .post_json(
            &format!("/r/{token}/api/decisions"),
            &json!({"take": 0, "version": 1, "verdict": "approved", "author": "Mia"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = send(s, "DELETE", "/api/jobs/job_review_gone", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, closed) = s.get(&format!("/r/{token}/api/review")).await;
    assert_eq!(
        status,
        StatusCode::GONE,
        "a deleted job's reviews close: {closed}"
    );
    s.state
        .db
        .execute("UPDATE jobs SET deleted_at = deleted_at - 3600000 WHERE id = 'job_review_gone'")
        .await
        .expect("backdate");
    chorus_server::removal::purge_due(&s.state)
        .await
        .expect("purge");
    let count = |table: &str, filter: &str| {
        format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table} WHERE {filter}")
    };
    for sql in [
        count("review_links", "job_id = 'job_review_gone'"),
        count("review_comments", "job_id = 'job_review_gone'"),
        count(
            "review_decisions",
            "link_id NOT IN (SELECT id FROM review_links)",
        ),
        count(
            "review_opens",
            "link_id NOT IN (SELECT id FROM review_links)",
        ),
    ] {
        let rows = s.state.db.text_rows(&sql).await.expect("counts");
        assert_eq!(rows[0][0].as_deref(), Some("0"), "{sql}");
    }
    let (status, _) = s.get(&format!("/r/{token}/api/review")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone for good");
}
