//! Review links in the database: made, found by id or by their token's
//! hash, listed per job with who opened them and how much was said, changed
//! and revoked; and every review row of a job dropped when it is removed.

use anyhow::Context as _;
use chorus_core::JobId;
use chorus_core::review::{Downloads, Opened, ReviewLink};

use crate::db::{Db, on_db};

/// Who opened a link, newest first, at most this many.
pub const OPENED_SHOWN: usize = 20;

/// A link as stored: what the studio sees, and its passcode's hash.
#[derive(Debug, Clone)]
pub struct StoredLink {
    pub link: ReviewLink,
    /// Argon2id PHC string; `None` when the link has no passcode.
    pub passcode_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: String,
    job_id: String,
    takes: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    passcode_hash: Option<String>,
    downloads: String,
    approvals: bool,
    verdicts: bool,
    comments: i64,
    decisions: i64,
}

impl LinkRow {
    fn into_stored(self) -> anyhow::Result<StoredLink> {
        let takes: Vec<usize> = serde_json::from_str(&self.takes)
            .with_context(|| format!("review link {} has unreadable takes", self.id))?;
        let downloads = Downloads::parse(&self.downloads).with_context(|| {
            format!(
                "review link {} has unknown downloads {}",
                self.id, self.downloads
            )
        })?;
        Ok(StoredLink {
            link: ReviewLink {
                id: self.id,
                job_id: JobId(self.job_id),
                takes,
                created_at: self.created_at,
                expires_at: self.expires_at,
                revoked_at: self.revoked_at,
                has_passcode: self.passcode_hash.is_some(),
                downloads,
                approvals: self.approvals,
                verdicts: self.verdicts,
                opened: Vec::new(),
                comments: u32::try_from(self.comments).unwrap_or(u32::MAX),
                decisions: u32::try_from(self.decisions).unwrap_or(u32::MAX),
            },
            passcode_hash: self.passcode_hash,
        })
    }
}

/// A link's columns, with how many comments and decisions it has.
const COLUMNS: &str = "id, job_id, takes, created_at, expires_at, revoked_at, passcode_hash, downloads, approvals, verdicts,
    CAST((SELECT COUNT(*) FROM review_comments c WHERE c.link_id = review_links.id) AS BIGINT) AS comments,
    CAST((SELECT COUNT(*) FROM review_decisions d WHERE d.link_id = review_links.id) AS BIGINT) AS decisions";

/// A new link's id: time-ordered, like job ids.
pub fn new_id() -> String {
    format!("rl_{}", uuid::Uuid::now_v7().simple())
}

/// Records a new link, found from now on by `token_hash`.
pub async fn insert(
    db: &Db,
    link: &ReviewLink,
    token_hash: &str,
    passcode_hash: Option<&str>,
) -> anyhow::Result<()> {
    let takes = serde_json::to_string(&link.takes)?;
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO review_links (id, job_id, token_hash, takes, created_at, expires_at, revoked_at,
             passcode_hash, downloads, approvals, verdicts)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10)",
    )
    .bind(&link.id)
    .bind(&link.job_id.0)
    .bind(token_hash)
    .bind(&takes)
    .bind(link.created_at)
    .bind(link.expires_at)
    .bind(passcode_hash)
    .bind(link.downloads.as_str())
    .bind(link.approvals)
    .bind(link.verdicts)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The link `id`, with who opened it.
pub async fn by_id(db: &Db, id: &str) -> anyhow::Result<Option<StoredLink>> {
    let sql = format!("SELECT {COLUMNS} FROM review_links WHERE id = $1");
    let row = on_db!(db, pool => sqlx::query_as::<_, LinkRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    let Some(mut stored) = row.map(LinkRow::into_stored).transpose()? else {
        return Ok(None);
    };
    stored.link.opened = opened(db, "o.link_id = $1", id)
        .await?
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    Ok(Some(stored))
}

/// The link whose token hashes to `token_hash` (who opened it left out).
pub async fn by_token_hash(db: &Db, token_hash: &str) -> anyhow::Result<Option<StoredLink>> {
    let sql = format!("SELECT {COLUMNS} FROM review_links WHERE token_hash = $1");
    let row = on_db!(db, pool => sqlx::query_as::<_, LinkRow>(&sql)
        .bind(token_hash)
        .fetch_optional(pool)
        .await)?;
    row.map(LinkRow::into_stored).transpose()
}

/// Every link of job `job_id`, newest first, each with who opened it.
pub async fn of_job(db: &Db, job_id: &str) -> anyhow::Result<Vec<ReviewLink>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM review_links WHERE job_id = $1 ORDER BY created_at DESC, id DESC"
    );
    let rows = on_db!(db, pool => sqlx::query_as::<_, LinkRow>(&sql)
        .bind(job_id)
        .fetch_all(pool)
        .await)?;
    let mut links = rows
        .into_iter()
        .map(|row| row.into_stored().map(|s| s.link))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let opens = opened(
        db,
        "o.link_id IN (SELECT id FROM review_links WHERE job_id = $1)",
        job_id,
    )
    .await?;
    for (link_id, open) in opens {
        if let Some(link) = links.iter_mut().find(|l| l.id == link_id)
            && link.opened.len() < OPENED_SHOWN
        {
            link.opened.push(open);
        }
    }
    Ok(links)
}

