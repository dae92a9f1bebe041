//! Sending a campaign's held variants as jobs, in board order, while its
//! cap allows: a variant whose estimate would take what the campaign has
//! committed past the cap stays held and says so, as does every variant
//! once the month's budget refuses one (the job is refused before it is
//! written, so nothing is ever sent past a limit). Runs after a submit, a
//! retry, and whenever one of a campaign's jobs ends (`spawn_watcher`),
//! since an ended job may leave room under the cap.

use std::sync::LazyLock;

use chorus_core::access::dollars;
use chorus_core::board::VariantStatus;
use chorus_core::{GenerationRequest, estimate_cost, model};
use tokio::sync::Mutex;

use super::store::{self, VariantRow};
use crate::jobs::{self, CreateError};
use crate::state::AppState;

/// One dispatch at a time in this server, so two never both see room for
/// the same dollar under one cap. (Several servers over one PostgreSQL
/// database still share the month's budget safely, which the job insert
/// checks under a row lock; a campaign's own cap is this server's.)
static DISPATCH: LazyLock<Mutex<()>> = LazyLock::new(|| Mutex::new(()));

/// Sends what campaign `id` can send now; returns how many jobs it made.
pub async fn dispatch(state: &AppState, id: &str) -> anyhow::Result<usize> {
    let _one_at_a_time = DISPATCH.lock().await;
    let Some(campaign) = store::by_id(&state.db, id).await? else {
        return Ok(0);
    };
    if campaign.canceled_at.is_some() {
        return Ok(0);
    }
    let rows = store::variants(&state.db, id).await?;
    let mut committed: u64 = rows.iter().map(VariantRow::committed_usd_micros).sum();
    let held: Vec<&VariantRow> = rows.iter().filter(|r| r.status() == VariantStatus::Held).collect();
    let mut sent = 0;
    let mut over_cap = Vec::new();
    for (i, row) in held.iter().enumerate() {
        let estimate = row.estimate_usd_micros.max(0) as u64;
        if let Some(cap) = campaign.cap_usd_micros
            && committed + estimate > cap
        {
            // A cheaper one further on may still fit.
            over_cap.push(row.idx);
            continue;
        }
        let request: GenerationRequest = serde_json::from_str(&row.request)?;
        let cost = model::find(&state.models, &request.model).and_then(|m| estimate_cost(&request, m));
        match jobs::create_by(state, request, cost, campaign.created_by.as_deref()).await {
            Ok(job) => {
                if store::mark_sent(&state.db, id, row.idx, &job.id.0).await? {
                    committed += estimate;
                    sent += 1;
                } else {
                    // Canceled while this job was made: it never runs.
                    let _ = jobs::transition(
                        state,
                        &job.id.0,
                        chorus_core::JobStatus::Canceled,
                        jobs::Change::default(),
                    )
                    .await;
                }
            }
            Err(CreateError::OverBudget(refused)) => {
                let rest: Vec<i64> = held[i..].iter().map(|r| r.idx).collect();
                let reason = format!("Waiting for budget: {refused}");
                store::set_reason(&state.db, id, &rest, &reason).await?;
                break;
            }
            Err(CreateError::Failed(e)) => {
                let rest: Vec<i64> = held[i..].iter().map(|r| r.idx).collect();
                let reason = format!("Could not be sent: {e:#}");
                store::set_reason(&state.db, id, &rest, &reason).await?;
                return Err(e);
            }
        }
    }
    if let Some(cap) = campaign.cap_usd_micros {
        let reason = format!(
            "Held by the campaign's cap of {}: {} committed so far",
            dollars(cap),
            dollars(committed)
        );
        store::set_reason(&state.db, id, &over_cap, &reason).await?;
    }
    Ok(sent)
}

/// Whether every variant has ended (none held, queued or rendering).
pub fn all_ended(rows: &[VariantRow]) -> bool {
    rows.iter().all(|r| r.status().is_ended())
}
