//! Campaigns through the API: a sheet expanded into checked variants and
//! sent as jobs once under its key; a bad sheet refused row by row with
//! nothing written; a campaign's cap never passed, two campaigns racing for
//! one month's budget never passing it either; retry and cancel.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chorus_core::campaign::{CampaignSpec, DEFAULT_NAME_PATTERN, Sheet};
use chorus_core::{AspectRatio, DialogueLine, GenerationRequest, Language, Resolution};
use chorus_server::AppState;
use chorus_server::state::models_with_keys;
use common::TestServer;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const SHEET: &str = "product,colour,line:en,line:de\n\
Bloom vase,teal,Meet the Bloom vase.,Das ist die Bloom Vase.\n\
Fern lamp,amber,The Fern lamp glows.,Die Fern Lampe leuchtet.\n\
Moss rug,green,Soft as moss.,Weich wie Moos.\n";

fn spec(model: &str, sheet: &str) -> CampaignSpec {
    let mut template = GenerationRequest::new(model);
    template.prompt = "A {{colour}} {{product}} on a sunlit table, a presenter talks about it".into();
    template.duration_s = 5;
    template.resolution = Resolution::P720;
    template.dialogue = vec![DialogueLine::new(Language::English, "")];
    CampaignSpec {
        name: "Spring".into(),
        template,
        languages: vec![Language::English, Language::German],
        ratios: vec![AspectRatio::Portrait9x16, AspectRatio::Square],
        sheet: Sheet::parse(sheet.as_bytes()).expect("the sheet parses"),
        budget_cap_usd_micros: None,
        name_pattern: DEFAULT_NAME_PATTERN.into(),
    }
}

fn submit(key: &str, spec: &CampaignSpec) -> Value {
    json!({"key": key, "spec": spec})
}

