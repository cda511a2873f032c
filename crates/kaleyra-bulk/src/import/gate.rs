//! The shared pacing of all senders: the rate limit, and pauses the API asked for.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::adaptive::Limiter;

/// The shared pacing of all workers: the rate limit, and pauses the API asked for.
pub(super) struct Gate {
    interval: Option<Duration>,
    state: Mutex<(Instant, Instant)>,
}

impl Gate {
    pub(super) fn new(rate_per_second: Option<f64>) -> Self {
        // A rate too small for a `Duration` (1e-20/s) is a day between requests.
        let interval = rate_per_second.filter(|rate| rate.is_finite() && *rate > 0.0).map(|rate| {
            Duration::try_from_secs_f64(1.0 / rate).unwrap_or(MAX_INTERVAL).min(MAX_INTERVAL)
        });
        let now = Instant::now();
        Gate { interval, state: Mutex::new((now, now)) }
    }

    /// Waits for this worker's turn (no timer at all when it is now): the hard rate, the rate
    /// the limiter learnt, whichever is slower, and any pause.
    pub(super) async fn wait(&self, limiter: &Limiter) {
        let learnt = limiter.rate().map(|rate| {
            Duration::try_from_secs_f64(1.0 / rate).unwrap_or(MAX_INTERVAL).min(MAX_INTERVAL)
        });
        let interval = match (self.interval, learnt) {
            (Some(hard), Some(learnt)) => Some(hard.max(learnt)),
            (hard, learnt) => hard.or(learnt),
        };
        let now = Instant::now();
        let at = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let (next_slot, paused_until) = &mut *state;
            let mut at = now.max(*paused_until);
            if let Some(interval) = interval {
                at = at.max(*next_slot);
                *next_slot = later(at, interval);
            }
            at
        };
        if at > now {
            // The learnt rate grows only while it is what holds the import back.
            if learnt.is_some_and(|learnt| Some(learnt) == interval) {
                limiter.rate_was_bound();
            }
            tokio::time::sleep_until(at).await;
        }
    }

    /// Holds every worker back for `duration`.
    pub(super) fn pause(&self, duration: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = state.1.max(later(Instant::now(), duration));
    }
}

/// The longest gap the rate may put between two requests.
pub(super) const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// `at + duration`, saturating a day ahead rather than overflowing.
pub(super) fn later(at: Instant, duration: Duration) -> Instant {
    at.checked_add(duration.min(MAX_INTERVAL)).unwrap_or(at)
}
