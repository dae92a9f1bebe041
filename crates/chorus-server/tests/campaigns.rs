//! Campaigns through the API: a sheet expanded into checked variants and
//! sent as jobs once under its key; a bad sheet refused row by row with
//! nothing written; a campaign's cap never passed, two campaigns racing for
//! one month's budget never passing it either; retry and cancel.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use chorus_core::campaign::{CampaignSpec, DEFAULT_NAME_PATTERN, Sheet};
use chorus_core::{AspectRatio, DialogueLine, GenerationRequest, Language, Resolution};
use chorus_server::AppState;
use chorus_server::state::models_with_keys;
use common::{TestServer, send};
use serde_json::{Value, json};

const SHEET: &str = "product,colour,line:en,line:de\n\
Bloom vase,teal,Meet the Bloom vase.,Das ist die Bloom Vase.\n\
Fern lamp,amber,The Fern lamp glows.,Die Fern Lampe leuchtet.\n\
Moss rug,green,Soft as moss.,Weich wie Moos.\n";

fn spec(model: &str, sheet: &str) -> CampaignSpec {
    let mut template = GenerationRequest::new(model);
    template.prompt =
        "A {{colour}} {{product}} on a sunlit table, a presenter talks about it".into();
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
    let (status, board) = send(
        &s.state,
        "POST",
        "/api/campaigns",
        Some(&submit("spring-key-0001", &spec)),
    )
    .await;
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
    assert_eq!(
        job["request"]["prompt"],
        "A teal Bloom vase on a sunlit table, a presenter talks about it"
    );
    assert_eq!(job["request"]["aspect_ratio"], "9:16");
    assert_eq!(
        job["request"]["dialogue"][0]["text"],
        "Meet the Bloom vase."
    );

    // The same submit again (a double click, a retried request) makes nothing new.
    let (status, again) = send(
        &s.state,
        "POST",
        "/api/campaigns",
        Some(&submit("spring-key-0001", &spec)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], board["id"]);
    assert_eq!(again["variants"][0]["job_id"], first_job.as_str());
    assert_eq!(count(&s.state, "campaigns").await, 1);
    let (_, jobs) = send(&s.state, "GET", "/api/jobs?limit=100", None).await;
    assert_eq!(jobs["jobs"].as_array().expect("jobs").len(), 12);

    // The same key with another campaign is refused.
    let mut other = spec.clone();
    other.name = "Summer".into();
    let (status, body) = send(
        &s.state,
        "POST",
        "/api/campaigns",
        Some(&submit("spring-key-0001", &other)),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("present")
            .starts_with("key: spring-key-0001 was used")
    );

    // Cancel: queued variants stop, and the campaign is finished.
    let id = board["id"].as_str().expect("present");
    let (status, canceled) = send(
        &s.state,
        "POST",
        &format!("/api/campaigns/{id}/cancel"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{canceled}");
    assert!(
        statuses(&canceled).iter().all(|s| s == "canceled"),
        "{canceled}"
    );
    assert!(canceled["finished_at"].is_i64());
}

#[tokio::test]
async fn a_bad_sheet_is_refused_row_by_row_and_nothing_is_written() {
    let s = common::server().await;
    let sheet = "product,colour,line:en,line:de\n\
Bloom vase,teal,Meet the Bloom vase.,Das ist die Bloom Vase.\n\
,amber,The Fern lamp glows.,Die Fern Lampe leuchtet.\n\
Moss rug,green,Soft as moss.,\"Dieser weiche Teppich aus Moos ist so schön und so weich, dass Sie ihn nie wieder hergeben möchten, glauben Sie mir das bitte.\"\n";
    let spec = spec("draft", sheet);
    let (status, body) = send(
        &s.state,
        "POST",
        "/api/campaigns",
        Some(&submit("bad-sheet-0001", &spec)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let problems = body["error"]["problems"].as_array().expect("problems");
    let places: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p["field"].as_str().expect("present"),
                p["message"].as_str().expect("present")
            )
        })
        .collect();
    assert!(
        places.iter().any(|p| p.starts_with("row 3, product:")),
        "{places:?}"
    );
    assert!(
        places
            .iter()
            .any(|p| p.starts_with("row 4, line:de: German needs ")),
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
const PRICED_SHEET: &str = "product,colour,line:en\nBloom vase,teal,Meet Bloom.\nFern lamp,amber,Meet Fern.\nMoss rug,green,Meet Moss.\n";

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
    capped.sheet = Sheet::parse(PRICED_SHEET.as_bytes()).expect("present");
    capped.languages = vec![Language::English];
    // 6 variants at $0.70; the cap takes 2.5 of them.
    capped.budget_cap_usd_micros = Some(ONE_JOB * 5 / 2);
    let (status, board) = send(
        &s.state,
        "POST",
        "/api/campaigns",
        Some(&submit("capped-0001", &capped)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    let st = statuses(&board);
    assert_eq!(st.iter().filter(|s| *s == "queued").count(), 2, "{board}");
    assert_eq!(st.iter().filter(|s| *s == "held").count(), 4, "{board}");
    assert_eq!(board["committed_usd_micros"], 2 * ONE_JOB);
    let held = &board["variants"][2];
    assert_eq!(
        held["reason"], "Held by the campaign's cap of $1.75: $1.40 committed so far",
        "{held}"
    );
    // Canceling one sent job leaves room for the next.
    let job = board["variants"][0]["job_id"].as_str().expect("present");
    let (status, _) = send(&s.state, "POST", &format!("/api/jobs/{job}/cancel"), None).await;
    assert_eq!(status, StatusCode::OK);
    let id = board["id"].as_str().expect("present").to_string();
    common::until(
        "the next variant is sent",
        Duration::from_secs(10),
        async || {
            let (_, board) = send(&s.state, "GET", &format!("/api/campaigns/{id}"), None).await;
            statuses(&board).iter().filter(|s| *s == "queued").count() == 2
                && board["variants"][2]["status"] == "queued"
        },
    )
    .await;
    let (_, board) = send(&s.state, "GET", &format!("/api/campaigns/{id}"), None).await;
    assert_eq!(board["committed_usd_micros"], 2 * ONE_JOB);
    watcher.abort();
}

/// Two campaigns submitted at once (on `servers`, in turn) against a month
/// that takes five of their twelve jobs: five are sent, the rest wait for
/// budget, and the month holds exactly five estimates.
async fn race(servers: &[AppState]) {
    let (status, body) = send(
        &servers[0],
        "PUT",
        "/api/budget",
        Some(&json!({"studio_usd_micros": 5 * ONE_JOB})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2 {
        let state = servers[i % servers.len()].clone();
        let mut c = spec(PRICED, SHEET);
        c.name = format!("Race {i}");
        c.sheet = Sheet::parse(PRICED_SHEET.as_bytes()).expect("present");
        c.languages = vec![Language::English];
        tasks.spawn(async move {
            send(
                &state,
                "POST",
                "/api/campaigns",
                Some(&submit(&format!("race-key-000{i}"), &c)),
            )
            .await
        });
    }
    let mut queued = 0;
    let mut waiting = 0;
    while let Some(done) = tasks.join_next().await {
        let (status, board) = done.expect("task");
        assert_eq!(status, StatusCode::CREATED, "{board}");
        for v in board["variants"].as_array().expect("present") {
            match v["status"].as_str().expect("present") {
                "queued" => queued += 1,
                "held" => {
                    assert!(
                        v["reason"]
                            .as_str()
                            .expect("present")
                            .starts_with("Waiting for budget: "),
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
    for state in servers {
        let (_, spend) = send(state, "GET", "/api/spend", None).await;
        assert_eq!(spend["reserved_usd_micros"], 5 * ONE_JOB);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_campaigns_racing_for_one_budget_never_pass_it() {
    let s = priced_server().await;
    race(std::slice::from_ref(&s.state)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_campaigns_on_two_servers_over_postgres_never_pass_the_budget() {
    let url = common::services::Postgres::shared().fresh_database().await;
    let mut servers = Vec::new();
    for _ in 0..2 {
        let mut s = common::server_with(|c| c.database_url = Some(url.clone())).await;
        s.state = s.state.clone().with_models(models_with_keys(|_| true));
        servers.push(s);
    }
    let states: Vec<AppState> = servers.iter().map(|s| s.state.clone()).collect();
    race(&states).await;
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_approves_through_the_campaign_link_and_the_package_holds_what_was_approved() {
    speak_like_chorus_serve();
    let mut s = common::server().await;
    s.engines = vec![std::sync::Arc::new(
        chorus_server::draft_engine::DraftEngine,
    )];
    s.state.outgoing.allow_loopback = true;
    let worker = s.spawn_worker();
    let watcher = chorus_server::campaigns::spawn_watcher(s.state.clone());
    // Someone listens for finished campaigns (no worker sends: the
    // delivery waits in the log).
    let (status, hook) = send(
        &s.state,
        "POST",
        "/api/outgoing-webhooks/endpoints",
        Some(&json!({"url": "http://127.0.0.1:9/hooks", "events": ["campaign.finished"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let mut small = spec(
        "draft",
        "product,colour,line:en\nBloom vase,teal,Meet Bloom. Spring is here.\n",
    );
    small.languages = vec![Language::English];
    small.template.duration_s = 3;
    let (status, board) = send(
        &s.state,
        "POST",
        "/api/campaigns",
        Some(&submit("approve-0001", &small)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    let id = board["id"].as_str().expect("present").to_string();
    common::until("both variants render", Duration::from_mins(2), async || {
        let (_, board) = send(&s.state, "GET", &format!("/api/campaigns/{id}"), None).await;
        statuses(&board).iter().all(|s| s == "succeeded")
    })
    .await;
    let (_, board) = send(&s.state, "GET", &format!("/api/campaigns/{id}"), None).await;
    assert!(board["finished_at"].is_i64(), "{board}");
    // Queued just after the campaign is marked finished.
    common::until(
        "campaign.finished is queued",
        Duration::from_secs(5),
        async || {
            let (_, log) = send(&s.state, "GET", "/api/outgoing-webhooks/deliveries", None).await;
            log["deliveries"].as_array().is_some_and(|d| !d.is_empty())
        },
    )
    .await;
    let (_, log) = send(&s.state, "GET", "/api/outgoing-webhooks/deliveries", None).await;
    let finished: Vec<&Value> = log["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|d| d["event"] == "campaign.finished")
        .collect();
    assert_eq!(finished.len(), 1, "one campaign.finished: {log}");
    assert!(board["variants"][0]["poster"].is_string(), "{board}");
    // Nothing approved yet: the package says so rather than being empty.
    let (status, _, _) = s.fetch(&format!("/api/campaigns/{id}/export")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // One link for the campaign; each done variant opens as a review.
    let (status, link) = send(
        &s.state,
        "POST",
        &format!("/api/campaigns/{id}/share"),
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let url = link["url"].as_str().expect("present").to_string();
    let (status, client) = send(&s.state, "GET", &format!("{url}/api/board"), None).await;
    assert_eq!(status, StatusCode::OK, "{client}");
    assert_eq!(client["name"], "Spring");
    let first = client["variants"][0]["review_url"]
        .as_str()
        .expect("a review")
        .to_string();
    let second = client["variants"][1]["review_url"]
        .as_str()
        .expect("a review")
        .to_string();
    assert_ne!(first, second);
    // Asked again, the same take opens through the same link.
    let (_, again) = send(&s.state, "GET", &format!("{url}/api/board"), None).await;
    assert_eq!(again["variants"][0]["review_url"], first.as_str());
    let poster = client["variants"][0]["poster_url"]
        .as_str()
        .expect("a poster");
    let (status, _, _) = s.fetch(poster).await;
    assert_eq!(status, StatusCode::OK);
    let (status, decided) = send(
        &s.state,
        "POST",
        &format!("{first}/api/decisions"),
        Some(&json!({"take": 0, "version": 1, "verdict": "approved", "author": "Mia"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    let (_, board) = send(&s.state, "GET", &format!("/api/campaigns/{id}"), None).await;
    assert_eq!(board["variants"][0]["decision"], "approved");
    assert_eq!(board["variants"][0]["reviewer"], "Mia");
    assert!(board["variants"][1]["decision"].is_null());

    // The package: the approved clip, its captions and the manifest.
    let (status, zip, headers) = s
        .fetch(&format!("/api/campaigns/{id}/export?only=approved"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/zip");
    let dir = tempfile::tempdir().expect("present");
    let path = dir.path().join("spring.zip");
    std::fs::write(&path, &zip).expect("present");
    let test = std::process::Command::new("unzip")
        .arg("-t")
        .arg(&path)
        .output()
        .expect("unzip runs");
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );
    let listing = String::from_utf8_lossy(&test.stdout).to_string();
    for name in [
        "Spring_2_en_9x16_v1.mp4",
        "Spring_2_en_9x16_v1.srt",
        "Spring_2_en_9x16_v1.vtt",
        "manifest.csv",
    ] {
        assert!(listing.contains(name), "{name} in {listing}");
    }
    assert!(
        !listing.contains("1x1"),
        "only what was approved: {listing}"
    );
    let unpacked = dir.path().join("out");
    let status = std::process::Command::new("unzip")
        .arg("-q")
        .arg(&path)
        .arg("-d")
        .arg(&unpacked)
        .status()
        .expect("present");
    assert!(status.success());
    let manifest = std::fs::read_to_string(unpacked.join("manifest.csv")).expect("present");
    let lines: Vec<&str> = manifest.lines().collect();
    assert_eq!(lines.len(), 2, "{manifest}");
    assert!(
        lines[0].starts_with("file,row,language,ratio,model,seed,cost"),
        "{manifest}"
    );
    assert!(
        lines[1].starts_with("Spring_2_en_9x16_v1.mp4,2,en,9:16,draft,"),
        "{manifest}"
    );
    assert!(lines[1].contains(",Approved,Mia,"), "{manifest}");
    let srt = std::fs::read_to_string(unpacked.join("Spring_2_en_9x16_v1.srt")).expect("present");
    assert!(srt.starts_with("1\n00:00:0"), "{srt}");
    assert!(srt.contains("Bloom"), "{srt}");
    // The clip is the take, byte for byte.
    let video = board["variants"][0]["video"].as_str().expect("present");
    let (_, original, _) = s.fetch(&format!("/api/assets/{video}")).await;
    assert_eq!(
        std::fs::read(unpacked.join("Spring_2_en_9x16_v1.mp4")).expect("present"),
        original
    );

    // Revoking the campaign link closes every take's review with it.
    let link_id = link["id"].as_str().expect("present");
    let (status, _) = send(
        &s.state,
        "POST",
        &format!("/api/campaigns/{id}/links/{link_id}/revoke"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(&s.state, "GET", &format!("{url}/api/board"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&s.state, "GET", &format!("{first}/api/review"), None).await;
    assert_ne!(status, StatusCode::OK);
    worker.abort();
    watcher.abort();
}

/// `chorus campaign submit` against a studio listening on a port.
async fn run_cli(args: Vec<String>) -> (i32, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(&args)
        .output()
        .await
        .expect("chorus runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_submits_once_and_waits_for_the_end() {
    speak_like_chorus_serve();
    let mut s = common::server().await;
    s.engines = vec![std::sync::Arc::new(
        chorus_server::draft_engine::DraftEngine,
    )];
    let worker = s.spawn_worker();
    let watcher = chorus_server::campaigns::spawn_watcher(s.state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let address = listener.local_addr().expect("address");
    let app = chorus_server::app(s.state.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().expect("present");
    let mut campaign = spec("draft", SHEET);
    campaign.languages = vec![Language::English];
    campaign.ratios = vec![AspectRatio::Square];
    campaign.template.duration_s = 3;
    let mut template = serde_json::to_value(&campaign).expect("present");
    template.as_object_mut().expect("present").remove("sheet");
    let template_path = dir.path().join("campaign.json");
    std::fs::write(&template_path, template.to_string()).expect("present");
    let sheet = dir.path().join("sheet.csv");
    std::fs::write(
        &sheet,
        "product,colour,line:en\nFern lamp,amber,Meet Fern.\n",
    )
    .expect("present");
    let args = |sheet: &std::path::Path| {
        vec![
            "campaign".to_string(),
            "submit".into(),
            sheet.display().to_string(),
            "--template".into(),
            template_path.display().to_string(),
            "--server".into(),
            format!("http://{address}"),
            "--wait".into(),
        ]
    };
    let (code, out) = run_cli(args(&sheet)).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Submitted campaign Spring"), "{out}");
    // The same command again: the key is the campaign's hash, so nothing new.
    let (code, again) = run_cli(args(&sheet)).await;
    assert_eq!(code, 0, "{again}");
    assert!(
        again.contains("Already submitted: campaign Spring"),
        "{again}"
    );
    let (_, jobs) = send(&s.state, "GET", "/api/jobs", None).await;
    assert_eq!(jobs["jobs"].as_array().expect("present").len(), 1);

    // A bad sheet: row and column, and nothing sent.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "product,colour,line:en\n,amber,Meet Fern.\nMoss,=B2*2,Soft.\n",
    )
    .expect("present");
    let (code, out) = run_cli(args(&bad)).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("row 3, colour: a formula"), "{out}");
    let (_, jobs) = send(&s.state, "GET", "/api/jobs", None).await;
    assert_eq!(jobs["jobs"].as_array().expect("present").len(), 1);
    server.abort();
    worker.abort();
    watcher.abort();
}
