//! The kill test: two `chorus serve` processes share one PostgreSQL and one
//! S3 bucket and work through 500 hosted jobs spread over the four
//! providers' fakes. Midway one server is killed with SIGKILL. Its jobs'
//! leases lapse, the other server takes them over and resumes them by
//! polling. Afterwards every job has finished exactly once (one "job
//! finished" record across both servers' logs), no job was submitted twice
//! (the fakes count submissions per job), and no key reached a log.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chorus_providers::fake::Script;
use common::hosted::{ALL, Fake, Which};
use common::services::{Postgres, S3, free_port};

const JOBS: usize = 500;

/// id, status, request, error, outputs, lease_owner.
type JobRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
);

struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

fn spawn_server(dir: &Path, name: &str, db_url: &str, env: &[(String, String)]) -> Server {
    let port = free_port();
    let data = dir.join(name);
    std::fs::create_dir_all(&data).expect("data folder");
    let log = dir.join(format!("{name}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_chorus"))
        .arg("serve")
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(&data)
        .arg("--dist")
        .arg(dir.join("dist"))
        .args(["--database-url", db_url, "--assets", "s3://chorus/kill"])
        // A dead server's jobs come back within two seconds.
        .args([
            "--lease-ms",
            "2000",
            "--hosted-at-once",
            "48",
            "--idle-poll-ms",
            "100",
        ])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("CHORUS_TEST_ALLOW_LOOPBACK", "1")
        .env("CHORUS_TEST_POLL_MS", "50")
        .env("CHORUS_LOG", "chorus_server=info,warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("chorus serve starts");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        log,
    }
}

async fn wait_listening(server: &Server) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        if let Ok(answer) = client
            .get(format!("{}/api/models", server.base))
            .send()
            .await
            && answer.status().is_success()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not start:\n{}",
            server.base,
            std::fs::read_to_string(&server.log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of `field=` on a log line.
fn field<'a>(line: &'a str, field: &str) -> Option<&'a str> {
    let start = line.find(&format!("{field}="))? + field.len() + 1;
    line[start..].split_whitespace().next()
}

