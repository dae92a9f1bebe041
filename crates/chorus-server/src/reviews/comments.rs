//! Comments in the database: a reviewer's notes on frames (with drawings),
//! the studio's replies, and whether each is resolved. Kept per link and
//! per job; listed oldest first.

use anyhow::Context as _;
use chorus_core::review::{Comment, Shape, Side};

use crate::db::{Db, on_db};

#[derive(sqlx::FromRow)]
struct CommentRow {
    id: String,
    link_id: String,
    job_id: String,
    take: i64,
    original: i64,
    version: i64,
    frame: i64,
    frame_out: Option<i64>,
    author: String,
    side: String,
    text: String,
    shape: Option<String>,
    parent: Option<String>,
    created_at: i64,
    resolved_at: Option<i64>,
}

impl CommentRow {
    /// The comment, and the job it is on.
    fn into_comment(self) -> anyhow::Result<(String, Comment)> {
        let side = match self.side.as_str() {
            "reviewer" => Side::Reviewer,
            "studio" => Side::Studio,
            other => anyhow::bail!("comment {} has unknown side {other}", self.id),
        };
        let shape: Option<Shape> = self
            .shape
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .with_context(|| format!("comment {} has an unreadable shape", self.id))?;
        let index = |n: i64| usize::try_from(n).unwrap_or(0);
        Ok((
            self.job_id,
            Comment {
                id: self.id,
                link_id: self.link_id,
                take: index(self.take),
                original: index(self.original),
                version: u32::try_from(self.version).unwrap_or(1),
                frame: index(self.frame),
                frame_out: self.frame_out.map(index),
                author: self.author,
                side,
                text: self.text,
                shape,
                parent: self.parent,
                created_at: self.created_at,
                resolved_at: self.resolved_at,
            },
        ))
    }
}

const COLUMNS: &str = "id, link_id, job_id, take, original, version, frame, frame_out, author, side, text, shape, parent, created_at, resolved_at";

/// A new comment's id: time-ordered, so ids sort as comments were made.
pub fn new_id() -> String {
    format!("cm_{}", uuid::Uuid::now_v7().simple())
}

/// Why `text` (a comment or a note) cannot be stored for what it holds,
/// beyond its length: control characters other than newline and tab.
pub fn control_problem(text: &str) -> Option<String> {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
        .then(|| "the text has a control character in it (only new lines and tabs are kept)".into())
}

/// Records `comment`, made on job `job_id`.
pub async fn insert(db: &Db, job_id: &str, comment: &Comment) -> anyhow::Result<()> {
    let shape = comment
        .shape
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let side = match comment.side {
        Side::Reviewer => "reviewer",
        Side::Studio => "studio",
    };
    let sql = format!(
        "INSERT INTO review_comments ({COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    on_db!(write db, pool => sqlx::query(&sql)
        .bind(&comment.id)
        .bind(&comment.link_id)
        .bind(job_id)
        .bind(comment.take as i64)
        .bind(comment.original as i64)
        .bind(i64::from(comment.version))
        .bind(comment.frame as i64)
        .bind(comment.frame_out.map(|f| f as i64))
        .bind(&comment.author)
        .bind(side)
        .bind(&comment.text)
        .bind(&shape)
        .bind(&comment.parent)
        .bind(comment.created_at)
        .bind(comment.resolved_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Comment `id` and the job it is on.
pub async fn get(db: &Db, id: &str) -> anyhow::Result<Option<(String, Comment)>> {
    let sql = format!("SELECT {COLUMNS} FROM review_comments WHERE id = $1");
    let row = on_db!(db, pool => sqlx::query_as::<_, CommentRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    row.map(CommentRow::into_comment).transpose()
}

/// Every comment on link `link_id`, oldest first.
pub async fn of_link(db: &Db, link_id: &str) -> anyhow::Result<Vec<Comment>> {
    list(db, "link_id", link_id).await
}

/// Every comment on any link of job `job_id`, oldest first.
pub async fn of_job(db: &Db, job_id: &str) -> anyhow::Result<Vec<Comment>> {
    list(db, "job_id", job_id).await
}

async fn list(db: &Db, column: &str, value: &str) -> anyhow::Result<Vec<Comment>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM review_comments WHERE {column} = $1 ORDER BY created_at, id"
    );
    let rows = on_db!(db, pool => sqlx::query_as::<_, CommentRow>(&sql)
        .bind(value)
        .fetch_all(pool)
        .await)?;
    rows.into_iter()
        .map(|row| row.into_comment().map(|(_, c)| c))
        .collect()
}

/// Marks comment `id` resolved (at `now`, unless it already was) or open
/// again; the comment as it now is and its job, or `None` when there is no
/// such comment.
pub async fn set_resolved(
    db: &Db,
    id: &str,
    resolved: bool,
    now: i64,
) -> anyhow::Result<Option<(String, Comment)>> {
    let done = on_db!(write db, pool => sqlx::query(
        "UPDATE review_comments SET resolved_at = CASE WHEN $1 THEN COALESCE(resolved_at, $2) ELSE NULL END
         WHERE id = $3",
    )
    .bind(resolved)
    .bind(now)
    .bind(id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    get(db, id).await
}

#[cfg(test)]
mod tests {
    use super::control_problem;

    #[test]
    fn only_new_lines_and_tabs_pass() {
        assert_eq!(control_problem("Line one\n\tLine two"), None);
        assert!(control_problem("nul \0 here").is_some());
        assert!(control_problem("bell \u{7}").is_some());
        assert!(control_problem("return \r").is_some());
    }
}
