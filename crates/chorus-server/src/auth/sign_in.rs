//! Signing in with an email and a password. Tries are counted per account
//! and per client address (`crate::throttle`) before any hashing, so a
//! throttled guess costs no CPU and a right password is refused too until
//! the window moves on. Every refusal reads the same, and an email with no
//! account costs the same Argon2 verify as a wrong password, so nothing
//! says which emails exist.

use std::time::Duration;

use chorus_core::access::normalize_email;

use super::passwords;
use super::users::{self, User};
use crate::db::Db;
use crate::throttle::Throttle;

/// Tries one account takes within the throttle's window (15 minutes).
pub const TRIES_PER_ACCOUNT: usize = 5;
/// Tries one client address takes within the window, over all accounts.
pub const TRIES_PER_ADDRESS: usize = 20;
/// What every wrong email or password is told.
pub const WRONG: &str = "Email or password is wrong";

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No such account, no password set yet, or a wrong password: one
    /// answer for all three.
    Wrong,
    /// Too many tries lately; try again after this long.
    Throttled(Duration),
}

/// The account `email` and `password` sign in to, or why not.
pub async fn check_password(
    db: &Db,
    throttle: &Throttle,
    email: &str,
    password: &str,
    address: Option<&str>,
) -> anyhow::Result<Result<User, Refused>> {
    let email = normalize_email(email);
    let mut keys = vec![(format!("account {email}"), TRIES_PER_ACCOUNT)];
    if let Some(address) = address {
        keys.push((format!("address {address}"), TRIES_PER_ADDRESS));
    }
    let ticket = match throttle.take(&keys) {
        Ok(ticket) => ticket,
        Err(wait) => return Ok(Err(Refused::Throttled(wait))),
    };
    let user = users::by_email(db, &email).await?;
    let phc = user.as_ref().and_then(|u| u.password_hash.clone());
    let right = passwords::verify_off_thread(password.to_string(), phc).await;
    match user {
        Some(user) if right => {
            throttle.give_back(ticket);
            Ok(Ok(user))
        }
        _ => Ok(Err(Refused::Wrong)),
    }
}

/// "Too many sign-in tries" in words, with when to try again.
pub fn wait_message(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    format!(
        "Too many sign-in tries: try again in {minutes} minute{}",
        if minutes == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_minutes() {
        assert_eq!(
            wait_message(Duration::from_secs(14 * 60 + 1)),
            "Too many sign-in tries: try again in 15 minutes"
        );
        assert_eq!(
            wait_message(Duration::from_secs(1)),
            "Too many sign-in tries: try again in 1 minute"
        );
    }
}
