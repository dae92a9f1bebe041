//! Waiting for a job: exponential backoff with jitter (seeded, so tests are
//! deterministic), a per-job time limit, and the polling loop that doubles as
//! the fallback when webhooks never come. A verified webhook only wakes the
//! loop early; the state is always read back through the API, so a delivery
//! that is dropped, late or repeated changes nothing.

use std::future::Future;
use std::time::Duration;

use tokio::sync::Notify;

use crate::error::{ProviderError, Result};
use crate::provider::{JobState, Provider, ProviderJob, ProviderOutput};

/// Exponential backoff: `initial`, doubled per attempt, capped at `max`, each
/// delay shortened by up to `jitter` of itself so clients spread out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// 0.0 (none) to 1.0 (full jitter).
    pub jitter: f64,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            jitter: 0.25,
        }
    }

    /// Delay before retry number `attempt` (1-based).
    pub fn delay(&self, attempt: u32, rng: &mut SeededRng) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let base = self.initial.saturating_mul(1u32 << doublings).min(self.max);
        let cut = self.jitter.clamp(0.0, 1.0) * rng.next_f64();
        base.mul_f64(1.0 - cut)
    }
}

/// SplitMix64: tiny, seedable, good enough to spread retries.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        SeededRng(seed)
    }

    /// Seeded from the clock, for production use.
    pub fn from_time() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        SeededRng(nanos)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs `work`, failing with `TimedOut` after `limit`.
pub async fn within_time_limit<T>(
    provider: &'static str,
    limit: Duration,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(limit, work)
        .await
        .unwrap_or(Err(ProviderError::TimedOut {
            provider,
            limit_s: limit.as_secs(),
        }))
}

/// How `wait_for_outcome` polls.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    pub backoff: Backoff,
    /// The whole job's limit, polling included.
    pub time_limit: Duration,
    /// Failed polls in a row tolerated before giving up (each poll already
    /// retried its own network errors and 5xx).
    pub max_poll_failures: u32,
    pub seed: u64,
}

impl WaitOptions {
    /// Polls from `initial` up to `max`, for at most `time_limit`.
    pub fn new(initial: Duration, max: Duration, time_limit: Duration) -> Self {
        WaitOptions {
            backoff: Backoff::new(initial, max),
            time_limit,
            max_poll_failures: 3,
            seed: SeededRng::from_time().next_u64(),
        }
    }
}

/// Polls `job` until it ends. `wake`, when given, is notified by the webhook
/// handler after a verified delivery so the next poll happens at once.
pub async fn wait_for_outcome(
    provider: &dyn Provider,
    job: &ProviderJob,
    options: &WaitOptions,
    wake: Option<&Notify>,
) -> Result<ProviderOutput> {
    let name = provider.name();
    let mut rng = SeededRng::new(options.seed);
    let poll_loop = async {
        let mut attempt = 0u32;
        let mut failures = 0u32;
        loop {
            attempt += 1;
            match provider.status(job).await {
                Ok(JobState::Succeeded(output)) => {
                    return if output.video_urls.is_empty() {
                        Err(ProviderError::BadResponse {
                            provider: name,
                            context: "finished job",
                            detail: "the job succeeded but lists no video".into(),
                        })
                    } else {
                        Ok(output)
                    };
                }
                Ok(JobState::Failed { message }) => {
                    return Err(ProviderError::GenerationFailed {
                        provider: name,
                        message,
                    });
                }
                Ok(JobState::Canceled) => return Err(ProviderError::Canceled { provider: name }),
                Ok(JobState::Queued { .. } | JobState::Running) => failures = 0,
                Err(
                    e @ (ProviderError::Network { .. }
                    | ProviderError::Unavailable { .. }
                    | ProviderError::BadResponse { .. }),
                ) => {
                    failures += 1;
                    if failures > options.max_poll_failures {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
            let delay = options.backoff.delay(attempt, &mut rng);
            match wake {
                Some(notify) => {
                    let _ = tokio::time::timeout(delay, notify.notified()).await;
                }
                None => tokio::time::sleep(delay).await,
            }
        }
    };
    within_time_limit(name, options.time_limit, poll_loop).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_is_deterministic() {
        let b = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            jitter: 0.0,
        };
        let mut rng = SeededRng::new(7);
        let delays: Vec<u64> = (1..=6).map(|a| b.delay(a, &mut rng).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10]);

        let jittered = Backoff { jitter: 0.5, ..b };
        let run = |seed| {
            let mut rng = SeededRng::new(seed);
            (1..=5)
                .map(|a| jittered.delay(a, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
        for (i, d) in run(42).into_iter().enumerate() {
            let full = b.delay(i as u32 + 1, &mut SeededRng::new(0));
            assert!(d <= full && d >= full / 2, "{d:?} vs {full:?}");
        }
    }

    #[tokio::test]
    async fn time_limit_ends_slow_work() {
        let slow = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        };
        let err = within_time_limit("fal", Duration::from_millis(20), slow)
            .await
            .expect_err("times out");
        assert!(matches!(err, ProviderError::TimedOut { .. }));
    }
}
