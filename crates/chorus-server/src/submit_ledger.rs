//! The providers' submit ledger kept in our database, so a server that
//! restarts mid-job finds the provider job it already paid for instead of
//! submitting again. Each hosted take also keeps its saved clip here, so a
//! resumed job never re-downloads from a URL that may have expired.

use chorus_core::JobOutput;
use chorus_providers::{BoxFuture, ProviderError, SubmitLedger, SubmitRecord};
use sqlx::SqlitePool;

use crate::jobs::now_ms;

/// `SubmitLedger` over the `provider_submits` table.
#[derive(Debug, Clone)]
pub struct DbLedger {
    db: SqlitePool,
}

impl DbLedger {
    pub fn new(db: SqlitePool) -> Self {
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

async fn read(db: &SqlitePool, job_key: &str) -> Result<Option<SubmitRecord>, ProviderError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT record FROM provider_submits WHERE job_key = ?")
            .bind(job_key)
            .fetch_optional(db)
            .await
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
            let inserted = sqlx::query(
                "INSERT INTO provider_submits (job_key, record, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (job_key) DO NOTHING",
            )
            .bind(job_key)
            .bind(encode(&record)?)
            .bind(now_ms())
            .execute(&self.db)
            .await
            .map_err(ledger_error)?;
            if inserted.rows_affected() == 1 {
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
            sqlx::query(
                "INSERT INTO provider_submits (job_key, record, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (job_key) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at",
            )
            .bind(job_key)
            .bind(encode(&record)?)
            .bind(now_ms())
            .execute(&self.db)
            .await
            .map_err(ledger_error)?;
            Ok(())
        })
    }

    fn remove<'a>(&'a self, job_key: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            sqlx::query("DELETE FROM provider_submits WHERE job_key = ?")
                .bind(job_key)
                .execute(&self.db)
                .await
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
pub async fn saved_take(db: &SqlitePool, job_key: &str) -> anyhow::Result<Option<SavedTake>> {
    let row: Option<(Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT output, cost_usd_micros FROM provider_submits WHERE job_key = ?")
            .bind(job_key)
            .fetch_optional(db)
            .await?;
    let Some((Some(json), cost)) = row else {
        return Ok(None);
    };
    Ok(Some(SavedTake {
        output: serde_json::from_str(&json)?,
        cost_usd_micros: cost.map(|c| c.max(0) as u64),
    }))
}

/// Remembers take `job_key`'s saved clip.
pub async fn save_take(db: &SqlitePool, job_key: &str, take: &SavedTake) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE provider_submits SET output = ?, cost_usd_micros = ?, updated_at = ? WHERE job_key = ?",
    )
    .bind(serde_json::to_string(&take.output)?)
    .bind(take.cost_usd_micros.map(|c| i64::try_from(c).unwrap_or(i64::MAX)))
    .bind(now_ms())
    .bind(job_key)
    .execute(db)
    .await?;
    Ok(())
}
