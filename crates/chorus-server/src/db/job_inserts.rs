//! New job records, written in group commits on SQLite.
//!
//! SQLite commits one transaction at a time, and a commit is most of what an
//! insert costs. When many jobs are created at once (a campaign batch, a
//! busy API), each new record joins a queue; one flusher at a time takes the
//! writing connection, writes every record waiting in one transaction (a few
//! multi-row statements), commits once and answers each caller. A caller
//! alone in the queue is written at once, as before; under load, callers
//! share commits instead of queueing for one each.
//!
//! The flusher runs as its own task, so a caller that goes away (a browser
//! closing its connection) cannot cut a commit short for the others. If the
//! batch fails as a whole, its records are written one by one, so each
//! caller gets the answer for its own record only.
//!
//! A job may come with a reservation against the month's budget
//! (`budget`): it is judged and written in the same transaction as the job.
//! In a batch, the month's use is read once and each job is admitted after
//! the ones before it are counted, so a burst of jobs can never pass a
//! limit together; a refused job is not written, and its caller is told
//! why while the rest of the batch commits.
//!
//! PostgreSQL already groups concurrent commits itself (its WAL writer), and
//! its records are inserted one transaction each (with the budget's lock,
//! see `budget`, when they reserve money).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chorus_core::Job;
use sqlx::{Connection as _, SqliteConnection};
use tokio::sync::oneshot;

use super::{Db, Sqlite, placeholders};
use crate::budget::{self, BudgetConn as _, Ledger, OverBudget, Reservation};
use crate::search;

const COLUMNS: &str = "id, status, progress, model, request, estimate, outputs, error, created_at, updated_at, search, languages";
const PER_ROW: usize = 12;

/// Statement sizes a batch is cut into, largest first: few distinct
/// statement texts, so every one stays in the prepared-statement cache.
const CHUNKS: [usize; 4] = [64, 16, 4, 1];

/// A job record as stored.
#[derive(Debug)]
pub(crate) struct NewJobRow {
    id: String,
    status: &'static str,
    progress: f64,
    model: String,
    request: String,
    estimate: Option<String>,
    outputs: String,
    error: Option<String>,
    created_at: i64,
    updated_at: i64,
    /// What the Library's search finds it by (`crate::search`).
    search: String,
    languages: String,
    /// What it holds against the month's budget, if it is counted.
    reservation: Option<Reservation>,
}

impl NewJobRow {
    pub(crate) fn of(job: &Job) -> anyhow::Result<NewJobRow> {
        Ok(NewJobRow {
            id: job.id.0.clone(),
            status: job.status.as_str(),
            progress: f64::from(job.progress),
            model: job.request.model.clone(),
            request: serde_json::to_string(&job.request)?,
            estimate: job
                .estimate
                .map(|e| serde_json::to_string(&e))
                .transpose()?,
            outputs: serde_json::to_string(&job.outputs)?,
            error: job.error.clone(),
            created_at: job.created_at,
            updated_at: job.updated_at,
            search: search::text_of(&job.request, &job.outputs),
            languages: search::languages_of(&job.request, &job.outputs),
            reservation: None,
        })
    }

    /// The same record, written only if `reservation` fits the budget.
    pub(crate) fn reserving(mut self, reservation: Reservation) -> NewJobRow {
        self.reservation = Some(reservation);
        self
    }
}

/// `INSERT` of `rows` records: `VALUES ($1, …, $12), ($13, …, $24), …`.
fn insert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| format!("({})", placeholders(1 + r * PER_ROW, PER_ROW)))
        .collect();
    format!("INSERT INTO jobs ({COLUMNS}) VALUES {}", values.join(", "))
}

/// Binds `rows` in order to a statement made by `insert_sql`.
macro_rules! bind_rows {
    ($query:expr, $rows:expr) => {{
        let mut query = $query;
        for row in $rows {
            query = query
                .bind(&row.id)
                .bind(row.status)
                .bind(row.progress)
                .bind(&row.model)
                .bind(&row.request)
                .bind(&row.estimate)
                .bind(&row.outputs)
                .bind(&row.error)
                .bind(row.created_at)
                .bind(row.updated_at)
                .bind(&row.search)
                .bind(&row.languages);
        }
        query
    }};
}

/// Writes one record, unless its reservation would pass a budget (the
/// inner error, and nothing written).
pub(crate) async fn insert(db: &Db, row: NewJobRow) -> anyhow::Result<Result<(), OverBudget>> {
    match db {
        Db::Sqlite(sqlite) => group_insert(sqlite, row).await,
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            if let Some(reservation) = &row.reservation
                && let Err(refused) = budget::reserve(&mut *tx, reservation).await?
            {
                tx.rollback().await?;
                return Ok(Err(refused));
            }
            let sql = insert_sql(1);
            bind_rows!(sqlx::query(&sql), [&row])
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Ok(()))
        }
    }
}

/// What a caller of the group commit hears: written, refused by a budget,
/// or why it could not be written.
type Verdict = Result<(), OverBudget>;
type Reply = oneshot::Sender<Result<Verdict, String>>;

