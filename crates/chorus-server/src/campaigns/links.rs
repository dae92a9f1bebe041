//! A client's review link for a whole campaign (`/c/{token}`). The token
//! is random and kept only as its SHA-256, like a take's review link. The
//! client walks the campaign's board and opens each finished variant
//! through an ordinary review link (`/r/{token}`), so comments, decisions
//! and everything else a review does need nothing new; that link's token is
//! HMAC-SHA256 of the job id under the campaign token, so the server can
//! make it again whenever the client comes back with the campaign token,
//! and never stores either. Revoking the campaign link revokes them all.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_core::JobId;
use chorus_core::review::{Downloads, ReviewLink};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::{Db, now_ms, on_db};
use crate::reviews::{links, token};

/// A campaign link as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignLink {
    pub id: String,
    pub campaign_id: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Makes a new link to campaign `campaign_id`; returns it and its token
/// (shown once, never stored).
pub async fn create(db: &Db, campaign_id: &str) -> anyhow::Result<(CampaignLink, String)> {
    let token = token::new_token()?;
    let link = CampaignLink {
        id: format!("cl_{}", uuid::Uuid::now_v7().simple()),
        campaign_id: campaign_id.to_string(),
        created_at: now_ms(),
        revoked_at: None,
    };
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO campaign_links (id, campaign_id, token_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&link.id)
    .bind(&link.campaign_id)
    .bind(token::hash(&token))
    .bind(link.created_at)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok((link, token))
}

/// The open link `token` names; `None` for no such link or a revoked one.
pub async fn open(db: &Db, token_text: &str) -> anyhow::Result<Option<CampaignLink>> {
    if token::decode(token_text).is_none() {
        return Ok(None);
    }
    let link = on_db!(db, pool => sqlx::query_as::<_, CampaignLink>(
        "SELECT id, campaign_id, created_at, revoked_at FROM campaign_links WHERE token_hash = $1",
    )
    .bind(token::hash(token_text))
    .fetch_optional(pool)
    .await)?;
    Ok(link.filter(|l| l.revoked_at.is_none()))
}

/// The links made for campaign `campaign_id`, newest first.
pub async fn of_campaign(db: &Db, campaign_id: &str) -> anyhow::Result<Vec<CampaignLink>> {
    Ok(on_db!(db, pool => sqlx::query_as::<_, CampaignLink>(
        "SELECT id, campaign_id, created_at, revoked_at FROM campaign_links
         WHERE campaign_id = $1 ORDER BY created_at DESC",
    )
    .bind(campaign_id)
    .fetch_all(pool)
    .await)?)
}

/// Revokes link `id` of campaign `campaign_id` and every take's link made
/// through it; false when there was no such open link.
pub async fn revoke(db: &Db, campaign_id: &str, id: &str) -> anyhow::Result<bool> {
    let now = now_ms();
    on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE campaign_links SET revoked_at = $3
             WHERE id = $1 AND campaign_id = $2 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(campaign_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE review_links SET revoked_at = $2 WHERE campaign_link_id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        anyhow::Ok(done == 1)
    })
}

/// The review-link token of job `job_id` under campaign token
/// `campaign_token`: 32 bytes of HMAC-SHA256, written as review tokens are.
pub fn take_token(campaign_token: &str, job_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(campaign_token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"chorus campaign take\0");
    mac.update(job_id.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The review link of job `job_id`'s first take under campaign link
/// `link`, made the first time it is asked for; returns its token.
pub async fn take_link(
    db: &Db,
    link: &CampaignLink,
    campaign_token: &str,
    job_id: &str,
) -> anyhow::Result<String> {
    let take_token = take_token(campaign_token, job_id);
    let hash = token::hash(&take_token);
    if links::by_token_hash(db, &hash).await?.is_some() {
        return Ok(take_token);
    }
    let review = ReviewLink {
        id: links::new_id(),
        job_id: JobId(job_id.to_string()),
        takes: vec![0],
        created_at: now_ms(),
        expires_at: None,
        revoked_at: None,
        has_passcode: false,
        downloads: Downloads::AfterApproval,
        approvals: true,
        verdicts: true,
        opened: Vec::new(),
        comments: 0,
        decisions: 0,
    };
    if let Err(e) = links::insert(db, &review, &hash, None).await {
        // Two requests made it at once: the other's stands.
        if links::by_token_hash(db, &hash).await?.is_some() {
            return Ok(take_token);
        }
        return Err(e);
    }
    on_db!(write db, pool => sqlx::query("UPDATE review_links SET campaign_link_id = $2 WHERE id = $1")
        .bind(&review.id)
        .bind(&link.id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(take_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_takes_token_is_a_review_token_fixed_by_the_campaign_token_and_job() {
        let campaign = token::new_token().expect("random");
        let a = take_token(&campaign, "job_1");
        assert_eq!(a.len(), token::TOKEN_CHARS);
        assert!(token::decode(&a).is_some());
        assert_eq!(a, take_token(&campaign, "job_1"));
        assert_ne!(a, take_token(&campaign, "job_2"));
        let other = token::new_token().expect("random");
        assert_ne!(a, take_token(&other, "job_1"));
    }
}
