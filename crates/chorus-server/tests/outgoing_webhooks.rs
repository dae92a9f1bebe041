//! Outgoing webhooks end to end: endpoints registered over the API (the
//! address guard refusing private targets), events emitted where jobs end
//! and reviewers decide, sent to a local receiver that fails on purpose
//! (500 twice then 200; 410 Gone; 429 with Retry-After; always 500), on a
//! fast schedule; attempt counts, timings and the delivery log checked.
//!
//! Every request the receiver gets is verified by an independent
//! implementation, the `standardwebhooks` package from npm run by node,
//! which `cargo xtask test` installs and names in
//! `CHORUS_STANDARDWEBHOOKS`.

mod common;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chorus_core::JobStatus;
use chorus_core::review::{Decision, Verdict};
use chorus_server::jobs::{self, Change};
use chorus_server::outgoing::{self, EventKind, Settings};
use common::TestServer;
use common::services::Postgres;
use serde_json::{Value, json};

/// The wait between attempts in these tests (±20% jitter).
const STEP: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outgoing_webhooks_on_sqlite() {
    every_case(common::server().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outgoing_webhooks_on_postgres() {
    let url = Postgres::shared().fresh_database().await;
    every_case(common::server_with(|c| c.database_url = Some(url)).await).await;
}

fn fast(settings: &mut Settings) {
    settings.schedule = vec![Duration::ZERO, STEP, STEP, STEP];
    settings.timeout = Duration::from_secs(3);
    settings.poll = Duration::from_millis(50);
    settings.allow_loopback = true;
}

async fn every_case(mut s: TestServer) {
    // What the worker logs (a delivery given up, an endpoint disabled)
    // shows beside a failure.
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let verifier = Verifier::find();
    // Registration refuses what the guard refuses, naming the field.
    let refused = [
        (
            json!({"url": "https://10.0.0.5/hook", "events": ["job.finished"]}),
            "url: 10.0.0.5 is a private address",
        ),
        (
            json!({"url": "https://169.254.169.254/latest/meta-data", "events": ["job.finished"]}),
            "url: 169.254.169.254 is a private address",
        ),
        (
            json!({"url": "http://127.0.0.1:9/hook", "events": ["job.finished"]}),
            "url: must be https:// (plain http is not sent)",
        ),
        (
            json!({"url": "https://93.184.215.14/hook", "events": []}),
            "events: choose at least one event",
        ),
    ];
    for (body, message) in &refused {
        let (status, answer) = s.post_json("/api/outgoing-webhooks/endpoints", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["message"], *message, "{answer}");
    }

    // Tests reach their receiver on 127.0.0.1 over http, as downloads do.
    fast(&mut s.state.outgoing);
    let receiver = Receiver::start(verifier.clone()).await;
    receiver.script("flaky", &[500, 500, 200]);
    receiver.script("gone", &[410]);
    receiver.script("down", &[500; 20]);
    receiver.script_retry_after("busy", 429, "1");
    let flaky = add(&s, &receiver.url("flaky"), &["job.finished"]).await;
    let gone = add(&s, &receiver.url("gone"), &["job.finished"]).await;
    let down = add(&s, &receiver.url("down"), &["job.finished"]).await;
    let busy = add(&s, &receiver.url("busy"), &["review.decision"]).await;
    let campaigns = add(&s, &receiver.url("campaigns"), &["campaign.finished"]).await;
    receiver.set_secret("flaky", &flaky.secret);
    receiver.set_secret("gone", &gone.secret);
    receiver.set_secret("down", &down.secret);
    receiver.set_secret("busy", &busy.secret);
    receiver.set_secret("campaigns", &campaigns.secret);

    // Nothing is sent before the worker runs: deliveries wait in the
    // database, so a server that starts later sends them.
    let job = common::job_record("job-hooked", "draft", 1, JobStatus::Running);
    jobs::insert(&s.state.db, &job).await.expect("job");
    let failed = Change {
        error: Some("The voice engine stopped".into()),
        ..Change::default()
    };
    jobs::transition(&s.state, "job-hooked", JobStatus::Failed, failed)
        .await
        .expect("transition")
        .expect("the job ends");
    let (_, log) = s.get("/api/outgoing-webhooks/deliveries").await;
    let queued = log["deliveries"].as_array().expect("deliveries");
    assert_eq!(queued.len(), 3, "one per job.finished endpoint: {log}");
    assert!(
        queued
            .iter()
            .all(|d| d["state"] == "pending" && d["attempts"] == 0)
    );
    // campaign.finished goes to its subscriber alone. A server claims it
    // and dies mid-send: once its claim lapses, a live worker sends it.
    outgoing::emit(
        &s.state.db,
        EventKind::CampaignFinished,
        json!({"campaign_id": "c1"}),
    )
    .await;
    let (_, log) = s.get("/api/outgoing-webhooks/deliveries").await;
    let campaign_delivery = log["deliveries"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(log["deliveries"][0]["endpoint_id"], campaigns.id.as_str());
    let dead = outgoing::store::claim(
        &s.state.db,
        &campaign_delivery,
        "a server that died",
        chorus_server::db::now_ms() - 1,
    )
    .await
    .expect("claims");
    assert!(dead.is_some());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.total(), 0);

    // Two workers on one database: a claim is won once, so each attempt
    // is sent once.
    let workers = [
        outgoing::spawn_worker(s.state.db.clone(), s.state.outgoing.clone()),
        outgoing::spawn_worker(s.state.db.clone(), s.state.outgoing.clone()),
    ];

    // 500, 500, then 200: delivered on the third attempt, each retry at
    // least the schedule's wait less its jitter after the one before.
    let flaky_done = wait_for_state(&s, &flaky.id, "delivered").await;
    assert_eq!(flaky_done["attempts"], 3, "{flaky_done}");
    assert_eq!(flaky_done["last_status"], 200);
    assert_eq!(flaky_done["last_error"], Value::Null);
    let hits = receiver.hits("flaky");
    assert_eq!(hits.len(), 3);
    assert_eq!(
        hits.iter().map(|h| h.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    for pair in hits.windows(2) {
        let gap = pair[1].at.checked_sub(pair[0].at).expect("in order");
        assert!(
            gap >= STEP.mul_f64(0.8) && gap < STEP * 10,
            "retried after {gap:?}"
        );
        assert_eq!(
            pair[0].id, pair[1].id,
            "webhook-id stays the same on every attempt"
        );
    }
    let event: Value = serde_json::from_slice(&hits[2].body).expect("JSON body");
    assert_eq!(event["type"], "job.finished");
    assert_eq!(event["data"]["job_id"], "job-hooked");
    assert_eq!(event["data"]["status"], "failed");
    assert_eq!(event["data"]["error"], "The voice engine stopped");
    assert!(
        time_is_rfc3339(event["timestamp"].as_str().expect("timestamp")),
        "{event}"
    );

    // 410 Gone disables the endpoint at once, saying why.
    let gone_done = wait_for_state(&s, &gone.id, "failed").await;
    assert_eq!(gone_done["attempts"], 1);
    assert_eq!(gone_done["last_status"], 410);
    let (_, endpoints) = s.get("/api/outgoing-webhooks/endpoints").await;
    let gone_view = endpoint_view(&endpoints, &gone.id);
    assert_eq!(gone_view["enabled"], false, "{endpoints}");
    assert!(
        gone_view["disabled_reason"]
            .as_str()
            .is_some_and(|r| r.contains("410 Gone")),
        "{gone_view}"
    );
    assert_eq!(endpoints["retry_schedule_ms"], json!([0, 300, 300, 300]));

    // Always 500: given up after the schedule's four attempts.
    let down_done = wait_for_state(&s, &down.id, "failed").await;
    assert_eq!(down_done["attempts"], 4, "{down_done}");
    assert_eq!(down_done["max_attempts"], 4);
    assert_eq!(down_done["last_status"], 500);
    assert_eq!(
        down_done["last_error"],
        "the receiver answered 500 Internal Server Error"
    );
    assert_eq!(receiver.hits("down").len(), 4);

    // A second job finishing reaches the endpoints still enabled, never
    // the disabled one.
    let job = common::job_record("job-second", "draft", 2, JobStatus::Running);
    jobs::insert(&s.state.db, &job).await.expect("job");
    jobs::transition(
        &s.state,
        "job-second",
        JobStatus::Succeeded,
        Change::default(),
    )
    .await
    .expect("transition")
    .expect("the job ends");
    common::until(
        "the second event reaches flaky",
        Duration::from_secs(10),
        async || receiver.hits("flaky").len() == 4,
    )
    .await;
    tokio::time::sleep(STEP * 2).await;
    assert_eq!(receiver.hits("gone").len(), 1, "nothing more to a 410");
    let second: Value = serde_json::from_slice(&receiver.hits("flaky")[3].body).expect("JSON");
    assert_eq!(second["data"]["status"], "succeeded");

    // A review decision, through where decisions are recorded; 429 with
    // Retry-After: 1 waits a second, not the schedule's 300 ms.
    let decision = Decision {
        link_id: "link-1".into(),
        take: 0,
        version: 2,
        verdict: Verdict::ChangesRequested,
        note: Some("Slower on the last line".into()),
        author: "Jo".into(),
        at: 5,
    };
    chorus_server::reviews::decisions::put(&s.state.db, &decision)
        .await
        .expect("decision");
    let busy_done = wait_for_state(&s, &busy.id, "delivered").await;
    assert_eq!(busy_done["attempts"], 2);
    let hits = receiver.hits("busy");
    assert_eq!(
        hits.iter().map(|h| h.answered).collect::<Vec<_>>(),
        [429, 200]
    );
    let gap = hits[1].at.checked_sub(hits[0].at).expect("in order");
    assert!(
        gap >= Duration::from_secs(1) && gap < Duration::from_secs(4),
        "Retry-After: 1 honoured, waited {gap:?}"
    );
    let event: Value = serde_json::from_slice(&hits[1].body).expect("JSON");
    assert_eq!(event["type"], "review.decision");
    assert_eq!(event["data"]["verdict"], "changes_requested");
    assert_eq!(event["data"]["note"], "Slower on the last line");

    // The campaign event a dead server had claimed: sent once, by the
    // worker that took it over.
    let campaign = wait_for_state(&s, &campaigns.id, "delivered").await;
    assert_eq!(campaign["id"], campaign_delivery.as_str());
    assert_eq!(campaign["attempts"], 2, "{campaign}");
    let hits = receiver.hits("campaigns");
    assert_eq!(hits.len(), 1);
    let event: Value = serde_json::from_slice(&hits[0].body).expect("JSON");
    assert_eq!(event["type"], "campaign.finished");
    assert_eq!(event["data"]["campaign_id"], "c1");

    // A test event to one endpoint; then a new secret, which signs from
    // then on (the independent verifier takes the new one, not the old).
    let (status, test) = s
        .post_json(
            &format!("/api/outgoing-webhooks/endpoints/{}/test", campaigns.id),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{test}");
    assert_eq!(test["event"], "webhook.test");
    wait_for_state(&s, &campaigns.id, "delivered").await;
    let (status, rotated) = s
        .post_json(
            &format!("/api/outgoing-webhooks/endpoints/{}/secret", campaigns.id),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().expect("secret").to_string();
    assert_ne!(new_secret, campaigns.secret);
    receiver.set_secret("campaigns", &new_secret);
    s.post_json(
        &format!("/api/outgoing-webhooks/endpoints/{}/test", campaigns.id),
        &json!({}),
    )
    .await;
    common::until(
        "the second test event",
        Duration::from_secs(10),
        async || receiver.hits("campaigns").len() == 3,
    )
    .await;
    let last = receiver.hits("campaigns").pop().expect("a hit");
    assert!(!verifier.verifies(&campaigns.secret, &last.headers, &last.body));

    // Every request verified with the independent library; a tampered
    // body does not.
    let all = receiver.all();
    assert!(all.len() >= 14, "{} requests", all.len());
    for hit in &all {
        assert_eq!(
            hit.verified,
            Some(true),
            "{} {} failed verification",
            hit.endpoint,
            hit.id
        );
    }
    let first = &receiver.hits("flaky")[0];
    assert!(verifier.verifies(&flaky.secret, &first.headers, &first.body));
    let mut tampered = first.body.to_vec();
    tampered.extend_from_slice(b" ");
    assert!(!verifier.verifies(&flaky.secret, &first.headers, &tampered));

    // The log: newest first, a page at a time.
    let (status, first) = s.get("/api/outgoing-webhooks/deliveries?limit=3").await;
    assert_eq!(status, StatusCode::OK);
    let page = first["deliveries"].as_array().expect("deliveries");
    assert_eq!(page.len(), 3);
    assert_eq!(page[0]["event"], "webhook.test", "{first}");
    let before = first["next_before"].as_str().expect("more pages");
    let (_, rest) = s
        .get(&format!(
            "/api/outgoing-webhooks/deliveries?limit=200&before={before}"
        ))
        .await;
    let rest = rest["deliveries"].as_array().expect("deliveries");
    // flaky 2, gone 1 (not the second job's), down 2, busy 1, campaigns 3
    // (its event and two tests).
    assert_eq!(page.len() + rest.len(), 9);
    let mut ids: Vec<&str> = page
        .iter()
        .chain(rest)
        .map(|d| d["id"].as_str().expect("id"))
        .collect();
    let newest_first = ids.clone();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first);
    let (status, bad) = s.get("/api/outgoing-webhooks/deliveries?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        bad["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("limit:"))
    );

    // Deleting an endpoint: gone from the list, its log kept.
    let (status, _, _) = s
        .call(
            Request::delete(format!("/api/outgoing-webhooks/endpoints/{}", down.id))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, endpoints) = s.get("/api/outgoing-webhooks/endpoints").await;
    assert_eq!(endpoints["endpoints"].as_array().expect("list").len(), 4);
    let (status, _) = s
        .post_json(
            &format!("/api/outgoing-webhooks/endpoints/{}/test", down.id),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The audit log has the changes.
    let audit = s
        .state
        .db
        .text_rows("SELECT detail FROM audit_log WHERE action = 'webhooks_changed' ORDER BY at");
    let details: Vec<String> = audit
        .await
        .expect("audit")
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect();
    assert_eq!(details.len(), 7, "{details:?}");
    assert!(details.contains(&"secret rotated".to_string()));
    assert!(details.contains(&"endpoint deleted".to_string()));

    for worker in workers {
        worker.abort();
    }
}

struct Made {
    id: String,
    secret: String,
}

async fn add(s: &TestServer, url: &str, events: &[&str]) -> Made {
    let (status, made) = s
        .post_json(
            "/api/outgoing-webhooks/endpoints",
            &json!({"url": url, "events": events}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let secret = made["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(made["endpoint"]["enabled"], true);
    Made {
        id: made["endpoint"]["id"].as_str().expect("id").to_string(),
        secret,
    }
}

fn endpoint_view<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .find(|e| e["id"] == id)
        .expect("the endpoint is listed")
}

/// Waits for the newest delivery to `endpoint` to reach `state`.
async fn wait_for_state(s: &TestServer, endpoint: &str, state: &str) -> Value {
    let mut last = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, log) = s.get("/api/outgoing-webhooks/deliveries?limit=200").await;
        if let Some(newest) = log["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .find(|d| d["endpoint_id"] == endpoint)
        {
            if newest["state"] == state {
                return newest.clone();
            }
            last = newest.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the delivery to {endpoint} never became {state}: {last}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn time_is_rfc3339(text: &str) -> bool {
    text.len() >= 20 && text.as_bytes()[10] == b'T' && (text.ends_with('Z') || text.contains('+'))
}

// ---------------------------------------------------------------------
// The receiver: answers as scripted per endpoint, keeps every request.

#[derive(Clone)]
struct Hit {
    endpoint: String,
    at: Duration,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    answered: u16,
    /// What the independent verifier said, with the secret of the time.
    verified: Option<bool>,
}

#[derive(Default)]
struct Script {
    answers: HashMap<String, VecDeque<(u16, Option<String>)>>,
    secrets: HashMap<String, String>,
    hits: Vec<Hit>,
}

#[derive(Clone)]
struct Receiver {
    addr: std::net::SocketAddr,
    script: Arc<Mutex<Script>>,
}

#[derive(Clone)]
struct ReceiverState {
    script: Arc<Mutex<Script>>,
    started: Instant,
    verifier: Verifier,
}

impl Receiver {
    async fn start(verifier: Verifier) -> Receiver {
        let script = Arc::new(Mutex::new(Script::default()));
        let state = ReceiverState {
            script: Arc::clone(&script),
            started: Instant::now(),
            verifier,
        };
        let app = Router::new()
            .route("/{name}", post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver");
        });
        Receiver { addr, script }
    }

    fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    fn script(&self, name: &str, statuses: &[u16]) {
        let mut script = self.script.lock().expect("lock");
        let answers = script.answers.entry(name.to_string()).or_default();
        answers.extend(statuses.iter().map(|s| (*s, None)));
    }

    fn script_retry_after(&self, name: &str, status: u16, retry_after: &str) {
        let mut script = self.script.lock().expect("lock");
        let answers = script.answers.entry(name.to_string()).or_default();
        answers.push_back((status, Some(retry_after.to_string())));
    }

    fn set_secret(&self, name: &str, secret: &str) {
        let mut script = self.script.lock().expect("lock");
        script.secrets.insert(name.to_string(), secret.to_string());
    }

    fn hits(&self, name: &str) -> Vec<Hit> {
        let script = self.script.lock().expect("lock");
        script
            .hits
            .iter()
            .filter(|h| h.endpoint == name)
            .cloned()
            .collect()
    }

    fn all(&self) -> Vec<Hit> {
        self.script.lock().expect("lock").hits.clone()
    }

    fn total(&self) -> usize {
        self.script.lock().expect("lock").hits.len()
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = state.started.elapsed();
    let (answer, secret) = {
        let mut script = state.script.lock().expect("lock");
        let answer = script
            .answers
            .get_mut(&name)
            .and_then(VecDeque::pop_front)
            .unwrap_or((200, None));
        (answer, script.secrets.get(&name).cloned())
    };
    let verified = match secret {
        Some(secret) => {
            let verifier = state.verifier.clone();
            let (headers, body) = (headers.clone(), body.clone());
            tokio::task::spawn_blocking(move || verifier.verifies(&secret, &headers, &body))
                .await
                .ok()
        }
        None => None,
    };
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    state.script.lock().expect("lock").hits.push(Hit {
        endpoint: name,
        at,
        id,
        headers,
        body,
        answered: answer.0,
        verified,
    });
    let status = StatusCode::from_u16(answer.0).expect("status");
    match answer.1 {
        Some(retry_after) => (status, [("retry-after", retry_after)], "slow down").into_response(),
        None => (status, "").into_response(),
    }
}

// ---------------------------------------------------------------------
// The independent verifier: npm's `standardwebhooks`, run by node.

#[derive(Clone)]
struct Verifier {
    /// The folder holding `node_modules/standardwebhooks`.
    dir: PathBuf,
}

const VERIFY_JS: &str = r"
const { Webhook } = require('standardwebhooks');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const body = Buffer.concat(chunks).toString('utf8');
  const headers = {
    'webhook-id': process.env.WH_ID,
    'webhook-timestamp': process.env.WH_TIMESTAMP,
    'webhook-signature': process.env.WH_SIGNATURE,
  };
  try {
    new Webhook(process.env.WH_SECRET).verify(body, headers);
    console.log('verified');
  } catch (e) {
    console.log('refused: ' + e.message);
    process.exit(3);
  }
});
";

impl Verifier {
    fn find() -> Verifier {
        let dir = std::env::var_os("CHORUS_STANDARDWEBHOOKS").map(PathBuf::from);
        let Some(dir) = dir.filter(|d| d.join("node_modules/standardwebhooks").is_dir()) else {
            panic!(
                "CHORUS_STANDARDWEBHOOKS does not name a folder holding node_modules/standardwebhooks: \
                 run this test through `cargo xtask test`, which installs the independent \
                 verifier (npm's standardwebhooks) and sets it{}",
                if std::env::var_os("CI").is_some() {
                    " (CI must never skip this check)"
                } else {
                    ""
                }
            );
        };
        Verifier { dir }
    }

    /// Whether `standardwebhooks` accepts this request under `secret`.
    fn verifies(&self, secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
        use std::io::Write as _;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let mut child = std::process::Command::new("node")
            .arg("-e")
            .arg(VERIFY_JS)
            .env("NODE_PATH", self.dir.join("node_modules"))
            .env("WH_SECRET", secret)
            .env("WH_ID", header("webhook-id"))
            .env("WH_TIMESTAMP", header("webhook-timestamp"))
            .env("WH_SIGNATURE", header("webhook-signature"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("node runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(body)
            .expect("body to node");
        let out = child.wait_with_output().expect("node ends");
        let said = String::from_utf8_lossy(&out.stdout);
        match out.status.code() {
            Some(0) => said.trim() == "verified",
            Some(3) => false,
            other => panic!("node failed ({other:?}): {said}"),
        }
    }
}
