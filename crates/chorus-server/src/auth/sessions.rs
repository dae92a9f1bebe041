//! Signed-in browsers. Signing in makes a new session: a random 256-bit
//! secret sent once as the `chorus_session` cookie (`HttpOnly`, so page
//! scripts never see it; `SameSite=Lax`; `Secure` behind https), of which
//! only the SHA-256 is stored. A cookie the server did not issue matches
//! nothing, so a session cannot be fixed in advance by an attacker.
//!
//! A session ends when unused for [`IDLE_MS`] or [`ABSOLUTE_MS`] after
//! sign-in, whichever comes first; use renews the idle time, written at
//! most once per [`RENEW_EVERY_MS`] so reading a page is not a write each
//! time.

use axum::http::{HeaderMap, header};

use super::secrets;
use super::users::{COLUMNS, User, UserRow};
use crate::db::{Db, on_db};

/// The cookie's name.
pub const COOKIE: &str = "chorus_session";
/// A session unused this long has ended (7 days).
pub const IDLE_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// A session ends this long after sign-in however much it is used (30 days).
pub const ABSOLUTE_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// The idle time is renewed at most this often (a minute).
pub const RENEW_EVERY_MS: i64 = 60 * 1000;

/// A session just started; `secret` goes in the cookie, once.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: String,
    pub secret: String,
    pub expires_at: i64,
}

/// A live session and whose it is.
#[derive(Debug, Clone)]
pub struct Found {
    pub session_id: String,
    pub user: User,
}

/// Starts a session for `user_id`.
pub async fn start(
    db: &Db,
    user_id: &str,
    address: Option<&str>,
    now: i64,
) -> anyhow::Result<NewSession> {
    let session = NewSession {
        id: secrets::new_id("ss"),
        secret: secrets::random_secret()?,
        expires_at: now + ABSOLUTE_MS,
    };
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO sessions (id, secret_hash, user_id, created_at, last_seen_at, expires_at, address)
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(&session.id)
    .bind(secrets::digest(&session.secret))
    .bind(user_id)
    .bind(now)
    .bind(session.expires_at)
    .bind(address)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(session)
}

/// The live session whose cookie holds `secret`, renewing its idle time;
/// `None` when there is none, or it has ended.
pub async fn find(db: &Db, secret: &str, now: i64) -> anyhow::Result<Option<Found>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        session_id: String,
        last_seen_at: i64,
        #[sqlx(flatten)]
        user: UserRow,
    }
    let sql = format!(
        "SELECT s.id AS session_id, s.last_seen_at, {COLUMNS}
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.secret_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3"
    );
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(&sql)
        .bind(secrets::digest(secret))
        .bind(now)
        .bind(now - IDLE_MS)
        .fetch_optional(pool)
        .await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    if now - row.last_seen_at >= RENEW_EVERY_MS {
        on_db!(write db, pool => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&row.session_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
    }
    Ok(Some(Found {
        session_id: row.session_id,
        user: row.user.into_user()?,
    }))
}

/// Whether the session `id` (the row, not its secret) is still live: an
/// open event stream asks this now and then, so signing out everywhere
/// also closes the streams the ended sessions opened.
pub async fn is_live(db: &Db, id: &str, now: i64) -> anyhow::Result<bool> {
    let found: Option<i64> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT 1 FROM sessions WHERE id = $1 AND expires_at > $2 AND last_seen_at > $3",
    )
    .bind(id)
    .bind(now)
    .bind(now - IDLE_MS)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// Ends the session whose cookie holds `secret` (ended or not).
pub async fn end(db: &Db, secret: &str) -> anyhow::Result<()> {
    on_db!(write db, pool => sqlx::query("DELETE FROM sessions WHERE secret_hash = $1")
        .bind(secrets::digest(secret))
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Ends every session of `user_id` ("sign out everywhere", a new password);
/// answers how many there were.
pub async fn end_all_of(db: &Db, user_id: &str) -> anyhow::Result<u64> {
    let done = on_db!(write db, pool => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(done)
}

/// Drops sessions that have ended, so the table does not grow forever.
pub async fn forget_ended(db: &Db, now: i64) -> anyhow::Result<u64> {
    let done = on_db!(write db, pool => sqlx::query(
        "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
    )
    .bind(now)
    .bind(now - IDLE_MS)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done)
}

/// How often ended sessions are cleared out while the server runs.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_hours(1);

/// Clears out ended sessions now and every [`SWEEP_EVERY`] until aborted.
pub fn spawn_sweeper(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = forget_ended(&db, crate::db::now_ms()).await {
                tracing::warn!(error = %e, "cannot clear out ended sessions");
            }
            tokio::time::sleep(SWEEP_EVERY).await;
        }
    })
}

/// Whether cookies must be `Secure`: the studio is reached over https.
pub fn secure(public_url: Option<&str>) -> bool {
    public_url.is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://"))
}

/// The `Set-Cookie` that holds a new session. It lives as long as the
/// session could; the server ends it sooner when it goes unused.
pub fn set_cookie(secret: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        ABSOLUTE_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Every value of cookie `name` the request carries.
pub fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    all_cookies(headers).filter_map(move |(key, value)| (key == name).then_some(value))
}

/// Every `(name, value)` cookie pair the request carries.
pub fn all_cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            Some((key.trim(), value.trim()))
        })
}

/// The session cookie's value: the first non-empty one the request carries.
pub fn secret_in(headers: &HeaderMap) -> Option<&str> {
    cookies(headers, COOKIE).find(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_lax_and_secure_behind_https() {
        assert_eq!(
            set_cookie("abc", false),
            "chorus_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000"
        );
        assert!(set_cookie("abc", true).ends_with("; Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
        assert!(secure(Some("https://studio.example.com")));
        assert!(!secure(Some("http://studio.example.com")));
        assert!(!secure(None));
    }

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "theme=dark; chorus_session=s3cret; x=y"
                .parse()
                .expect("header"),
        );
        assert_eq!(secret_in(&headers), Some("s3cret"));
        assert_eq!(secret_in(&HeaderMap::new()), None);
    }
}
