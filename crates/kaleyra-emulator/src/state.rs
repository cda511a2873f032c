//! State shared by every connection of one emulator: the store, the fault plan, counters.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::faults::{Fault, FaultPlan};
use crate::latency::Sampler;
use crate::record::Envelope;
use crate::store::Store;
use crate::throttle::Throttle;
use crate::{EmulatorConfig, NumbersReport};

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    pub(crate) envelope: Envelope,
    store: Mutex<Store>,
    faults: Mutex<FaultPlan>,
    /// Whether a fault plan is set: without one, requests do not take its lock.
    armed: AtomicBool,
    /// Create requests that reached the handler, whatever became of them.
    received: AtomicU64,
    /// Create requests answered 429 by the limits.
    throttled: AtomicU64,
    pub(crate) throttle: Throttle,
    pub(crate) latency: Sampler,
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig) -> Self {
        Shared {
            envelope: Envelope::new(&config.company_id, &config.sid),
            store: Mutex::default(),
            faults: Mutex::default(),
            armed: AtomicBool::new(false),
            received: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            throttle: Throttle::new(config.limits),
            latency: Sampler::new(config.seed),
            config,
        }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic cannot happen while the lock is held; if one did, the data is still whole.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn faults(&self) -> MutexGuard<'_, FaultPlan> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn fault_plan(&self) -> FaultPlan {
        self.faults().clone()
    }

    pub(crate) fn set_faults(&self, plan: FaultPlan) {
        let mut faults = self.faults();
        self.armed.store(plan != FaultPlan::default(), Ordering::SeqCst);
        *faults = plan;
    }

    /// The next create request's fault from the plan (counted down), and the plan's latency.
    pub(crate) fn take_request_fault(&self) -> (Option<Fault>, Duration) {
        if !self.armed.load(Ordering::SeqCst) {
            return (None, Duration::ZERO);
        }
        let mut plan = self.faults();
        (plan.take_request_fault(), plan.latency())
    }

    /// Whether the next connection is to be reset on accept (counted down).
    pub(crate) fn take_connection_fault(&self) -> bool {
        self.armed.load(Ordering::SeqCst) && self.faults().take_connection_fault()
    }

    pub(crate) fn count_received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn report(&self) -> NumbersReport {
        let (numbers, created) = {
            let store = self.store();
            (store.entries(), store.records())
        };
        NumbersReport {
            received: self.received.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            created,
            total_numbers: numbers.len() as u64,
            numbers,
            next_offset: None,
        }
    }

    /// One page of the report: at most `limit` numbers from the `offset`-th.
    pub(crate) fn report_page(&self, offset: usize, limit: usize) -> NumbersReport {
        let (numbers, total, created) = {
            let store = self.store();
            (store.page(offset, limit), store.len(), store.records())
        };
        let end = offset.saturating_add(numbers.len());
        NumbersReport {
            received: self.received.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            created,
            numbers,
            total_numbers: total as u64,
            next_offset: (end < total).then_some(end as u64),
        }
    }

    /// Forgets every record, count and fault (the limits stay).
    pub(crate) fn reset(&self) {
        self.store().reset();
        self.received.store(0, Ordering::Relaxed);
        self.throttled.store(0, Ordering::Relaxed);
        self.set_faults(FaultPlan::default());
    }
}
