//! `cargo xtask bench queue`: jobs per second through the queue on SQLite
//! and on PostgreSQL (a cluster this benchmark starts), and API latency at
//! 200 concurrent clients creating and reading jobs beside the same load on
//! a bare axum endpoint that does nothing, the framework's floor, in the
//! same process and run. Prints one table with the ratios.

#[path = "../../tests/common/services.rs"]
mod services;

mod load;
mod throughput;

use std::sync::Arc;
use std::time::Duration;

use chorus_server::{AppState, ServeConfig};
use load::{Call, Sample};

const CLIENTS: usize = 200;
const PER_CLIENT: usize = 25;
const ROUNDS: usize = 2;

/// A server state on `database_url` (SQLite in `dir` when `None`).
async fn state(dir: &std::path::Path, database_url: Option<String>) -> AppState {
    let mut config = ServeConfig::local(
        "127.0.0.1:0".parse().expect("addr"),
        dir.to_path_buf(),
        dir.join("dist"),
    );
    config.database_url = database_url;
    config.queue.idle_poll = Duration::from_millis(50);
    AppState::open(&config).await.expect("state opens")
}

/// A draft job without spoken lines: creation is checking, pricing and one
/// insert (speech fitting is `bench draft`'s business).
fn create_body() -> String {
    serde_json::json!({
        "model": "draft",
        "mode": "text-to-video",
        "prompt": "A florist arranges tulips in a sunny shop",
        "duration_s": 5,
        "resolution": "720p",
        "aspect_ratio": "9:16"
    })
    .to_string()
}

/// Runs `call` `ROUNDS` times, interleaved with the floor's `floor_call`,
/// so load on the machine falls on both alike.
async fn paired(floor_call: &Call, call: &Call) -> (Sample, Sample) {
    let mut floor = load::run(CLIENTS, PER_CLIENT, floor_call).await;
    let mut ours = load::run(CLIENTS, PER_CLIENT, call).await;
    for _ in 1..ROUNDS {
        floor = floor.merge(load::run(CLIENTS, PER_CLIENT, floor_call).await);
        ours = ours.merge(load::run(CLIENTS, PER_CLIENT, call).await);
    }
    (floor, ours)
}

struct Row {
    what: String,
    sample: Sample,
    /// Floor p50 and p99 this row is compared with, and the target ratio.
    against: Option<(f64, f64, Option<f64>)>,
}

