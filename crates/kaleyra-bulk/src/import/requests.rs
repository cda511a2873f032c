//! The run of a caller's requests: the same three stages as a file's, keyed by the caller's
//! ids, with a journal file only when the caller asks for one, and no reports.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};

use kaleyra_model::AddNumberRequest;
use kaleyra_transport::Client;
use tokio::sync::watch;

use super::pipeline::{blocking, send_all, settle};
use super::shared::Shared;
use super::{ImportError, ImportOptions, Observer, Summary};
use crate::journal::{self, JournalState, JournalWriter, RowState};
use crate::lock::Lock;
use crate::operation::Operation;
use crate::report::ReportCounts;

/// A caller's requests, each with its key.
pub(super) type Requests = Box<dyn Iterator<Item = (u64, AddNumberRequest)> + Send>;

/// What a journal of requests records in place of a file's fingerprint and format.
const REQUESTS: &str = "requests";

/// Runs an import of `requests`; see [`super::Import::from_requests`].
pub(super) async fn run(
    client: Client,
    mut options: ImportOptions,
    journal: Option<PathBuf>,
    requests: Requests,
    observer: Arc<dyn Observer>,
    stop: watch::Receiver<bool>,
) -> Result<Summary, ImportError> {
    // The requests are adds (their type says so), whatever the options say.
    options.operation = Operation::Add;
    if options.resume && journal.is_none() {
        return Err(ImportError::Paths(
            "a resume needs the journal of the run before it: set Import::journal".to_owned(),
        ));
    }
    let (state, writer, lock) = match &journal {
        None => (JournalState::default(), JournalWriter::discard(), None),
        Some(path) => {
            let (path, resume) = (path.clone(), options.resume);
            blocking(move || open(&path, resume)).await??
        }
    };
    if let (_, Some(rows)) = requests.size_hint() {
        observer.input_lines(rows as u64);
    }
    let shared = Arc::new(Shared::new(&options, observer));
    // Ids must be unique when a journal keys its rows by them: a second row with the same id
    // would take over the first one's entry.
    let mut seen = journal.as_ref().map(|_| HashSet::new());
    let normalize = options.normalize_numbers;
    let rows = move || {
        Ok(requests.map(move |(id, mut request)| {
            if normalize {
                kaleyra_validate::suggest::normalize_number(&mut request);
            }
            let repeated = seen.as_mut().is_some_and(|seen| !seen.insert(id));
            if repeated { Err(ImportError::DuplicateId(id)) } else { Ok((id, Ok(request.into()))) }
        }))
    };
    let result = send_all(client, &options, rows, state, writer, &shared, stop).await;
    let result = match result {
        Ok(interrupted) => summary(&shared, journal.clone(), interrupted).await,
        Err(error) => Err(error),
    };
    drop(lock);
    let begun = journal.as_deref().filter(|_| !options.resume);
    settle(result, &shared, begun)
}

/// Opens the journal (a new one, or the one to resume) and locks it.
fn open(
    path: &Path,
    resume: bool,
) -> Result<(JournalState, JournalWriter, Option<Lock>), ImportError> {
    let lock = Lock::acquire(path)?;
    if !resume {
        let writer = JournalWriter::create(path, REQUESTS, REQUESTS, Operation::Add, None)?;
        return Ok((JournalState::default(), writer, Some(lock)));
    }
    let state = journal::replay(path)?;
    if state.fingerprint != REQUESTS {
        return Err(ImportError::OtherInput {
            journal: path.to_owned(),
            recorded: state.fingerprint.clone(),
            actual: REQUESTS.to_owned(),
        });
    }
    Ok((state, JournalWriter::append(path, REQUESTS)?, Some(lock)))
}

/// The run's summary; its `reports` count every row the journal knows (this run's rows when
/// there is no journal file).
async fn summary(
    shared: &Shared,
    journal: Option<PathBuf>,
    interrupted: bool,
) -> Result<Summary, ImportError> {
    let counts = *shared.counts.lock().unwrap_or_else(PoisonError::into_inner);
    let reports = match journal {
        Some(path) => {
            let state = blocking(move || journal::replay(&path)).await??;
            tally(state.rows().map(|(_, state)| state))
        }
        None => ReportCounts {
            created: counts.created + counts.exists,
            rejected: counts.rejected,
            unknown: counts.unknown,
            failed: counts.failed,
        },
    };
    Ok(Summary {
        counts,
        reports,
        interrupted,
        authentication_failed: shared
            .authentication_failed
            .load(std::sync::atomic::Ordering::Relaxed),
        input_replaced: false,
        pace: shared.pace(),
    })
}

/// Rows per report, as a file's reports would count them.
fn tally(states: impl Iterator<Item = RowState>) -> ReportCounts {
    let mut counts = ReportCounts::default();
    for state in states {
        match state {
            RowState::Created | RowState::Exists => counts.created += 1,
            RowState::Rejected => counts.rejected += 1,
            RowState::Pending | RowState::Unknown => counts.unknown += 1,
            RowState::Failed => counts.failed += 1,
            RowState::Untouched => {}
        }
    }
    counts
}
