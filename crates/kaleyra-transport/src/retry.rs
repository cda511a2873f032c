//! When to try again, and how long to wait: capped, jittered exponential backoff.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// How many attempts a call may make and how it waits between them. Only attempts that provably
/// never reached the server, or that the server asked to repeat, are ever retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubles each time.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a server asking for more gets an error back at once.
    pub max_retry_after: Duration,
    /// Retry 429 (and 503 with `Retry-After`) here. A caller that runs many requests at once
    /// turns this off to pause all of them together instead.
    pub retry_rate_limited: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            retry_rate_limited: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn never() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// The wait after attempt `attempt` (1-based) failed: half the exponential step plus a
    /// random part of the other half, so that many clients do not retry in lockstep.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let step = self.initial_backoff.saturating_mul(1 << exponent).min(self.max_backoff);
        let half = step / 2;
        half + half.mul_f64(random_fraction())
    }

    /// The wait before the next attempt when the server asked for `retry_after`; `None` when it
    /// asked for longer than we are willing to wait.
    pub fn honour(&self, retry_after: Duration) -> Option<Duration> {
        (retry_after <= self.max_retry_after).then_some(retry_after)
    }
}

/// A fraction in [0, 1) from the standard library's per-process random hash keys: enough for
/// jitter, and no extra dependency.
fn random_fraction() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x006b_616c_6579_7261);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered_within_bounds() {
        let policy = RetryPolicy::default();
        for attempt in 1..40 {
            let step = policy
                .initial_backoff
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(policy.max_backoff);
            let wait = policy.backoff(attempt);
            assert!(wait >= step / 2 && wait <= step, "attempt {attempt}: {wait:?} vs {step:?}");
        }
        assert!(policy.backoff(100) <= policy.max_backoff);
        let waits: std::collections::BTreeSet<_> = (0..20).map(|_| policy.backoff(3)).collect();
        assert!(waits.len() > 1, "no jitter");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.honour(Duration::from_secs(2)), Some(Duration::from_secs(2)));
        assert_eq!(policy.honour(Duration::from_secs(3600)), None);
    }
}
