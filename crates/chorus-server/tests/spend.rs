//! Spend limits and the audit log: each job's estimate reserved when it is
//! created, settled to what the provider charged or released when it ends;
//! jobs over a limit refused with 402 and nothing kept; the report per model
//! and per account; the audit log's pages and CSV; and the budget race, on
//! SQLite with one server and on PostgreSQL with two.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chorus_core::access::BudgetOf;
use chorus_core::{GenerationRequest, Job, JobOutput, JobStatus, Language, Resolution};
use chorus_server::AppState;
use chorus_server::jobs::{self, CreateError};
use chorus_server::queue::{Engine, EngineFuture, JobContext};
use chorus_server::state::models_with_keys;
use common::services::Postgres;
use common::{TestServer, draft_request, send};
use serde_json::{Value, json};

/// A hosted model with a price, offered as if its key were set. No worker
/// runs unless a test starts one, so nothing is ever sent anywhere.
const PRICED: &str = "happyhorse-1.1@fal";
/// What one `priced_request` is estimated at: 5 s at 720p, $0.14 a second.
const ONE_JOB: u64 = 700_000;

async fn priced_server() -> TestServer {
    let mut s = common::server().await;
    s.state = s.state.clone().with_models(models_with_keys(|_| true));
    s
}

fn priced_request(prompt: &str) -> Value {
    json!({
        "model": PRICED,
        "mode": "text-to-video",
        "prompt": prompt,
        "duration_s": 5,
        "resolution": "720p",
        "aspect_ratio": "16:9"
    })
}

fn priced_generation() -> GenerationRequest {
    let mut request = GenerationRequest::new(PRICED);
    request.prompt = "A florist arranges tulips".into();
    request.duration_s = 5;
    request.resolution = Resolution::P720;
    request
}

async fn set_budget(state: &AppState, budget: &Value) -> Value {
    let (status, spend) = send(state, "PUT", "/api/budget", Some(budget)).await;
    assert_eq!(status, StatusCode::OK, "{spend}");
    spend
}

async fn spend(state: &AppState) -> Value {
    let (status, spend) = send(state, "GET", "/api/spend", None).await;
    assert_eq!(status, StatusCode::OK, "{spend}");
    spend
}

/// `(state, reserved, settled)` of each job's spend row.
async fn spend_row(state: &AppState, job_id: &str) -> (String, String, Option<String>) {
    let rows = state
        .db
        .text_rows(&format!(
            "SELECT state, CAST(reserved_usd_micros AS TEXT), CAST(settled_usd_micros AS TEXT)
             FROM spend WHERE job_id = '{job_id}'"
        ))
        .await
        .expect("reads");
    let row = rows
        .first()
        .unwrap_or_else(|| panic!("no spend row for {job_id}"));
    (
        row[0].clone().expect("state"),
        row[1].clone().expect("reserved"),
        row[2].clone(),
    )
}

async fn count(state: &AppState, sql: &str) -> usize {
    let rows = state.db.text_rows(sql).await.expect("counts");
    rows[0][0]
        .as_deref()
        .expect("a count")
        .parse()
        .expect("a number")
}

fn line<'a>(lines: &'a Value, key: &str) -> &'a Value {
    lines
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("no line {key} in {lines}"))
}

/// Runs `PRICED` jobs by their prompt: "charged" reports a cost of $0.65 and
/// finishes; "sent then failed" records one take as sent to the provider,
/// then fails; anything else fails before sending.
struct ScriptedEngine;

impl Engine for ScriptedEngine {
    fn models(&self) -> Vec<String> {
        vec![PRICED.to_string()]
    }

    fn run<'a>(&'a self, job: &'a Job, ctx: &'a JobContext) -> EngineFuture<'a> {
        Box::pin(async move {
            let db = &ctx.state().db;
            match job.request.prompt.as_str() {
                "charged" => {
                    jobs::set_actual_cost(db, &job.id.0, 650_000)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(Vec::<JobOutput>::new())
                }
                "sent then failed" => {
                    db.execute(&format!(
                        "INSERT INTO provider_submits (job_key, record, updated_at)
                         VALUES ('{}/0', '{{}}', 1)",
                        job.id
                    ))
                    .await
                    .map_err(|e| e.to_string())?;
                    Err("The provider gave up".into())
                }
                _ => Err("Refused before sending".into()),
            }
        })
    }
}

