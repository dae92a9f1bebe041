//! Counting tries in memory: at most so many per key within a sliding
//! window (review passcodes: per link and per client address). A try takes
//! a slot before the work it guards is done, so tries made at the same
//! moment cannot all slip under the limit; a try that turns out right gives
//! its slot back.
//!
//! Kept in this process only: a restart forgets the counts, which costs an
//! attacker nothing they could not get by waiting out the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tries per key within one window.
#[derive(Debug)]
pub struct Throttle {
    window: Duration,
    tries: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Above this many keys, keys with no try left in the window are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl Throttle {
    pub fn new(window: Duration) -> Throttle {
        Throttle {
            window,
            tries: Mutex::default(),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A poisoned map still holds valid counts; each change is whole.
        self.tries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes one try under every `(key, limit)` at once, or none: `Err`
    /// says how long until the fullest key has a slot again.
    pub fn take(&self, keys: &[(String, usize)]) -> Result<Ticket, Duration> {
        self.take_at(keys, Instant::now())
    }

    fn take_at(&self, keys: &[(String, usize)], now: Instant) -> Result<Ticket, Duration> {
        let mut tries = self.lock();
        if tries.len() > PRUNE_ABOVE {
            let window = self.window;
            tries.retain(|_, times| times.back().is_some_and(|t| now - *t < window));
        }
        let mut wait = Duration::ZERO;
        for (key, limit) in keys {
            let Some(times) = tries.get_mut(key) else {
                continue;
            };
            while times.front().is_some_and(|t| now - *t >= self.window) {
                times.pop_front();
            }
            if times.len() >= *limit
                && let Some(oldest) = times.get(times.len() - limit)
            {
                wait = wait.max(self.window.saturating_sub(now - *oldest));
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for (key, _) in keys {
            tries.entry(key.clone()).or_default().push_back(now);
        }
        Ok(Ticket {
            keys: keys.iter().map(|(k, _)| k.clone()).collect(),
            at: now,
        })
    }

    /// Gives back the slots a try took (it was right, so it does not count).
    pub fn give_back(&self, ticket: Ticket) {
        let mut tries = self.lock();
        for key in &ticket.keys {
            if let Some(times) = tries.get_mut(key)
                && let Some(at) = times.iter().rposition(|t| *t == ticket.at)
            {
                times.remove(at);
            }
        }
    }
}

/// The slots one try took.
#[derive(Debug)]
pub struct Ticket {
    keys: Vec<String>,
    at: Instant,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(link: usize, client: usize) -> Vec<(String, usize)> {
        vec![("link".into(), link), ("client".into(), client)]
    }

    #[test]
    fn the_limit_holds_until_the_window_moves_on() {
        let throttle = Throttle::new(Duration::from_mins(15));
        let start = Instant::now();
        for i in 0..5 {
            let at = start + Duration::from_secs(i * 10);
            throttle.take_at(&keys(5, 20), at).expect("under the limit");
        }
        let wait = throttle
            .take_at(&keys(5, 20), start + Duration::from_mins(1))
            .expect_err("the sixth try waits");
        assert_eq!(wait, Duration::from_mins(14), "until the first try leaves");
        // Once the first try is 15 minutes old, one more fits.
        throttle
            .take_at(&keys(5, 20), start + Duration::from_mins(15))
            .expect("a slot again");
    }

    #[test]
    fn every_key_must_have_room_and_right_tries_give_theirs_back() {
        let throttle = Throttle::new(Duration::from_mins(1));
        let now = Instant::now();
        let ticket = throttle.take_at(&keys(1, 20), now).expect("first");
        assert!(throttle.take_at(&keys(1, 20), now).is_err(), "link full");
        // Nothing was taken under `client` by the refused try.
        throttle.give_back(ticket);
        throttle.take_at(&keys(1, 20), now).expect("freed");
        let other = vec![("other".to_string(), 5), ("client".to_string(), 1)];
        assert!(throttle.take_at(&other, now).is_err(), "client full");
    }
}
