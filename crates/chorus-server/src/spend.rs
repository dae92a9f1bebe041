//! What the studio has spent: the monthly limits as owners set them, a
//! month's spend per model and per account for Settings, and what a caller
//! may still spend for Compose. Reserving and settling each job's share is
//! `budget`'s; this reads what it wrote and changes the limits.

use std::collections::{BTreeMap, HashMap};

use chorus_core::access::{Budget, BudgetLeft, Spend, SpendLine, UserBudget, dollars};
use chorus_core::{ModelSpec, Problem};

use crate::budget::{self, BudgetConn as _, from_db, to_db};
use crate::db::{Db, now_ms, on_db};

/// Most accounts with a limit of their own.
pub const MAX_USER_BUDGETS: usize = 1000;
/// How spend without an account (sign-in off) is named per account.
pub const STUDIO_LABEL: &str = "This studio";

/// The limits as they stand.
pub async fn budget(db: &Db) -> anyhow::Result<Budget> {
    let rows = on_db!(db, pool => sqlx::query_as::<_, (String, String, Option<i64>)>(
        "SELECT kind, user_id, usd_micros FROM budgets ORDER BY kind, user_id",
    )
    .fetch_all(pool)
    .await)?;
    let mut budget = Budget::default();
    for (kind, user_id, limit) in rows {
        match (kind.as_str(), limit) {
            ("studio", limit) => budget.studio_usd_micros = limit.map(from_db),
            ("user", Some(limit)) => budget.users.push(UserBudget {
                user_id,
                usd_micros: from_db(limit),
            }),
            _ => {}
        }
    }
    Ok(budget)
}

