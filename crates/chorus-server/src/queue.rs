//! The job queue worker: claims queued jobs whose model has an engine on this
//! server, runs them, and records the outcome. Jobs for a model with no engine
//! here stay queued: nothing pretends to succeed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chorus_core::{Job, JobOutput, JobStatus};

use crate::jobs::{self, Change};
use crate::state::AppState;

/// What an engine reports while it works. `Ok(false)` from `progress` means
/// the job was canceled and the engine should stop.
pub struct JobContext {
    state: AppState,
    job_id: String,
}

impl JobContext {
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Records progress; returns false once the job has been canceled.
    pub async fn progress(&self, fraction: f32) -> bool {
        if let Err(e) = jobs::set_progress(&self.state, &self.job_id, fraction).await {
            tracing::warn!(job = %self.job_id, error = format!("{e:#}"), "cannot record progress");
        }
        !self.is_canceled().await
    }

    pub async fn is_canceled(&self) -> bool {
        matches!(jobs::get(&self.state.db, &self.job_id).await, Ok(Some(j)) if j.status == JobStatus::Canceled)
    }
}

pub type EngineFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<JobOutput>, String>> + Send + 'a>>;

/// Something that turns a job into clips: the draft engine, a provider adapter.
pub trait Engine: Send + Sync {
    /// Registry ids of the models this engine runs.
    fn models(&self) -> Vec<String>;
    /// Renders every take of `job`. The error is shown to the user as is, so
    /// it must say what went wrong in words a person can act on.
    fn run<'a>(&'a self, job: &'a Job, ctx: &'a JobContext) -> EngineFuture<'a>;
}

/// Starts the worker loop in the background.
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let models: Vec<String> = state.engines.iter().flat_map(|e| e.models()).collect();
        loop {
            match jobs::claim_next(&state, &models).await {
                Ok(Some(job)) => run_one(&state, job).await,
                Ok(None) => {
                    // Woken when a job is created; the timeout is a safety net.
                    let _ =
                        tokio::time::timeout(Duration::from_secs(5), state.wake.notified()).await;
                }
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "cannot claim a job");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

async fn run_one(state: &AppState, job: Job) {
    let Some(engine) = engine_for(state, &job.request.model) else {
        return;
    };
    let ctx = JobContext {
        state: state.clone(),
        job_id: job.id.0.clone(),
    };
    let outcome = engine.run(&job, &ctx).await;
    let result = match outcome {
        Ok(outputs) => {
            let change = Change {
                progress: Some(1.0),
                outputs: Some(outputs),
                error: None,
            };
            jobs::transition(state, &job.id.0, JobStatus::Succeeded, change).await
        }
        Err(reason) => {
            let change = Change {
                error: Some(reason),
                ..Change::default()
            };
            jobs::transition(state, &job.id.0, JobStatus::Failed, change).await
        }
    };
    if let Err(e) = result {
        tracing::error!(job = %job.id, error = format!("{e:#}"), "cannot record the job's outcome");
    }
}

fn engine_for(state: &AppState, model: &str) -> Option<Arc<dyn Engine>> {
    state
        .engines
        .iter()
        .find(|e| e.models().iter().any(|m| m == model))
        .cloned()
}