fn log_lines(server: &Server) -> Vec<String> {
    std::fs::read_to_string(&server.log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn owner_of(server: &Server) -> String {
    log_lines(server)
        .iter()
        .filter(|l| l.contains("queue worker started"))
        .find_map(|l| field(l, "owner").map(str::to_string))
        .expect("the worker logs its owner id")
}

async fn count(db: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(db)
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_one_killed_every_job_finishes_once_none_submitted_twice() {
    let started = Instant::now();
    let url = Postgres::shared().fresh_database().await;
    let s3 = S3::start();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("dist")).expect("dist");
    let quick = || Script {
        polls_until_done: 2,
        ..Script::default()
    };
    let mut fakes: Vec<Fake> = Vec::new();
    for which in ALL {
        fakes.push(which.start(quick()).await);
    }
    let mut env: Vec<(String, String)> = fakes.iter().flat_map(Fake::env).collect();
    env.extend(s3.env().into_iter().map(|(k, v)| (k.to_string(), v)));

    let mut doomed = spawn_server(dir.path(), "a", &url, &env);
    let survivor = spawn_server(dir.path(), "b", &url, &env);
    wait_listening(&doomed).await;
    wait_listening(&survivor).await;
    let db = sqlx::PgPool::connect(&url).await.expect("test connection");

    // Jobs arrive at both servers, for all four providers, eight requests
    // at a time, while the servers already work. Once A is dead, the rest
    // go to B, as a load balancer would send them; the kill waits for the
    // requests A is answering, so no job's creation is left in doubt.
    let mut prompts: HashMap<String, Which> = HashMap::new();
    let mut orders = Vec::new();
    for n in 0..JOBS {
        let which = ALL[n % ALL.len()];
        let prompt = format!("Kill test job {n}: a {} take", which.name());
        orders.push((n % 2 == 0, common::hosted::request(which, &prompt)));
        prompts.insert(prompt, which);
    }
    let a_alive = std::sync::Arc::new(tokio::sync::RwLock::new(true));
    let creating = {
        let a_alive = std::sync::Arc::clone(&a_alive);
        let (a, b) = (doomed.base.clone(), survivor.base.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for chunk in orders.chunks(8) {
                let alive = a_alive.read().await;
                let sends = chunk.iter().map(|(to_a, body)| {
                    let base = if *to_a && *alive { &a } else { &b };
                    client.post(format!("{base}/api/jobs")).json(body).send()
                });
                for answer in futures_util::future::join_all(sends).await {
                    let status = answer.expect("create").status();
                    assert_eq!(status, reqwest::StatusCode::CREATED);
                }
            }
        })
    };

    // Midway, with jobs in its hands, server A dies.
    let doomed_owner = owner_of(&doomed);
    let terminal = "SELECT COUNT(*) FROM jobs WHERE status IN ('succeeded', 'failed', 'canceled')";
    let deadline = Instant::now() + Duration::from_mins(2);
    let held_by_doomed = format!(
        "SELECT COUNT(*) FROM jobs WHERE status = 'running' AND lease_owner = '{doomed_owner}'"
    );
    while count(&db, terminal).await < (JOBS / 3) as i64 || count(&db, &held_by_doomed).await == 0 {
        assert!(Instant::now() < deadline, "the servers made no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut alive = a_alive.write().await;
    *alive = false;
    doomed.child.kill().expect("SIGKILL");
    drop(alive);
    let _ = doomed.child.wait();
    let killed_at = started.elapsed();
    let orphans: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM jobs WHERE status = 'running' AND lease_owner = '{doomed_owner}'"
    ))
    .fetch_all(&db)
    .await
    .expect("orphans");
    let finished_at_kill = count(&db, terminal).await;

    creating.await.expect("every job was created");
    let created = started.elapsed();
    while count(&db, terminal).await < JOBS as i64 {
        assert!(
            Instant::now() < deadline,
            "jobs left unfinished:\n{}",
            log_lines(&survivor).join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let total = started.elapsed();
    let mut survivor = survivor;
    let _ = survivor.child.kill();
    let _ = survivor.child.wait();

    // Exactly one "job finished" across both logs for every job.
    let mut finishes: HashMap<String, u32> = HashMap::new();
    let mut lines = log_lines(&doomed);
    lines.extend(log_lines(&survivor));
    for line in lines.iter().filter(|l| l.contains("job finished")) {
        let id = field(line, "job").expect("job id").to_string();
        *finishes.entry(id).or_default() += 1;
    }
    assert!(finishes.values().all(|&n| n == 1), "a job finished twice");
    for key in ALL.map(Which::key) {
        assert!(
            !lines.iter().any(|l| l.contains(key)),
            "a key reached a log"
        );
    }

    // No prompt was sent to a provider twice.
    let mut sent: HashMap<String, u32> = HashMap::new();
    for fake in &fakes {
        for prompt in fake.submitted_prompts() {
            *sent.entry(prompt).or_default() += 1;
        }
    }
    let twice: Vec<&String> = sent
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(p, _)| p)
        .collect();
    assert!(twice.is_empty(), "submitted twice: {twice:?}");

    // Every job succeeded with its clip, but for a submission that was on
    // the wire when its server died: its outcome is unknowable, so it
    // fails saying so rather than risk paying twice.
    let rows: Vec<JobRow> =
        sqlx::query_as("SELECT id, status, request, error, outputs, lease_owner FROM jobs")
            .fetch_all(&db)
            .await
            .expect("jobs");
    assert_eq!(rows.len(), JOBS);
    let mut in_doubt = Vec::new();
    for (id, status, request, error, outputs, owner) in &rows {
        // A job's one finish is logged just after it is recorded; only a
        // kill landing between the two may leave it unlogged, on server A.
        assert!(
            finishes.contains_key(id) || owner.as_deref() == Some(doomed_owner.as_str()),
            "{id} finished without a record of it"
        );
        let request: serde_json::Value = serde_json::from_str(request).expect("request");
        let prompt = request["prompt"].as_str().expect("prompt");
        assert!(prompts.contains_key(prompt), "{prompt}");
        match status.as_str() {
            "succeeded" => {
                assert_eq!(sent.get(prompt), Some(&1), "{id} succeeded unsubmitted");
                assert!(outputs.contains("\"has_audio\":true"), "{id}: {outputs}");
            }
            "failed" => {
                let error = error.as_deref().unwrap_or_default();
                let unknowable = error.contains("may already exist")
                    || (prompts[prompt] == Which::Runware && error.contains("Task not found"));
                assert!(unknowable && orphans.contains(id), "{id} failed: {error}");
                // Whether the provider got it is exactly what nobody can know.
                in_doubt.push(sent.contains_key(prompt));
            }
            other => panic!("{id} ended {other}"),
        }
    }
    assert!(!orphans.is_empty(), "the killed server held no jobs");
    let taken_over: i64 = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM jobs WHERE status = 'succeeded' AND id IN ({})",
            orphans
                .iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .await;
    assert!(taken_over > 0, "no orphaned job was resumed");
    // Every clip is in the shared bucket.
    assert!(!s3.stored_under("kill").is_empty(), "no clip reached S3");
    eprintln!(
        "kill test: server A killed at {:.1} s with {finished_at_kill} of {JOBS} jobs done, \
         holding {} (resumed by B: {taken_over}, in doubt: {} of which the fake had {}); \
         all created by {:.1} s, \
         all done in {:.1} s",
        killed_at.as_secs_f64(),
        orphans.len(),
        in_doubt.len(),
        in_doubt.iter().filter(|&&reached| reached).count(),
        created.as_secs_f64(),
        total.as_secs_f64()
    );
}
