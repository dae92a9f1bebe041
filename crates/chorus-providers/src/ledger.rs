//! Idempotent submits. fal, Replicate and DashScope take no idempotency key,
//! so a retried POST could start (and bill) a second job. Every adapter
//! therefore goes through a ledger keyed by our job key:
//!
//! 1. a key already `Accepted` returns the recorded provider job, no POST;
//! 2. otherwise the key is marked `Sending` *before* the POST;
//! 3. an answer moves it to `Accepted`; a definite refusal (4xx, or the
//!    connection never opened) clears it so a later retry may send again;
//! 4. anything in between (timeout, 5xx, unreadable answer) leaves it
//!    `Sending`, and the next submit for that key fails with
//!    `SubmitInDoubt` instead of paying twice.
//!
//! The server implements `SubmitLedger` over its database so this survives
//! restarts; `MemoryLedger` serves tests and single-process use.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use crate::error::Result;
use crate::http::CallError;
use crate::provider::{BoxFuture, ProviderJob};

/// What the ledger knows about one job key. Serializable so a database
/// ledger can store it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SubmitRecord {
    /// A POST went out and its outcome is unknown. `prepared_id` is the
    /// provider id we chose ourselves, when the protocol lets us (Runware's
    /// `taskUUID`), so the job can still be looked up.
    Sending {
        prepared_id: Option<String>,
    },
    Accepted(ProviderJob),
}

/// Adapters print their ledger by its role only.
impl std::fmt::Debug for dyn SubmitLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubmitLedger")
    }
}

/// Durable map from job key to submit outcome. Async and fallible because
/// the server keeps it in its database: a record that cannot be written
/// must stop the POST rather than risk a second paid job.
pub trait SubmitLedger: Send + Sync {
    fn get<'a>(&'a self, job_key: &'a str) -> BoxFuture<'a, Result<Option<SubmitRecord>>>;
    /// Records `record` for `job_key` only if nothing is recorded yet;
    /// returns what was there instead when something was. Must be atomic:
    /// it is what stops two concurrent submits.
    fn insert_new<'a>(
        &'a self,
        job_key: &'a str,
        record: SubmitRecord,
    ) -> BoxFuture<'a, Result<Option<SubmitRecord>>>;
    fn set<'a>(&'a self, job_key: &'a str, record: SubmitRecord) -> BoxFuture<'a, Result<()>>;
    fn remove<'a>(&'a self, job_key: &'a str) -> BoxFuture<'a, Result<()>>;
}

/// In-process ledger.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    records: Mutex<HashMap<String, SubmitRecord>>,
}

impl MemoryLedger {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SubmitRecord>> {
        // A poisoned map is still a consistent map: every write is one insert.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SubmitLedger for MemoryLedger {
    fn get<'a>(&'a self, job_key: &'a str) -> BoxFuture<'a, Result<Option<SubmitRecord>>> {
        let found = self.lock().get(job_key).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn insert_new<'a>(
        &'a self,
        job_key: &'a str,
        record: SubmitRecord,
    ) -> BoxFuture<'a, Result<Option<SubmitRecord>>> {
        let existing = {
            let mut map = self.lock();
            if let Some(existing) = map.get(job_key) {
                Some(existing.clone())
            } else {
                map.insert(job_key.to_string(), record);
                None
            }
        };
        Box::pin(async move { Ok(existing) })
    }

    fn set<'a>(&'a self, job_key: &'a str, record: SubmitRecord) -> BoxFuture<'a, Result<()>> {
        self.lock().insert(job_key.to_string(), record);
        Box::pin(async { Ok(()) })
    }

    fn remove<'a>(&'a self, job_key: &'a str) -> BoxFuture<'a, Result<()>> {
        self.lock().remove(job_key);
        Box::pin(async { Ok(()) })
    }
}

/// How a submit POST ended, as far as double-billing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// The provider certainly did not create a job.
    NotCreated,
    /// It may have.
    Unknown,
}

/// Sends a submit at most once per job key (see the module docs).
/// `prepared_id` is an id we chose for the job before sending, if the
/// protocol has one; `in_doubt` decides what an unknown earlier attempt
/// means for this provider.
pub(crate) async fn submit_once<Fut>(
    ledger: &dyn SubmitLedger,
    job_key: &str,
    prepared_id: Option<String>,
    in_doubt: impl FnOnce(Option<String>) -> Result<ProviderJob>,
    send: impl FnOnce() -> Fut,
) -> Result<ProviderJob>
where
    Fut: Future<Output = std::result::Result<ProviderJob, CallError>>,
{
    let fresh = SubmitRecord::Sending { prepared_id };
    match ledger.insert_new(job_key, fresh).await? {
        Some(SubmitRecord::Accepted(job)) => return Ok(job),
        Some(SubmitRecord::Sending { prepared_id }) => return in_doubt(prepared_id),
        None => {}
    }
    match send().await {
        Ok(job) => {
            // The job exists and is billed whether or not this write lands;
            // if it fails the key stays `Sending`, which is the safe side.
            ledger
                .set(job_key, SubmitRecord::Accepted(job.clone()))
                .await?;
            Ok(job)
        }
        Err(CallError { error, outcome }) => {
            if outcome == SendOutcome::NotCreated {
                // Failing to clear only means a later retry is refused as in
                // doubt, never a double submit; the send error matters more.
                let _ = ledger.remove(job_key).await;
            }
            Err(error)
        }
    }
}

/// `submit_once` for protocols where we cannot choose the provider's id:
/// an earlier attempt of unknown outcome stops this one with `SubmitInDoubt`.
pub(crate) async fn submit_without_own_id<Fut>(
    ledger: &dyn SubmitLedger,
    provider: &'static str,
    job_key: &str,
    send: impl FnOnce() -> Fut,
) -> Result<ProviderJob>
where
    Fut: Future<Output = std::result::Result<ProviderJob, CallError>>,
{
    let in_doubt = |_| {
        Err(crate::error::ProviderError::SubmitInDoubt {
            provider,
            job_key: job_key.to_string(),
        })
    };
    submit_once(ledger, job_key, None, in_doubt, send).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_insert_sees_the_first() {
        let ledger = MemoryLedger::default();
        let first = SubmitRecord::Sending { prepared_id: None };
        assert_eq!(ledger.insert_new("job-1", first.clone()).await, Ok(None));
        assert_eq!(
            ledger
                .insert_new("job-1", SubmitRecord::Sending { prepared_id: None })
                .await,
            Ok(Some(first))
        );
        ledger.remove("job-1").await.expect("remove");
        assert_eq!(ledger.get("job-1").await, Ok(None));
    }
}
