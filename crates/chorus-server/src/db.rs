//! The job database: embedded SQLite by default, PostgreSQL when several
//! servers share one queue (`--database-url postgres://…`). Every query is
//! written once with `$N` placeholders, which both engines accept, and run
//! through `on_db!`; the few places where the dialects differ ask `backend`.

pub(crate) mod job_inserts;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Which engine holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool on one of the two engines.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(Sqlite),
    Postgres(PgPool),
}

/// The embedded database as two pools on one file: readers in parallel
/// (WAL lets them run beside a writer), and one writer. SQLite takes one
/// write at a time anyway; with several writing connections the losers
/// wait in SQLite's busy handler, which sleeps whole milliseconds, so under
/// load a 50 µs insert took milliseconds. One writer queues them in sqlx
/// instead, without sleeping. The readers are opened read-only, so a write
/// sent to them by mistake fails loudly instead of contending.
#[derive(Debug, Clone)]
pub struct Sqlite {
    pub(crate) read: SqlitePool,
    pub(crate) write: SqlitePool,
    /// New jobs waiting for the next group commit (`job_inserts`).
    pub(crate) inserts: Arc<job_inserts::InsertQueue>,
}

/// Runs `$body` with `$pool` bound to whichever pool `$db` holds. The body
/// is compiled once per engine, so it stays statically typed on both.
/// `on_db!(write db, pool => …)` is for statements that change data: on
/// SQLite they go to the one writing connection.
macro_rules! on_db {
    (@ $side:ident, $db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.$side;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
    (write $db:expr, $pool:ident => $body:expr) => {
        $crate::db::on_db!(@ write, $db, $pool => $body)
    };
    ($db:expr, $pool:ident => $body:expr) => {
        $crate::db::on_db!(@ read, $db, $pool => $body)
    };
}
pub(crate) use on_db;

impl Db {
    /// Opens the database `url` names (`postgres://…`, `sqlite://…`), or
    /// `chorus.db` under `data_dir` when there is none, and migrates it.
    pub async fn open(url: Option<&str>, data_dir: &Path) -> anyhow::Result<Db> {
        let db = match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => {
                let path = data_dir.join("chorus.db");
                let options = SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true);
                open_sqlite(options, &path.display().to_string()).await?
            }
            Some(url) if url.starts_with("sqlite:") => {
                if is_in_memory(url) {
                    bail!(
                        "--database-url {url} is an in-memory SQLite database, which would lose every job \
                         when the server stops; name a file (sqlite://path/to/chorus.db)"
                    );
                }
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(|| format!("--database-url {url} is not a SQLite URL"))?
                    .create_if_missing(true);
                open_sqlite(options, url).await?
            }
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                open_postgres(url).await?
            }
            Some(url) => bail!(
                "--database-url {} is neither postgres://… nor sqlite://…",
                redact_url(url)
            ),
        };
        db.migrate().await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        // Two servers starting together on one PostgreSQL are fine: sqlx
        // holds an advisory lock while it migrates.
        match self {
            Db::Sqlite(sqlite) => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&sqlite.write)
                    .await
            }
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .context("cannot bring the database schema up to date")
    }

    /// Closes every connection (waits for queries in flight).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(sqlite) => {
                sqlite.read.close().await;
                sqlite.write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// Runs one query whose columns are all text (`CAST` the others) and
    /// answers its rows, `NULL` as `None`; for tests and tooling that
    /// inspect what is stored.
    pub async fn text_rows(&self, sql: &str) -> anyhow::Result<Vec<Vec<Option<String>>>> {
        use sqlx::Row as _;
        let rows = on_db!(self, pool => {
            let rows = sqlx::query(sql).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| row.try_get::<Option<String>, _>(i))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Runs one statement that returns nothing; for tests and tooling that
    /// reset or inspect the schema.
    pub async fn execute(&self, sql: &str) -> anyhow::Result<u64> {
        let done =
            on_db!(write self, pool => sqlx::query(sql).execute(pool).await?.rows_affected());
        Ok(done)
    }
}

async fn open_sqlite(options: SqliteConnectOptions, shown: &str) -> anyhow::Result<Db> {
    // WAL with NORMAL sync: a crash never corrupts the file, and commits do
    // not wait for the disk each time (a power cut may lose the last few).
    let options = options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    // The writer first: it creates the file and turns WAL on, which the
    // read-only connections could not. Neither pings before every query
    // (sqlx's default, a round trip each time): a local file cannot drop its
    // connection the way a network can.
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await
        .with_context(|| format!("cannot open the database {shown}"))?;
    let read = SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .connect_with(options.create_if_missing(false).read_only(true))
        .await
        .with_context(|| format!("cannot open the database {shown} for reading"))?;
    Ok(Db::Sqlite(Sqlite {
        read,
        write,
        inserts: Arc::default(),
    }))
}

async fn open_postgres(url: &str) -> anyhow::Result<Db> {
    let shown = redact_url(url);
    let options = PgConnectOptions::from_str(url)
        .with_context(|| format!("--database-url {shown} is not a PostgreSQL URL"))?;
    // No ping before every query (sqlx's default doubles each round trip):
    // a connection that died with the server fails its next query once, is
    // dropped from the pool, and the caller's retry (the queue's next poll,
    // the browser's next request) gets a fresh one.
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .with_context(|| format!("cannot connect to the database {shown}"))?;
    Ok(Db::Postgres(pool))
}

/// Whether a `sqlite:` URL names an in-memory database (`sqlite::memory:`,
/// `…?mode=memory`), which lives as long as its connection does.
fn is_in_memory(url: &str) -> bool {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (database, query) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || query.split('&').any(|pair| pair == "mode=memory")
}

/// `url` with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// Unix time in milliseconds, as every table records it.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `n` placeholders numbered from `first`: `$3, $4, $5`.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://chorus:s3cret@db.internal:5432/chorus?sslmode=require"),
            "postgres://chorus:***@db.internal:5432/chorus?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://chorus@db/chorus"),
            "postgres://chorus@db/chorus"
        );
        assert_eq!(redact_url("postgres://db/chorus"), "postgres://db/chorus");
        assert_eq!(redact_url("mysql:nonsense"), "mysql:nonsense");
    }

    #[test]
    fn numbered_placeholders() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
    }
}