/// What is wrong with `budget` as a new set of limits; empty when nothing.
pub fn problems(budget: &Budget) -> Vec<Problem> {
    let mut problems = Vec::new();
    let too_large = |field: String, micros: u64| {
        (i64::try_from(micros).is_err()).then(|| {
            Problem::error(
                field,
                format!("{} is more than a limit can be", dollars(micros)),
            )
        })
    };
    problems.extend(
        budget
            .studio_usd_micros
            .and_then(|m| too_large("studio_usd_micros".into(), m)),
    );
    if budget.users.len() > MAX_USER_BUDGETS {
        problems.push(Problem::error(
            "users",
            format!("At most {MAX_USER_BUDGETS} accounts can have limits of their own"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, user) in budget.users.iter().enumerate() {
        let field = format!("users[{i}]");
        if user.user_id.trim().is_empty() {
            problems.push(Problem::error(
                format!("{field}.user_id"),
                "Say whose limit this is",
            ));
        } else if !seen.insert(user.user_id.as_str()) {
            problems.push(Problem::error(
                format!("{field}.user_id"),
                "This account has a limit already; give each account one",
            ));
        }
        problems.extend(too_large(format!("{field}.usd_micros"), user.usd_micros));
    }
    problems
}

/// Replaces the limits with `budget` (checked by `problems` first). Takes
/// the lock reservations take (`budget`), so a job is judged by the old
/// limits or the new, never a mix.
pub async fn set_budget(db: &Db, budget: &Budget) -> anyhow::Result<()> {
    let now = now_ms();
    on_db!(write db, pool => {
        let mut tx = pool.begin().await?;
        tx.lock_budgets().await?;
        sqlx::query(
            "INSERT INTO budgets (kind, user_id, usd_micros, updated_at) VALUES ('studio', '', $1, $2)
             ON CONFLICT (kind, user_id) DO UPDATE SET usd_micros = $1, updated_at = $2",
        )
        .bind(budget.studio_usd_micros.map(to_db))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM budgets WHERE kind = 'user'")
            .execute(&mut *tx)
            .await?;
        for user in &budget.users {
            sqlx::query(
                "INSERT INTO budgets (kind, user_id, usd_micros, updated_at) VALUES ('user', $1, $2, $3)",
            )
            .bind(user.user_id.trim())
            .bind(to_db(user.usd_micros))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// What changed between two sets of limits, for the audit log: "studio: no
/// limit → $500.00; usr_1: $20.00 → none".
pub fn describe_change(before: &Budget, after: &Budget) -> String {
    let limit = |m: Option<u64>| m.map_or_else(|| "no limit".to_string(), dollars);
    let mut changes = Vec::new();
    if before.studio_usd_micros != after.studio_usd_micros {
        changes.push(format!(
            "studio: {} → {}",
            limit(before.studio_usd_micros),
            limit(after.studio_usd_micros)
        ));
    }
    let of = |b: &Budget| -> BTreeMap<String, u64> {
        b.users
            .iter()
            .map(|u| (u.user_id.trim().to_string(), u.usd_micros))
            .collect()
    };
    let (old, new) = (of(before), of(after));
    let users: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for user in users {
        let (was, is) = (old.get(user).copied(), new.get(user).copied());
        if was != is {
            let own = |m: Option<u64>| m.map_or_else(|| "none".to_string(), dollars);
            changes.push(format!("{user}: {} → {}", own(was), own(is)));
        }
    }
    if changes.is_empty() {
        "unchanged".to_string()
    } else {
        changes.join("; ")
    }
}

/// What `user_id` (`None` with sign-in off) may still spend in `month`.
pub async fn left(db: &Db, user_id: Option<&str>, month: &str) -> anyhow::Result<BudgetLeft> {
    let ledger = on_db!(db, pool => {
        let mut conn = pool.acquire().await?;
        conn.ledger(month).await?
    });
    Ok(BudgetLeft {
        month: month.to_string(),
        studio_limit_usd_micros: ledger.studio_limit,
        studio_left_usd_micros: ledger.studio_left(),
        user_limit_usd_micros: user_id.and_then(|u| ledger.user_limits.get(u).copied()),
        user_left_usd_micros: user_id.and_then(|u| ledger.user_left(u)),
    })
}

/// One model's spend by one account in a month, as stored.
#[derive(sqlx::FromRow)]
struct Group {
    model: String,
    user_id: Option<String>,
    spent: i64,
    reserved: i64,
    jobs: i64,
}

/// `month`'s spend against the limits, per model (named as `models` name
/// them) and per account (by email where accounts are known).
pub async fn report(db: &Db, models: &[ModelSpec], month: &str) -> anyhow::Result<Spend> {
    let groups = on_db!(db, pool => sqlx::query_as::<_, Group>(
        "SELECT model, user_id,
                CAST(COALESCE(SUM(CASE WHEN state = 'settled' THEN COALESCE(settled_usd_micros, 0) ELSE 0 END), 0) AS BIGINT) AS spent,
                CAST(COALESCE(SUM(CASE WHEN state = 'reserved' THEN reserved_usd_micros ELSE 0 END), 0) AS BIGINT) AS reserved,
                CAST(COALESCE(SUM(CASE WHEN state = 'released' THEN 0 ELSE 1 END), 0) AS BIGINT) AS jobs
         FROM spend WHERE month = $1 GROUP BY model, user_id",
    )
    .bind(month)
    .fetch_all(pool)
    .await)?;
    let budget = budget(db).await?;
    let user_ids: Vec<&str> = groups.iter().filter_map(|g| g.user_id.as_deref()).collect();
    let emails = account_emails(db, &user_ids).await;
    let mut by_model: HashMap<&str, SpendLine> = HashMap::new();
    let mut by_user: HashMap<&str, SpendLine> = HashMap::new();
    for group in &groups {
        let model_line = by_model.entry(&group.model).or_insert_with(|| SpendLine {
            key: group.model.clone(),
            label: models
                .iter()
                .find(|m| m.id == group.model)
                .map_or_else(|| group.model.clone(), |m| m.name.clone()),
            ..empty_line()
        });
        add(model_line, group);
        let user = group.user_id.as_deref().unwrap_or("");
        let user_line = by_user.entry(user).or_insert_with(|| SpendLine {
            key: user.to_string(),
            label: match &group.user_id {
                None => STUDIO_LABEL.to_string(),
                Some(id) => emails.get(id).cloned().unwrap_or_else(|| id.clone()),
            },
            ..empty_line()
        });
        add(user_line, group);
    }
    let spent = by_model.values().map(|l| l.spent_usd_micros).sum::<u64>();
    let reserved = by_model
        .values()
        .map(|l| l.reserved_usd_micros)
        .sum::<u64>();
    let left = budget
        .studio_usd_micros
        .map(|limit| limit.saturating_sub(spent.saturating_add(reserved)));
    Ok(Spend {
        month: month.to_string(),
        budget,
        spent_usd_micros: spent,
        reserved_usd_micros: reserved,
        left_usd_micros: left,
        by_model: sorted(by_model.into_values().collect()),
        by_user: sorted(by_user.into_values().collect()),
    })
}

fn empty_line() -> SpendLine {
    SpendLine {
        key: String::new(),
        label: String::new(),
        spent_usd_micros: 0,
        reserved_usd_micros: 0,
        jobs: 0,
    }
}

fn add(line: &mut SpendLine, group: &Group) {
    line.spent_usd_micros = line.spent_usd_micros.saturating_add(from_db(group.spent));
    line.reserved_usd_micros = line
        .reserved_usd_micros
        .saturating_add(from_db(group.reserved));
    line.jobs = line.jobs.saturating_add(from_db(group.jobs));
}

/// Most spent (and held) first, then by name.
fn sorted(mut lines: Vec<SpendLine>) -> Vec<SpendLine> {
    lines.sort_by(|a, b| {
        let total = |l: &SpendLine| l.spent_usd_micros.saturating_add(l.reserved_usd_micros);
        total(b).cmp(&total(a)).then_with(|| a.label.cmp(&b.label))
    });
    lines
}

/// The emails of accounts `ids`, from the accounts table (`users`, made by
/// sign-in's migration). Where it cannot be read (a database from before
/// accounts), none: the report names accounts by id instead.
async fn account_emails(db: &Db, ids: &[&str]) -> HashMap<String, String> {
    let mut ids: Vec<&str> = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return HashMap::new();
    }
    let sql = format!(
        "SELECT id, email FROM users WHERE id IN ({})",
        crate::db::placeholders(1, ids.len())
    );
    let found = on_db!(db, pool => {
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for id in &ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await
    });
    match found {
        Ok(rows) => rows.into_iter().collect(),
        Err(e) => {
            tracing::debug!(error = %e, "no account emails for the spend report; naming accounts by id");
            HashMap::new()
        }
    }
}

/// This month (UTC), as the spend report and reservations name it.
pub fn this_month() -> String {
    budget::month_of(now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked() {
        let budget = Budget {
            studio_usd_micros: Some(u64::MAX),
            users: vec![
                UserBudget {
                    user_id: "usr_a".into(),
                    usd_micros: 1,
                },
                UserBudget {
                    user_id: "usr_a".into(),
                    usd_micros: 2,
                },
                UserBudget {
                    user_id: " ".into(),
                    usd_micros: 2,
                },
            ],
        };
        let fields: Vec<String> = problems(&budget).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["studio_usd_micros", "users[1].user_id", "users[2].user_id"]
        );
        assert!(problems(&Budget::default()).is_empty());
    }

    #[test]
    fn a_change_is_described_for_the_audit_log() {
        let before = Budget {
            studio_usd_micros: None,
            users: vec![UserBudget {
                user_id: "usr_a".into(),
                usd_micros: 20_000_000,
            }],
        };
        let after = Budget {
            studio_usd_micros: Some(500_000_000),
            users: vec![UserBudget {
                user_id: "usr_b".into(),
                usd_micros: 5_000_000,
            }],
        };
        assert_eq!(
            describe_change(&before, &after),
            "studio: no limit → $500.00; usr_a: $20.00 → none; usr_b: none → $5.00"
        );
        assert_eq!(describe_change(&after, &after), "unchanged");
    }
}