/// Records waiting for the next group commit, and whether a flusher is on
/// its way to write them.
#[derive(Debug, Default)]
pub struct InsertQueue {
    state: Mutex<Waiting>,
}

#[derive(Debug, Default)]
struct Waiting {
    rows: Vec<(NewJobRow, Reply)>,
    flushing: bool,
}

impl InsertQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        // A panic while holding this lock leaves only a Vec and a flag,
        // both still consistent: carry on with them.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

async fn group_insert(sqlite: &Sqlite, row: NewJobRow) -> anyhow::Result<Verdict> {
    let (reply, answer) = oneshot::channel();
    let start_flusher = {
        let mut waiting = sqlite.inserts.lock();
        waiting.rows.push((row, reply));
        !std::mem::replace(&mut waiting.flushing, true)
    };
    if start_flusher {
        tokio::spawn(flush(sqlite.clone()));
    }
    answer
        .await
        .map_err(|_| anyhow::anyhow!("the database writer stopped before writing the job"))?
        .map_err(anyhow::Error::msg)
}

/// Ends the flusher's turn if it stops early (its task dropped as the
/// runtime shuts down, or a panic): the callers still waiting are told, and
/// the next insert starts a new flusher.
struct Turn {
    queue: Arc<InsertQueue>,
    done: bool,
}

impl Turn {
    /// Ends the turn, telling everyone still waiting why.
    fn fail(&mut self, message: &str) {
        let mut waiting = self.queue.lock();
        waiting.flushing = false;
        for (_, reply) in waiting.rows.drain(..) {
            let _ = reply.send(Err(message.to_string()));
        }
        self.done = true;
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if !self.done {
            self.fail("the database writer stopped");
        }
    }
}

/// Writes batches until nobody is waiting. The writing connection is given
/// back between batches, so other writes (status changes) take turns.
async fn flush(sqlite: Sqlite) {
    let mut turn = Turn {
        queue: sqlite.inserts.clone(),
        done: false,
    };
    loop {
        let mut conn = match sqlite.write.acquire().await {
            Ok(conn) => conn,
            Err(e) => return turn.fail(&format!("cannot reach the database: {e}")),
        };
        let batch = {
            let mut waiting = turn.queue.lock();
            if waiting.rows.is_empty() {
                waiting.flushing = false;
                turn.done = true;
                return;
            }
            std::mem::take(&mut waiting.rows)
        };
        let (rows, replies): (Vec<NewJobRow>, Vec<Reply>) = batch.into_iter().unzip();
        if rows.len() > 1
            && let Ok(verdicts) = write_batch(&mut conn, &rows).await
        {
            for (reply, verdict) in replies.into_iter().zip(verdicts) {
                let _ = reply.send(Ok(verdict));
            }
            continue;
        }
        // Alone, or the batch failed as a whole (a duplicate id, say):
        // one transaction each, so each caller hears about its own record.
        for (row, reply) in rows.iter().zip(replies) {
            let done = write_batch(&mut conn, std::slice::from_ref(row))
                .await
                .map(|verdicts| verdicts.into_iter().next().unwrap_or(Ok(())))
                .map_err(|e| format!("cannot save the job: {e}"));
            let _ = reply.send(done);
        }
    }
}

/// All of `rows` in one transaction, except those whose reservation would
/// pass a budget: a verdict for each, in order.
async fn write_batch(
    conn: &mut SqliteConnection,
    rows: &[NewJobRow],
) -> sqlx::Result<Vec<Verdict>> {
    let mut tx = conn.begin().await?;
    // The months' use is read once per batch, inside its transaction; each
    // admitted job is counted before the next is judged.
    let mut ledgers: HashMap<String, Ledger> = HashMap::new();
    let mut verdicts = Vec::with_capacity(rows.len());
    for row in rows {
        let verdict = match &row.reservation {
            Some(r) if r.usd_micros > 0 => {
                if !ledgers.contains_key(&r.month) {
                    let ledger = tx.ledger(&r.month).await?;
                    ledgers.insert(r.month.clone(), ledger);
                }
                ledgers.get_mut(&r.month).map_or(Ok(()), |ledger| {
                    ledger.admit(r.user_id.as_deref(), r.usd_micros)
                })
            }
            _ => Ok(()),
        };
        verdicts.push(verdict);
    }
    let admitted: Vec<&NewJobRow> = rows
        .iter()
        .zip(&verdicts)
        .filter(|(_, verdict)| verdict.is_ok())
        .map(|(row, _)| row)
        .collect();
    let mut rest = admitted.as_slice();
    while !rest.is_empty() {
        let size = CHUNKS.into_iter().find(|&c| c <= rest.len()).unwrap_or(1);
        let (chunk, tail) = rest.split_at(size);
        let sql = insert_sql(size);
        bind_rows!(sqlx::query(&sql), chunk)
            .execute(&mut *tx)
            .await?;
        rest = tail;
    }
    for reservation in admitted.iter().filter_map(|row| row.reservation.as_ref()) {
        tx.hold(reservation).await?;
    }
    tx.commit().await?;
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_have_twelve_placeholders_a_row() {
        assert_eq!(
            insert_sql(2),
            format!(
                "INSERT INTO jobs ({COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12), \
                 ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
            )
        );
    }
}
