//! Stage two: intents made durable, in batches, ahead of the rows in flight.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::pipeline::stop_requested;
use super::reading::{Rows, Work};
use super::sending::release;
use super::shared::Shared;
use crate::journal::{Entry, JournalWriter};
use crate::operation::Validated;

/// A row whose intent is on disk, waiting for a free slot.
pub(super) struct Ready {
    pub(super) row: u64,
    pub(super) request: Box<Validated>,
    pub(super) resent: bool,
}

/// Stage two: once half the queue of ready rows is free, takes as many rows as it has room for,
/// makes their intents durable with one fsync, and queues them. Counts the rows that are not
/// sent. Stops when the rows run out, the import is stopped, or the senders are gone.
pub(super) async fn write_intents(
    mut rows: Rows,
    ready: mpsc::Sender<Ready>,
    journal: Arc<JournalWriter>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        // Waiting for half the queue to be free makes the batches (and so the fsyncs) large
        // while the other half keeps the senders busy.
        let room = tokio::select! {
            room = ready.reserve_many((ready.max_capacity() / 2).max(1)) => room,
            _ = stop_requested(&mut stop) => return,
        };
        // The queue is closed when the senders stop taking rows.
        let Ok(room) = room else { return };
        let first = loop {
            let work = tokio::select! {
                work = rows.recv() => work,
                _ = stop_requested(&mut stop) => return,
                _ = ready.closed() => return,
            };
            match work {
                Some(Work::Send(row)) => break row,
                Some(work) => shared.count_unsent(&work),
                None => return,
            }
        };
        let mut batch = vec![first];
        let limit = room.len() + ready.capacity();
        while batch.len() < limit {
            match rows.try_recv() {
                Some(Work::Send(row)) => batch.push(row),
                Some(work) => shared.count_unsent(&work),
                None => break,
            }
        }
        if *stop.borrow() || shared.stopped() {
            return;
        }
        let intents = batch.iter().map(|ready| Entry::Intent { row: ready.row }).collect();
        if let Err(error) = journal.durable(intents).await {
            shared.journal_failed(error);
            return;
        }
        // The room reserved first (a permit without a row is given back), then the room that
        // freed up meanwhile.
        let mut batch = batch.into_iter();
        for (permit, row) in room.zip(batch.by_ref()) {
            permit.send(row);
        }
        for row in batch {
            // Only this task fills the queue: the room counted above is still there.
            if let Err(mpsc::error::SendError(row)) = ready.send(row).await {
                release(&journal, &shared, row.row);
            }
        }
    }
}
