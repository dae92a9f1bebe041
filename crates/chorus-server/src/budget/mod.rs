//! The money side of a job's life: its estimated cost is reserved when it is
//! created, in the same transaction that writes the job (a job over a
//! monthly limit is refused and never written), then settled to what the
//! provider charged when it ends, or released when it ends before any
//! provider took it.
//!
//! What a month has used is what its settled jobs cost plus what its
//! running jobs hold. A job is refused when that plus its estimate would
//! pass the studio's limit or its account's own; a free job (the draft
//! engine) reserves nothing and is never refused.
//!
//! Two servers creating jobs at once must never overspend together:
//! - **PostgreSQL**: the reserving transaction locks the studio's budget
//!   row (`SELECT … FOR UPDATE`, which every transaction that reserves or
//!   changes a limit takes first) before it reads what the month has used.
//!   Under READ COMMITTED each statement sees what was committed before it
//!   began, so the sums read after the lock include every reservation
//!   committed by whoever held it before; the next reserver waits until this
//!   one commits or rolls back. The lock is held only for the few statements
//!   that check, reserve and write the job. (A conditional `INSERT … SELECT`
//!   under SERIALIZABLE would also be safe, but every loser of a race would
//!   have to retry, and a burst of 40 jobs retries for a long time.)
//! - **SQLite** has one writing connection (`db::job_inserts`): new jobs are
//!   written in group commits, and the batch's transaction reads the month's
//!   use once, then admits its jobs one after another, counting each
//!   admitted job before judging the next; refused ones are not written.
//!
//! This module knows nothing of the rest of the server (it is used by
//! `db::job_inserts` and `jobs`, below everything else): it works on a
//! connection of either engine (`BudgetConn`).

mod conn;

use std::collections::HashMap;

use chorus_core::access::{BudgetOf, over_budget_message};

pub use conn::{BudgetConn, reserve};

/// What a new job holds against the month's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub job_id: String,
    /// Whose job it is; `None` with sign-in off.
    pub user_id: Option<String>,
    pub model: String,
    /// `YYYY-MM` (UTC) of the job's creation: the month it counts in.
    pub month: String,
    /// The estimate, in millionths of a dollar; 0 for free jobs.
    pub usd_micros: u64,
    /// How many takes the estimate is for (a job that stops halfway
    /// settles to the takes it sent).
    pub takes: u32,
    /// Unix ms.
    pub at: i64,
}

/// A job refused because it would pass a monthly limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", over_budget_message(*needs, *left, *limit, *of))]
pub struct OverBudget {
    /// The job's estimate.
    pub needs: u64,
    /// What is left of the limit that refused it.
    pub left: u64,
    pub limit: u64,
    pub of: BudgetOf,
}

/// One month's limits and what has been used of them, as a reservation
/// judges it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    pub studio_limit: Option<u64>,
    pub user_limits: HashMap<String, u64>,
    /// Settled plus reserved, the whole studio.
    pub studio_used: u64,
    /// Settled plus reserved, per account.
    pub user_used: HashMap<String, u64>,
}

impl Ledger {
    /// Admits a job of `needs` by `user`, counting it as used, or says
    /// which limit it would pass (the one with less left when both would).
    pub fn admit(&mut self, user: Option<&str>, needs: u64) -> Result<(), OverBudget> {
        if needs == 0 {
            return Ok(());
        }
        let studio = self
            .studio_limit
            .map(|limit| (limit, self.studio_used, BudgetOf::Studio));
        let own = user.and_then(|u| {
            let so_far = self.user_used.get(u).copied().unwrap_or(0);
            self.user_limits
                .get(u)
                .map(|&limit| (limit, so_far, BudgetOf::User))
        });
        let refusal = [studio, own]
            .into_iter()
            .flatten()
            .filter(|&(limit, so_far, _)| so_far.saturating_add(needs) > limit)
            .map(|(limit, so_far, of)| OverBudget {
                needs,
                left: limit.saturating_sub(so_far),
                limit,
                of,
            })
            .min_by_key(|refusal| refusal.left);
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        self.studio_used = self.studio_used.saturating_add(needs);
        if let Some(u) = user {
            let so_far = self.user_used.entry(u.to_string()).or_default();
            *so_far = so_far.saturating_add(needs);
        }
        Ok(())
    }

