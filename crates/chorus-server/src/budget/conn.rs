//! The budget's statements on a connection of either engine, written once
//! (`impl_budget_conn!` compiles them for each, as `db::on_db!` does for
//! pools), so they can run inside the caller's transaction: the one that
//! writes a new job, or the one that moves a job to its end.

use std::future::Future;

use chorus_core::JobStatus;
use sqlx::{PgConnection, SqliteConnection};

use super::{Ledger, OverBudget, Reservation, from_db, to_db};

/// What the budget does on a database connection (or a transaction on one).
pub trait BudgetConn: Send {
    /// Takes the lock every reservation and budget change takes first, held
    /// until the transaction ends: the studio's row, `FOR UPDATE`, on
    /// PostgreSQL. Nothing on SQLite, whose one writing connection already
    /// runs one transaction at a time.
    fn lock_budgets(&mut self) -> impl Future<Output = sqlx::Result<()>> + Send;

    /// The limits, and what `month` has used of them so far.
    fn ledger(&mut self, month: &str) -> impl Future<Output = sqlx::Result<Ledger>> + Send;

    /// Writes a reservation as it is (judged already).
    fn hold(&mut self, reservation: &Reservation) -> impl Future<Output = sqlx::Result<()>> + Send;

    /// Settles or releases job `job_id`'s reservation now that it has
    /// become `to` (nothing unless `to` ends it). `actual` is what the
    /// provider reported the whole job cost, where it did.
    fn settle(
        &mut self,
        job_id: &str,
        to: JobStatus,
        actual: Option<u64>,
        at: i64,
    ) -> impl Future<Output = sqlx::Result<()>> + Send;
}

/// Judges `reservation` against the month and, if it fits, holds it. A
/// free job is held without a lock and never refused. Run inside the
/// transaction that writes the job, so the two commit or roll back together.
pub async fn reserve<C: BudgetConn>(
    conn: &mut C,
    reservation: &Reservation,
) -> sqlx::Result<Result<(), OverBudget>> {
    if reservation.usd_micros > 0 {
        conn.lock_budgets().await?;
        let mut ledger = conn.ledger(&reservation.month).await?;
        if let Err(refused) = ledger.admit(reservation.user_id.as_deref(), reservation.usd_micros) {
            return Ok(Err(refused));
        }
    }
    conn.hold(reservation).await?;
    Ok(Ok(()))
}

/// What a job's takes sent to providers say: how many were sent, how many
/// of those reported a cost, and the costs they reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    pub takes: u64,
    pub with_cost: u64,
    pub reported_usd_micros: u64,
}

/// How a job that became `to` settles: `("settled", amount)` or
/// `("released", 0)`; `None` while it has not ended.
///
/// - Finished: what the provider charged for the whole job, else the
///   estimate.
/// - Failed or cancelled before any take was sent: released.
/// - Failed or cancelled after some were: what the provider charged, where
///   it said, and each sent take's share of the estimate where it did not
///   (a provider may bill work we stopped waiting for).
pub fn settlement(
    to: JobStatus,
    reserved: u64,
    takes: u64,
    actual: Option<u64>,
    sent: Sent,
) -> Option<(&'static str, u64)> {
    match to {
        JobStatus::Succeeded => Some(("settled", actual.unwrap_or(reserved))),
        JobStatus::Failed | JobStatus::Canceled if sent.takes == 0 => Some(("released", 0)),
        JobStatus::Failed | JobStatus::Canceled => {
            let per_take = reserved.div_ceil(takes.max(1));
            let unreported = sent.takes.saturating_sub(sent.with_cost);
            Some((
                "settled",
                actual.unwrap_or_else(|| {
                    sent.reported_usd_micros
                        .saturating_add(per_take.saturating_mul(unreported))
                }),
            ))
        }
        JobStatus::Queued | JobStatus::Running => None,
    }
}

const STUDIO_ROW_LOCK: &str =
    "SELECT usd_micros FROM budgets WHERE kind = 'studio' AND user_id = '' FOR UPDATE";
const STUDIO_ROW_MAKE: &str = "INSERT INTO budgets (kind, user_id, usd_micros, updated_at)
     VALUES ('studio', '', NULL, 0) ON CONFLICT DO NOTHING";

/// What counts as used: held while reserved, charged once settled.
pub const USED: &str = "CAST(COALESCE(SUM(CASE state
        WHEN 'reserved' THEN reserved_usd_micros
        WHEN 'settled' THEN COALESCE(settled_usd_micros, 0)
        ELSE 0 END), 0) AS BIGINT)";

