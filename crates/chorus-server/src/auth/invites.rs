//! Invite links: how an account gets its password. A link works once and
//! for [`INVITE_HOURS`] hours; a fresh one for the same account closes the
//! ones before it. Only the SHA-256 of the link's secret is stored.

use chorus_core::access::{INVITE_HOURS, Role, email_problem, normalize_email};

use super::secrets;
use super::users::{self, COLUMNS, User, UserRow};
use crate::db::{Db, on_db};

/// How long a link works, in milliseconds.
pub const INVITE_MS: i64 = INVITE_HOURS * 60 * 60 * 1000;

/// A link just made; `secret` is shown once.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub secret: String,
    pub expires_at: i64,
}

/// What a link is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Usable: for this account, until `expires_at`.
    Open {
        user: User,
        expires_at: i64,
    },
    /// Used, or replaced by a fresher link.
    Used,
    Expired,
}

/// A new account and the link that sets its password.
#[derive(Debug, Clone)]
pub struct Invited {
    pub user: User,
    pub invite: NewInvite,
}

/// Why an account could not be made.
#[derive(Debug, thiserror::Error)]
pub enum InviteRefused {
    /// The email is not an email address; says what is wrong.
    #[error("{0}")]
    BadEmail(String),
    #[error("{0} already has an account")]
    Exists(String),
    #[error(transparent)]
    Database(#[from] anyhow::Error),
}

/// Makes an account for `email` with `role`, and its invite link (what
/// both `chorus user add` and an owner's invite in Settings do).
pub async fn invite_new_account(
    db: &Db,
    email: &str,
    role: Role,
    now: i64,
) -> Result<Invited, InviteRefused> {
    if let Some(problem) = email_problem(email) {
        return Err(InviteRefused::BadEmail(problem));
    }
    let email = normalize_email(email);
    let user = users::insert(db, &email, role, now)
        .await?
        .ok_or(InviteRefused::Exists(email))?;
    let invite = create(db, &user.id, now).await?;
    Ok(Invited { user, invite })
}

/// Makes a link for `user_id`, closing any earlier one still open.
pub async fn create(db: &Db, user_id: &str, now: i64) -> anyhow::Result<NewInvite> {
    let secret = secrets::random_secret()?;
    let expires_at = now + INVITE_MS;
    let hash = secrets::digest(&secret);
    on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE invites SET closed_at = $1 WHERE user_id = $2 AND closed_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO invites (token_hash, user_id, created_at, expires_at, closed_at)
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(&hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    });
    Ok(NewInvite { secret, expires_at })
}

/// What the link with `secret` is; `None` when there is no such link (or
/// its account was removed).
pub async fn find(db: &Db, secret: &str, now: i64) -> anyhow::Result<Option<Standing>> {
    #[derive(sqlx::FromRow)]
    struct Found {
        #[sqlx(flatten)]
        user: UserRow,
        expires_at: i64,
        closed_at: Option<i64>,
    }
    let sql = format!(
        "SELECT {COLUMNS}, i.expires_at, i.closed_at
         FROM invites i JOIN users u ON u.id = i.user_id
         WHERE i.token_hash = $1"
    );
    let found = on_db!(db, pool => sqlx::query_as::<_, Found>(&sql)
        .bind(secrets::digest(secret))
        .fetch_optional(pool)
        .await)?;
    let Some(found) = found else {
        return Ok(None);
    };
    Ok(Some(if found.closed_at.is_some() {
        Standing::Used
    } else if found.expires_at <= now {
        Standing::Expired
    } else {
        Standing::Open {
            user: found.user.into_user()?,
            expires_at: found.expires_at,
        }
    }))
}

/// Uses the link with `secret`: closes it and sets its account's password
/// to `phc`, both or neither. `false` when the link was no longer open (used
/// a moment ago by another request, or expired since it was looked at).
pub async fn accept(
    db: &Db,
    secret: &str,
    user_id: &str,
    phc: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let hash = secrets::digest(secret);
    let accepted = on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        let closed = sqlx::query(
            "UPDATE invites SET closed_at = $1
             WHERE token_hash = $2 AND user_id = $3 AND closed_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(&hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if closed == 1 {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(phc)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            true
        } else {
            tx.rollback().await?;
            false
        }
    });
    Ok(accepted)
}

/// The address of the link: absolute under `public_url` when the server
/// knows it, else a path the studio completes with its own origin.
pub fn url(public_url: Option<&str>, secret: &str) -> String {
    let base = public_url.map_or("", |u| u.trim_end_matches('/'));
    format!("{base}/invite/{secret}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_absolute_under_a_public_url() {
        assert_eq!(
            url(Some("https://studio.example.com/"), "abc"),
            "https://studio.example.com/invite/abc"
        );
        assert_eq!(url(None, "abc"), "/invite/abc");
        assert_eq!(INVITE_MS, 72 * 3_600_000);
    }
}
