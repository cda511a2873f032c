//! Who hears about the rows as they go.

use std::sync::Arc;

use super::summary::{Counts, Pace};
use crate::journal::{Entry, RowRejection};

/// Told about the input once, then about every row: its outcome and the run's counts.
/// Called from the import's tasks: keep it quick (hand work to a channel).
pub trait Observer: Send + Sync {
    /// The input's line count, from the same read that fingerprints it, before any row is
    /// sent: an upper bound of its rows (a CSV's header line counts too), for a progress bar.
    fn input_lines(&self, _lines: u64) {}

    /// The run's counts after a row.
    fn progress(&self, _counts: &Counts) {}

    /// What became of row `row` (the data rows numbered from 0 in the input's order, as the
    /// journal numbers them) in this run, once the journal holds it.
    fn row(&self, _row: u64, _outcome: &RowOutcome) {}

    /// How the run goes: at most four times a second, while requests are answered.
    fn pace(&self, _pace: &Pace) {}
}

/// A shared observer, which the caller keeps a handle to (to read what it collected).
impl<T: Observer + ?Sized> Observer for Arc<T> {
    fn input_lines(&self, lines: u64) {
        (**self).input_lines(lines);
    }

    fn progress(&self, counts: &Counts) {
        (**self).progress(counts);
    }

    fn row(&self, row: u64, outcome: &RowOutcome) {
        (**self).row(row, outcome);
    }

    fn pace(&self, pace: &Pace) {
        (**self).pace(pace);
    }
}

/// What became of one row in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowOutcome {
    /// The API created the number.
    Created {
        /// The record's id.
        id: u64,
        /// The record's status.
        status: i64,
    },
    /// Sent again after an unknown outcome, and the API says it exists: created before.
    Exists,
    /// Rejected: by the API, or here before sending (`http_status` 0).
    Rejected(RowRejection),
    /// Sent, and nobody can tell whether it was created.
    Unknown {
        /// Why.
        reason: String,
    },
    /// Certainly not created; a resume sends it again.
    Failed {
        /// Why.
        reason: String,
    },
    /// Settled by an earlier run (or left unknown, without `retry_unknown`): not sent.
    Skipped,
}

impl RowOutcome {
    /// The outcome a journal entry records, if it records one.
    pub(super) fn of(entry: &Entry) -> Option<RowOutcome> {
        Some(match entry {
            Entry::Created { id, status, .. } => RowOutcome::Created { id: *id, status: *status },
            Entry::Exists { .. } => RowOutcome::Exists,
            Entry::Rejected { http_status, code, parameter, message, .. } => {
                RowOutcome::Rejected(RowRejection {
                    http_status: *http_status,
                    code: code.clone(),
                    parameter: parameter.clone(),
                    message: message.clone(),
                })
            }
            Entry::Unknown { reason, .. } => RowOutcome::Unknown { reason: reason.clone() },
            Entry::Failed { reason, .. } => RowOutcome::Failed { reason: reason.clone() },
            Entry::Begin { .. }
            | Entry::Resume { .. }
            | Entry::Intent { .. }
            | Entry::Released { .. } => return None,
        })
    }
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Silent;

impl Observer for Silent {}
