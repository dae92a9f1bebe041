//! When a delivery is tried again, decided from what its last attempt got.
//!
//! The schedule (Settings → Webhooks says the same): at once, then 5 s,
//! 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failed attempt, each
//! wait moved by up to ±20% at random so receivers that fail together are
//! not all retried together; after the eighth attempt it is given up
//! ("failed"). A 2xx is delivered. 410 Gone disables the endpoint. 429 and
//! 503 with `Retry-After` (seconds or an HTTP date) wait that long
//! instead, at most 24 h. Anything else (another status, a redirect, which
//! is not followed, a timeout, a refused connection) takes the schedule.

use std::time::{Duration, SystemTime};

/// The waits before each attempt; the first is the one made at once.
pub const DEFAULT_SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_mins(5),
    Duration::from_mins(30),
    Duration::from_hours(2),
    Duration::from_hours(5),
    Duration::from_hours(10),
    Duration::from_hours(10),
];

/// Each wait is moved by up to this share of itself, either way.
pub const JITTER: f64 = 0.2;

/// The longest a `Retry-After` is honoured for.
pub const RETRY_AFTER_CAP: Duration = Duration::from_hours(24);

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The receiver answered with `status`, and `Retry-After` if it sent
    /// one that reads.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No answer: a timeout, a refused connection, an address the guard
    /// refused. In words.
    NoAnswer(String),
}

/// What happens to the delivery next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Try again after this wait.
    RetryIn(Duration),
    /// Attempts used up.
    GiveUp,
    /// The receiver said the endpoint is gone (410): disable it.
    Disable,
}

/// What follows `answer` to attempt number `attempts_made` (1 for the
/// first), under `schedule`; `unit` is a random number in [0, 1) that
/// places the jitter.
pub fn next_step(
    attempts_made: u32,
    answer: &Answer,
    schedule: &[Duration],
    jitter: f64,
    unit: f64,
) -> Next {
    if let Answer::Status { status, .. } = answer {
        if (200..300).contains(status) {
            return Next::Delivered;
        }
        if *status == 410 {
            return Next::Disable;
        }
    }
    let Some(wait) = schedule.get(attempts_made as usize) else {
        return Next::GiveUp;
    };
    match answer {
        Answer::Status {
            status: 429 | 503,
            retry_after: Some(asked),
        } => Next::RetryIn((*asked).min(RETRY_AFTER_CAP)),
        _ => Next::RetryIn(jittered(*wait, jitter, unit)),
    }
}

/// `wait` moved by `jitter` of itself either way, `unit` in [0, 1)
/// choosing where: 0 gives the shortest, just under 1 the longest.
pub fn jittered(wait: Duration, jitter: f64, unit: f64) -> Duration {
    let unit = unit.clamp(0.0, 1.0);
    wait.mul_f64(1.0 + jitter * (2.0 * unit - 1.0))
}

/// A random number in [0, 1) from the operating system (0.5, no jitter,
/// if it has none to give).
pub fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    // 53 random bits: every f64 in [0, 1) with that spacing.
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// A `Retry-After` header's wait: whole seconds, or an HTTP date (a date
/// already past waits nothing). `None` when it reads as neither.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Answer {
        Answer::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn the_default_schedule_is_the_documented_one() {
        let secs: Vec<u64> = DEFAULT_SCHEDULE.iter().map(Duration::as_secs).collect();
        assert_eq!(
            secs,
            [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000],
            "change the module's comment and Settings → Webhooks with it"
        );
    }

    #[test]
    fn failures_follow_the_schedule_then_give_up() {
        let s = &DEFAULT_SCHEDULE;
        // Attempt 1 (made at once) failed: the next waits 5 s, unjittered
        // at unit 0.5.
        assert_eq!(
            next_step(1, &status(500), s, JITTER, 0.5),
            Next::RetryIn(Duration::from_secs(5))
        );
        assert_eq!(
            next_step(2, &Answer::NoAnswer("timed out".into()), s, JITTER, 0.5),
            Next::RetryIn(Duration::from_mins(5))
        );
        assert_eq!(
            next_step(7, &status(404), s, JITTER, 0.5),
            Next::RetryIn(Duration::from_hours(10))
        );
        assert_eq!(next_step(8, &status(500), s, JITTER, 0.5), Next::GiveUp);
        // A redirect is not followed: it is a failure like any other.
        assert_eq!(
            next_step(1, &status(301), s, JITTER, 0.5),
            Next::RetryIn(Duration::from_secs(5))
        );
    }

    #[test]
    fn success_and_gone_end_it_whatever_the_attempt() {
        for attempt in [1, 8, 20] {
            for ok in [200, 201, 204, 299] {
                assert_eq!(
                    next_step(attempt, &status(ok), &DEFAULT_SCHEDULE, JITTER, 0.1),
                    Next::Delivered
                );
            }
            assert_eq!(
                next_step(attempt, &status(410), &DEFAULT_SCHEDULE, JITTER, 0.1),
                Next::Disable
            );
        }
    }

    #[test]
    fn retry_after_replaces_the_wait_on_429_and_503_only() {
        let asked = |status| Answer::Status {
            status,
            retry_after: Some(Duration::from_secs(90)),
        };
        let s = &DEFAULT_SCHEDULE;
        assert_eq!(
            next_step(1, &asked(429), s, JITTER, 0.9),
            Next::RetryIn(Duration::from_secs(90))
        );
        assert_eq!(
            next_step(3, &asked(503), s, JITTER, 0.9),
            Next::RetryIn(Duration::from_secs(90))
        );
        // Another status's Retry-After is not ours to honour.
        assert_eq!(
            next_step(1, &asked(500), s, JITTER, 0.5),
            Next::RetryIn(Duration::from_secs(5))
        );
        // Capped, and never past the last attempt.
        let week = Answer::Status {
            status: 429,
            retry_after: Some(Duration::from_hours(24 * 7)),
        };
        assert_eq!(
            next_step(1, &week, s, JITTER, 0.5),
            Next::RetryIn(RETRY_AFTER_CAP)
        );
        assert_eq!(next_step(8, &asked(429), s, JITTER, 0.5), Next::GiveUp);
    }

    #[test]
    fn jitter_stays_within_its_bounds() {
        let wait = Duration::from_secs(100);
        assert_eq!(jittered(wait, JITTER, 0.0), Duration::from_secs(80));
        assert_eq!(jittered(wait, JITTER, 0.5), wait);
        assert!(jittered(wait, JITTER, 0.999_999) <= Duration::from_mins(2));
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..2000 {
            let unit = random_unit();
            assert!((0.0..1.0).contains(&unit), "{unit}");
            let got = jittered(wait, JITTER, unit);
            assert!(
                (Duration::from_secs(80)..=Duration::from_mins(2)).contains(&got),
                "{got:?}"
            );
            seen_low |= got < Duration::from_secs(90);
            seen_high |= got > Duration::from_secs(110);
        }
        assert!(seen_low && seen_high, "the jitter spreads both ways");
        assert_eq!(jittered(Duration::ZERO, JITTER, 0.9), Duration::ZERO);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("date");
        assert_eq!(retry_after("120", now), Some(Duration::from_mins(2)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now),
            Some(Duration::from_mins(2))
        );
        // A date already past waits nothing.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
        assert_eq!(retry_after("", now), None);
    }
}
