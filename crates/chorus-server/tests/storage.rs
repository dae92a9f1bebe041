//! The storage suite, run once on SQLite and once on a real PostgreSQL
//! started for this test binary: job records, forward-only transitions,
//! claims with leases (each job to exactly one claimer, lapsed leases taken
//! over, fenced outcomes), the shared submit ledger and asset records.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chorus_core::{Job, JobOutput, JobStatus};
use chorus_providers::{ProviderJob, SubmitLedger, SubmitRecord};
use chorus_server::db::Db;
use chorus_server::jobs::{self, Change};
use chorus_server::leases::{self, Lease};
use chorus_server::submit_ledger::{DbLedger, SavedTake, save_take, saved_take};

use common::services::Postgres;

/// A database for one test, and what keeps it alive.
struct Store {
    db: Db,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Store {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(None, dir.path()).await.expect("sqlite opens");
    Store {
        db,
        _dir: Some(dir),
    }
}

async fn postgres() -> Store {
    let url = Postgres::shared().fresh_database().await;
    let db = Db::open(Some(&url), std::path::Path::new("/nonexistent"))
        .await
        .expect("postgres opens");
    Store { db, _dir: None }
}

/// Runs each named suite function against both engines.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::sqlite().await.db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::postgres().await.db).await;
            }
        }
    )*};
}

on_both!(
    records_round_trip,
    transitions_only_move_forward,
    each_job_goes_to_exactly_one_claimer,
    a_lapsed_lease_is_taken_over_and_fences_the_old_owner,
    claims_only_take_models_this_worker_runs,
    the_submit_ledger_lets_one_sender_through,
    asset_records_are_stored_once,
    many_writers_at_once_all_land_and_read_back,
    a_duplicate_among_many_writers_fails_alone,
);

fn new_job(model: &str, created_at: i64) -> Job {
    common::job_record(
        &format!("job_{created_at:08}"),
        model,
        created_at,
        JobStatus::Queued,
    )
}

fn output(video: &str) -> JobOutput {
    common::take(video)
}

