//! Campaigns and their variants in the database: written once when
//! submitted (under the client's key), each variant then held, sent as a
//! job, retried or canceled by one conditional update; and read back with
//! their jobs for the board.

use anyhow::Context as _;
use chorus_core::board::VariantStatus;
use chorus_core::campaign::CampaignSpec;
use chorus_core::{GenerationRequest, JobStatus};

use crate::budget;
use crate::db::{Db, now_ms, on_db};

/// A campaign's own row.
#[derive(Debug, Clone)]
pub struct StoredCampaign {
    pub id: String,
    pub key: String,
    pub name: String,
    pub spec: CampaignSpec,
    pub cap_usd_micros: Option<u64>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub canceled_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: String,
    idem_key: String,
    name: String,
    spec: String,
    cap_usd_micros: Option<i64>,
    created_by: Option<String>,
    created_at: i64,
    canceled_at: Option<i64>,
    finished_at: Option<i64>,
}

impl CampaignRow {
    fn into_campaign(self) -> anyhow::Result<StoredCampaign> {
        let spec = serde_json::from_str(&self.spec)
            .with_context(|| format!("campaign {} has an unreadable spec", self.id))?;
        Ok(StoredCampaign {
            id: self.id,
            key: self.idem_key,
            name: self.name,
            spec,
            cap_usd_micros: self.cap_usd_micros.map(budget::from_db),
            created_by: self.created_by,
            created_at: self.created_at,
            canceled_at: self.canceled_at,
            finished_at: self.finished_at,
        })
    }
}

const CAMPAIGN_COLUMNS: &str =
    "id, idem_key, name, spec, cap_usd_micros, created_by, created_at, canceled_at, finished_at";

/// One variant to write with a new campaign.
#[derive(Debug, Clone)]
pub struct NewVariant {
    pub row: u32,
    pub language: chorus_core::Language,
    pub ratio: chorus_core::AspectRatio,
    pub request: GenerationRequest,
    pub estimate_usd_micros: u64,
}

/// What happened to a submit.
pub enum Inserted {
    /// The campaign is new.
    New(StoredCampaign),
    /// A campaign was already submitted under this key.
    Existing(StoredCampaign),
}

/// A new campaign's id: time-ordered, like job ids.
pub fn new_id() -> String {
    format!("cmp_{}", uuid::Uuid::now_v7().simple())
}

/// Writes the campaign and all its variants (held, to be sent by
/// `dispatch`) in one transaction, unless its key was used before: then
/// nothing is written and the earlier campaign is returned.
pub async fn insert(
    db: &Db,
    key: &str,
    spec: &CampaignSpec,
    variants: &[NewVariant],
    created_by: Option<&str>,
) -> anyhow::Result<Inserted> {
    let id = new_id();
    let now = now_ms();
    let spec_json = serde_json::to_string(spec)?;
    let requests = variants
        .iter()
        .map(|v| serde_json::to_string(&v.request))
        .collect::<Result<Vec<_>, _>>()?;
    let written = on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO campaigns (id, idem_key, name, spec, cap_usd_micros, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idem_key) DO NOTHING",
        )
        .bind(&id)
        .bind(key)
        .bind(&spec.name)
        .bind(&spec_json)
        .bind(spec.budget_cap_usd_micros.map(budget::to_db))
        .bind(created_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let new = done.rows_affected() == 1;
        if new {
            for (idx, (v, request)) in variants.iter().zip(&requests).enumerate() {
                sqlx::query(
                    "INSERT INTO campaign_variants (campaign_id, idx, row_number, language, ratio, request,
                         estimate_usd_micros, state, reason, job_id, attempts, prior_usd_micros)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'held', $8, NULL, 0, 0)",
                )
                .bind(&id)
                .bind(idx as i64)
                .bind(i64::from(v.row))
                .bind(v.language.code())
                .bind(v.ratio.label())
                .bind(request)
                .bind(budget::to_db(v.estimate_usd_micros))
                .bind(WAITING_TO_SEND)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        anyhow::Ok(new)
    })?;
    if written {
        let campaign = by_id(db, &id).await?.context("a campaign just written is gone")?;
        return Ok(Inserted::New(campaign));
    }
    let existing = by_key(db, key)
        .await?
        .context("a campaign key in use names no campaign")?;
    Ok(Inserted::Existing(existing))
}

/// What a held variant says before the dispatcher has looked at it.
pub const WAITING_TO_SEND: &str = "Waiting to be sent";