/// Opens matching `filter` (on `review_opens o`, with `$1` bound to
/// `value`), newest first, at most `OPENED_SHOWN` per link.
async fn opened(db: &Db, filter: &str, value: &str) -> anyhow::Result<Vec<(String, Opened)>> {
    let sql = format!(
        "SELECT link_id, name, at FROM review_opens o WHERE {filter}
         ORDER BY at DESC"
    );
    let rows = on_db!(db, pool => sqlx::query_as::<_, (String, String, i64)>(&sql)
        .bind(value)
        .fetch_all(pool)
        .await)?;
    let mut per_link: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    Ok(rows
        .into_iter()
        .filter(|(link_id, _, _)| {
            let n = per_link.entry(link_id.clone()).or_default();
            *n += 1;
            *n <= OPENED_SHOWN
        })
        .map(|(link_id, name, at)| (link_id, Opened { name, at }))
        .collect())
}

/// What a change writes; a field left `None` stays as it is.
#[derive(Debug, Default)]
pub struct Change {
    pub expires_at: Option<Option<i64>>,
    pub passcode_hash: Option<Option<String>>,
    pub downloads: Option<Downloads>,
    pub approvals: Option<bool>,
    pub verdicts: Option<bool>,
}

/// Changes link `id`; `None` when there is no such link.
pub async fn change(db: &Db, id: &str, change: &Change) -> anyhow::Result<Option<StoredLink>> {
    let done = on_db!(write db, pool => sqlx::query(
        "UPDATE review_links SET
             expires_at = CASE WHEN $1 THEN $2 ELSE expires_at END,
             passcode_hash = CASE WHEN $3 THEN $4 ELSE passcode_hash END,
             downloads = COALESCE($5, downloads),
             approvals = COALESCE($6, approvals),
             verdicts = COALESCE($7, verdicts)
         WHERE id = $8",
    )
    .bind(change.expires_at.is_some())
    .bind(change.expires_at.flatten())
    .bind(change.passcode_hash.is_some())
    .bind(change.passcode_hash.clone().flatten())
    .bind(change.downloads.map(Downloads::as_str))
    .bind(change.approvals)
    .bind(change.verdicts)
    .bind(id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    by_id(db, id).await
}

/// Revokes link `id` at `now` (a second revoke keeps the first time).
pub async fn revoke(db: &Db, id: &str, now: i64) -> anyhow::Result<Option<StoredLink>> {
    let done = on_db!(write db, pool => sqlx::query(
        "UPDATE review_links SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    by_id(db, id).await
}

/// Records that `name` opened link `link_id` at `at`.
pub async fn record_open(db: &Db, link_id: &str, name: &str, at: i64) -> anyhow::Result<()> {
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO review_opens (link_id, name, at) VALUES ($1, $2, $3)",
    )
    .bind(link_id)
    .bind(name)
    .bind(at)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Drops every review row of job `job_id`: its links, who opened them,
/// their comments and decisions (the purger, when the job goes for good).
pub async fn remove_job(db: &Db, job_id: &str) -> anyhow::Result<()> {
    for sql in [
        "DELETE FROM review_decisions WHERE link_id IN (SELECT id FROM review_links WHERE job_id = $1)",
        "DELETE FROM review_opens WHERE link_id IN (SELECT id FROM review_links WHERE job_id = $1)",
        "DELETE FROM review_comments WHERE job_id = $1",
        "DELETE FROM review_links WHERE job_id = $1",
    ] {
        on_db!(write db, pool => sqlx::query(sql)
            .bind(job_id)
            .execute(pool)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}