async fn send(state: &AppState, method: &str, uri: &str, body: Option<&Value>) -> (StatusCode, Value) {
    let request = Request::builder().method(method).uri(uri);
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("request");
    let response = chorus_server::app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn count(state: &AppState, table: &str) -> i64 {
    let (status, body) = send(state, "GET", "/api/campaigns", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    match table {
        "campaigns" => body.as_array().expect("list").len() as i64,
        _ => unreachable!(),
    }
}

fn statuses(board: &Value) -> Vec<String> {
    board["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["status"].as_str().expect("status").to_string())
        .collect()
}

#[tokio::test]
async fn a_sheet_becomes_twelve_checked_variants_sent_once_under_its_key() {
    let s = common::server().await;
    let spec = spec("draft", SHEET);
    let (status, board) = send(&s.state, "POST", "/api/campaigns", Some(&submit("spring-key-0001", &spec))).await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    let variants = board["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), 12, "3 rows × EN/DE × 9:16/1:1");
    // Board order: row, then language, then ratio.
    assert_eq!(variants[0]["row"], 2);
    assert_eq!(variants[0]["language"], "en");
    assert_eq!(variants[1]["ratio"], "1:1");
    assert_eq!(variants[2]["language"], "de");
    assert_eq!(variants[11]["row"], 4);
    // Nothing holds a free campaign back: every variant is a queued job.
    assert!(statuses(&board).iter().all(|s| s == "queued"), "{board}");
    let first_job = variants[0]["job_id"].as_str().expect("job").to_string();
    let (_, job) = send(&s.state, "GET", &format!("/api/jobs/{first_job}"), None).await;
    assert_eq!(job["request"]["prompt"], "A teal Bloom vase on a sunlit table, a presenter talks about it");
    assert_eq!(job["request"]["aspect_ratio"], "9:16");
    assert_eq!(job["request"]["dialogue"][0]["text"], "Meet the Bloom vase.");

    // The same submit again (a double click, a retried request) makes nothing new.
    let (status, again) = send(&s.state, "POST", "/api/campaigns", Some(&submit("spring-key-0001", &spec))).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], board["id"]);
    assert_eq!(again["variants"][0]["job_id"], first_job.as_str());
    assert_eq!(count(&s.state, "campaigns").await, 1);
    let (_, jobs) = send(&s.state, "GET", "/api/jobs?limit=100", None).await;
    assert_eq!(jobs["jobs"].as_array().expect("jobs").len(), 12);

    // The same key with another campaign is refused.
    let mut other = spec.clone();
    other.name = "Summer".into();
    let (status, body) = send(&s.state, "POST", "/api/campaigns", Some(&submit("spring-key-0001", &other))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("key: spring-key-0001 was used"));

    // Cancel: queued variants stop, and the campaign is finished.
    let id = board["id"].as_str().unwrap();
    let (status, canceled) = send(&s.state, "POST", &format!("/api/campaigns/{id}/cancel"), None).await;
    assert_eq!(status, StatusCode::OK, "{canceled}");
    assert!(statuses(&canceled).iter().all(|s| s == "canceled"), "{canceled}");
    assert!(canceled["finished_at"].is_i64());
}

#[tokio::test]
async fn a_bad_sheet_is_refused_row_by_row_and_nothing_is_written() {
    let s = common::server().await;
    let sheet = "product,colour,line:en,line:de\n\
Bloom vase,teal,Meet the Bloom vase.,Das ist die Bloom Vase.\n\
,amber,The Fern lamp glows.,Die Fern Lampe leuchtet.\n\
Moss rug,green,Soft as moss.,Dieser weiche Teppich aus Moos ist so schön und so weich, dass Sie ihn nie wieder hergeben möchten, glauben Sie mir das bitte.\n";
    let spec = spec("draft", sheet);
    let (status, body) = send(&s.state, "POST", "/api/campaigns", Some(&submit("bad-sheet-0001", &spec))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let problems = body["error"]["problems"].as_array().expect("problems");
    let places: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p["field"].as_str().unwrap(), p["message"].as_str().unwrap()))
        .collect();
    assert!(places.iter().any(|p| p.starts_with("row 3, product:")), "{places:?}");
    assert!(
        places.iter().any(|p| p.starts_with("row 4, line:de: German needs ")),
        "{places:?}"
    );
    assert_eq!(count(&s.state, "campaigns").await, 0);
    let (_, jobs) = send(&s.state, "GET", "/api/jobs", None).await;
    assert!(jobs["jobs"].as_array().expect("jobs").is_empty());
}

/// A hosted model with a price, offered as if its key were set; no worker
/// runs, so jobs stay queued holding their estimates.
const PRICED: &str = "happyhorse-1.1@fal";
const ONE_JOB: u64 = 700_000;

async fn priced_server() -> TestServer {
    let mut s = common::server().await;
    s.state = s.state.clone().with_models(models_with_keys(|_| true));
    s
}

#[tokio::test]
async fn a_cap_is_never_passed_and_what_waits_says_why() {
    let s = priced_server().await;
    let watcher = chorus_server::campaigns::spawn_watcher(s.state.clone());
    let mut capped = spec(PRICED, SHEET);
    capped.template.audio = false;
    capped.template.dialogue.clear();
    capped.sheet = Sheet::parse(b"product,colour\nBloom vase,teal\nFern lamp,amber\nMoss rug,green\n").unwrap();
    capped.languages = vec![Language::English];
    // 6 variants at $0.70; the cap takes 2.5 of them.
    capped.budget_cap_usd_micros = Some(ONE_JOB * 5 / 2);
    let (status, board) = send(&s.state, "POST", "/api/campaigns", Some(&submit("capped-0001", &capped))).await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    let st = statuses(&board);
    assert_eq!(st.iter().filter(|s| *s == "queued").count(), 2, "{board}");
    assert_eq!(st.iter().filter(|s| *s == "held").count(), 4, "{board}");
    assert_eq!(board["committed_usd_micros"], 2 * ONE_JOB);
    let held = &board["variants"][2];
    assert_eq!(
        held["reason"],
        "Held by the campaign's cap of $1.75: $1.40 committed so far",
        "{held}"
    );
    // Canceling one sent job leaves room for the next.
    let job = board["variants"][0]["job_id"].as_str().unwrap();
    let (status, _) = send(&s.state, "POST", &format!("/api/jobs/{job}/cancel"), None).await;
    assert_eq!(status, StatusCode::OK);
    let id = board["id"].as_str().unwrap().to_string();
    common::until("the next variant is sent", Duration::from_secs(10), async || {
        let (_, board) = send(&s.state, "GET", &format!("/api/campaigns/{id}"), None).await;
        statuses(&board).iter().filter(|s| *s == "queued").count() == 2
            && board["variants"][2]["status"] == "queued"
    })
    .await;
    let (_, board) = send(&s.state, "GET", &format!("/api/campaigns/{id}"), None).await;
    assert_eq!(board["committed_usd_micros"], 2 * ONE_JOB);
    watcher.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_campaigns_racing_for_one_budget_never_pass_it() {
    let s = priced_server().await;
    let (status, body) = send(&s.state, "PUT", "/api/budget", Some(&json!({"studio_usd_micros": 5 * ONE_JOB}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2 {
        let state = s.state.clone();
        let mut c = spec(PRICED, SHEET);
        c.name = format!("Race {i}");
        c.template.audio = false;
        c.template.dialogue.clear();
        c.sheet = Sheet::parse(b"product,colour\nBloom vase,teal\nFern lamp,amber\nMoss rug,green\n").unwrap();
        c.languages = vec![Language::English];
        tasks.spawn(async move {
            send(&state, "POST", "/api/campaigns", Some(&submit(&format!("race-key-000{i}"), &c))).await
        });
    }
    let mut queued = 0;
    let mut waiting = 0;
    while let Some(done) = tasks.join_next().await {
        let (status, board) = done.expect("task");
        assert_eq!(status, StatusCode::CREATED, "{board}");
        for v in board["variants"].as_array().unwrap() {
            match v["status"].as_str().unwrap() {
                "queued" => queued += 1,
                "held" => {
                    assert!(
                        v["reason"].as_str().unwrap().starts_with("Waiting for budget: "),
                        "{v}"
                    );
                    waiting += 1;
                }
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert_eq!(queued, 5, "exactly what the month's budget takes");
    assert_eq!(waiting, 7);
    let (_, spend) = send(&s.state, "GET", "/api/spend", None).await;
    assert_eq!(spend["reserved_usd_micros"], 5 * ONE_JOB);
}