pub async fn by_id(db: &Db, id: &str) -> anyhow::Result<Option<StoredCampaign>> {
    let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1");
    let row = on_db!(db, pool => sqlx::query_as::<_, CampaignRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    row.map(CampaignRow::into_campaign).transpose()
}

async fn by_key(db: &Db, key: &str) -> anyhow::Result<Option<StoredCampaign>> {
    let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE idem_key = $1");
    let row = on_db!(write db, pool => sqlx::query_as::<_, CampaignRow>(&sql)
        .bind(key)
        .fetch_optional(pool)
        .await)?;
    row.map(CampaignRow::into_campaign).transpose()
}

/// Every campaign, newest first.
pub async fn list(db: &Db, limit: u32) -> anyhow::Result<Vec<StoredCampaign>> {
    let sql =
        format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at DESC, id DESC LIMIT $1");
    let rows = on_db!(db, pool => sqlx::query_as::<_, CampaignRow>(&sql)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(CampaignRow::into_campaign).collect()
}

/// A variant with its latest job's state, as the board and the
/// dispatcher read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VariantRow {
    pub idx: i64,
    pub row_number: i64,
    pub language: String,
    pub ratio: String,
    pub request: String,
    pub estimate_usd_micros: i64,
    pub state: String,
    pub reason: Option<String>,
    pub job_id: Option<String>,
    pub attempts: i64,
    pub prior_usd_micros: i64,
    pub job_status: Option<String>,
    pub progress: Option<f64>,
    pub outputs: Option<String>,
    pub error: Option<String>,
    pub actual_cost_usd_micros: Option<i64>,
    pub job_updated_at: Option<i64>,
}

impl VariantRow {
    /// Held and canceled are the campaign's word; otherwise its job's.
    pub fn status(&self) -> VariantStatus {
        match self.state.as_str() {
            "held" => VariantStatus::Held,
            "canceled" => VariantStatus::Canceled,
            _ => match self.job_status.as_deref().and_then(JobStatus::parse) {
                Some(JobStatus::Queued) | None => VariantStatus::Queued,
                Some(JobStatus::Running) => VariantStatus::Running,
                Some(JobStatus::Succeeded) => VariantStatus::Succeeded,
                Some(JobStatus::Failed) => VariantStatus::Failed,
                Some(JobStatus::Canceled) => VariantStatus::Canceled,
            },
        }
    }

    /// What its latest job holds of the budget: the estimate while it
    /// runs, what it cost once ended (a failed or canceled job only what
    /// the provider charged).
    pub fn latest_usd_micros(&self) -> u64 {
        let estimate = budget::from_db(self.estimate_usd_micros);
        let actual = self.actual_cost_usd_micros.map(budget::from_db);
        if self.state != "sent" {
            return 0;
        }
        match self.status() {
            VariantStatus::Queued | VariantStatus::Running | VariantStatus::Held => estimate,
            VariantStatus::Succeeded => actual.unwrap_or(estimate),
            VariantStatus::Failed | VariantStatus::Canceled => actual.unwrap_or(0),
        }
    }

    /// Everything it has held of the budget, retries included.
    pub fn committed_usd_micros(&self) -> u64 {
        budget::from_db(self.prior_usd_micros) + self.latest_usd_micros()
    }
}

/// Every variant of `campaign_id` with its latest job, in board order.
pub async fn variants(db: &Db, campaign_id: &str) -> anyhow::Result<Vec<VariantRow>> {
    let rows = on_db!(db, pool => sqlx::query_as::<_, VariantRow>(
        "SELECT v.idx, v.row_number, v.language, v.ratio, v.request, v.estimate_usd_micros, v.state,
                v.reason, v.job_id, v.attempts, v.prior_usd_micros,
                j.status AS job_status, j.progress, j.outputs, j.error, j.actual_cost_usd_micros,
                j.updated_at AS job_updated_at
         FROM campaign_variants v LEFT JOIN jobs j ON j.id = v.job_id
         WHERE v.campaign_id = $1 ORDER BY v.idx",
    )
    .bind(campaign_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// Marks held variant `idx` as sent as `job_id`; false when it was no
/// longer held (canceled meanwhile).
pub async fn mark_sent(db: &Db, campaign_id: &str, idx: i64, job_id: &str) -> anyhow::Result<bool> {
    let done = on_db!(write db, pool => sqlx::query(
        "UPDATE campaign_variants SET state = 'sent', reason = NULL, job_id = $3, attempts = attempts + 1
         WHERE campaign_id = $1 AND idx = $2 AND state = 'held'",
    )
    .bind(campaign_id)
    .bind(idx)
    .bind(job_id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Says why the held variants from `idx` on are still waiting.
pub async fn set_reason(db: &Db, campaign_id: &str, idxs: &[i64], reason: &str) -> anyhow::Result<()> {
    if idxs.is_empty() {
        return Ok(());
    }
    on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        for idx in idxs {
            sqlx::query(
                "UPDATE campaign_variants SET reason = $3
                 WHERE campaign_id = $1 AND idx = $2 AND state = 'held'",
            )
            .bind(campaign_id)
            .bind(idx)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        anyhow::Ok(())
    })
}

/// Puts a failed variant back to be sent again, keeping what its failed
/// job cost; false when it had changed meanwhile.
pub async fn hold_again(db: &Db, campaign_id: &str, row: &VariantRow) -> anyhow::Result<bool> {
    let prior = budget::to_db(row.committed_usd_micros());
    let done = on_db!(write db, pool => sqlx::query(
        "UPDATE campaign_variants SET state = 'held', reason = $4, prior_usd_micros = $3
         WHERE campaign_id = $1 AND idx = $2 AND state = 'sent' AND job_id = $5",
    )
    .bind(campaign_id)
    .bind(row.idx)
    .bind(prior)
    .bind(WAITING_TO_SEND)
    .bind(&row.job_id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Marks the campaign canceled and its held variants with it; the jobs
/// already sent are the caller's to cancel. False when it already was.
pub async fn cancel(db: &Db, campaign_id: &str) -> anyhow::Result<bool> {
    let now = now_ms();
    on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE campaigns SET canceled_at = $2 WHERE id = $1 AND canceled_at IS NULL",
        )
        .bind(campaign_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE campaign_variants SET state = 'canceled', reason = 'Canceled before it was sent'
             WHERE campaign_id = $1 AND state = 'held'",
        )
        .bind(campaign_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        anyhow::Ok(done.rows_affected() == 1)
    })
}

/// Marks the campaign finished, once; true for the call that did.
pub async fn mark_finished(db: &Db, campaign_id: &str) -> anyhow::Result<bool> {
    let done = on_db!(write db, pool => sqlx::query(
        "UPDATE campaigns SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL",
    )
    .bind(campaign_id)
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// A retried variant is unfinished again.
pub async fn mark_unfinished(db: &Db, campaign_id: &str) -> anyhow::Result<()> {
    on_db!(write db, pool => sqlx::query("UPDATE campaigns SET finished_at = NULL WHERE id = $1")
        .bind(campaign_id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The campaign a job was sent for, if any.
pub async fn campaign_of_job(db: &Db, job_id: &str) -> anyhow::Result<Option<String>> {
    let id: Option<(String,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT campaign_id FROM campaign_variants WHERE job_id = $1",
    )
    .bind(job_id)
    .fetch_optional(pool)
    .await)?;
    Ok(id.map(|(id,)| id))
}

/// Campaigns with variants still held, oldest first: what the dispatcher
/// looks at again after a start-up or a change of budget.
pub async fn with_held(db: &Db) -> anyhow::Result<Vec<String>> {
    let ids: Vec<(String,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT DISTINCT v.campaign_id FROM campaign_variants v JOIN campaigns c ON c.id = v.campaign_id
         WHERE v.state = 'held' AND c.canceled_at IS NULL",
    )
    .fetch_all(pool)
    .await)?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// The standing decision on each job's first take among `job_ids`'s
/// review links, newest last: (job, verdict, author, at).
pub async fn decisions(
    db: &Db,
    campaign_id: &str,
) -> anyhow::Result<Vec<(String, String, String, i64)>> {
    let rows = on_db!(db, pool => sqlx::query_as::<_, (String, String, String, i64)>(
        "SELECT l.job_id, d.verdict, d.author, d.at FROM review_decisions d
         JOIN review_links l ON l.id = d.link_id
         WHERE l.job_id IN (SELECT job_id FROM campaign_variants WHERE campaign_id = $1 AND job_id IS NOT NULL)
         ORDER BY d.at",
    )
    .bind(campaign_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows)
}

/// The stored lip-sync readings of `videos`, by video asset id, asked in
/// batches.
pub async fn readings(
    db: &Db,
    videos: &[&str],
) -> anyhow::Result<std::collections::HashMap<String, chorus_core::review::TakeReading>> {
    let mut found = std::collections::HashMap::new();
    for chunk in videos.chunks(200) {
        let sql = format!(
            "SELECT asset_id, reading FROM sync_readings WHERE asset_id IN ({})",
            crate::db::placeholders(1, chunk.len())
        );
        let rows: Vec<(String, String)> = on_db!(db, pool => {
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await
        })?;
        for (id, json) in rows {
            if let Ok(reading) = serde_json::from_str(&json) {
                found.insert(id, reading);
            }
        }
    }
    Ok(found)
}
