//! API tokens for scripts: `chorus_pat_` and 256 random bits, shown once
//! and stored only as their SHA-256. A token acts as the account that made
//! it, never above that account's role now, nor above what its scopes
//! allow (`Scope::ceiling`); a token with only `read` may only read.
//! Revoking one takes effect on the next request: every request looks the
//! token up afresh.

use chorus_core::access::{ApiTokenView, Role, Scope};

use super::secrets;
use super::users::{COLUMNS, User, UserRow};
use crate::db::{Db, on_db};

/// What every token starts with, so it is recognisable in a leaked file or
/// a secret scanner, and never mistaken for a session or review secret.
pub const PREFIX: &str = "chorus_pat_";
/// `last_used_at` is written at most this often per token (a minute).
pub const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// A live token and whose it is.
#[derive(Debug, Clone)]
pub struct Found {
    pub token_id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub user: User,
}

impl Found {
    /// The role this token acts as now.
    pub fn role(&self) -> Role {
        role_of(self.user.role, &self.scopes)
    }
}

/// A token's role: the highest its scopes allow, but never above its
/// maker's.
pub fn role_of(maker: Role, scopes: &[Scope]) -> Role {
    let ceiling = scopes
        .iter()
        .map(|s| s.ceiling())
        .max()
        .unwrap_or(Role::Viewer);
    ceiling.min(maker)
}

/// Whether a token with `scopes` may change anything (anything but `GET`
/// and `HEAD`).
pub fn may_write(scopes: &[Scope]) -> bool {
    scopes.contains(&Scope::Generate)
}

/// Scopes as stored: "generate,read", each once, in order.
fn write_scopes(scopes: &[Scope]) -> String {
    let mut sorted = scopes.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Stored scopes; an unknown one (from a newer server) is left out, so a
/// token never gains what this server does not know.
fn read_scopes(stored: &str) -> Vec<Scope> {
    stored.split(',').filter_map(Scope::parse).collect()
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    name: String,
    scopes: String,
    user_id: String,
    user_email: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TokenRow {
    fn into_view(self) -> ApiTokenView {
        ApiTokenView {
            id: self.id,
            name: self.name,
            scopes: read_scopes(&self.scopes),
            user_id: Some(self.user_id),
            user_email: self.user_email,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        }
    }
}

const VIEW_COLUMNS: &str = "t.id, t.name, t.scopes, t.user_id, u.email AS user_email, t.created_at, t.last_used_at, t.revoked_at";

/// Makes a token for `maker`; answers its text (shown once) and how it is
/// listed.
pub async fn create(
    db: &Db,
    maker: &User,
    name: &str,
    scopes: &[Scope],
    now: i64,
) -> anyhow::Result<(String, ApiTokenView)> {
    let secret = format!("{PREFIX}{}", secrets::random_secret()?);
    let id = secrets::new_id("tk");
    let stored_scopes = write_scopes(scopes);
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO api_tokens (id, secret_hash, user_id, name, scopes, created_at, last_used_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)",
    )
    .bind(&id)
    .bind(secrets::digest(&secret))
    .bind(&maker.id)
    .bind(name)
    .bind(&stored_scopes)
    .bind(now)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    let view = ApiTokenView {
        id,
        name: name.to_string(),
        scopes: read_scopes(&stored_scopes),
        user_id: Some(maker.id.clone()),
        user_email: Some(maker.email.clone()),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    Ok((secret, view))
}

/// Whether `text` is written as a token is (its prefix and 43 characters
/// of base64url); anything else is not looked up.
pub fn looks_like_token(text: &str) -> bool {
    text.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Whether the token `id` still works (not revoked, its maker still an
/// account): an open event stream asks this now and then.
pub async fn is_live(db: &Db, id: &str) -> anyhow::Result<bool> {
    let found: Option<i64> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT 1 FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.id = $1 AND t.revoked_at IS NULL",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// The live (unrevoked) token `text`, noting that it was used; `None`
/// when there is none.
pub async fn find(db: &Db, text: &str, now: i64) -> anyhow::Result<Option<Found>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        token_id: String,
        token_name: String,
        scopes: String,
        last_used_at: Option<i64>,
        #[sqlx(flatten)]
        user: UserRow,
    }
    if !looks_like_token(text) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT t.id AS token_id, t.name AS token_name, t.scopes, t.last_used_at, {COLUMNS}
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL"
    );
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(&sql)
        .bind(secrets::digest(text))
        .fetch_optional(pool)
        .await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    if row.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY_MS) {
        on_db!(write db, pool => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&row.token_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
    }
    Ok(Some(Found {
        token_id: row.token_id,
        name: row.token_name,
        scopes: read_scopes(&row.scopes),
        user: row.user.into_user()?,
    }))
}

/// Tokens, newest first: `of`'s only, or everyone's when `None`.
pub async fn list(db: &Db, of: Option<&str>) -> anyhow::Result<Vec<ApiTokenView>> {
    let filter = if of.is_some() {
        "WHERE t.user_id = $1"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {VIEW_COLUMNS} FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
         {filter} ORDER BY t.created_at DESC, t.id DESC"
    );
    let rows = on_db!(db, pool => {
        let mut query = sqlx::query_as::<_, TokenRow>(&sql);
        if let Some(user_id) = of {
            query = query.bind(user_id);
        }
        query.fetch_all(pool).await
    })?;
    Ok(rows.into_iter().map(TokenRow::into_view).collect())
}

/// Revokes token `id` (only if it is `of`'s, when given); `None` when there
/// is no such token. Revoking a revoked token changes nothing.
pub async fn revoke(
    db: &Db,
    id: &str,
    of: Option<&str>,
    now: i64,
) -> anyhow::Result<Option<ApiTokenView>> {
    on_db!(write db, pool => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1
         WHERE id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR user_id = $3)",
    )
    .bind(now)
    .bind(id)
    .bind(of)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    let sql = format!(
        "SELECT {VIEW_COLUMNS} FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
         WHERE t.id = $1 AND ($2 IS NULL OR t.user_id = $2)"
    );
    let row = on_db!(db, pool => sqlx::query_as::<_, TokenRow>(&sql)
        .bind(id)
        .bind(of)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(TokenRow::into_view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_acts_above_its_maker_or_its_scopes() {
        assert_eq!(role_of(Role::Owner, &[Scope::Generate]), Role::Editor);
        assert_eq!(role_of(Role::Owner, &[Scope::Read]), Role::Viewer);
        assert_eq!(role_of(Role::Viewer, &[Scope::Generate]), Role::Viewer);
        assert_eq!(
            role_of(Role::Editor, &[Scope::Read, Scope::Generate]),
            Role::Editor
        );
        assert_eq!(role_of(Role::Owner, &[]), Role::Viewer);
        assert!(!may_write(&[Scope::Read]));
        assert!(may_write(&[Scope::Read, Scope::Generate]));
    }

    #[test]
    fn scopes_are_stored_once_each_and_unknown_ones_dropped() {
        assert_eq!(
            write_scopes(&[Scope::Generate, Scope::Read, Scope::Generate]),
            "read,generate"
        );
        assert_eq!(
            read_scopes("read,launch,generate"),
            vec![Scope::Read, Scope::Generate]
        );
    }

    #[test]
    fn only_well_formed_tokens_are_looked_up() {
        let good = format!("{PREFIX}{}", "a".repeat(43));
        assert!(looks_like_token(&good));
        assert!(!looks_like_token(&"a".repeat(43)));
        assert!(!looks_like_token(&format!("{good}=")));
        assert!(!looks_like_token("chorus_pat_../../etc"));
    }
}
