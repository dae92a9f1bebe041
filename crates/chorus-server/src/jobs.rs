//! Job records in the database, and every change to them. Each change is a
//! conditional update (the job must still be in an expected state), so a
//! cancel racing a worker can never resurrect a finished job; every change is
//! published to the event bus.

use anyhow::Context as _;
use chorus_core::{Cost, GenerationRequest, Job, JobId, JobOutput, JobStatus};
use sqlx::SqlitePool;

use crate::state::AppState;

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A new, time-ordered job id.
pub fn new_job_id() -> JobId {
    JobId(format!("job_{}", uuid::Uuid::now_v7().simple()))
}

#[derive(sqlx::FromRow)]
struct JobRow {
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
}

impl JobRow {
    fn into_job(self) -> anyhow::Result<Job> {
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
        })
    }
}

const COLUMNS: &str = "id, status, progress, request, estimate, outputs, error, actual_cost_usd_micros, created_at, updated_at";

/// Inserts a new queued job and announces it.
pub async fn create(
    state: &AppState,
    request: GenerationRequest,
    estimate: Option<Cost>,
) -> anyhow::Result<Job> {
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
    };
    sqlx::query(
        "INSERT INTO jobs (id, status, progress, model, request, estimate, outputs, error, created_at, updated_at)
         VALUES (?, ?, 0, ?, ?, ?, '[]', NULL, ?, ?)",
    )
    .bind(&job.id.0)
    .bind(job.status.as_str())
    .bind(&job.request.model)
    .bind(serde_json::to_string(&job.request)?)
    .bind(job.estimate.map(|e| serde_json::to_string(&e)).transpose()?)
    .bind(now)
    .bind(now)
    .execute(&state.db)
    .await?;
    state.events.publish(&job);
    state.wake.notify_one();
    Ok(job)
}

pub async fn get(db: &SqlitePool, id: &str) -> anyhow::Result<Option<Job>> {
    let row = sqlx::query_as::<_, JobRow>(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.map(JobRow::into_job).transpose()
}

/// Newest first.
pub async fn list(db: &SqlitePool, limit: u32) -> anyhow::Result<Vec<Job>> {
    let rows = sqlx::query_as::<_, JobRow>(&format!(
        "SELECT {COLUMNS} FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?"
    ))
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    rows.into_iter().map(JobRow::into_job).collect()
}

/// What a state change writes besides the status.
#[derive(Debug, Default)]
pub struct Change {
    pub progress: Option<f32>,
    pub outputs: Option<Vec<JobOutput>>,
    pub error: Option<String>,
}

/// Moves job `id` to `to` if its current status allows it. Returns the job as
/// it now is, or `None` if the job was not in a state that may move to `to`.
pub async fn transition(
    state: &AppState,
    id: &str,
    to: JobStatus,
    change: Change,
) -> anyhow::Result<Option<Job>> {
    let allowed: Vec<&str> = JobStatus::ALL
        .into_iter()
        .filter(|from| from.can_become(to))
        .map(JobStatus::as_str)
        .collect();
    if allowed.is_empty() {
        return Ok(None);
    }
    let placeholders = vec!["?"; allowed.len()].join(", ");
    let sql = format!(
        "UPDATE jobs SET status = ?, progress = COALESCE(?, progress), outputs = COALESCE(?, outputs),
                error = COALESCE(?, error), updated_at = ?
         WHERE id = ? AND status IN ({placeholders})
         RETURNING {COLUMNS}"
    );
    let mut query = sqlx::query_as::<_, JobRow>(&sql)
        .bind(to.as_str())
        .bind(change.progress.map(f64::from))
        .bind(
            change
                .outputs
                .map(|o| serde_json::to_string(&o))
                .transpose()?,
        )
        .bind(change.error)
        .bind(now_ms())
        .bind(id);
    for from in allowed {
        query = query.bind(from);
    }
    let Some(row) = query.fetch_optional(&state.db).await? else {
        return Ok(None);
    };
    let job = row.into_job()?;
    state.events.publish(&job);
    Ok(Some(job))
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
    let before = serde_json::to_string(expected)?;
    let mut outputs = expected.to_vec();
    outputs.push(output);
    let row = sqlx::query_as::<_, JobRow>(&format!(
        "UPDATE jobs SET outputs = ?, updated_at = ?
         WHERE id = ? AND status = 'succeeded' AND outputs = ?
         RETURNING {COLUMNS}"
    ))
    .bind(serde_json::to_string(&outputs)?)
    .bind(now_ms())
    .bind(id)
    .bind(before)
    .fetch_optional(&state.db)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let job = row.into_job()?;
    state.events.publish(&job);
    Ok(Some(job))
}

/// Records what the provider charged for a running job.
pub async fn set_actual_cost(state: &AppState, id: &str, usd_micros: u64) -> anyhow::Result<()> {
    sqlx::query("UPDATE jobs SET actual_cost_usd_micros = ?, updated_at = ? WHERE id = ?")
        .bind(i64::try_from(usd_micros).unwrap_or(i64::MAX))
        .bind(now_ms())
        .bind(id)
        .execute(&state.db)
        .await?;
    Ok(())
}

/// Records progress of a running job (0.0–1.0).
pub async fn set_progress(state: &AppState, id: &str, progress: f32) -> anyhow::Result<()> {
    let row = sqlx::query_as::<_, JobRow>(&format!(
        "UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ? AND status = 'running' RETURNING {COLUMNS}"
    ))
    .bind(f64::from(progress.clamp(0.0, 1.0)))
    .bind(now_ms())
    .bind(id)
    .fetch_optional(&state.db)
    .await?;
    if let Some(row) = row {
        state.events.publish(&row.into_job()?);
    }
    Ok(())
}

/// Takes the oldest queued job whose model is one of `models`, marking it
/// running. One statement, so two workers never take the same job.
pub async fn claim_next(state: &AppState, models: &[String]) -> anyhow::Result<Option<Job>> {
    if models.is_empty() {
        return Ok(None);
    }
    let placeholders = vec!["?"; models.len()].join(", ");
    let sql = format!(
        "UPDATE jobs SET status = 'running', progress = 0, updated_at = ?
         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND model IN ({placeholders})
                     ORDER BY created_at, id LIMIT 1)
           AND status = 'queued'
         RETURNING {COLUMNS}"
    );
    let mut query = sqlx::query_as::<_, JobRow>(&sql).bind(now_ms());
    for m in models {
        query = query.bind(m);
    }
    let Some(row) = query.fetch_optional(&state.db).await? else {
        return Ok(None);
    };
    let job = row.into_job()?;
    state.events.publish(&job);
    Ok(Some(job))
}

/// Jobs left running by a server that stopped mid-render go back to the
/// queue: local renders are deterministic, so running them again is safe,
/// and hosted takes resume from the submit ledger instead of resubmitting.
pub async fn requeue_interrupted(state: &AppState) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', progress = 0, updated_at = ? WHERE status = 'running'",
    )
    .bind(now_ms())
    .execute(&state.db)
    .await?;
    Ok(done.rows_affected())
}
