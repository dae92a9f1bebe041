//! Job records in the database, and every change to them. Each change is a
//! conditional update (the job must still be in an expected state, and a
//! worker's changes also that it still holds the job's lease), so a cancel
//! racing a worker can never resurrect a finished job and a worker that lost
//! its lease can never finish a job twice. Every change is published to the
//! event bus. A job's reservation against the month's budget is written
//! with it and settled in the same transaction as the change that ends it
//! (`budget`).

use anyhow::Context as _;
use chorus_core::{Cost, GenerationRequest, Job, JobId, JobOutput, JobStatus};

use crate::budget::{self, BudgetConn as _, OverBudget, Reservation};
use crate::db::{Db, job_inserts, now_ms, on_db, placeholders};
use crate::holdings;
use crate::outgoing;

use crate::state::AppState;

/// A new, time-ordered job id.
pub fn new_job_id() -> JobId {
    JobId(format!("job_{}", uuid::Uuid::now_v7().simple()))
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: String,
    status: String,
    progress: f64,
    request: String,
    estimate: Option<String>,
    outputs: String,
    error: Option<String>,
    actual_cost_usd_micros: Option<i64>,
    created_at: i64,
    updated_at: i64,
    deleted_at: Option<i64>,
    bytes: i64,
}

impl JobRow {
    pub(crate) fn into_job(self) -> anyhow::Result<Job> {
        let status = JobStatus::parse(&self.status)
            .with_context(|| format!("job {} has unknown status {}", self.id, self.status))?;
        let request: GenerationRequest = serde_json::from_str(&self.request)
            .with_context(|| format!("job {} has an unreadable request", self.id))?;
        let estimate: Option<Cost> = match self.estimate {
            Some(json) => serde_json::from_str(&json).ok(),
            None => None,
        };
        let outputs: Vec<JobOutput> = serde_json::from_str(&self.outputs)
            .with_context(|| format!("job {} has unreadable outputs", self.id))?;
        Ok(Job {
            id: JobId(self.id),
            status,
            progress: self.progress as f32,
            request,
            estimate,
            created_at: self.created_at,
            updated_at: self.updated_at,
            outputs,
            error: self.error,
            actual_cost_usd_micros: self.actual_cost_usd_micros.map(|c| c.max(0) as u64),
            bytes: self.bytes.max(0) as u64,
            deleted_at: self.deleted_at,
        })
    }
}

/// A job's columns, and the bytes its assets take (each counted once).
pub(crate) const COLUMNS: &str = "id, status, progress, request, estimate, outputs, error, actual_cost_usd_micros, created_at, updated_at, deleted_at,
    CAST((SELECT COALESCE(SUM(a.bytes), 0) FROM job_assets ja JOIN assets a ON a.id = ja.asset_id
          WHERE ja.job_id = jobs.id) AS BIGINT) AS bytes";