#[tokio::test]
async fn a_job_reserves_its_estimate_then_settles_or_releases_it() {
    let mut s = priced_server().await;
    let create = async |prompt: &str| -> String {
        let (status, job) =
            send(&s.state, "POST", "/api/jobs", Some(&priced_request(prompt))).await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        job["id"].as_str().expect("id").to_string()
    };
    let charged = create("charged").await;
    let sent = create("sent then failed").await;
    let unsent = create("never sent").await;
    let canceled = create("canceled while queued").await;
    assert_eq!(
        spend_row(&s.state, &charged).await,
        ("reserved".into(), ONE_JOB.to_string(), None)
    );
    let held = spend(&s.state).await;
    assert_eq!(held["reserved_usd_micros"], 4 * ONE_JOB);
    assert_eq!(held["spent_usd_micros"], 0);

    // Cancelled before a worker took it: released at once.
    let (status, _) = send(
        &s.state,
        "POST",
        &format!("/api/jobs/{canceled}/cancel"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        spend_row(&s.state, &canceled).await,
        ("released".into(), ONE_JOB.to_string(), Some("0".into()))
    );

    s.engines = vec![Arc::new(ScriptedEngine)];
    let worker = s.spawn_worker();
    for id in [&charged, &sent, &unsent] {
        common::wait_for_end(&s.state, id, Duration::from_secs(20)).await;
    }
    worker.abort();
    // Finished: what the provider charged, not the estimate.
    assert_eq!(
        spend_row(&s.state, &charged).await,
        ("settled".into(), ONE_JOB.to_string(), Some("650000".into()))
    );
    // Failed after its one take was sent: that take's share of the estimate.
    assert_eq!(
        spend_row(&s.state, &sent).await,
        (
            "settled".into(),
            ONE_JOB.to_string(),
            Some(ONE_JOB.to_string())
        )
    );
    // Failed before anything was sent: nothing.
    assert_eq!(
        spend_row(&s.state, &unsent).await,
        ("released".into(), ONE_JOB.to_string(), Some("0".into()))
    );
    let month = spend(&s.state).await;
    assert_eq!(month["reserved_usd_micros"], 0);
    assert_eq!(month["spent_usd_micros"], 650_000 + ONE_JOB);
    assert_eq!(month["left_usd_micros"], Value::Null, "no limit");
    let model = line(&month["by_model"], PRICED);
    assert_eq!(model["label"], "HappyHorse 1.1");
    assert_eq!(model["jobs"], 2, "released jobs are not counted");
    let studio = line(&month["by_user"], "");
    assert_eq!(studio["label"], "This studio");
}

#[tokio::test]
async fn a_job_over_the_studio_budget_is_refused_with_402_and_nothing_kept() {
    let s = priced_server().await;
    let after = set_budget(&s.state, &json!({"studio_usd_micros": 1_000_000})).await;
    assert_eq!(after["budget"]["studio_usd_micros"], 1_000_000);
    assert_eq!(after["left_usd_micros"], 1_000_000);

    let (status, first) = send(
        &s.state,
        "POST",
        "/api/jobs",
        Some(&priced_request("first")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, refused) = send(
        &s.state,
        "POST",
        "/api/jobs",
        Some(&priced_request("second")),
    )
    .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{refused}");
    assert_eq!(refused["error"]["code"], "over_budget");
    assert_eq!(
        refused["error"]["message"],
        "This job needs $0.70; $0.30 of this month's $1.00 is left."
    );
    // Nothing stored, nothing queued, nothing held for the refused job.
    assert_eq!(
        count(&s.state, "SELECT CAST(COUNT(*) AS TEXT) FROM jobs").await,
        1
    );
    assert_eq!(
        count(&s.state, "SELECT CAST(COUNT(*) AS TEXT) FROM spend").await,
        1
    );
    assert_eq!(
        jobs::count_unfinished(&s.state.db).await.expect("counts"),
        1
    );
    let (_, list) = send(&s.state, "GET", "/api/jobs", None).await;
    assert_eq!(list["jobs"].as_array().expect("jobs").len(), 1);

    // Free drafts are never refused, even with the budget spent.
    set_budget(&s.state, &json!({"studio_usd_micros": 0})).await;
    let (status, draft) = send(&s.state, "POST", "/api/jobs", Some(&draft_request())).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft_id = draft["id"].as_str().expect("id");
    assert_eq!(
        spend_row(&s.state, draft_id).await,
        ("reserved".into(), "0".into(), None)
    );

    // What Compose shows: nothing left of $0.00 (no limit of one's own
    // with sign-in off).
    let (status, left) = send(&s.state, "GET", "/api/spend/left", None).await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!(left["studio_limit_usd_micros"], 0);
    assert_eq!(left["studio_left_usd_micros"], 0);
    assert_eq!(left["user_limit_usd_micros"], Value::Null);

    // No limit at all again: the second job fits.
    set_budget(&s.state, &json!({"studio_usd_micros": null})).await;
    let (status, _) = send(
        &s.state,
        "POST",
        "/api/jobs",
        Some(&priced_request("second")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn an_account_limit_refuses_only_that_accounts_jobs() {
    let s = priced_server().await;
    set_budget(
        &s.state,
        &json!({
            "studio_usd_micros": 5_000_000,
            "users": [{"user_id": "usr_ana", "usd_micros": 1_000_000}]
        }),
    )
    .await;
    let by = async |user: Option<&str>| {
        let request = priced_generation();
        let model = chorus_core::model::find(&s.state.models, PRICED).expect("model");
        let estimate = chorus_core::estimate_cost(&request, model);
        jobs::create_by(&s.state, request, estimate, user).await
    };
    by(Some("usr_ana")).await.expect("ana's first fits");
    match by(Some("usr_ana")).await {
        Err(CreateError::OverBudget(refused)) => {
            assert_eq!(refused.of, BudgetOf::User);
            assert_eq!(
                refused.to_string(),
                "This job needs $0.70; $0.30 of your own monthly $1.00 is left."
            );
        }
        other => panic!("ana's second should be refused: {other:?}"),
    }
    by(Some("usr_ben"))
        .await
        .expect("ben has no limit of his own");
    by(Some("usr_ben")).await.expect("ben again");
    by(None).await.expect("the local owner");

    let ana = chorus_server::spend::left(
        &s.state.db,
        Some("usr_ana"),
        &chorus_server::spend::this_month(),
    )
    .await
    .expect("left");
    assert_eq!(ana.user_limit_usd_micros, Some(1_000_000));
    assert_eq!(ana.user_left_usd_micros, Some(300_000));
    assert_eq!(ana.studio_left_usd_micros, Some(5_000_000 - 4 * ONE_JOB));
    let (_, tightest, of) = ana.tightest().expect("limited");
    assert_eq!((tightest, of), (1_000_000, BudgetOf::User));

    // The report per account (named by id until accounts have emails) and
    // per model, most spent first.
    let month = spend(&s.state).await;
    assert_eq!(month["reserved_usd_micros"], 4 * ONE_JOB);
    assert_eq!(month["left_usd_micros"], 5_000_000 - 4 * ONE_JOB);
    let users = month["by_user"].as_array().expect("by_user");
    let keys: Vec<&str> = users
        .iter()
        .map(|l| l["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["usr_ben", "", "usr_ana"]);
    assert_eq!(
        line(&month["by_user"], "usr_ben")["reserved_usd_micros"],
        2 * ONE_JOB
    );
    assert_eq!(line(&month["by_user"], "usr_ben")["jobs"], 2);
    assert_eq!(line(&month["by_user"], "usr_ana")["label"], "usr_ana");
    assert_eq!(line(&month["by_user"], "")["label"], "This studio");
    assert_eq!(line(&month["by_model"], PRICED)["jobs"], 4);
    assert_eq!(month["budget"]["users"][0]["user_id"], "usr_ana");

    // Another month has nothing; a month that is not one is refused.
    let (status, past) = send(&s.state, "GET", "/api/spend?month=2020-01", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(past["month"], "2020-01");
    assert_eq!(past["by_model"], json!([]));
    let (status, bad) = send(&s.state, "GET", "/api/spend?month=2020-13", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    // Limits that cannot be are refused with the field.
    let (status, refused) = send(
        &s.state,
        "PUT",
        "/api/budget",
        Some(&json!({"studio_usd_micros": 1, "users": [
            {"user_id": "usr_ana", "usd_micros": 1},
            {"user_id": "usr_ana", "usd_micros": 2}
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["problems"][0]["field"], "users[1].user_id");
}

async fn audit(state: &AppState, query: &str) -> Value {
    let (status, page) = send(state, "GET", &format!("/api/audit{query}"), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

fn actions(page: &Value) -> Vec<&str> {
    page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect()
}

#[tokio::test]
async fn the_audit_log_names_who_did_what_and_exports_it() {
    let s = priced_server().await;
    // A finished job with one take, to share.
    let video = s
        .state
        .assets
        .put(&s.state.db, b"a take", "video/mp4", None)
        .await
        .expect("stored")
        .id;
    let mut finished = common::job_record(
        "job_audit_done",
        "draft",
        chorus_server::db::now_ms(),
        JobStatus::Succeeded,
    );
    let mut output = common::take(&video);
    output.language = Some(Language::English);
    finished.outputs = vec![output];
    jobs::insert(&s.state.db, &finished).await.expect("insert");

    let (_, job) = send(&s.state, "POST", "/api/jobs", Some(&draft_request())).await;
    let id = job["id"].as_str().expect("id").to_string();
    send(&s.state, "POST", &format!("/api/jobs/{id}/cancel"), None).await;
    set_budget(&s.state, &json!({"studio_usd_micros": 500_000})).await;
    let (status, _) = send(
        &s.state,
        "POST",
        "/api/jobs",
        Some(&priced_request("too dear")),
    )
    .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    let (status, created) = send(
        &s.state,
        "POST",
        "/api/jobs/job_audit_done/reviews",
        Some(&json!({"verdicts": false})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let link = created["link"]["id"].as_str().expect("link id").to_string();
    let token = created["path"]
        .as_str()
        .expect("path")
        .trim_start_matches("/r/")
        .to_string();
    let (status, _) = send(
        &s.state,
        "POST",
        &format!("/r/{token}/api/decisions"),
        Some(&json!({"take": 0, "version": 1, "verdict": "approved", "author": "Mia"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    send(
        &s.state,
        "POST",
        &format!("/api/reviews/{link}/revoke"),
        None,
    )
    .await;

    let page = audit(&s.state, "").await;
    assert_eq!(
        actions(&page),
        [
            "review_revoked",
            "review_approved",
            "review_shared",
            "job_refused",
            "budget_changed",
            "job_cancelled",
            "job_created"
        ],
        "newest first"
    );
    assert_eq!(page["next_before"], Value::Null);
    let entries = page["entries"].as_array().expect("entries");
    let by = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action}"))
    };
    assert_eq!(by("job_created")["actor"], "local");
    assert_eq!(by("job_created")["target"], id.as_str());
    assert_eq!(by("job_created")["detail"], "draft, $0.00");
    assert_eq!(by("job_cancelled")["target"], id.as_str());
    assert_eq!(by("budget_changed")["detail"], "studio: no limit → $0.50");
    assert_eq!(
        by("job_refused")["detail"],
        format!("{PRICED}: This job needs $0.70; $0.50 of this month's $0.50 is left.")
    );
    assert_eq!(by("review_shared")["target"], link.as_str());
    assert_eq!(by("review_shared")["detail"], "job job_audit_done, take 1");
    assert_eq!(by("review_approved")["actor"], "reviewer Mia");
    assert_eq!(by("review_approved")["target"], link.as_str());
    assert_eq!(
        by("review_approved")["detail"],
        "job job_audit_done, take 1 version 1"
    );

    // Pages: two at a time, continuing below the last.
    let first = audit(&s.state, "?limit=2").await;
    assert_eq!(actions(&first), ["review_revoked", "review_approved"]);
    let before = first["next_before"].as_i64().expect("a next page");
    let second = audit(&s.state, &format!("?limit=2&before={before}")).await;
    assert_eq!(actions(&second), ["review_shared", "job_refused"]);
    // Filters by action and by actor.
    assert_eq!(
        actions(&audit(&s.state, "?action=job_cancelled").await),
        ["job_cancelled"]
    );
    assert_eq!(
        actions(&audit(&s.state, "?actor=MIA").await),
        ["review_approved"]
    );
    let (status, _) = send(&s.state, "GET", "/api/audit?action=nonsense", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The CSV download has them all, newest first.
    let (status, body, headers) = s.fetch("/api/audit.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment; filename=\"chorus-audit-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let mut reader = csv::Reader::from_reader(body.as_slice());
    assert_eq!(
        reader
            .headers()
            .expect("headers")
            .iter()
            .collect::<Vec<_>>(),
        ["at", "actor", "action", "target", "detail", "address"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 7);
    assert_eq!(&rows[0][2], "review_revoked");
    assert_eq!(&rows[6][2], "job_created");
    assert_eq!(&rows[6][1], "local");
    assert_eq!(&rows[6][3], id.as_str());
    assert!(
        rows[6][0].ends_with('Z') && rows[6][0].contains('T'),
        "{}",
        &rows[6][0]
    );
    let (_, filtered, _) = s.fetch("/api/audit.csv?action=budget_changed").await;
    assert_eq!(
        csv::Reader::from_reader(filtered.as_slice())
            .records()
            .count(),
        1
    );
}

/// `requests` jobs created at once across `servers` in turn, against a budget
/// that fits exactly `fits`: that many are created, the rest refused, and
/// the month holds exactly their estimates.
async fn race(servers: &[AppState], requests: usize, fits: u64) {
    set_budget(&servers[0], &json!({"studio_usd_micros": fits * ONE_JOB})).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..requests {
        let state = servers[i % servers.len()].clone();
        tasks.spawn(async move {
            send(
                &state,
                "POST",
                "/api/jobs",
                Some(&priced_request(&format!("race {i}"))),
            )
            .await
        });
    }
    let mut created = Vec::new();
    let mut refused = 0;
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done.expect("request task");
        match status {
            StatusCode::CREATED => created.push(body["id"].as_str().expect("id").to_string()),
            StatusCode::PAYMENT_REQUIRED => {
                assert!(
                    body["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("This job needs $0.70; ")),
                    "{body}"
                );
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created.len() as u64, fits, "exactly the jobs that fit");
    assert_eq!(refused, requests - created.len());
    for state in servers {
        let month = spend(state).await;
        assert_eq!(month["reserved_usd_micros"], fits * ONE_JOB);
        assert_eq!(month["left_usd_micros"], 0);
    }
    assert_eq!(
        count(&servers[0], "SELECT CAST(COUNT(*) AS TEXT) FROM jobs").await as u64,
        fits
    );
    // Cancelling one (on the last server) frees its share for the next job
    // (on the first).
    let (status, _) = send(
        &servers[servers.len() - 1],
        "POST",
        &format!("/api/jobs/{}/cancel", created[0]),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(
        &servers[0],
        "POST",
        "/api/jobs",
        Some(&priced_request("after")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = send(
        &servers[0],
        "POST",
        "/api/jobs",
        Some(&priced_request("one more")),
    )
    .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_budget_race_on_sqlite() {
    let s = priced_server().await;
    race(std::slice::from_ref(&s.state), 40, 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_budget_race_on_postgres_with_two_servers() {
    let url = Postgres::shared().fresh_database().await;
    let mut servers = Vec::new();
    for _ in 0..2 {
        let mut s = common::server_with(|c| c.database_url = Some(url.clone())).await;
        s.state = s.state.clone().with_models(models_with_keys(|_| true));
        servers.push(s);
    }
    let states: Vec<AppState> = servers.iter().map(|s| s.state.clone()).collect();
    race(&states, 40, 7).await;
}
