//! The job queue worker: claims queued jobs whose model has an engine on this
//! server (each claim comes with a lease, see `leases`), runs up to each
//! engine's share of them at once, renews their leases while they run, and
//! records each outcome only while it still holds the job. Jobs for a model
//! with no engine here stay queued: nothing pretends to succeed.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chorus_core::{Job, JobOutput, JobStatus};
use tokio::task::{AbortHandle, JoinSet};
use tokio::time::Instant;

use crate::jobs::{self, Change};
use crate::leases::{self, Lease};
use crate::state::AppState;

/// What an engine reports while it works. `Ok(false)` from `progress` means
/// the job was canceled and the engine should stop.
pub struct JobContext {
    state: AppState,
    job_id: String,
    owner: String,
}

impl JobContext {
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Records progress; returns false once the job is no longer this
    /// worker's to run (canceled, or taken over after a lapsed lease).
    pub async fn progress(&self, fraction: f32) -> bool {
        match jobs::set_progress(&self.state, &self.job_id, &self.owner, fraction).await {
            Ok(still_ours) => still_ours,
            Err(e) => {
                tracing::warn!(job = %self.job_id, error = format!("{e:#}"), "cannot record progress");
                !self.is_canceled().await
            }
        }
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
    /// How many of its jobs may run at once on one server. Local renders
    /// use every core, so one; engines that wait on others say more.
    fn at_once(&self, _settings: &crate::config::QueueSettings) -> usize {
        1
    }
}

/// A job this worker runs: which engine, and how to stop it.
struct Running {
    engine: usize,
    abort: AbortHandle,
}

/// Starts the worker loop in the background, running jobs for the models
/// `engines` serve. Aborting the handle stops every job it runs where it
/// is, as a crash would.
pub fn spawn_worker(state: AppState, engines: Vec<Arc<dyn Engine>>) -> tokio::task::JoinHandle<()> {
    let lease = Lease::new(state.queue.lease);
    tokio::spawn(work(state, engines, lease))
}

async fn work(state: AppState, engines: Vec<Arc<dyn Engine>>, lease: Lease) {
    tracing::info!(owner = %lease.owner, "queue worker started");
    let limits: Vec<usize> = engines
        .iter()
        .map(|e| e.at_once(&state.queue).max(1))
        .collect();
    let mut busy = vec![0usize; engines.len()];
    let mut running: HashMap<String, Running> = HashMap::new();
    // Dropping the set (an aborted worker) aborts every job in it.
    let mut tasks: JoinSet<(String, usize)> = JoinSet::new();
    // Renewing at a quarter of the lease leaves three tries before it lapses.
    let renew_every = (state.queue.lease / 4).max(Duration::from_millis(10));
    let mut next_renewal = Instant::now() + renew_every;
    loop {
        // Checked here too, not only while idle: a worker kept busy claiming
        // short jobs must still renew the long ones it holds.
        if Instant::now() >= next_renewal {
            keep_leases(&state, &lease, &mut running, &mut busy).await;
            next_renewal = Instant::now() + renew_every;
        }
        while let Some(done) = tasks.try_join_next() {
            release(done, &mut running, &mut busy);
        }
        let models: Vec<String> = engines
            .iter()
            .enumerate()
            .filter(|(i, _)| busy[*i] < limits[*i])
            .flat_map(|(_, e)| e.models())
            .collect();
        let claimed = if models.is_empty() {
            Ok(None)
        } else {
            leases::claim_next(&state.db, &models, &lease).await
        };
        match claimed {
            Ok(Some(job)) => {
                state.events.publish(&job);
                let Some(index) = engine_index(&engines, &job.request.model) else {
                    continue;
                };
                busy[index] += 1;
                let id = job.id.0.clone();
                let engine = Arc::clone(&engines[index]);
                let abort = tasks.spawn(run_one(
                    state.clone(),
                    job,
                    lease.owner.clone(),
                    (engine, index),
                ));
                running.insert(
                    id,
                    Running {
                        engine: index,
                        abort,
                    },
                );
                // Look for the next job straight away.
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "cannot claim a job");
            }
        }
        tokio::select! {
            // Woken when a job is created here; the poll finds jobs other
            // servers created and leases that lapsed.
            () = state.wake.notified() => {}
            () = tokio::time::sleep(state.queue.idle_poll) => {}
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                release(done, &mut running, &mut busy);
            }
            () = tokio::time::sleep_until(next_renewal) => {}
        }
    }
}

fn release(
    done: Result<(String, usize), tokio::task::JoinError>,
    running: &mut HashMap<String, Running>,
    busy: &mut [usize],
) {
    // Aborted tasks were released when they were aborted.
    if let Ok((id, engine)) = done
        && running.remove(&id).is_some()
    {
        busy[engine] -= 1;
    }
}

/// Renews this worker's leases and lets go of jobs another worker has
/// taken over (this one was too slow to renew): both may be polling the
/// same provider job for a moment, but only the holder records the outcome.
async fn keep_leases(
    state: &AppState,
    lease: &Lease,
    running: &mut HashMap<String, Running>,
    busy: &mut [usize],
) {
    if running.is_empty() {
        return;
    }
    let held = match leases::renew(&state.db, lease).await {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "cannot renew job leases");
            return;
        }
    };
    // Jobs missing from `held` were canceled or just finished (their tasks
    // end by themselves), or taken over.
    let missing: Vec<String> = running
        .keys()
        .filter(|id| !held.contains(id))
        .cloned()
        .collect();
    match leases::taken_over(&state.db, lease, &missing).await {
        Ok(taken) => {
            for id in taken {
                if let Some(job) = running.remove(&id) {
                    tracing::warn!(job = %id, "another worker took this job over; letting go");
                    job.abort.abort();
                    busy[job.engine] -= 1;
                }
            }
        }
        Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot check lapsed leases"),
    }
}

async fn run_one(
    state: AppState,
    job: Job,
    owner: String,
    (engine, index): (Arc<dyn Engine>, usize),
) -> (String, usize) {
    let id = job.id.0.clone();
    let ctx = JobContext {
        state: state.clone(),
        job_id: id.clone(),
        owner: owner.clone(),
    };
    let outcome = engine.run(&job, &ctx).await;
    let (to, change) = match outcome {
        Ok(outputs) => (
            JobStatus::Succeeded,
            Change {
                progress: Some(1.0),
                outputs: Some(outputs),
                error: None,
            },
        ),
        Err(reason) => (
            JobStatus::Failed,
            Change {
                error: Some(reason),
                ..Change::default()
            },
        ),
    };
    match jobs::finish(&state, &id, &owner, to, change).await {
        Ok(Some(done)) => {
            tracing::info!(job = %id, status = done.status.as_str(), "job finished");
        }
        // Canceled meanwhile, or taken over: the other side decides.
        Ok(None) => tracing::debug!(job = %id, "job no longer ours to finish"),
        Err(e) => {
            tracing::error!(job = %id, error = format!("{e:#}"), "cannot record the job's outcome");
        }
    }
    (id, index)
}

fn engine_index(engines: &[Arc<dyn Engine>], model: &str) -> Option<usize> {
    engines
        .iter()
        .position(|e| e.models().iter().any(|m| m == model))
}
