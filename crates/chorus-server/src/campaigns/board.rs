//! A campaign as its board shows it: every variant with its latest job's
//! status, cost, picture, lip-sync reading and review decision, read in a
//! few queries whatever the number of variants.

use std::collections::HashMap;

use chorus_core::board::{BoardVariant, Campaign, CampaignSummary, SyncReading, VariantStatus};
use chorus_core::review::Verdict;
use chorus_core::{AspectRatio, GenerationRequest, JobOutput, Language};

use super::store::{self, StoredCampaign, VariantRow};
use crate::budget;
use crate::db::Db;

/// Campaign `id` with every variant, or `None` when there is none.
pub async fn campaign(db: &Db, id: &str) -> anyhow::Result<Option<Campaign>> {
    let Some(stored) = store::by_id(db, id).await? else {
        return Ok(None);
    };
    let rows = store::variants(db, id).await?;
    let variants = variants(db, id, &rows).await?;
    Ok(Some(view(&stored, &rows, variants)))
}

fn view(stored: &StoredCampaign, rows: &[VariantRow], variants: Vec<BoardVariant>) -> Campaign {
    Campaign {
        id: stored.id.clone(),
        name: stored.name.clone(),
        created_at: stored.created_at,
        created_by: stored.created_by.clone(),
        cap_usd_micros: stored.cap_usd_micros,
        committed_usd_micros: rows.iter().map(VariantRow::committed_usd_micros).sum(),
        estimate_usd_micros: variants.iter().map(|v| v.estimate_usd_micros).sum(),
        name_pattern: stored.spec.name_pattern.clone(),
        languages: stored.spec.languages.clone(),
        ratios: stored.spec.ratios.clone(),
        canceled_at: stored.canceled_at,
        finished_at: stored.finished_at,
        variants,
    }
}

/// Every campaign, newest first, as one line each.
pub async fn summaries(db: &Db, limit: u32) -> anyhow::Result<Vec<CampaignSummary>> {
    let mut out = Vec::new();
    for stored in store::list(db, limit).await? {
        let rows = store::variants(db, &stored.id).await?;
        let variants = variants(db, &stored.id, &rows).await?;
        let count = |s: VariantStatus| variants.iter().filter(|v| v.status == s).count() as u32;
        let campaign = view(&stored, &rows, variants.clone());
        out.push(CampaignSummary {
            id: campaign.id,
            name: campaign.name,
            created_at: campaign.created_at,
            variants: variants.len() as u32,
            succeeded: count(VariantStatus::Succeeded),
            failed: count(VariantStatus::Failed),
            approved: variants
                .iter()
                .filter(|v| v.decision == Some(Verdict::Approved))
                .count() as u32,
            estimate_usd_micros: campaign.estimate_usd_micros,
            committed_usd_micros: campaign.committed_usd_micros,
            finished_at: campaign.finished_at,
            canceled_at: campaign.canceled_at,
        });
    }
    Ok(out)
}

async fn variants(db: &Db, id: &str, rows: &[VariantRow]) -> anyhow::Result<Vec<BoardVariant>> {
    let mut decided: HashMap<String, (Verdict, String, i64)> = HashMap::new();
    for (job, verdict, author, at) in store::decisions(db, id).await? {
        let verdict = match verdict.as_str() {
            "approved" => Verdict::Approved,
            _ => Verdict::ChangesRequested,
        };
        // Oldest first: the newest decision stands.
        decided.insert(job, (verdict, author, at));
    }
    let takes: Vec<Option<JobOutput>> = rows.iter().map(latest_take).collect();
    let videos: Vec<&str> = takes.iter().flatten().map(|t| t.video.as_str()).collect();
    let readings = store::readings(db, &videos).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, take) in rows.iter().zip(takes) {
        let request: GenerationRequest = serde_json::from_str(&row.request)?;
        let status = row.status();
        let decision = row.job_id.as_ref().and_then(|j| decided.get(j));
        let sync = take.as_ref().and_then(|t| readings.get(&t.video)).map(|r| SyncReading {
            offset_ms: r.offset_ms,
            verdict: r.verdict,
            summary: r.summary.clone(),
        });
        let reason = match status {
            VariantStatus::Held | VariantStatus::Canceled if row.state != "sent" => row.reason.clone(),
            VariantStatus::Failed => row.error.clone(),
            _ => None,
        };
        out.push(BoardVariant {
            idx: row.idx as u32,
            row: row.row_number as u32,
            language: Language::from_code(&row.language).unwrap_or(Language::English),
            ratio: AspectRatio::parse(&row.ratio).unwrap_or(AspectRatio::Landscape16x9),
            status,
            reason,
            job_id: row.job_id.clone().filter(|_| row.state == "sent"),
            attempts: row.attempts as u32,
            progress: row.progress.unwrap_or(0.0) as f32,
            model: request.model.clone(),
            seed: request.seed,
            estimate_usd_micros: budget::from_db(row.estimate_usd_micros),
            cost_usd_micros: (status == VariantStatus::Succeeded || status == VariantStatus::Failed)
                .then(|| row.latest_usd_micros()),
            video: take.as_ref().map(|t| t.video.clone()),
            poster: take.as_ref().and_then(|t| t.poster.clone()),
            sidecar: take.as_ref().and_then(|t| t.sidecar.clone()),
            sync,
            decision: decision.map(|d| d.0),
            reviewer: decision.map(|d| d.1.clone()),
            decided_at: decision.map(|d| d.2),
            updated_at: row.job_updated_at.unwrap_or(0),
        });
    }
    Ok(out)
}

/// The newest version of a variant's take: a correction if one was made.
fn latest_take(row: &VariantRow) -> Option<JobOutput> {
    if row.state != "sent" {
        return None;
    }
    let outputs: Vec<JobOutput> = serde_json::from_str(row.outputs.as_deref()?).ok()?;
    outputs.into_iter().last()
}
