//! Lip-sync readings of shared takes, measured by the server with the same
//! analysis as `chorus sync`, once per take file (keyed by the video's
//! asset id, so a file two jobs share is measured once). When a link that
//! shows verdicts is made, and when a shared take gets a new version, the
//! takes not yet measured are measured in the background, one at a time;
//! each reading announces the job again, which tells open review pages to
//! reload.

use std::collections::HashMap;

use anyhow::Context as _;
use chorus_core::Job;
use chorus_core::review::{ReadingVerdict, TakeReading};
use chorus_sync::{SyncReport, SyncVerdict};

use super::{links, scope};
use crate::db::{Db, on_db};
use crate::jobs;
use crate::state::AppState;

/// The stored readings of the takes whose videos are `ids`, by video id
/// (each `take` is 0: the caller knows where it shows them).
pub async fn of_videos(db: &Db, ids: &[&str]) -> anyhow::Result<HashMap<String, TakeReading>> {
    let mut found = HashMap::new();
    for id in ids {
        let row = on_db!(db, pool => sqlx::query_scalar::<_, String>(
            "SELECT reading FROM sync_readings WHERE asset_id = $1",
        )
        .bind(*id)
        .fetch_optional(pool)
        .await)?;
        if let Some(json) = row {
            let reading: TakeReading = serde_json::from_str(&json)
                .with_context(|| format!("the reading of {id} is unreadable"))?;
            found.insert((*id).to_string(), reading);
        }
    }
    Ok(found)
}

async fn store(db: &Db, video: &str, reading: &TakeReading) -> anyhow::Result<()> {
    let json = serde_json::to_string(reading)?;
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO sync_readings (asset_id, reading) VALUES ($1, $2)
         ON CONFLICT (asset_id) DO UPDATE SET reading = excluded.reading",
    )
    .bind(video)
    .bind(&json)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Forgets the reading of a video that is gone from the store.
pub async fn remove(db: &Db, video: &str) -> anyhow::Result<()> {
    on_db!(write db, pool => sqlx::query("DELETE FROM sync_readings WHERE asset_id = $1")
        .bind(video)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// What a report says, as the review page shows it.
pub fn reading_of(report: &SyncReport) -> TakeReading {
    if let Some(cant) = &report.cant_tell {
        return cant_tell(cant.message.clone());
    }
    let offset = report.av_offset_ms;
    let verdict = match report.verdict {
        SyncVerdict::CantTell => ReadingVerdict::CantTell,
        SyncVerdict::InSync => ReadingVerdict::InSync,
        SyncVerdict::Detectable(_) => ReadingVerdict::Detectable,
        SyncVerdict::Unacceptable(_) => ReadingVerdict::Unacceptable,
    };
    let direction = if offset >= 0.0 { "late" } else { "early" };
    let sure = if report.confident {
        format!("confidence {:.2}", report.confidence)
    } else {
        format!(
            "low confidence {:.2}: treat it as a guess",
            report.confidence
        )
    };
    TakeReading {
        take: 0,
        offset_ms: Some(offset),
        verdict,
        summary: format!(
            "The sound is {:.0} ms {direction} ({sure}): {}",
            offset.abs(),
            verdict.label().to_lowercase()
        ),
    }
}

fn cant_tell(why: String) -> TakeReading {
    TakeReading {
        take: 0,
        offset_ms: None,
        verdict: ReadingVerdict::CantTell,
        summary: why,
    }
}

/// Measures, in the background, each take and version `originals` share
/// that has no reading yet.
pub fn measure_shared(state: &AppState, job: &Job, originals: &[usize]) {
    let videos: Vec<String> = scope::shared_outputs(job, originals)
        .into_iter()
        .map(|i| job.outputs[i].video.clone())
        .collect();
    if videos.is_empty() {
        return;
    }
    let state = state.clone();
    let job_id = job.id.0.clone();
    // A draft render's presenter is drawn in sync with no natural lead, as
    // the compare view measures it.
    let rendered = job.request.model == "draft";
    tokio::spawn(async move {
        for video in videos {
            if let Err(e) = measure_one(&state, &video, rendered).await {
                tracing::warn!(asset = %video, error = format!("{e:#}"), "cannot measure a shared take's lip-sync");
                continue;
            }
            // Open review pages reload when their job is announced.
            match jobs::get(&state.db, &job_id).await {
                Ok(Some(job)) => state.events.publish(&job),
                Ok(None) => return,
                Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot announce a reading"),
            }
        }
    });
}

/// Measures the shared takes of every open link of `job` that shows
/// verdicts (a new version has appeared).
pub async fn measure_open_links(state: &AppState, job: &Job) -> anyhow::Result<()> {
    let now = crate::db::now_ms();
    let mut originals: Vec<usize> = Vec::new();
    for link in links::of_job(&state.db, &job.id.0).await? {
        if !(link.verdicts && link.is_open(now)) {
            continue;
        }
        for take in link.takes {
            if !originals.contains(&take) {
                originals.push(take);
            }
        }
    }
    measure_shared(state, job, &originals);
    Ok(())
}

/// Measures the take whose video is `video`, unless it has been measured,
/// one analysis at a time. A file that cannot be analysed is recorded as
/// "can't tell", saying why, so it is not tried again and again.
async fn measure_one(state: &AppState, video: &str, rendered: bool) -> anyhow::Result<()> {
    let _turn = state
        .analyses
        .acquire()
        .await
        .context("the analysis queue is closed")?;
    if !of_videos(&state.db, &[video]).await?.is_empty() {
        return Ok(());
    }
    let path = state
        .spool
        .join(format!("reading-{}.mp4", uuid::Uuid::now_v7().simple()));
    if let Err(e) = copy_to(state, video, &path).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    let file = path.clone();
    let config = if rendered {
        chorus_sync::AnalysisConfig::rendered()
    } else {
        chorus_sync::AnalysisConfig::default()
    };
    let analysed =
        tokio::task::spawn_blocking(move || chorus_decode::analyze_file(&file, &config)).await;
    let _ = tokio::fs::remove_file(&path).await;
    let reading = match analysed.context("the analysis stopped")? {
        Ok(report) => reading_of(&report),
        Err(e) => cant_tell(format!("This take's file could not be analysed: {e}")),
    };
    store(&state.db, video, &reading).await
}

/// Streams asset `video` into the file at `path` (a take may be gigabytes).
async fn copy_to(state: &AppState, video: &str, path: &std::path::Path) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;
    use tokio::io::AsyncWriteExt as _;
    let mut bytes = state.assets.stream(video, None).await?;
    let mut file = tokio::fs::File::create(path)
        .await
        .with_context(|| format!("cannot create {}", path.display()))?;
    while let Some(chunk) = bytes.next().await {
        file.write_all(&chunk.with_context(|| format!("cannot read asset {video}"))?)
            .await
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    file.flush().await?;
    Ok(())
}
