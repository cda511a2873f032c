//! What the stages share: counts, the pace clock, the limiter, the halt flags.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::gate::Gate;
use super::reading::Work;
use super::{Concurrency, Counts, ImportOptions, Observer, Pace, RowOutcome};
use crate::adaptive::{Controller, Limiter};
use crate::journal::JournalError;

pub(super) struct Shared {
    pub(super) counts: Mutex<Counts>,
    pub(super) gate: Gate,
    /// Requests in flight, and what the answers taught about the server's ceiling.
    pub(super) limiter: Limiter,
    pub(super) adaptive: bool,
    pub(super) clock: Mutex<Clock>,
    /// 429s since the last request that got through.
    pub(super) throttled_in_a_row: AtomicU64,
    /// The longest pause the server may impose.
    pub(super) max_wait: Duration,
    /// Rows sent in this run (their first attempt started).
    pub(super) sent: AtomicU64,
    pub(super) observer: Arc<dyn Observer>,
    pub(super) authentication_failed: AtomicBool,
    /// The credentials were refused or the journal failed: nothing more is sent.
    pub(super) halted: AtomicBool,
    pub(super) journal_error: Mutex<Option<JournalError>>,
}

/// Requests in flight at the start of an adaptive import.
const INITIAL_CONCURRENCY: usize = 32;

impl Shared {
    /// Nothing counted yet; the pace as `options` set it.
    pub(super) fn new(options: &ImportOptions, observer: Arc<dyn Observer>) -> Shared {
        let now = Instant::now();
        let controller = match options.concurrency {
            Concurrency::Fixed(n) => Controller::fixed(n, now),
            Concurrency::Adaptive { max } => Controller::adaptive(INITIAL_CONCURRENCY, max, now),
        };
        Shared {
            counts: Mutex::new(Counts::default()),
            gate: Gate::new(options.rate_per_second),
            limiter: Limiter::new(controller),
            adaptive: matches!(options.concurrency, Concurrency::Adaptive { .. }),
            clock: Mutex::new(Clock::default()),
            throttled_in_a_row: AtomicU64::new(0),
            max_wait: options.max_retry_wait,
            observer,
            authentication_failed: AtomicBool::new(false),
            halted: AtomicBool::new(false),
            journal_error: Mutex::new(None),
            sent: AtomicU64::new(0),
        }
    }

    pub(super) fn count(&self, update: impl FnOnce(&mut Counts)) {
        let counts = {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            counts.rows += 1;
            update(&mut counts);
            *counts
        };
        self.observer.progress(&counts);
    }

    /// Counts a row that is not sent: skipped (settled earlier) or rejected before sending.
    pub(super) fn count_unsent(&self, work: &Work) {
        match work {
            Work::Skip { row } => {
                self.count(|c| c.skipped += 1);
                self.observer.row(*row, &RowOutcome::Skipped);
            }
            Work::Rejected { row, outcome } => {
                self.count(|c| c.rejected += 1);
                self.observer.row(*row, outcome);
            }
            Work::Send(_) => {}
        }
    }

    /// Keeps the first journal failure; the import stops on it.
    pub(super) fn journal_failed(&self, error: JournalError) {
        self.journal_error.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(error);
        self.halted.store(true, Ordering::Relaxed);
    }

    pub(super) fn stopped(&self) -> bool {
        self.halted.load(Ordering::Relaxed)
    }

    pub(super) fn pace(&self) -> Pace {
        let clock = *self.clock.lock().unwrap_or_else(PoisonError::into_inner);
        let (concurrency, learnt_rate) = self.limiter.current();
        Pace {
            requests: clock.requests,
            throttled: self.limiter.throttled(),
            elapsed: match (clock.first, clock.last) {
                (Some(first), Some(last)) => last.saturating_duration_since(first),
                _ => Duration::ZERO,
            },
            concurrency,
            learnt_rate,
        }
    }

    /// Notes one answered request; tells the observer how the run goes, now and then.
    pub(super) fn answered(&self, started: Instant) {
        let now = Instant::now();
        let report = {
            let mut clock = self.clock.lock().unwrap_or_else(PoisonError::into_inner);
            clock.requests += 1;
            clock.first = Some(clock.first.map_or(started, |first| first.min(started)));
            clock.last = Some(now);
            let due = clock.reported.is_none_or(|at| now.duration_since(at) >= PACE_EVERY);
            if due {
                clock.reported = Some(now);
            }
            due
        };
        if report {
            self.observer.pace(&self.pace());
        }
    }
}

/// When requests went out and came back, for [`Pace`].
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Clock {
    pub(super) requests: u64,
    pub(super) first: Option<Instant>,
    pub(super) last: Option<Instant>,
    pub(super) reported: Option<Instant>,
}

/// How often the observer hears how the run goes.
pub(super) const PACE_EVERY: Duration = Duration::from_millis(250);
