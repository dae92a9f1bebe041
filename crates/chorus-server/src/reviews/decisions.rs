//! Decisions in the database: one standing decision per take of a link; a
//! new one on the same take replaces it.

use anyhow::Context as _;
use chorus_core::review::{Decision, Verdict};

use crate::db::{Db, on_db};
use crate::outgoing;

#[derive(sqlx::FromRow)]
struct DecisionRow {
    link_id: String,
    take: i64,
    version: i64,
    verdict: String,
    note: Option<String>,
    author: String,
    at: i64,
}

impl DecisionRow {
    fn into_decision(self) -> anyhow::Result<Decision> {
        let verdict = parse_verdict(&self.verdict).with_context(|| {
            format!("a decision on link {} reads {}", self.link_id, self.verdict)
        })?;
        Ok(Decision {
            link_id: self.link_id,
            take: usize::try_from(self.take).unwrap_or(0),
            version: u32::try_from(self.version).unwrap_or(1),
            verdict,
            note: self.note,
            author: self.author,
            at: self.at,
        })
    }
}

fn verdict_str(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Approved => "approved",
        Verdict::ChangesRequested => "changes_requested",
    }
}

fn parse_verdict(s: &str) -> Option<Verdict> {
    [Verdict::Approved, Verdict::ChangesRequested]
        .into_iter()
        .find(|v| verdict_str(*v) == s)
}

/// Records `decision` as the standing one on its take.
pub async fn put(db: &Db, decision: &Decision) -> anyhow::Result<()> {
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO review_decisions (link_id, take, version, verdict, note, author, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (link_id, take) DO UPDATE SET version = excluded.version,
             verdict = excluded.verdict, note = excluded.note, author = excluded.author,
             at = excluded.at",
    )
    .bind(&decision.link_id)
    .bind(decision.take as i64)
    .bind(i64::from(decision.version))
    .bind(verdict_str(decision.verdict))
    .bind(&decision.note)
    .bind(&decision.author)
    .bind(decision.at)
    .execute(pool)
    .await
    .map(|_| ()))?;
    let job_id: Option<(String,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT job_id FROM review_links WHERE id = $1",
    )
    .bind(&decision.link_id)
    .fetch_optional(pool)
    .await)?;
    let data = serde_json::json!({
        "job_id": job_id.map(|(id,)| id),
        "link_id": decision.link_id,
        "take": decision.take,
        "version": decision.version,
        "verdict": decision.verdict,
        "note": decision.note,
        "author": decision.author,
        "at": decision.at,
    });
    outgoing::emit(db, outgoing::EventKind::ReviewDecision, data).await;
    Ok(())
}

const COLUMNS: &str = "link_id, take, version, verdict, note, author, at";

/// The standing decisions on link `link_id`, by take.
pub async fn of_link(db: &Db, link_id: &str) -> anyhow::Result<Vec<Decision>> {
    let sql = format!("SELECT {COLUMNS} FROM review_decisions WHERE link_id = $1 ORDER BY take");
    let rows = on_db!(db, pool => sqlx::query_as::<_, DecisionRow>(&sql)
        .bind(link_id)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(DecisionRow::into_decision).collect()
}

/// The standing decisions on every link of job `job_id`, oldest first.
pub async fn of_job(db: &Db, job_id: &str) -> anyhow::Result<Vec<Decision>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM review_decisions
         WHERE link_id IN (SELECT id FROM review_links WHERE job_id = $1) ORDER BY at, link_id, take"
    );
    let rows = on_db!(db, pool => sqlx::query_as::<_, DecisionRow>(&sql)
        .bind(job_id)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(DecisionRow::into_decision).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_round_trip_as_the_api_writes_them() {
        for verdict in [Verdict::Approved, Verdict::ChangesRequested] {
            let json = serde_json::to_string(&verdict).expect("json");
            assert_eq!(json, format!("\"{}\"", verdict_str(verdict)));
            assert_eq!(parse_verdict(verdict_str(verdict)), Some(verdict));
        }
        assert_eq!(parse_verdict("maybe"), None);
    }
}