macro_rules! impl_budget_conn {
    ($conn:ty, lock: $lock:ident) => {
        impl BudgetConn for $conn {
            async fn lock_budgets(&mut self) -> sqlx::Result<()> {
                $lock(self).await
            }

            async fn ledger(&mut self, month: &str) -> sqlx::Result<Ledger> {
                let limits = sqlx::query_as::<_, (String, String, Option<i64>)>(
                    "SELECT kind, user_id, usd_micros FROM budgets",
                )
                .fetch_all(&mut *self)
                .await?;
                let used = sqlx::query_as::<_, (Option<String>, i64)>(&format!(
                    "SELECT user_id, {USED} FROM spend WHERE month = $1 GROUP BY user_id"
                ))
                .bind(month)
                .fetch_all(&mut *self)
                .await?;
                let mut ledger = Ledger::default();
                for (kind, user, limit) in limits {
                    match (kind.as_str(), limit) {
                        ("studio", limit) => ledger.studio_limit = limit.map(from_db),
                        ("user", Some(limit)) => {
                            ledger.user_limits.insert(user, from_db(limit));
                        }
                        _ => {}
                    }
                }
                for (user, amount) in used {
                    let amount = from_db(amount);
                    ledger.studio_used = ledger.studio_used.saturating_add(amount);
                    if let Some(user) = user {
                        ledger.user_used.insert(user, amount);
                    }
                }
                Ok(ledger)
            }

            async fn hold(&mut self, r: &Reservation) -> sqlx::Result<()> {
                sqlx::query(
                    "INSERT INTO spend (job_id, user_id, model, month, takes, reserved_usd_micros,
                                        settled_usd_micros, state, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, 'reserved', $7, $7)",
                )
                .bind(&r.job_id)
                .bind(&r.user_id)
                .bind(&r.model)
                .bind(&r.month)
                .bind(i64::from(r.takes))
                .bind(to_db(r.usd_micros))
                .bind(r.at)
                .execute(&mut *self)
                .await?;
                Ok(())
            }

            async fn settle(
                &mut self,
                job_id: &str,
                to: JobStatus,
                actual: Option<u64>,
                at: i64,
            ) -> sqlx::Result<()> {
                if !to.is_terminal() {
                    return Ok(());
                }
                let held = sqlx::query_as::<_, (i64, i64)>(
                    "SELECT reserved_usd_micros, takes FROM spend
                     WHERE job_id = $1 AND state = 'reserved'",
                )
                .bind(job_id)
                .fetch_optional(&mut *self)
                .await?;
                let Some((reserved, takes)) = held else {
                    return Ok(());
                };
                let sent = if to == JobStatus::Succeeded {
                    Sent::default()
                } else {
                    // The ledger's keys are "{job_id}/{take}": every key
                    // from "id/" up to, not including, "id0".
                    let (takes, with_cost, reported) = sqlx::query_as::<_, (i64, i64, i64)>(
                        "SELECT COUNT(*), COUNT(cost_usd_micros),
                                CAST(COALESCE(SUM(cost_usd_micros), 0) AS BIGINT)
                         FROM provider_submits WHERE job_key >= $1 AND job_key < $2",
                    )
                    .bind(format!("{job_id}/"))
                    .bind(format!("{job_id}0"))
                    .fetch_one(&mut *self)
                    .await?;
                    Sent {
                        takes: from_db(takes),
                        with_cost: from_db(with_cost),
                        reported_usd_micros: from_db(reported),
                    }
                };
                let Some((state, amount)) =
                    settlement(to, from_db(reserved), from_db(takes), actual, sent)
                else {
                    return Ok(());
                };
                sqlx::query(
                    "UPDATE spend SET state = $1, settled_usd_micros = $2, updated_at = $3
                     WHERE job_id = $4 AND state = 'reserved'",
                )
                .bind(state)
                .bind(to_db(amount))
                .bind(at)
                .bind(job_id)
                .execute(&mut *self)
                .await?;
                Ok(())
            }
        }
    };
}

impl_budget_conn!(SqliteConnection, lock: one_writer);
impl_budget_conn!(PgConnection, lock: studio_row);

/// SQLite: its one writing connection runs one transaction at a time, so a
/// reservation's read and write already come between others'.
fn one_writer(_: &mut SqliteConnection) -> std::future::Ready<sqlx::Result<()>> {
    std::future::ready(Ok(()))
}

/// PostgreSQL: the studio's budget row, locked until the transaction ends.
async fn studio_row(conn: &mut PgConnection) -> sqlx::Result<()> {
    let locked = sqlx::query(STUDIO_ROW_LOCK)
        .fetch_optional(&mut *conn)
        .await?;
    if locked.is_none() {
        // The migration makes the row; should it be gone, make it again
        // rather than reserve unlocked.
        sqlx::query(STUDIO_ROW_MAKE).execute(&mut *conn).await?;
        sqlx::query(STUDIO_ROW_LOCK).fetch_one(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE_SENT: Sent = Sent {
        takes: 0,
        with_cost: 0,
        reported_usd_micros: 0,
    };

    #[test]
    fn a_finished_job_settles_to_what_the_provider_charged() {
        let done = JobStatus::Succeeded;
        assert_eq!(
            settlement(done, 1_400_000, 2, Some(1_234_567), NONE_SENT),
            Some(("settled", 1_234_567))
        );
        assert_eq!(
            settlement(done, 1_400_000, 2, None, NONE_SENT),
            Some(("settled", 1_400_000)),
            "the estimate when the provider did not say"
        );
    }

    #[test]
    fn a_job_that_stops_before_a_provider_took_it_costs_nothing() {
        for to in [JobStatus::Failed, JobStatus::Canceled] {
            assert_eq!(
                settlement(to, 1_400_000, 2, None, NONE_SENT),
                Some(("released", 0))
            );
        }
        assert_eq!(settlement(JobStatus::Running, 1, 1, None, NONE_SENT), None);
    }

    #[test]
    fn a_job_that_stops_halfway_settles_to_the_takes_it_sent() {
        let one_reported = Sent {
            takes: 2,
            with_cost: 1,
            reported_usd_micros: 650_000,
        };
        // Three takes estimated at $2.10: a sent take without a reported
        // cost counts its share, $0.70.
        assert_eq!(
            settlement(JobStatus::Failed, 2_100_000, 3, None, one_reported),
            Some(("settled", 1_350_000))
        );
        assert_eq!(
            settlement(
                JobStatus::Canceled,
                2_100_000,
                3,
                Some(900_000),
                one_reported
            ),
            Some(("settled", 900_000))
        );
    }
}
