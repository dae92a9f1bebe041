//! Deleting jobs for real, with an undo window.
//!
//! A delete cancels the job if it is still queued or rendering, then marks
//! it deleted (`deleted_at`): it leaves every list at once, and
//! `restore` brings it back while the window (`AppState::undo_window`, 10 s
//! by default) is open. Once the window has closed, `purge_due` removes the
//! row, its submit-ledger entries and its asset links, and then each of its
//! assets that no other job links to (`holdings`): the record first, by a
//! conditional `DELETE` that only succeeds while nothing links to the
//! asset, then the bytes in the folder or bucket. Shared assets (an upload
//! two jobs use as a reference, identical outputs) stay.
//!
//! A soft delete rather than holding the delete in the browser: the undo
//! survives a closed tab, other tabs hear of it over the event stream, and
//! the server, not the page, decides when bytes go. `serve` purges what is
//! due at start-up (a server stopped during a window) and then every
//! second or so (`spawn_purger`). Links left by a job whose row is gone (a
//! render that stored a take after its job was purged) are swept the same
//! way.

use std::time::Duration;

use chorus_core::Job;
use chorus_core::api::DeletedJob;

use crate::db::{now_ms, on_db};
use crate::holdings;
use crate::jobs::{self, COLUMNS, Change, JobRow};
use crate::reviews;
use crate::state::AppState;

/// What a delete or restore found.
pub enum Outcome<T> {
    Done(T),
    /// No such job (never was, or already removed for good).
    Missing,
    /// The undo window has closed; the job is on its way out.
    WindowClosed,
}

/// Cancels job `id` if it is unfinished and hides it until the undo window
/// closes. Deleting a deleted job again keeps its first time.
pub async fn delete(state: &AppState, id: &str) -> anyhow::Result<Outcome<DeletedJob>> {
    let Some(job) = jobs::get(&state.db, id).await? else {
        return Ok(Outcome::Missing);
    };
    if !job.status.is_terminal() {
        // A job that finishes meanwhile is simply deleted finished.
        jobs::transition(
            state,
            id,
            chorus_core::JobStatus::Canceled,
            Change::default(),
        )
        .await?;
    }
    let now = now_ms();
    let sql = format!(
        "UPDATE jobs SET deleted_at = COALESCE(deleted_at, $1), updated_at = $1
         WHERE id = $2 RETURNING {COLUMNS}"
    );
    let row = on_db!(write &state.db, pool => sqlx::query_as::<_, JobRow>(&sql)
        .bind(now)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    let Some(job) = row.map(JobRow::into_job).transpose()? else {
        return Ok(Outcome::Missing);
    };
    state.events.publish(&job);
    let deleted_at = job.deleted_at.unwrap_or(now);
    Ok(Outcome::Done(DeletedJob {
        restore_until: deleted_at + window_ms(state),
        job,
    }))
}

/// Brings a deleted job back while its undo window is open; a job that
/// was not deleted is answered as it is.
pub async fn restore(state: &AppState, id: &str) -> anyhow::Result<Outcome<Job>> {
    let now = now_ms();
    let sql = format!(
        "UPDATE jobs SET deleted_at = NULL, updated_at = $1
         WHERE id = $2 AND deleted_at IS NOT NULL AND deleted_at > $3 RETURNING {COLUMNS}"
    );
    let row = on_db!(write &state.db, pool => sqlx::query_as::<_, JobRow>(&sql)
        .bind(now)
        .bind(id)
        .bind(now - window_ms(state))
        .fetch_optional(pool)
        .await)?;
    if let Some(job) = row.map(JobRow::into_job).transpose()? {
        state.events.publish(&job);
        return Ok(Outcome::Done(job));
    }
    Ok(match jobs::get(&state.db, id).await? {
        None => Outcome::Missing,
        Some(job) if job.deleted_at.is_some() => Outcome::WindowClosed,
        Some(job) => Outcome::Done(job),
    })
}

fn window_ms(state: &AppState) -> i64 {
    i64::try_from(state.undo_window.as_millis()).unwrap_or(i64::MAX)
}

/// What one purge removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub jobs: usize,
    pub assets: usize,
}

