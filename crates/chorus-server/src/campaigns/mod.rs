//! Campaigns: a template and a sheet expanded into variants (chorus-core's
//! `campaign::expand`, the same code the studio runs as the user types),
//! checked again here with every distinct line's speech measured by the
//! draft voice, written once under the client's key (`store`), sent as
//! jobs while the cap allows (`dispatch`), and read back as a board
//! (`board`). A watcher follows job changes: an ended job may leave room
//! under a cap, and the campaign whose last job ends is finished.

pub mod board;
pub mod dispatch;
pub mod store;

use std::collections::BTreeMap;

use chorus_core::board::{CampaignSubmit, key_problem};
use chorus_core::campaign::{self, Expansion, MeasuredFit, NoFit, Readiness};
use chorus_core::{DialogueLine, Problem};

use crate::state::AppState;
use crate::{assets, speech_fit};

pub use store::{Inserted, StoredCampaign};

/// Why a submit was refused.
#[derive(Debug)]
pub enum Refused {
    /// The campaign has problems; nothing was written. Each names its
    /// sheet row and column where it has one.
    Invalid(Vec<Problem>),
    /// The key was used for a different campaign.
    KeyReused(String),
}

/// The variants of `submit`, checked as the studio checks them and with
/// every line's speech measured; refused when anything is blocked.
pub async fn expand_checked(state: &AppState, submit: &CampaignSubmit) -> anyhow::Result<Result<Expansion, Refused>> {
    let mut problems = Vec::new();
    if let Some(p) = key_problem(&submit.key) {
        problems.push(Problem::error("key", p));
    }
    problems.extend(submit.spec.problems().iter().filter(|p| p.is_error()).map(placed));
    for (name, id) in &submit.images {
        if !(assets::is_valid_id(id) && assets::find(&state.db, id).await?.is_some()) {
            problems.push(Problem::error(
                format!("images.{name}"),
                format!("The image {name} is not on the server; upload it again"),
            ));
        }
    }
    if !problems.is_empty() {
        return Ok(Err(Refused::Invalid(problems)));
    }
    // Each distinct line is measured once, however many formats use it.
    let mut fit = MeasuredFit::new();
    if submit.spec.template.audio {
        let first = campaign::expand(&submit.spec, &state.models, &submit.images, &NoFit);
        let duration_s = submit.spec.template.duration_s;
        for ((language, text), seconds) in measure_each(first.lines_to_measure(), duration_s).await? {
            fit.insert(language, text, seconds);
        }
    }
    let expansion = campaign::expand(&submit.spec, &state.models, &submit.images, &fit);
    let mut problems: Vec<Problem> = expansion
        .problems
        .iter()
        .filter(|p| p.is_error())
        .map(placed)
        .collect();
    for v in expansion.variants.iter().filter(|v| v.readiness == Readiness::Blocked) {
        for p in v.problems.iter().filter(|p| p.severity == chorus_core::Severity::Error) {
            problems.push(Problem::error(
                format!("row {}, {}", v.row, p.column),
                format!("{} ({}, {})", p.message, v.language.display_name(), v.ratio.label()),
            ));
        }
    }
    if !problems.is_empty() {
        return Ok(Err(Refused::Invalid(problems)));
    }
    Ok(Ok(expansion))
}

/// A sheet problem as the API's problem: its place is the field.
fn placed(p: &campaign::SheetProblem) -> Problem {
    let field = match (p.row, p.column.as_deref()) {
        (Some(row), Some(column)) => format!("row {row}, {column}"),
        (Some(row), None) => format!("row {row}"),
        (None, Some(column)) => column.to_string(),
        (None, None) => "campaign".to_string(),
    };
    Problem::error(field, p.message.clone())
}

