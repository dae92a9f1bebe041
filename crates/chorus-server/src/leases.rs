//! Who runs which job. A worker claims a job together with a lease (its
//! owner id and an expiry) and renews it while it works; a job whose lease
//! lapsed, because its worker died, is claimable again. On PostgreSQL the
//! claim skips rows another server is claiming at that moment (`FOR UPDATE
//! SKIP LOCKED`), so any number of servers share one queue; SQLite
//! serialises writers, so the same statement is atomic there as it is.

use std::time::Duration;

use chorus_core::Job;

use crate::db::{Backend, Db, now_ms, on_db, placeholders};
use crate::jobs::{COLUMNS, JobRow};

/// A worker's identity and how long its hold on a job lasts unrenewed.
#[derive(Debug, Clone)]
pub struct Lease {
    /// Unique per server process, so a restarted server is a new owner.
    pub owner: String,
    pub duration: Duration,
}

impl Lease {
    /// A fresh owner id holding jobs for `duration` at a time.
    pub fn new(duration: Duration) -> Lease {
        Lease {
            owner: format!("worker-{}", uuid::Uuid::now_v7().simple()),
            duration,
        }
    }

    fn expiry(&self) -> i64 {
        now_ms().saturating_add(i64::try_from(self.duration.as_millis()).unwrap_or(i64::MAX))
    }
}

/// Takes the oldest job for one of `models` that is queued, or running
/// under a lease that has lapsed, and marks it running under `lease`.
/// A job taken over keeps its progress: its engine resumes it.
pub async fn claim_next(db: &Db, models: &[String], lease: &Lease) -> anyhow::Result<Option<Job>> {
    if models.is_empty() {
        return Ok(None);
    }
    let lock = match db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let claimable = "(status = 'queued' OR (status = 'running' AND lease_expires_at < $3))";
    let sql = format!(
        "UPDATE jobs SET status = 'running',
                progress = CASE WHEN status = 'queued' THEN 0 ELSE progress END,
                lease_owner = $1, lease_expires_at = $2, updated_at = $3
         WHERE id = (SELECT id FROM jobs
                     WHERE {claimable} AND model IN ({models})
                     ORDER BY created_at, id LIMIT 1 {lock})
           AND {claimable}
         RETURNING {COLUMNS}",
        models = placeholders(4, models.len()),
    );
    let now = now_ms();
    let row = on_db!(write db, pool => {
        let mut query = sqlx::query_as::<_, JobRow>(&sql)
            .bind(&lease.owner)
            .bind(lease.expiry())
            .bind(now);
        for model in models {
            query = query.bind(model);
        }
        query.fetch_optional(pool).await
    })?;
    row.map(JobRow::into_job).transpose()
}

/// Extends the lease on every job `lease.owner` runs; returns the ids it
/// still holds.
pub async fn renew(db: &Db, lease: &Lease) -> anyhow::Result<Vec<String>> {
    let ids = on_db!(write db, pool => sqlx::query_scalar::<_, String>(
        "UPDATE jobs SET lease_expires_at = $1
         WHERE lease_owner = $2 AND status = 'running' RETURNING id",
    )
    .bind(lease.expiry())
    .bind(&lease.owner)
    .fetch_all(pool)
    .await)?;
    Ok(ids)
}

/// Which of `ids` are running under another owner now: their lease lapsed
/// and someone took them over, so this worker must let go.
pub async fn taken_over(db: &Db, lease: &Lease, ids: &[String]) -> anyhow::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM jobs WHERE status = 'running' AND lease_owner <> $1 AND id IN ({})",
        placeholders(2, ids.len())
    );
    let taken = on_db!(db, pool => {
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(&lease.owner);
        for id in ids {
            query = query.bind(id);
        }
        query.fetch_all(pool).await
    })?;
    Ok(taken)
}

/// SQLite only: at start-up, jobs left running by this same server (the
/// embedded database has one server) go back to the queue at once instead
/// of waiting for their leases to lapse. On a shared PostgreSQL, other
/// servers' running jobs are theirs; lapsed leases hand them over.
pub async fn requeue_interrupted(db: &Db) -> anyhow::Result<u64> {
    if db.backend() != Backend::Sqlite {
        return Ok(0);
    }
    let done = on_db!(write db, pool => sqlx::query(
        "UPDATE jobs SET status = 'queued', progress = 0, lease_owner = NULL,
                lease_expires_at = NULL, updated_at = $1
         WHERE status = 'running'",
    )
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done)
}