    /// What is left of the studio's limit; `None` with no limit.
    pub fn studio_left(&self) -> Option<u64> {
        self.studio_limit
            .map(|limit| limit.saturating_sub(self.studio_used))
    }

    /// What is left of `user`'s own limit; `None` when they have none.
    pub fn user_left(&self, user: &str) -> Option<u64> {
        let so_far = self.user_used.get(user).copied().unwrap_or(0);
        self.user_limits
            .get(user)
            .map(|limit| limit.saturating_sub(so_far))
    }
}

/// The month (`YYYY-MM`, UTC) of Unix milliseconds `ms`.
pub fn month_of(ms: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

/// Whether `s` is a month as `month_of` writes it.
pub fn is_month(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 7
        && bytes[4] == b'-'
        && bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit)
        && matches!(s[5..].parse::<u8>(), Ok(1..=12))
}

/// Millionths of a dollar as stored (`BIGINT`); a limit past what the
/// column holds is as good as none.
pub fn to_db(usd_micros: u64) -> i64 {
    i64::try_from(usd_micros).unwrap_or(i64::MAX)
}

/// A stored amount; a negative one (never written) reads as nothing.
pub fn from_db(usd_micros: i64) -> u64 {
    u64::try_from(usd_micros).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(studio: Option<u64>, users: &[(&str, u64)]) -> Ledger {
        Ledger {
            studio_limit: studio,
            user_limits: users.iter().map(|(u, l)| ((*u).to_string(), *l)).collect(),
            ..Ledger::default()
        }
    }

    #[test]
    fn jobs_are_admitted_until_the_next_would_pass_the_limit() {
        let mut l = ledger(Some(2_100_000), &[]);
        for _ in 0..3 {
            l.admit(None, 700_000).expect("fits");
        }
        let refused = l.admit(None, 700_000).expect_err("full");
        assert_eq!(
            refused,
            OverBudget {
                needs: 700_000,
                left: 0,
                limit: 2_100_000,
                of: BudgetOf::Studio
            }
        );
        assert_eq!(
            refused.to_string(),
            "This job needs $0.70; $0.00 of this month's $2.10 is left."
        );
        assert_eq!(l.studio_used, 2_100_000, "a refused job holds nothing");
        l.admit(None, 0).expect("free jobs always pass");
    }

    #[test]
    fn an_account_limit_refuses_within_the_studio_limit() {
        let mut l = ledger(Some(10_000_000), &[("ana", 1_000_000)]);
        l.admit(Some("ana"), 700_000).expect("fits");
        let refused = l.admit(Some("ana"), 700_000).expect_err("ana is full");
        assert_eq!(refused.of, BudgetOf::User);
        assert_eq!(refused.left, 300_000);
        l.admit(Some("ben"), 700_000).expect("ben has no own limit");
        l.admit(None, 700_000).expect("nor has the local owner");
        assert_eq!(l.studio_used, 2_100_000);
        assert_eq!(l.user_left("ana"), Some(300_000));
        assert_eq!(l.user_left("ben"), None);
    }

    #[test]
    fn when_both_limits_refuse_the_tighter_is_named() {
        let mut l = ledger(Some(1_000_000), &[("ana", 800_000)]);
        l.studio_used = 600_000;
        l.user_used.insert("ana".into(), 100_000);
        let refused = l.admit(Some("ana"), 900_000).expect_err("over both");
        assert_eq!((refused.of, refused.left), (BudgetOf::Studio, 400_000));
    }

    #[test]
    fn no_limit_admits_everything() {
        let mut l = ledger(None, &[]);
        l.admit(None, u64::MAX).expect("no limit");
        l.admit(None, u64::MAX).expect("still none");
        assert_eq!(l.studio_left(), None);
    }

    #[test]
    fn months_are_utc() {
        assert_eq!(month_of(0), "1970-01");
        // 2026-02-28T23:59:59.999Z and a millisecond later.
        assert_eq!(month_of(1_772_323_199_999), "2026-02");
        assert_eq!(month_of(1_772_323_200_000), "2026-03");
        assert!(is_month("2026-03"));
        for bad in [
            "2026-13",
            "2026-00",
            "2026-3",
            "26-03-01",
            "2026/03",
            "２０２６-03",
        ] {
            assert!(!is_month(bad), "{bad}");
        }
    }
}
