//! Stage three: one task per slot sends rows and records their outcomes.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kaleyra_transport::{Client, Error};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::RowOutcome;
use super::intents::Ready;
use super::pipeline::stop_requested;
use super::shared::Shared;
use crate::adaptive::{Answer, Permit};
use crate::journal::{Entry, JournalError, JournalWriter};
use crate::operation::Validated;

/// How many times one row is put back after a 429 / 503 before it is given up as failed.
const MAX_RATE_LIMITED: u32 = 20;
/// 429s in a row (nothing got through in between), on top of twice the limit on requests in
/// flight, after which every sender waits, not only the throttled rows: a burst of 429s to
/// requests sent together is no reason to stop everyone.
const THROTTLED_IN_A_ROW: u64 = 8;

/// Stage three, one task per slot: sends ready rows one after the other (after any pause the API
/// asked for, at the rate allowed) until the queue ends, the import is stopped, or the
/// credentials are refused. The row in hand is always finished.
pub(super) async fn send_rows(
    waiting: Arc<tokio::sync::Mutex<mpsc::Receiver<Ready>>>,
    client: Client,
    journal: Arc<JournalWriter>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() && !shared.stopped() {
        // The slot first, then the row: a row taken waits for nothing but the rate.
        let permit = tokio::select! {
            permit = shared.limiter.acquire() => permit,
            _ = stop_requested(&mut stop) => return,
        };
        let ready = {
            let mut waiting = waiting.lock().await;
            tokio::select! {
                ready = waiting.recv() => ready,
                _ = stop_requested(&mut stop) => None,
            }
        };
        let Some(Ready { row, request, resent }) = ready else { return };
        // A turn may be seconds away (a slow rate, a pause): a stop does not wait for it.
        tokio::select! {
            _ = shared.gate.wait(&shared.limiter) => {}
            _ = stop_requested(&mut stop) => {}
        }
        if *stop.borrow() || shared.stopped() {
            release(&journal, &shared, row);
            return;
        }
        let sending = Sending { client: &client, journal: &journal, shared: &shared, row, resent };
        match sending.send(&request, permit, &mut stop).await {
            Ok(()) => {}
            Err(error) => shared.journal_failed(error),
        }
    }
}

/// Withdraws the intent of a row that will not be sent in this run.
pub(super) fn release(journal: &JournalWriter, shared: &Shared, row: u64) {
    if let Err(error) = journal.record(Entry::Released { row }) {
        shared.journal_failed(error);
    }
}

/// One row whose intent is on disk, on its way.
pub(super) struct Sending<'a> {
    client: &'a Client,
    journal: &'a JournalWriter,
    shared: &'a Shared,
    row: u64,
    resent: bool,
}