fn models(list: &[&str]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

async fn records_round_trip(db: Db) {
    for t in [3, 1, 2] {
        jobs::insert(&db, &new_job("draft", t))
            .await
            .expect("insert");
    }
    let listed = jobs::list(&db, 10).await.expect("list");
    let ids: Vec<&str> = listed.iter().map(|j| j.id.0.as_str()).collect();
    assert_eq!(ids, ["job_00000003", "job_00000002", "job_00000001"]);
    assert_eq!(jobs::list(&db, 1).await.expect("list").len(), 1);
    let job = jobs::get(&db, "job_00000002")
        .await
        .expect("get")
        .expect("there");
    assert_eq!(job.request.prompt, "A job made at 2");
    assert_eq!(job.status, JobStatus::Queued);
    assert!(jobs::get(&db, "job_missing").await.expect("get").is_none());

    jobs::set_actual_cost(&db, "job_00000002", 700_000)
        .await
        .expect("cost");
    let job = jobs::get(&db, "job_00000002")
        .await
        .expect("get")
        .expect("there");
    assert_eq!(job.actual_cost_usd_micros, Some(700_000));
}

async fn transitions_only_move_forward(db: Db) {
    jobs::insert(&db, &new_job("draft", 1))
        .await
        .expect("insert");
    let id = "job_00000001";
    let no_change = || Change::default();
    // Queued cannot succeed without running first.
    assert!(
        jobs::update_status(&db, id, JobStatus::Succeeded, no_change(), None)
            .await
            .expect("update")
            .is_none()
    );
    let lease = Lease::new(Duration::from_mins(1));
    let claimed = leases::claim_next(&db, &models(&["draft"]), &lease)
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(claimed.status, JobStatus::Running);
    // Another owner's outcome is refused; the holder's lands once.
    let done = || Change {
        progress: Some(1.0),
        outputs: Some(vec![output("v1")]),
        error: None,
    };
    assert!(
        jobs::update_status(&db, id, JobStatus::Succeeded, done(), Some("someone-else"))
            .await
            .expect("update")
            .is_none()
    );
    let finished = jobs::update_status(&db, id, JobStatus::Succeeded, done(), Some(&lease.owner))
        .await
        .expect("update")
        .expect("finished");
    assert_eq!(finished.outputs, vec![output("v1")]);
    assert!((finished.progress - 1.0).abs() < f32::EPSILON);
    for to in [
        JobStatus::Succeeded,
        JobStatus::Canceled,
        JobStatus::Running,
    ] {
        assert!(
            jobs::update_status(&db, id, to, no_change(), None)
                .await
                .expect("update")
                .is_none(),
            "a finished job became {to:?}"
        );
    }
}

async fn each_job_goes_to_exactly_one_claimer(db: Db) {
    const JOBS: i64 = 60;
    for t in 0..JOBS {
        jobs::insert(&db, &new_job("happyhorse-1.1@fal", t))
            .await
            .expect("insert");
    }
    // Eight workers race for the jobs on their own connections.
    let mut racers = Vec::new();
    for _ in 0..8 {
        let db = db.clone();
        racers.push(tokio::spawn(async move {
            let lease = Lease::new(Duration::from_mins(1));
            let mut mine = Vec::new();
            while let Some(job) = leases::claim_next(&db, &models(&["happyhorse-1.1@fal"]), &lease)
                .await
                .expect("claim")
            {
                mine.push(job.id.0);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for racer in racers {
        all.extend(racer.await.expect("join"));
    }
    let claimed = all.len();
    all.sort();
    all.dedup();
    assert_eq!(claimed, JOBS as usize, "every job claimed, none twice");
    assert_eq!(all.len(), JOBS as usize);
}

async fn a_lapsed_lease_is_taken_over_and_fences_the_old_owner(db: Db) {
    jobs::insert(&db, &new_job("draft", 1))
        .await
        .expect("insert");
    let id = "job_00000001";
    let draft = models(&["draft"]);
    let dying = Lease::new(Duration::from_millis(300));
    let taker = Lease::new(Duration::from_mins(1));
    leases::claim_next(&db, &draft, &dying)
        .await
        .expect("claim")
        .expect("a job");
    // Renewed while alive: nobody else may take it.
    assert_eq!(leases::renew(&db, &dying).await.expect("renew"), [id]);
    assert!(
        leases::claim_next(&db, &draft, &taker)
            .await
            .expect("claim")
            .is_none()
    );
    let state_progress = 0.4f64;
    db.execute(&format!(
        "UPDATE jobs SET progress = {state_progress} WHERE id = '{id}'"
    ))
    .await
    .expect("progress");

    tokio::time::sleep(Duration::from_millis(400)).await;
    let resumed = leases::claim_next(&db, &draft, &taker)
        .await
        .expect("claim")
        .expect("the lapsed job");
    assert_eq!(resumed.id.0, id);
    assert_eq!(resumed.status, JobStatus::Running);
    assert!(
        (f64::from(resumed.progress) - state_progress).abs() < 1e-6,
        "a taken-over job keeps its progress"
    );
    // The old owner learns it let go, and can neither renew nor finish.
    assert!(leases::renew(&db, &dying).await.expect("renew").is_empty());
    assert_eq!(
        leases::taken_over(&db, &dying, &[id.to_string()])
            .await
            .expect("taken over"),
        [id]
    );
    assert!(
        jobs::update_status(
            &db,
            id,
            JobStatus::Failed,
            Change::default(),
            Some(&dying.owner)
        )
        .await
        .expect("update")
        .is_none()
    );
    let done = jobs::update_status(
        &db,
        id,
        JobStatus::Succeeded,
        Change::default(),
        Some(&taker.owner),
    )
    .await
    .expect("update");
    assert_eq!(done.map(|j| j.status), Some(JobStatus::Succeeded));
    assert!(
        leases::taken_over(&db, &taker, &[id.to_string()])
            .await
            .expect("check")
            .is_empty()
    );
}

async fn claims_only_take_models_this_worker_runs(db: Db) {
    jobs::insert(&db, &new_job("draft", 1))
        .await
        .expect("insert");
    jobs::insert(&db, &new_job("happyhorse-1.1@fal", 2))
        .await
        .expect("insert");
    let lease = Lease::new(Duration::from_mins(1));
    let fal = models(&["happyhorse-1.1@fal", "veo-3-fast@replicate"]);
    let job = leases::claim_next(&db, &fal, &lease)
        .await
        .expect("claim")
        .expect("the fal job");
    assert_eq!(job.id.0, "job_00000002");
    assert!(
        leases::claim_next(&db, &fal, &lease)
            .await
            .expect("claim")
            .is_none()
    );
    assert!(
        leases::claim_next(&db, &[], &lease)
            .await
            .expect("claim")
            .is_none()
    );
    let draft = jobs::get(&db, "job_00000001")
        .await
        .expect("get")
        .expect("there");
    assert_eq!(draft.status, JobStatus::Queued);
}

async fn the_submit_ledger_lets_one_sender_through(db: Db) {
    let ledger = Arc::new(DbLedger::new(db.clone()));
    let key = "job_1/0";
    let mut racers = Vec::new();
    for _ in 0..6 {
        let ledger = Arc::clone(&ledger);
        racers.push(tokio::spawn(async move {
            ledger
                .insert_new(key, SubmitRecord::Sending { prepared_id: None })
                .await
                .expect("insert")
        }));
    }
    let mut winners = 0;
    for racer in racers {
        if racer.await.expect("join").is_none() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "exactly one submit may be sent");

    let accepted = SubmitRecord::Accepted(ProviderJob {
        provider: "fal".into(),
        model: "happyhorse-1.1@fal".into(),
        job_key: key.into(),
        provider_id: "req-9".into(),
        endpoint: "alibaba/happy-horse/v1.1/text-to-video".into(),
    });
    ledger.set(key, accepted.clone()).await.expect("set");
    // A second server reading the same database sees the accepted job.
    let other = DbLedger::new(db.clone());
    assert_eq!(other.get(key).await.expect("get"), Some(accepted.clone()));
    assert_eq!(
        other
            .insert_new(key, SubmitRecord::Sending { prepared_id: None })
            .await
            .expect("insert"),
        Some(accepted)
    );

    assert!(saved_take(&db, key).await.expect("read").is_none());
    let take = SavedTake {
        output: output("clip"),
        cost_usd_micros: Some(1_250_000),
    };
    save_take(&db, key, &take).await.expect("save");
    let saved = saved_take(&db, key).await.expect("read").expect("saved");
    assert_eq!(saved.output, take.output);
    assert_eq!(saved.cost_usd_micros, Some(1_250_000));

    ledger
        .remove("job_2/0")
        .await
        .expect("removing nothing is fine");
    ledger.remove(key).await.expect("remove");
    assert_eq!(ledger.get(key).await.expect("get"), None);
}

async fn asset_records_are_stored_once(db: Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = chorus_server::assets::AssetStore::open(dir.path().join("assets")).expect("store");
    let bytes = b"not really a png, but bytes are bytes".to_vec();
    let first = store
        .put(&db, &bytes, "image/png", Some((640, 480)))
        .await
        .expect("put");
    let again = store
        .put(&db, &bytes, "image/png", Some((640, 480)))
        .await
        .expect("put again");
    assert_eq!(first.id, again.id);
    let record = chorus_server::assets::find(&db, &first.id)
        .await
        .expect("find")
        .expect("recorded");
    assert_eq!(record.bytes, bytes.len() as i64);
    assert_eq!((record.width, record.height), (Some(640), Some(480)));
    assert_eq!(store.read(&first.id).await.expect("read"), bytes);
    assert!(
        chorus_server::assets::find(&db, &"0".repeat(64))
            .await
            .expect("find")
            .is_none()
    );
}

/// SQLite has one server, so its running jobs go back to the queue at
/// start-up; on a shared PostgreSQL they belong to live servers until their
/// leases lapse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_requeues_only_the_embedded_database() {
    for (store, requeued) in [(sqlite().await, 1), (postgres().await, 0)] {
        let db = store.db;
        jobs::insert(&db, &new_job("draft", 1))
            .await
            .expect("insert");
        let lease = Lease::new(Duration::from_mins(1));
        leases::claim_next(&db, &models(&["draft"]), &lease)
            .await
            .expect("claim")
            .expect("a job");
        assert_eq!(
            leases::requeue_interrupted(&db).await.expect("requeue"),
            requeued,
            "{:?}",
            db.backend()
        );
    }
}

/// A burst of writers at once (the API under load): every insert lands, and
/// each writer reads its own job straight back (on SQLite the read goes to
/// another connection than the write did).
async fn many_writers_at_once_all_land_and_read_back(db: Db) {
    let mut tasks = Vec::new();
    for n in 0..64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let job = new_job("draft", 1_000 + n);
            jobs::insert(&db, &job).await.expect("insert");
            jobs::get(&db, &job.id.0)
                .await
                .expect("read")
                .expect("its own job")
        }));
    }
    for (n, task) in tasks.into_iter().enumerate() {
        let job = task.await.expect("writer task");
        assert_eq!(job.request.prompt, format!("A job made at {}", 1_000 + n));
    }
    assert_eq!(jobs::count_unfinished(&db).await.expect("count"), 64);
}

/// An in-memory SQLite database would lose every job at a restart (and each
/// connection would see a database of its own): refused, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_sqlite_database_is_refused() {
    for url in ["sqlite::memory:", "sqlite://chorus.db?mode=memory"] {
        let error = Db::open(Some(url), std::path::Path::new("/nonexistent"))
            .await
            .expect_err("in-memory refused");
        let message = format!("{error:#}");
        assert!(
            message.contains("in-memory") && message.contains("name a file"),
            "{url}: {message}"
        );
    }
}

/// One bad record among many written at once (on SQLite they may share a
/// commit): only its own writer hears of it; every other record lands.
async fn a_duplicate_among_many_writers_fails_alone(db: Db) {
    jobs::insert(&db, &new_job("draft", 7))
        .await
        .expect("first");
    let mut tasks = Vec::new();
    for n in 0..48 {
        let db = db.clone();
        // Writer 20 repeats job 7's id.
        let job = new_job("draft", if n == 20 { 7 } else { 2_000 + n });
        tasks.push(tokio::spawn(async move { jobs::insert(&db, &job).await }));
    }
    for (n, task) in tasks.into_iter().enumerate() {
        let done = task.await.expect("writer task");
        assert_eq!(done.is_err(), n == 20, "writer {n}: {done:?}");
    }
    assert_eq!(jobs::count_unfinished(&db).await.expect("count"), 48);
    let first = jobs::get(&db, "job_00000007")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(first.request.prompt, "A job made at 7");
}
