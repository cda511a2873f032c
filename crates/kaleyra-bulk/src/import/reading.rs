//! Stage one: the rows, read and validated on a thread of their own.

use tokio::sync::mpsc;

use super::intents::Ready;
use super::{ImportError, ImportOptions, RowOutcome};
use crate::journal::{JournalState, RowRejection, RowState};
use crate::operation::{Operation, Request};

/// A row as a source gives it: its key in the journal, and the request or why it is none.
pub(super) type SourceRow = crate::rows::KeyedRequest;

pub(super) enum Work {
    Send(Ready),
    Skip { row: u64 },
    Rejected { row: u64, outcome: RowOutcome },
}

/// Rows go from the reading thread in chunks of this many: handed over one by one, the thread
/// was woken for every row once the queue was full (a third of an import's futex calls).
pub(super) const CHUNK: usize = 64;

/// The reading thread's rows, taken one at a time out of its chunks.
pub(super) struct Rows {
    chunks: mpsc::Receiver<Vec<Work>>,
    current: std::vec::IntoIter<Work>,
}

impl Rows {
    pub(super) fn new(chunks: mpsc::Receiver<Vec<Work>>) -> Self {
        Rows { chunks, current: Vec::new().into_iter() }
    }

    /// The next row; `None` when the reading thread is done. Cancel-safe: a chunk is taken
    /// whole, in the poll that receives it.
    pub(super) async fn recv(&mut self) -> Option<Work> {
        loop {
            if let Some(work) = self.current.next() {
                return Some(work);
            }
            self.current = self.chunks.recv().await?.into_iter();
        }
    }

    /// The next row if one is there already.
    pub(super) fn try_recv(&mut self) -> Option<Work> {
        loop {
            if let Some(work) = self.current.next() {
                return Some(work);
            }
            self.current = self.chunks.try_recv().ok()?.into_iter();
        }
    }
}

/// Reads, validates and decides per row what to do; runs on a blocking thread.
pub(super) fn read_rows(
    options: &ImportOptions,
    rows: impl Iterator<Item = Result<SourceRow, ImportError>>,
    state: &JournalState,
    sender: &mpsc::Sender<Vec<Work>>,
) -> Result<(), ImportError> {
    let mut chunk = Vec::with_capacity(CHUNK);
    // False when the importer stopped taking rows.
    let hand_over = |chunk: &mut Vec<Work>| {
        chunk.is_empty()
            || sender.blocking_send(std::mem::replace(chunk, Vec::with_capacity(CHUNK))).is_ok()
    };
    for row in rows {
        let (index, request) = match row {
            Ok(row) => row,
            Err(error) => {
                // The rows before a bad one still go.
                hand_over(&mut chunk);
                return Err(error);
            }
        };
        // An update is idempotent: one that may have been applied is sent again without asking.
        let retry_unknown = options.retry_unknown || options.operation == Operation::Update;
        let resent = match state.state(index) {
            RowState::Untouched | RowState::Failed => Some(false),
            RowState::Unknown | RowState::Pending if retry_unknown => Some(true),
            _ => None,
        };
        let work = match resent {
            None => Work::Skip { row: index },
            Some(resent) => match request.as_ref().map(Request::validate) {
                Ok(Ok(request)) => {
                    Work::Send(Ready { row: index, request: Box::new(request), resent })
                }
                Ok(Err(rejection)) => {
                    let envelope = rejection.envelope();
                    let detail = envelope.detail();
                    let outcome = RowOutcome::Rejected(RowRejection {
                        http_status: 0,
                        code: detail.code.to_string(),
                        parameter: detail.parameter.clone(),
                        message: detail.message.clone(),
                    });
                    Work::Rejected { row: index, outcome }
                }
                Err(error) => {
                    let outcome = RowOutcome::Rejected(RowRejection {
                        http_status: 0,
                        code: error.code().to_owned(),
                        parameter: String::new(),
                        message: error.to_string(),
                    });
                    Work::Rejected { row: index, outcome }
                }
            },
        };
        chunk.push(work);
        if chunk.len() == CHUNK && !hand_over(&mut chunk) {
            return Ok(());
        }
    }
    hand_over(&mut chunk);
    Ok(())
}