impl Sending<'_> {
    /// Sends the row and records the outcome; a throttled row waits and goes again (its slot
    /// given back meanwhile). Only a journal failure is an error.
    async fn send(
        &self,
        request: &Validated,
        mut permit: Permit<'_>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), JournalError> {
        let Sending { shared, row, .. } = *self;
        let mut rate_limited = 0;
        shared.sent.fetch_add(1, Ordering::Relaxed);
        loop {
            permit.sending();
            let started = Instant::now();
            // The record's id and status: what the journal keeps of a success.
            let result = match request {
                Validated::Add(request) => self.client.add_number(request).await.map(|created| {
                    created.record().map_or((0, 0), |record| (record.id, record.status))
                }),
                Validated::Update(request) => {
                    self.client.update_number(request).await.map(|updated| {
                        updated.record().map_or((0, 0), |record| (record.id, record.status))
                    })
                }
            };
            shared.answered(started);
            let entry = match result {
                Err(Error::RateLimited { retry_after } | Error::Unavailable { retry_after })
                    if rate_limited < MAX_RATE_LIMITED =>
                {
                    // Not processed, says the server: wait, then send this row again.
                    permit.finish(Answer::Throttled);
                    rate_limited += 1;
                    let backoff = Duration::from_millis(250u64 << rate_limited.min(6));
                    let wait = retry_after.unwrap_or(backoff).min(shared.max_wait);
                    let in_a_row = shared.throttled_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
                    let nothing_gets_through =
                        in_a_row >= THROTTLED_IN_A_ROW + 2 * shared.limiter.current().0 as u64;
                    if !shared.adaptive || nothing_gets_through {
                        // Nothing gets through (or the concurrency is pinned): everyone waits.
                        shared.gate.pause(wait);
                        shared.limiter.paused();
                    } else {
                        // This row alone waits, up to a quarter longer than asked (never
                        // shorter: the server said when), so that the rows throttled together
                        // do not come back together.
                        let wait = wait.mul_f64(jitter(1.0, 1.25));
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = stop_requested(stop) => {}
                        }
                    }
                    if *stop.borrow() || shared.stopped() {
                        release(self.journal, shared, row);
                        return Ok(());
                    }
                    permit = tokio::select! {
                        permit = shared.limiter.acquire() => permit,
                        _ = stop_requested(stop) => {
                            release(self.journal, shared, row);
                            return Ok(());
                        }
                    };
                    tokio::select! {
                        _ = shared.gate.wait(&shared.limiter) => {}
                        _ = stop_requested(stop) => {
                            release(self.journal, shared, row);
                            return Ok(());
                        }
                    }
                    continue;
                }
                result => {
                    if !matches!(result, Err(Error::RateLimited { .. } | Error::Unavailable { .. }))
                    {
                        shared.throttled_in_a_row.store(0, Ordering::Relaxed);
                    }
                    permit.finish(answer_of(&result, started.elapsed()));
                    self.entry(result)
                }
            };
            let outcome = RowOutcome::of(&entry);
            self.journal.record(entry)?;
            if let Some(outcome) = outcome {
                shared.observer.row(row, &outcome);
            }
            return Ok(());
        }
    }

    /// The journal entry for an answer, counted.
    fn entry(&self, result: Result<(u64, i64), Error>) -> Entry {
        let Sending { shared, row, resent, .. } = *self;
        match result {
            Ok((id, status)) => {
                shared.count(|c| c.created += 1);
                Entry::Created { row, id, status }
            }
            Err(error) if error.is_duplicate() && resent => {
                shared.count(|c| c.exists += 1);
                Entry::Exists { row }
            }
            Err(Error::Rejected { status, envelope }) => {
                let detail = envelope.detail();
                shared.count(|c| c.rejected += 1);
                Entry::Rejected {
                    row,
                    http_status: status,
                    code: detail.code.to_string(),
                    parameter: detail.parameter.clone(),
                    message: detail.message.clone(),
                }
            }
            Err(error @ Error::Authentication { .. }) => {
                shared.authentication_failed.store(true, Ordering::Relaxed);
                shared.halted.store(true, Ordering::Relaxed);
                shared.count(|c| c.failed += 1);
                Entry::Failed { row, reason: error.to_string() }
            }
            Err(error) if error.may_have_been_created() => {
                shared.count(|c| c.unknown += 1);
                Entry::Unknown { row, reason: error.to_string() }
            }
            Err(error) => {
                shared.count(|c| c.failed += 1);
                Entry::Failed { row, reason: error.to_string() }
            }
        }
    }
}

/// What an answer says about the server's ceiling.
pub(super) fn answer_of<T>(result: &Result<T, Error>, took: Duration) -> Answer {
    match result {
        Ok(_) | Err(Error::Rejected { .. }) => Answer::Accepted(took),
        Err(Error::RateLimited { .. } | Error::Unavailable { .. }) => Answer::Throttled,
        Err(error) if error.may_have_been_created() => Answer::Overloaded,
        Err(_) => Answer::Nothing,
    }
}

/// A factor from `low` to `high`, from the standard library's per-process random hash keys.
pub(super) fn jitter(low: f64, high: f64) -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x6a69_7474_6572);
    let fraction = (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64;
    low + (high - low) * fraction
}