/// Why a job was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// It would pass a monthly limit; nothing was written.
    #[error(transparent)]
    OverBudget(#[from] OverBudget),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Inserts a new queued job and announces it, as the studio's own (sign-in
/// off); refused (a `CreateError` inside the error) when over a budget.
pub async fn create(
    state: &AppState,
    request: GenerationRequest,
    estimate: Option<Cost>,
) -> anyhow::Result<Job> {
    Ok(create_by(state, request, estimate, None).await?)
}

/// Inserts a new queued job for account `user_id` (`None` with sign-in
/// off) and announces it, with its estimate reserved against this month's
/// budget in the same transaction; refused, with nothing written or
/// queued, when the estimate would pass the studio's limit or the
/// account's own. A job with no estimate (no price known) reserves nothing.
pub async fn create_by(
    state: &AppState,
    request: GenerationRequest,
    estimate: Option<Cost>,
    user_id: Option<&str>,
) -> Result<Job, CreateError> {
    let now = now_ms();
    let job = Job {
        id: new_job_id(),
        status: JobStatus::Queued,
        progress: 0.0,
        request,
        estimate,
        created_at: now,
        updated_at: now,
        outputs: Vec::new(),
        error: None,
        actual_cost_usd_micros: None,
        bytes: 0,
        deleted_at: None,
    };
    let reservation = estimate.map(|cost| Reservation {
        job_id: job.id.0.clone(),
        user_id: user_id.map(str::to_string),
        model: job.request.model.clone(),
        month: budget::month_of(now),
        usd_micros: cost.usd_micros,
        takes: cost.takes,
        at: now,
    });
    let mut row = job_inserts::NewJobRow::of(&job)?;
    if let Some(reservation) = reservation {
        row = row.reserving(reservation);
    }
    job_inserts::insert(&state.db, row).await??;
    holdings::link(
        &state.db,
        &job.id.0,
        &holdings::of_job(&job.request, &job.outputs),
    )
    .await?;
    state.events.publish(&job);
    state.wake.notify_one();
    Ok(job)
}

/// Writes a new job record as it is (on SQLite in a group commit with
/// other new jobs, see `job_inserts`), and which assets it uses.
pub async fn insert(db: &Db, job: &Job) -> anyhow::Result<()> {
    // Nothing reserved, so nothing refused.
    job_inserts::insert(db, job_inserts::NewJobRow::of(job)?).await??;
    holdings::link(db, &job.id.0, &holdings::of_job(&job.request, &job.outputs)).await
}

pub async fn get(db: &Db, id: &str) -> anyhow::Result<Option<Job>> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
    let row = on_db!(db, pool => sqlx::query_as::<_, JobRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    row.map(JobRow::into_job).transpose()
}

/// Newest first, deleted jobs left out (the Library's pages and searches
/// are `library::find`).
pub async fn list(db: &Db, limit: u32) -> anyhow::Result<Vec<Job>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $1"
    );
    let rows = on_db!(db, pool => sqlx::query_as::<_, JobRow>(&sql)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(JobRow::into_job).collect()
}

/// What a state change writes besides the status.
#[derive(Debug, Default)]
pub struct Change {
    pub progress: Option<f32>,
    pub outputs: Option<Vec<JobOutput>>,
    pub error: Option<String>,
}

/// Moves job `id` to `to` if its current status allows it, whoever holds
/// it (a cancel from the studio). Returns the job as it now is, or `None`
/// if the job was not in a state that may move to `to`.
pub async fn transition(
    state: &AppState,
    id: &str,
    to: JobStatus,
    change: Change,
) -> anyhow::Result<Option<Job>> {
    Ok(announce(
        state,
        update_status(&state.db, id, to, change, None).await?,
    ))
}

/// Like `transition`, but only while `owner` still holds the job's lease:
/// how a worker records the outcome, so a job taken over by another worker
/// is finished by exactly one of them.
pub async fn finish(
    state: &AppState,
    id: &str,
    owner: &str,
    to: JobStatus,
    change: Change,
) -> anyhow::Result<Option<Job>> {
    Ok(announce(
        state,
        update_status(&state.db, id, to, change, Some(owner)).await?,
    ))
}

fn announce(state: &AppState, job: Option<Job>) -> Option<Job> {
    if let Some(job) = &job {
        state.events.publish(job);
    }
    job
}

/// The conditional update behind `transition` and `finish`. A change that
/// ends the job settles its reservation in the same transaction, so money
/// held is never left behind by a job that ended.
pub async fn update_status(
    db: &Db,
    id: &str,
    to: JobStatus,
    change: Change,
    owner: Option<&str>,
) -> anyhow::Result<Option<Job>> {
    let allowed: Vec<&str> = JobStatus::ALL
        .into_iter()
        .filter(|from| from.can_become(to))
        .map(JobStatus::as_str)
        .collect();
    if allowed.is_empty() {
        return Ok(None);
    }
    let fence = if owner.is_some() {
        format!(" AND lease_owner = ${}", 7 + allowed.len())
    } else {
        String::new()
    };
    let sql = format!(
        "UPDATE jobs SET status = $1, progress = COALESCE($2, progress), outputs = COALESCE($3, outputs),
                error = COALESCE($4, error), updated_at = $5
         WHERE id = $6 AND status IN ({}){fence}
         RETURNING {COLUMNS}",
        placeholders(7, allowed.len())
    );
    if let Some(outputs) = &change.outputs {
        // Before the outputs name them: whatever happens next, the job's
        // assets are known to be its own.
        holdings::link(db, id, &holdings::of_outputs(outputs)).await?;
    }
    let outputs = change
        .outputs
        .map(|o| serde_json::to_string(&o))
        .transpose()?;
    let now = now_ms();
    let row = on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        let mut query = sqlx::query_as::<_, JobRow>(&sql)
            .bind(to.as_str())
            .bind(change.progress.map(f64::from))
            .bind(&outputs)
            .bind(&change.error)
            .bind(now)
            .bind(id);
        for from in &allowed {
            query = query.bind(*from);
        }
        if let Some(owner) = owner {
            query = query.bind(owner);
        }
        let row = query.fetch_optional(&mut *tx).await?;
        if let Some(row) = &row
            && to.is_terminal()
        {
            let actual = row.actual_cost_usd_micros.map(budget::from_db);
            tx.settle(id, to, actual, now).await?;
        }
        tx.commit().await?;
        row
    });
    let job = row.map(JobRow::into_job).transpose()?;
    if let Some(job) = &job
        && matches!(job.status, JobStatus::Succeeded | JobStatus::Failed)
    {
        outgoing::emit(db, outgoing::EventKind::JobFinished, finished(job)).await;
    }
    Ok(job)
}

