//! Accounts in the database: made by an invite (with no password until the
//! invitee sets one), found by email or id, listed for Settings, given
//! another role, and removed, which ends their sessions and revokes their
//! tokens. A studio always keeps an owner: the last one can be neither
//! demoted nor removed.

use chorus_core::access::{Role, UserView};

use super::secrets;
use crate::db::{Backend, Db, on_db};

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    /// Normalized (`normalize_email`).
    pub email: String,
    pub role: Role,
    /// Argon2id PHC string; `None` until the invitee sets a password.
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: String,
    email: String,
    role: String,
    password_hash: Option<String>,
    created_at: i64,
    last_sign_in_at: Option<i64>,
}

/// The columns `UserRow` reads, from `users` (aliased `u` where joined).
pub(super) const COLUMNS: &str =
    "u.id, u.email, u.role, u.password_hash, u.created_at, u.last_sign_in_at";

impl UserRow {
    pub(super) fn into_user(self) -> anyhow::Result<User> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            anyhow::anyhow!("account {} has an unknown role {}", self.id, self.role)
        })?;
        Ok(User {
            id: self.id,
            email: self.email,
            role,
            password_hash: self.password_hash,
            created_at: self.created_at,
            last_sign_in_at: self.last_sign_in_at,
        })
    }
}

/// Why an account could not be changed as asked.
#[derive(Debug, thiserror::Error)]
pub enum ChangeRefused {
    #[error("There is no such account")]
    NotFound,
    #[error(
        "{0} is the studio's last owner: make someone else an owner first, so the studio keeps one"
    )]
    LastOwner(String),
    #[error(transparent)]
    Database(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ChangeRefused {
    fn from(e: sqlx::Error) -> Self {
        ChangeRefused::Database(anyhow::Error::new(e).context("database"))
    }
}

/// Makes an account for `email` (normalized by the caller) with no
/// password; `None` when the email already has one.
pub async fn insert(db: &Db, email: &str, role: Role, now: i64) -> anyhow::Result<Option<User>> {
    let user = User {
        id: secrets::new_id("us"),
        email: email.to_string(),
        role,
        password_hash: None,
        created_at: now,
        last_sign_in_at: None,
    };
    let done = on_db!(write db, pool => sqlx::query(
        "INSERT INTO users (id, email, role, password_hash, created_at, last_sign_in_at)
         VALUES ($1, $2, $3, NULL, $4, NULL)
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(role.as_str())
    .bind(now)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok((done == 1).then_some(user))
}

async fn one(db: &Db, filter: &str, value: &str) -> anyhow::Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users u WHERE {filter}");
    let row = on_db!(db, pool => sqlx::query_as::<_, UserRow>(&sql)
        .bind(value)
        .fetch_optional(pool)
        .await)?;
    row.map(UserRow::into_user).transpose()
}

/// The account of `email` (normalized by the caller).
pub async fn by_email(db: &Db, email: &str) -> anyhow::Result<Option<User>> {
    one(db, "u.email = $1", email).await
}

pub async fn by_id(db: &Db, id: &str) -> anyhow::Result<Option<User>> {
    one(db, "u.id = $1", id).await
}

/// Whether any account is an owner (one still to accept an invite counts:
/// the server must start so they can).
pub async fn any_owner(db: &Db) -> anyhow::Result<bool> {
    let n: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE role = 'owner'",
    )
    .fetch_one(pool)
    .await)?;
    Ok(n > 0)
}

/// How Settings shows `user`, with its open invite's expiry when it has not
/// set a password yet.
pub async fn view(db: &Db, user: &User) -> anyhow::Result<UserView> {
    let expires: Option<i64> = if user.password_hash.is_none() {
        on_db!(db, pool => sqlx::query_scalar(
            "SELECT MAX(expires_at) FROM invites WHERE user_id = $1 AND closed_at IS NULL",
        )
        .bind(&user.id)
        .fetch_one(pool)
        .await)?
    } else {
        None
    };
    Ok(to_view(user, expires))
}

fn to_view(user: &User, invite_expires_at: Option<i64>) -> UserView {
    UserView {
        id: user.id.clone(),
        email: user.email.clone(),
        role: user.role,
        created_at: user.created_at,
        last_sign_in_at: user.last_sign_in_at,
        invite_pending: user.password_hash.is_none(),
        invite_expires_at: invite_expires_at.filter(|_| user.password_hash.is_none()),
    }
}