/// Removes every job whose undo window has closed, with the assets no
/// other job uses, and sweeps links whose job is gone.
pub async fn purge_due(state: &AppState) -> anyhow::Result<Purged> {
    purge(state, true).await
}

/// `purge_due`; the sweep for links left by removed jobs (a scan of every
/// link) only when `sweep` says.
async fn purge(state: &AppState, sweep: bool) -> anyhow::Result<Purged> {
    let cutoff = now_ms() - window_ms(state);
    let mut purged = Purged::default();
    loop {
        let due = on_db!(&state.db, pool => sqlx::query_scalar::<_, String>(
            "SELECT id FROM jobs WHERE deleted_at IS NOT NULL AND deleted_at <= $1
             ORDER BY deleted_at LIMIT 100",
        )
        .bind(cutoff)
        .fetch_all(pool)
        .await)?;
        if due.is_empty() {
            break;
        }
        for id in due {
            let removed = on_db!(write &state.db, pool => sqlx::query_scalar::<_, String>(
                "DELETE FROM jobs WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at <= $2 RETURNING id",
            )
            .bind(&id)
            .bind(cutoff)
            .fetch_optional(pool)
            .await)?;
            if removed.is_some() {
                purged.jobs += 1;
                purged.assets += release(state, &id).await?;
            }
        }
    }
    if !sweep && purged.jobs == 0 {
        return Ok(purged);
    }
    let orphaned = on_db!(&state.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT job_id FROM job_assets
         WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = job_assets.job_id)",
    )
    .fetch_all(pool)
    .await)?;
    for id in orphaned {
        purged.assets += release(state, &id).await?;
    }
    Ok(purged)
}

/// Drops what the removed job `id` held: its ledger entries, its review
/// links (with their comments and decisions), its asset links, and each
/// asset nothing else links to (with its lip-sync reading). Returns how many assets went.
async fn release(state: &AppState, id: &str) -> anyhow::Result<usize> {
    let held = holdings::assets_of(&state.db, id).await?;
    // The ledger's keys are "{job_id}/{take}": every key from "id/" up to,
    // not including, "id0" ('0' follows '/').
    on_db!(write &state.db, pool => sqlx::query(
        "DELETE FROM provider_submits WHERE job_key >= $1 AND job_key < $2",
    )
    .bind(format!("{id}/"))
    .bind(format!("{id}0"))
    .execute(pool)
    .await
    .map(|_| ()))?;
    reviews::links::remove_job(&state.db, id).await?;
    on_db!(write &state.db, pool => sqlx::query("DELETE FROM job_assets WHERE job_id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    let mut removed = 0;
    for asset in held {
        let unused = on_db!(write &state.db, pool => sqlx::query_scalar::<_, String>(
            "DELETE FROM assets WHERE id = $1
             AND NOT EXISTS (SELECT 1 FROM job_assets WHERE asset_id = $1) RETURNING id",
        )
        .bind(&asset)
        .fetch_optional(pool)
        .await)?;
        if unused.is_none() {
            continue;
        }
        reviews::readings::remove(&state.db, &asset).await?;
        match state.assets.remove(&asset).await {
            Ok(()) => removed += 1,
            Err(e) => {
                tracing::warn!(asset = %asset, error = format!("{e:#}"), "cannot remove an unused asset's bytes");
            }
        }
    }
    Ok(removed)
}

/// Purges what is due now, then keeps doing so in the background, about
/// four times per undo window (at most once a second, at least every 50 ms).
/// Links left by removed jobs are swept now, after each purge that removed
/// a job, and once a minute.
pub async fn spawn_purger(state: AppState) -> tokio::task::JoinHandle<()> {
    run_purge(&state, true).await;
    let every = (state.undo_window / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let sweep_every = (Duration::from_mins(1).as_millis() / every.as_millis()).max(1);
    tokio::spawn(async move {
        for round in 1_u128.. {
            tokio::time::sleep(every).await;
            run_purge(&state, round % sweep_every == 0).await;
        }
    })
}

async fn run_purge(state: &AppState, sweep: bool) {
    match purge(state, sweep).await {
        Ok(purged) if purged != Purged::default() => {
            tracing::info!(
                jobs = purged.jobs,
                assets = purged.assets,
                "deleted jobs removed"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot remove deleted jobs"),
    }
}