/// What `job.finished` tells a webhook's receiver about `job`.
fn finished(job: &Job) -> serde_json::Value {
    serde_json::json!({
        "job_id": job.id.0,
        "status": job.status.as_str(),
        "model": job.request.model,
        "error": job.error,
        "takes": job.outputs.len(),
        "created_at": job.created_at,
        "finished_at": job.updated_at,
    })
}

/// Appends `output` to a finished job's outputs, as long as the outputs are
/// still `expected` (what the caller built it from): two corrections made at
/// once cannot overwrite each other. `None` when the job changed meanwhile.
pub async fn append_output(
    state: &AppState,
    id: &str,
    expected: &[JobOutput],
    output: JobOutput,
) -> anyhow::Result<Option<Job>> {
    holdings::link(&state.db, id, &holdings::of_output(&output)).await?;
    let before = serde_json::to_string(expected)?;
    let mut outputs = expected.to_vec();
    outputs.push(output);
    let after = serde_json::to_string(&outputs)?;
    let sql = format!(
        "UPDATE jobs SET outputs = $1, updated_at = $2
         WHERE id = $3 AND status = 'succeeded' AND outputs = $4
         RETURNING {COLUMNS}"
    );
    let row = on_db!(write &state.db, pool => sqlx::query_as::<_, JobRow>(&sql)
        .bind(&after)
        .bind(now_ms())
        .bind(id)
        .bind(&before)
        .fetch_optional(pool)
        .await)?;
    let job = row.map(JobRow::into_job).transpose()?;
    Ok(announce(state, job))
}

/// Records what the provider charged for a running job.
pub async fn set_actual_cost(db: &Db, id: &str, usd_micros: u64) -> anyhow::Result<()> {
    let micros = i64::try_from(usd_micros).unwrap_or(i64::MAX);
    on_db!(write db, pool => sqlx::query(
        "UPDATE jobs SET actual_cost_usd_micros = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(micros)
    .bind(now_ms())
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Records progress (0.0–1.0) of a job `owner` is running. False when the
/// job is no longer running under `owner` (canceled, or taken over).
pub async fn set_progress(
    state: &AppState,
    id: &str,
    owner: &str,
    progress: f32,
) -> anyhow::Result<bool> {
    let sql = format!(
        "UPDATE jobs SET progress = $1, updated_at = $2
         WHERE id = $3 AND status = 'running' AND lease_owner = $4 RETURNING {COLUMNS}"
    );
    let row = on_db!(write &state.db, pool => sqlx::query_as::<_, JobRow>(&sql)
        .bind(f64::from(progress.clamp(0.0, 1.0)))
        .bind(now_ms())
        .bind(id)
        .bind(owner)
        .fetch_optional(pool)
        .await)?;
    let Some(row) = row else {
        return Ok(false);
    };
    state.events.publish(&row.into_job()?);
    Ok(true)
}

/// How many jobs are queued or running (for health checks and benchmarks).
pub async fn count_unfinished(db: &Db) -> anyhow::Result<i64> {
    let n = on_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')",
    )
    .fetch_one(pool)
    .await)?;
    Ok(n)
}
