//! The studio's glossary, kept as one row and replaced whole.

use anyhow::Context as _;
use chorus_core::localize::Glossary;

use crate::db::{Db, now_ms, on_db};

/// The glossary as saved (empty before the first save).
pub async fn load(db: &Db) -> anyhow::Result<Glossary> {
    let row = on_db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT terms FROM glossary WHERE id = 1",
    )
    .fetch_optional(pool)
    .await)?;
    match row {
        None => Ok(Glossary::default()),
        Some(json) => serde_json::from_str(&json).context("the saved glossary is unreadable"),
    }
}

/// Replaces the glossary (already checked by the caller).
pub async fn save(db: &Db, glossary: &Glossary, by: &str) -> anyhow::Result<()> {
    let json = serde_json::to_string(glossary)?;
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO glossary (id, terms, updated_at, updated_by) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET terms = $1, updated_at = $2, updated_by = $3",
    )
    .bind(&json)
    .bind(now_ms())
    .bind(by)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}
