//! The audit log: who signed in, created, cancelled, corrected, shared,
//! revoked, approved, or changed a key or a budget, and when. Kept in the
//! database (`audit_log`), read by owners a page at a time, newest first,
//! and exported as CSV.
//!
//! Recording never fails the request it records: the thing was done, and a
//! database hiccup while writing it down is logged instead. This module
//! knows only the database, so anything (the access guard included) may
//! record through it; a caller is anything [`Acting`].

use crate::reviews::export;
use chorus_core::access::{AuditAction, AuditEntry, AuditPage};

use crate::db::{Db, now_ms, on_db};

/// Most entries one page answers.
pub const MAX_PAGE: u32 = 500;
/// Entries a page answers when the caller does not say.
pub const DEFAULT_PAGE: u32 = 50;

/// Someone the log can name: the access guard's caller (`auth::Actor`),
/// or anyone else an entry is about.
pub trait Acting {
    /// How the log names them: "ana@example.com", "token nightly
    /// (ana@example.com)", "local".
    fn audit_label(&self) -> String;
    /// Their account, where they have one.
    fn audit_user_id(&self) -> Option<&str>;
    /// The client's address, where the connection had one.
    fn audit_address(&self) -> Option<&str>;
}

/// Records that `actor` did `action` to `target`; `detail` says any more a
/// reader needs. Never fails: an entry that cannot be written is logged.
pub async fn record(db: &Db, actor: &impl Acting, action: AuditAction, target: &str, detail: &str) {
    record_as(
        db,
        &actor.audit_label(),
        actor.audit_user_id(),
        actor.audit_address(),
        action,
        target,
        detail,
    )
    .await;
}

/// `record` for someone who is not a signed-in caller: a reviewer through a
/// review link ("reviewer Jo"), the server itself ("server").
pub async fn record_as(
    db: &Db,
    actor_label: &str,
    user_id: Option<&str>,
    address: Option<&str>,
    action: AuditAction,
    target: &str,
    detail: &str,
) {
    let written = on_db!(write db, pool => sqlx::query(
        "INSERT INTO audit_log (at, actor, actor_user_id, action, target, detail, address)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now_ms())
    .bind(actor_label)
    .bind(user_id)
    .bind(action.as_str())
    .bind(target)
    .bind(detail)
    .bind(address)
    .execute(pool)
    .await
    .map(|_| ()));
    if let Err(e) = written {
        tracing::error!(
            error = %e,
            actor = actor_label,
            action = action.as_str(),
            target,
            "cannot write to the audit log"
        );
    }
}

/// Which entries to read: below `before` (an id), at most `limit`, of one
/// action, by actors whose name contains `actor` (any case).
/// (Its fields are the query string's names, so the API's description is
/// derived from it.)
#[derive(Debug, Clone, Default, PartialEq, Eq, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// Entries older than this entry id (the `next_before` of the page before).
    pub before: Option<i64>,
    /// Entries per page.
    pub limit: Option<u32>,
    /// Only this kind of entry.
    pub action: Option<AuditAction>,
    /// Only actors whose name contains this, in any case.
    pub actor: Option<String>,
}

impl Filter {
    /// Reads `?before=&limit=&action=&actor=`; the error says which value is
    /// wrong and what it may be.
    pub fn parse(pairs: &[(String, String)]) -> Result<Filter, String> {
        let mut filter = Filter::default();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key.as_str() {
                "before" => {
                    filter.before = Some(value.parse().map_err(|_| {
                        format!("before={value} is not an entry id (a whole number)")
                    })?);
                }
                "limit" => {
                    let limit: u32 = value
                        .parse()
                        .map_err(|_| format!("limit={value} is not a whole number of entries"))?;
                    if !(1..=MAX_PAGE).contains(&limit) {
                        return Err(format!("limit is 1 to {MAX_PAGE} entries; {limit} is not"));
                    }
                    filter.limit = Some(limit);
                }
                "action" => {
                    filter.action = Some(AuditAction::parse(value).ok_or_else(|| {
                        let known: Vec<&str> =
                            AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                        format!(
                            "action={value} is not an audit action; use one of {}",
                            known.join(", ")
                        )
                    })?);
                }
                "actor" => filter.actor = Some(value.to_string()),
                other => {
                    return Err(format!(
                        "{other} is not a filter of the audit log (before, limit, action, actor)"
                    ));
                }
            }
        }
        Ok(filter)
    }

    /// The `WHERE` clause and its values, numbered from `$1`.
    fn conditions(&self) -> (String, Vec<Bound>) {
        let mut clauses = Vec::new();
        let mut values = Vec::new();
        if let Some(before) = self.before {
            values.push(Bound::Int(before));
            clauses.push(format!("id < ${}", values.len()));
        }
        if let Some(action) = self.action {
            values.push(Bound::Text(action.as_str().to_string()));
            clauses.push(format!("action = ${}", values.len()));
        }
        if let Some(actor) = &self.actor {
            values.push(Bound::Text(format!(
                "%{}%",
                like_escaped(&actor.to_lowercase())
            )));
            clauses.push(format!("LOWER(actor) LIKE ${} ESCAPE '\\'", values.len()));
        }
        let clause = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        (clause, values)
    }
}

