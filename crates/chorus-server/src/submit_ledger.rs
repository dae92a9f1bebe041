//! The providers' submit ledger kept in our database, so a server that
//! restarts mid-job finds the provider job it already paid for instead of
//! submitting again. Each hosted take also keeps its saved clip here, so a
//! resumed job never re-downloads from a URL that may have expired. On a
//! shared PostgreSQL every server sees the same ledger, so a job taken over
//! from a dead server is polled, never submitted again.

use chorus_core::JobOutput;
use chorus_providers::{BoxFuture, ProviderError, SubmitLedger, SubmitRecord};

use crate::db::{Db, now_ms, on_db};

/// `SubmitLedger` over the `provider_submits` table.
#[derive(Debug, Clone)]
pub struct DbLedger {
    db: Db,
}

impl DbLedger {
    pub fn new(db: Db) -> Self {
        DbLedger { db }
    }
}

fn ledger_error(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Ledger(format!("the job database: {e}"))
}

fn parse(json: &str) -> Result<SubmitRecord, ProviderError> {
    serde_json::from_str(json).map_err(ledger_error)
}

fn encode(record: &SubmitRecord) -> Result<String, ProviderError> {
    serde_json::to_string(record).map_err(ledger_error)
}

async fn read(db: &Db, job_key: &str) -> Result<Option<SubmitRecord>, ProviderError> {
    let row: Option<(String,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT record FROM provider_submits WHERE job_key = $1",
    )
    .bind(job_key)
    .fetch_optional(pool)
    .await)
    .map_err(ledger_error)?;
    row.map(|(json,)| parse(&json)).transpose()
}

impl SubmitLedger for DbLedger {
    fn get<'a>(
        &'a self,
        job_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<SubmitRecord>, ProviderError>> {
        Box::pin(read(&self.db, job_key))
    }

    fn insert_new<'a>(
        &'a self,
        job_key: &'a str,
        record: SubmitRecord,
    ) -> BoxFuture<'a, Result<Option<SubmitRecord>, ProviderError>> {
        Box::pin(async move {
            // One statement decides who wins, so two workers can never both
            // believe they may send.
            let json = encode(&record)?;
            let inserted = on_db!(write &self.db, pool => sqlx::query(
                "INSERT INTO provider_submits (job_key, record, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (job_key) DO NOTHING",
            )
            .bind(job_key)
            .bind(&json)
            .bind(now_ms())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
            .map_err(ledger_error)?;
            if inserted == 1 {
                return Ok(None);
            }
            match read(&self.db, job_key).await? {
                Some(existing) => Ok(Some(existing)),
                // Removed between the two statements: treat it as a send
                // in doubt rather than sending without a record.
                None => Ok(Some(SubmitRecord::Sending { prepared_id: None })),
            }
        })
    }

    fn set<'a>(
        &'a self,
        job_key: &'a str,
        record: SubmitRecord,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let json = encode(&record)?;
            on_db!(write &self.db, pool => sqlx::query(
                "INSERT INTO provider_submits (job_key, record, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (job_key) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at",
            )
            .bind(job_key)
            .bind(&json)
            .bind(now_ms())
            .execute(pool)
            .await
            .map(|_| ()))
            .map_err(ledger_error)?;
            Ok(())
        })
    }

    fn remove<'a>(&'a self, job_key: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            on_db!(write &self.db, pool => sqlx::query("DELETE FROM provider_submits WHERE job_key = $1")
                .bind(job_key)
                .execute(pool)
                .await
                .map(|_| ()))
            .map_err(ledger_error)?;
            Ok(())
        })
    }
}

/// A take already generated and saved, with what it cost.
#[derive(Debug, Clone)]
pub struct SavedTake {
    pub output: JobOutput,
    pub cost_usd_micros: Option<u64>,
}

/// The saved clip of take `job_key`, if it was finished before.
pub async fn saved_take(db: &Db, job_key: &str) -> anyhow::Result<Option<SavedTake>> {
    let row: Option<(Option<String>, Option<i64>)> = on_db!(db, pool => sqlx::query_as(
        "SELECT output, cost_usd_micros FROM provider_submits WHERE job_key = $1",
    )
    .bind(job_key)
    .fetch_optional(pool)
    .await)?;
    let Some((Some(json), cost)) = row else {
        return Ok(None);
    };
    Ok(Some(SavedTake {
        output: serde_json::from_str(&json)?,
        cost_usd_micros: cost.map(|c| c.max(0) as u64),
    }))
}

/// Remembers take `job_key`'s saved clip.
pub async fn save_take(db: &Db, job_key: &str, take: &SavedTake) -> anyhow::Result<()> {
    let output = serde_json::to_string(&take.output)?;
    let cost = take
        .cost_usd_micros
        .map(|c| i64::try_from(c).unwrap_or(i64::MAX));
    on_db!(write db, pool => sqlx::query(
        "UPDATE provider_submits SET output = $1, cost_usd_micros = $2, updated_at = $3 WHERE job_key = $4",
    )
    .bind(&output)
    .bind(cost)
    .bind(now_ms())
    .bind(job_key)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}