async fn measure_each(
    lines: Vec<(chorus_core::Language, String)>,
    duration_s: u32,
) -> anyhow::Result<BTreeMap<(chorus_core::Language, String), f32>> {
    let dialogue: Vec<DialogueLine> = lines
        .iter()
        .map(|(language, text)| DialogueLine::new(*language, text.clone()))
        .collect();
    let measured = speech_fit::measure(dialogue, duration_s).await?;
    let spoken = lines.into_iter().filter(|(_, text)| !text.trim().is_empty());
    Ok(spoken.zip(measured).map(|(key, line)| (key, line.seconds)).collect())
}
/// Checks and writes `submit` and sends what its cap allows. Sent again
/// under the same key, it creates nothing and answers the campaign made
/// the first time; under the same key with something else, it is refused.
pub async fn submit(
    state: &AppState,
    submit: &CampaignSubmit,
    created_by: Option<&str>,
) -> anyhow::Result<Result<Inserted, Refused>> {
    let expansion = match expand_checked(state, submit).await? {
        Ok(expansion) => expansion,
        Err(refused) => return Ok(Err(refused)),
    };
    let variants: Vec<store::NewVariant> = expansion
        .variants
        .into_iter()
        .map(|v| store::NewVariant {
            row: v.row,
            language: v.language,
            ratio: v.ratio,
            request: v.request,
            estimate_usd_micros: v.cost_usd_micros,
        })
        .collect();
    let inserted = store::insert(&state.db, &submit.key, &submit.spec, &variants, created_by).await?;
    match &inserted {
        Inserted::New(campaign) => {
            dispatch::dispatch(state, &campaign.id).await?;
        }
        Inserted::Existing(campaign) => {
            if serde_json::to_value(&campaign.spec)? != serde_json::to_value(&submit.spec)? {
                return Ok(Err(Refused::KeyReused(format!(
                    "key: {} was used for campaign {} ({}), which differs from this one; choose a new key for a new campaign",
                    submit.key, campaign.id, campaign.name
                ))));
            }
        }
    }
    Ok(Ok(inserted))
}

/// Sends the failed variants of campaign `id` again; how many.
pub async fn retry_failed(state: &AppState, id: &str) -> anyhow::Result<usize> {
    let rows = store::variants(&state.db, id).await?;
    let mut again = 0;
    for row in rows.iter().filter(|r| r.status() == chorus_core::board::VariantStatus::Failed) {
        if store::hold_again(&state.db, id, row).await? {
            again += 1;
        }
    }
    if again > 0 {
        store::mark_unfinished(&state.db, id).await?;
        dispatch::dispatch(state, id).await?;
    }
    Ok(again)
}

/// Cancels campaign `id`: what is held is never sent, and its queued and
/// rendering jobs are canceled. False when it already was.
pub async fn cancel(state: &AppState, id: &str) -> anyhow::Result<bool> {
    let changed = store::cancel(&state.db, id).await?;
    for row in store::variants(&state.db, id).await? {
        let unfinished = matches!(
            row.status(),
            chorus_core::board::VariantStatus::Queued | chorus_core::board::VariantStatus::Running
        );
        if let (true, Some(job)) = (unfinished, &row.job_id) {
            crate::jobs::transition(
                state,
                job,
                chorus_core::JobStatus::Canceled,
                crate::jobs::Change::default(),
            )
            .await?;
        }
    }
    check_finished(state, id).await?;
    Ok(changed)
}

/// Marks campaign `id` finished when nothing of it is left to happen;
/// true for the call that did.
pub async fn check_finished(state: &AppState, id: &str) -> anyhow::Result<bool> {
    let rows = store::variants(&state.db, id).await?;
    if !dispatch::all_ended(&rows) || !store::mark_finished(&state.db, id).await? {
        return Ok(false);
    }
    tracing::info!(campaign = id, "campaign finished");
    Ok(true)
}

/// Follows job changes: when a campaign's job ends, the campaign may send
/// what its cap held back, and may be finished. Campaigns left with held
/// variants by a stopped server are looked at once at the start.
pub fn spawn_watcher(state: AppState) -> tokio::task::JoinHandle<()> {
    let mut changes = state.events.subscribe();
    tokio::spawn(async move {
        match store::with_held(&state.db).await {
            Ok(ids) => {
                for id in ids {
                    if let Err(e) = dispatch::dispatch(&state, &id).await {
                        tracing::warn!(campaign = %id, error = format!("{e:#}"), "cannot send a campaign's variants");
                    }
                }
            }
            Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot list campaigns to resume"),
        }
        loop {
            let job = match changes.recv().await {
                Ok(job) => job,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            if !job.status.is_terminal() {
                continue;
            }
            if let Err(e) = job_ended(&state, &job).await {
                tracing::warn!(job = %job.id.0, error = format!("{e:#}"), "cannot follow a campaign's job");
            }
        }
    })
}

async fn job_ended(state: &AppState, job: &chorus_core::Job) -> anyhow::Result<()> {
    let Some(id) = store::campaign_of_job(&state.db, &job.id.0).await? else {
        return Ok(());
    };
    if job.status == chorus_core::JobStatus::Succeeded {
        // The board shows each take's lip-sync reading.
        crate::reviews::readings::measure_shared(state, job, &[0]);
    }
    dispatch::dispatch(state, &id).await?;
    check_finished(state, &id).await?;
    Ok(())
}