/// Every account, oldest first.
pub async fn list(db: &Db) -> anyhow::Result<Vec<UserView>> {
    #[derive(sqlx::FromRow)]
    struct Listed {
        #[sqlx(flatten)]
        user: UserRow,
        invite_expires_at: Option<i64>,
    }
    let sql = format!(
        "SELECT {COLUMNS},
            (SELECT MAX(i.expires_at) FROM invites i WHERE i.user_id = u.id AND i.closed_at IS NULL)
                AS invite_expires_at
         FROM users u ORDER BY u.created_at, u.id"
    );
    let rows = on_db!(db, pool => sqlx::query_as::<_, Listed>(&sql)
        .fetch_all(pool)
        .await)?;
    rows.into_iter()
        .map(|row| {
            let expires = row.invite_expires_at;
            row.user.into_user().map(|user| to_view(&user, expires))
        })
        .collect()
}

/// Sets `user_id`'s password (an Argon2id PHC string).
pub async fn set_password(db: &Db, user_id: &str, phc: &str) -> anyhow::Result<()> {
    on_db!(write db, pool => sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(phc)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn record_sign_in(db: &Db, user_id: &str, at: i64) -> anyhow::Result<()> {
    on_db!(write db, pool => sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
        .bind(at)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Whether taking ownership away from `target` would leave the studio with
/// no owner: with no one else who can sign in as one, or (when `target`
/// itself has no password yet) with no other owner at all.
fn would_leave_no_owner(target: &User, active_others: i64, other_owners: i64) -> bool {
    target.role == Role::Owner
        && if target.password_hash.is_some() {
            active_others == 0
        } else {
            other_owners == 0
        }
}

/// The SQL that serializes changes to who is an owner, so two owners
/// demoting each other at once cannot both succeed. SQLite needs none: it
/// has one writer, and the transaction holds it.
fn owner_lock(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Postgres => Some("SELECT pg_advisory_xact_lock(1801)"),
        Backend::Sqlite => None,
    }
}

/// Gives `user_id` the role `role`, unless it is the last owner and
/// `role` is not owner.
pub async fn change_role(db: &Db, user_id: &str, role: Role) -> Result<User, ChangeRefused> {
    let lock = owner_lock(db.backend());
    let sql = format!("SELECT {COLUMNS} FROM users u WHERE u.id = $1");
    on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        if let Some(lock) = lock {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let target = sqlx::query_as::<_, UserRow>(&sql)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(UserRow::into_user)
            .transpose()?
            .ok_or(ChangeRefused::NotFound)?;
        if role != Role::Owner {
            let (active, any): (i64, i64) = sqlx::query_as(
                "SELECT CAST(COUNT(CASE WHEN password_hash IS NOT NULL THEN 1 END) AS BIGINT),
                        CAST(COUNT(*) AS BIGINT)
                 FROM users WHERE role = 'owner' AND id <> $1",
            )
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
            if would_leave_no_owner(&target, active, any) {
                return Err(ChangeRefused::LastOwner(target.email));
            }
        }
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(User { role, ..target })
    })
}

/// Removes `user_id`: its account, invites and sessions go, its tokens are
/// revoked (and stay listed, so Settings shows what was revoked). Refused
/// for the last owner.
pub async fn remove(db: &Db, user_id: &str, now: i64) -> Result<User, ChangeRefused> {
    let lock = owner_lock(db.backend());
    let sql = format!("SELECT {COLUMNS} FROM users u WHERE u.id = $1");
    on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        if let Some(lock) = lock {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let target = sqlx::query_as::<_, UserRow>(&sql)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(UserRow::into_user)
            .transpose()?
            .ok_or(ChangeRefused::NotFound)?;
        let (active, any): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COUNT(CASE WHEN password_hash IS NOT NULL THEN 1 END) AS BIGINT),
                    CAST(COUNT(*) AS BIGINT)
             FROM users WHERE role = 'owner' AND id <> $1",
        )
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        if would_leave_no_owner(&target, active, any) {
            return Err(ChangeRefused::LastOwner(target.email));
        }
        for statement in [
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM invites WHERE user_id = $1",
            "DELETE FROM users WHERE id = $1",
        ] {
            sqlx::query(statement).bind(user_id).execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(target)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(password: bool) -> User {
        User {
            id: "us_1".into(),
            email: "ana@example.com".into(),
            role: Role::Owner,
            password_hash: password.then(|| "$argon2id$…".to_string()),
            created_at: 0,
            last_sign_in_at: None,
        }
    }

    #[test]
    fn the_last_owner_who_can_sign_in_stays() {
        assert!(
            would_leave_no_owner(&owner(true), 0, 1),
            "only a pending one left"
        );
        assert!(!would_leave_no_owner(&owner(true), 1, 1));
        assert!(would_leave_no_owner(&owner(false), 0, 0));
        assert!(!would_leave_no_owner(&owner(false), 0, 1));
        let editor = User {
            role: Role::Editor,
            ..owner(true)
        };
        assert!(!would_leave_no_owner(&editor, 0, 0));
    }
}