fn print_latency(rows: &[Row]) {
    println!(
        "  {:<44} {:>8} {:>8} {:>9} {:>9} {:>7}",
        "API at 200 clients", "p50 ms", "p99 ms", "×floor50", "×floor99", "errors"
    );
    for row in rows {
        let (p50, p99) = (row.sample.percentile(0.50), row.sample.percentile(0.99));
        let (r50, r99, verdict) = match row.against {
            Some((f50, f99, target)) => {
                let (r50, r99) = (p50 / f50, p99 / f99);
                let verdict = target.map_or(String::new(), |t| {
                    let met = r50 <= t && r99 <= t;
                    format!(
                        "  (target ≤ {t:.0}×: {})",
                        if met { "met" } else { "MISSED" }
                    )
                });
                (format!("{r50:.2}"), format!("{r99:.2}"), verdict)
            }
            None => (String::new(), String::new(), String::new()),
        };
        println!(
            "  {:<44} {p50:>8.2} {p99:>8.2} {r50:>9} {r99:>9} {:>7}{verdict}",
            row.what, row.sample.errors
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let scratch = tempfile::tempdir().expect("tempdir");
    eprintln!("Starting PostgreSQL (defaults: fsync on) …");
    let postgres = services::Postgres::start(false);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);

    // Throughput first: nothing else is running.
    eprintln!("Jobs through the queue …");
    let mut rates = Vec::new();
    let sqlite_dir = scratch.path().join("t-sqlite");
    let s = state(&sqlite_dir, None).await;
    rates.push((
        "finish at once, SQLite, one server",
        throughput::instant_jobs(&[s], 1000).await,
    ));
    let url = postgres.fresh_database().await;
    let s = state(&scratch.path().join("t-pg"), Some(url)).await;
    rates.push((
        "finish at once, PostgreSQL, one server",
        throughput::instant_jobs(&[s], 1000).await,
    ));
    let url = postgres.fresh_database().await;
    let a = state(&scratch.path().join("t-pg2a"), Some(url.clone())).await;
    let b = state(&scratch.path().join("t-pg2b"), Some(url)).await;
    rates.push((
        "finish at once, PostgreSQL, two servers",
        throughput::instant_jobs(&[a, b], 1000).await,
    ));
    let s = state(&scratch.path().join("f-sqlite"), None).await;
    rates.push((
        "fal fake: submit, poll, download, store; SQLite",
        throughput::fal_jobs(&s, 300).await,
    ));
    let url = postgres.fresh_database().await;
    let s = state(&scratch.path().join("f-pg"), Some(url)).await;
    rates.push((
        "fal fake: submit, poll, download, store; PostgreSQL",
        throughput::fal_jobs(&s, 300).await,
    ));

    // Latency: the floor and both databases served side by side, no worker
    // running (jobs stay queued, so nothing else uses the CPU).
    eprintln!("API latency at {CLIENTS} clients …");
    let floor = load::serve(load::floor()).await;
    let sqlite = state(&scratch.path().join("api-sqlite"), None).await;
    let url = postgres.fresh_database().await;
    let pg = state(&scratch.path().join("api-pg"), Some(url)).await;
    let mut rows = Vec::new();
    let floor_get = Call::Get(Arc::new(vec![format!("{floor}/nothing")]));
    let floor_post = Call::Post(format!("{floor}/nothing"), Arc::new(create_body()));
    let mut reads = Vec::new();
    let mut creates = Vec::new();
    for (name, state) in [("SQLite", sqlite), ("PostgreSQL", pg)] {
        let base = load::serve(chorus_server::app(state.clone())).await;
        let post = Call::Post(format!("{base}/api/jobs"), Arc::new(create_body()));
        let (floor_sample, sample) = paired(&floor_post, &post).await;
        creates.push((name, floor_sample, sample));
        let ids: Vec<String> = chorus_server::jobs::list(&state.db, 1000)
            .await
            .expect("list")
            .into_iter()
            .map(|j| format!("{base}/api/jobs/{}", j.id))
            .collect();
        let get = Call::Get(Arc::new(ids));
        let (floor_sample, sample) = paired(&floor_get, &get).await;
        reads.push((name, floor_sample, sample));
    }
    for (label, list, target_sqlite, target_pg) in [
        ("GET /api/jobs/{id}", reads, Some(2.0), Some(2.0)),
        ("POST /api/jobs", creates, Some(5.0), None),
    ] {
        for (name, floor_sample, sample) in list {
            let (f50, f99) = (floor_sample.percentile(0.5), floor_sample.percentile(0.99));
            let method = if label.starts_with("GET") {
                "GET"
            } else {
                "POST"
            };
            rows.push(Row {
                what: format!("floor: bare axum {method} (beside {name})"),
                sample: floor_sample,
                against: None,
            });
            let target = if name == "SQLite" {
                target_sqlite
            } else {
                target_pg
            };
            rows.push(Row {
                what: format!("{label}, {name}"),
                sample,
                against: Some((f50, f99, target)),
            });
        }
    }

    println!();
    println!(
        "Queue benchmark ({cores} cores; {CLIENTS} clients × {PER_CLIENT} requests × {ROUNDS} rounds, \
         interleaved with the floor; SQLite WAL synchronous=NORMAL, PostgreSQL defaults)"
    );
    println!("  {:<52} {:>10}", "jobs through the queue", "jobs/s");
    for (what, rate) in &rates {
        println!("  {what:<52} {rate:>10.0}");
    }
    println!();
    print_latency(&rows);
}