/// A value bound to a filter's placeholder.
#[derive(Debug, Clone)]
enum Bound {
    Int(i64),
    Text(String),
}

/// `text` matched literally by `LIKE … ESCAPE '\'`.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
    address: Option<String>,
}

impl Row {
    /// The entry; `None` for an action this server does not know (written
    /// by a newer one sharing the database).
    fn into_entry(self) -> Option<AuditEntry> {
        Some(AuditEntry {
            id: self.id,
            at: self.at,
            actor: self.actor,
            action: AuditAction::parse(&self.action)?,
            target: self.target,
            detail: self.detail,
            address: self.address,
        })
    }
}

/// Up to `limit` entries matching `filter` (and below `before`), newest
/// first.
async fn fetch(db: &Db, filter: &Filter, limit: u32) -> anyhow::Result<Vec<Row>> {
    let (clause, values) = filter.conditions();
    let sql = format!(
        "SELECT id, at, actor, action, target, detail, address FROM audit_log {clause}
         ORDER BY id DESC LIMIT ${}",
        values.len() + 1
    );
    let rows = on_db!(db, pool => {
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for value in &values {
            query = match value {
                Bound::Int(n) => query.bind(*n),
                Bound::Text(s) => query.bind(s.as_str()),
            };
        }
        query.bind(i64::from(limit)).fetch_all(pool).await
    })?;
    Ok(rows)
}

/// One page of entries, newest first, and where the next one starts.
pub async fn list(db: &Db, filter: &Filter) -> anyhow::Result<AuditPage> {
    let limit = filter.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    // One more than asked: whether there is a next page.
    let mut rows = fetch(db, filter, limit + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_before = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries: rows.into_iter().filter_map(Row::into_entry).collect(),
        next_before,
    })
}

/// Every entry matching `filter` (its `before` and `limit` ignored),
/// newest first, as CSV: at (RFC 3339, UTC), actor, action, target,
/// detail, address.
pub async fn csv(db: &Db, filter: &Filter) -> anyhow::Result<Vec<u8>> {
    const BATCH: u32 = 1000;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["at", "actor", "action", "target", "detail", "address"])?;
    let mut page = Filter {
        before: None,
        limit: None,
        ..filter.clone()
    };
    loop {
        let rows = fetch(db, &page, BATCH).await?;
        let Some(last) = rows.last().map(|r| r.id) else {
            break;
        };
        let full = rows.len() == BATCH as usize;
        for row in rows {
            out.write_record([
                rfc3339_ms(row.at),
                export::as_text_cell(&row.actor),
                row.action,
                export::as_text_cell(&row.target),
                export::as_text_cell(&row.detail),
                row.address.unwrap_or_default(),
            ])?;
        }
        if !full {
            break;
        }
        page.before = Some(last);
    }
    Ok(out.into_inner()?)
}

/// Unix ms as RFC 3339 in UTC, to the millisecond.
fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reviews::export::as_text_cell;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn filters_are_read_and_wrong_ones_named() {
        let filter = Filter::parse(&pairs(&[
            ("before", "42"),
            ("limit", "10"),
            ("action", "job_created"),
            ("actor", "Ana"),
        ]))
        .expect("parses");
        assert_eq!(
            filter,
            Filter {
                before: Some(42),
                limit: Some(10),
                action: Some(AuditAction::JobCreated),
                actor: Some("Ana".into()),
            }
        );
        let (clause, values) = filter.conditions();
        assert_eq!(
            clause,
            "WHERE id < $1 AND action = $2 AND LOWER(actor) LIKE $3 ESCAPE '\\'"
        );
        assert_eq!(values.len(), 3);
        assert!(
            Filter::parse(&pairs(&[("action", "nope")]))
                .expect_err("unknown")
                .contains("job_created")
        );
        assert!(Filter::parse(&pairs(&[("limit", "0")])).is_err());
        assert!(Filter::parse(&pairs(&[("limit", "501")])).is_err());
        assert!(Filter::parse(&pairs(&[("before", "x")])).is_err());
        assert!(Filter::parse(&pairs(&[("sort", "asc")])).is_err());
        assert_eq!(
            Filter::parse(&pairs(&[("actor", " ")])).expect("empty is none"),
            Filter::default()
        );
    }

    #[test]
    fn an_actor_filter_matches_literally() {
        assert_eq!(like_escaped("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn formula_like_cells_stay_text() {
        assert_eq!(as_text_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(as_text_cell("reviewer Jo"), "reviewer Jo");
        assert_eq!(rfc3339_ms(1_772_323_200_123), "2026-03-01T00:00:00.123Z");
    }
}
