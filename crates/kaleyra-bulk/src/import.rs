//! The import: rows in, requests out with bounded concurrency and an optional rate, every step
//! journaled, a shared pause when the API says 429, and the reports at the end.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kaleyra_transport::{Client, Error};
use kaleyra_validate::{ValidatedRequest, validate};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::time::Instant;

use crate::fingerprint;
use crate::journal::{self, Entry, JournalError, JournalState, JournalWriter, RowState};
use crate::report::{self, ReportCounts, ReportError};
use crate::rows::{Format, InputError, RowReader};

/// How many times one row is put back after a 429 / 503 before it is given up as failed.
const MAX_RATE_LIMITED: u32 = 20;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub input: PathBuf,
    pub format: Format,
    pub journal: PathBuf,
    pub report_dir: PathBuf,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests started per second at most.
    pub rate_per_second: Option<f64>,
    /// Continue the import the journal records.
    pub resume: bool,
    /// On resume, send again the rows whose outcome is unknown. They may exist already: a
    /// duplicate rejection then counts as "already exists".
    pub retry_unknown: bool,
}

impl ImportOptions {
    /// `FILE.journal` beside the input.
    pub fn default_journal(input: &Path) -> PathBuf {
        let mut name = input.file_name().unwrap_or_default().to_owned();
        name.push(".journal");
        input.with_file_name(name)
    }

    /// `FILE-reports/` beside the input.
    pub fn default_report_dir(input: &Path) -> PathBuf {
        let mut name = input.file_name().unwrap_or_default().to_owned();
        name.push("-reports");
        input.with_file_name(name)
    }
}

/// What this run did, row by row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Rows read so far.
    pub rows: u64,
    pub created: u64,
    /// Resent rows that turned out to exist already.
    pub exists: u64,
    /// Rejected locally (never sent) or by the API.
    pub rejected: u64,
    pub unknown: u64,
    pub failed: u64,
    /// Rows an earlier run settled (or left unknown, without `retry_unknown`).
    pub skipped: u64,
}

/// How the import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub counts: Counts,
    /// The reports, over the whole file and every run so far.
    pub reports: ReportCounts,
    /// Stopped early by the caller (Ctrl-C).
    pub interrupted: bool,
    /// Stopped early because the API refused the credentials.
    pub authentication_failed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "the journal {journal} belongs to another input (fingerprint {recorded}, this file is {actual}): \
         resume with the file it was started with, or start a new journal"
    )]
    OtherInput { journal: PathBuf, recorded: String, actual: String },
    #[error("an import needs a file, not stdin: a resume must be able to read it again")]
    Stdin,
    #[error("the import task failed: {0}")]
    Task(String),
}

/// Told about progress after every row.
pub trait Observer: Send + Sync {
    fn progress(&self, _counts: &Counts) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Silent;

impl Observer for Silent {}

/// Runs the import until the input is done, `stop` turns true, or the credentials are refused.
pub async fn run(
    client: Client,
    options: ImportOptions,
    observer: Arc<dyn Observer>,
    mut stop: watch::Receiver<bool>,
) -> Result<Summary, ImportError> {
    if options.input == Path::new("-") {
        return Err(ImportError::Stdin);
    }
    let setup = {
        let options = options.clone();
        blocking(move || open_journal(&options)).await??
    };
    let (state, writer) = setup;
    let state = Arc::new(state);
    let journal = Arc::new(writer);

    // Rows are read and validated on a thread of their own; the channel's bound keeps memory flat.
    let (sender, mut receiver) = mpsc::channel::<Work>(options.concurrency.max(1) * 4);
    let reader = {
        let (options, state) = (options.clone(), state.clone());
        tokio::task::spawn_blocking(move || read_rows(&options, &state, &sender))
    };

    let shared = Arc::new(Shared {
        counts: Mutex::new(Counts::default()),
        gate: Gate::new(options.rate_per_second),
        observer,
        authentication_failed: std::sync::atomic::AtomicBool::new(false),
        journal_error: Mutex::new(None),
    });
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut in_flight = tokio::task::JoinSet::new();
    let mut interrupted = *stop.borrow();

    while !interrupted && !shared.stopped() {
        let work = tokio::select! {
            work = receiver.recv() => work,
            _ = stop.changed() => { interrupted = true; continue; }
        };
        let Some(work) = work else { break };
        match work {
            Work::Skip => shared.count(|c| c.skipped += 1),
            Work::Rejected => shared.count(|c| c.rejected += 1),
            Work::Send { row, request, resent } => {
                let permit = tokio::select! {
                    permit = permits.clone().acquire_owned() => permit,
                    _ = stop.changed() => { interrupted = true; continue; }
                };
                let Ok(permit) = permit else { break };
                let mut batch = vec![(row, request, resent, permit)];
                if shared.gate.interval.is_none() {
                    gather(&mut batch, &permits, &mut receiver, &shared);
                }
                // Intents are written right before their rows go out: after any pause.
                shared.gate.wait().await;
                if shared.stopped() {
                    break;
                }
                // One fsync for the batch; rows in flight go on meanwhile and free permits,
                // so the next batch is about as large as the concurrency.
                let intents = batch.iter().map(|(row, ..)| Entry::Intent { row: *row }).collect();
                if let Err(error) = journal.durable(intents).await {
                    *shared.journal_error.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some(error);
                    break;
                }
                // Reap finished tasks as we go so the set stays as small as the concurrency.
                while in_flight.try_join_next().is_some() {}
                for (row, request, resent, permit) in batch {
                    let (client, journal, shared) =
                        (client.clone(), journal.clone(), shared.clone());
                    in_flight.spawn(async move {
                        let _permit = permit;
                        if let Err(error) =
                            send_row(&client, &journal, &shared, row, &request, resent).await
                        {
                            *shared.journal_error.lock().unwrap_or_else(PoisonError::into_inner) =
                                Some(error);
                        }
                    });
                }
            }
        }
    }
    // Stop reading; let the rows in flight finish.
    drop(receiver);
    while let Some(finished) = in_flight.join_next().await {
        finished.map_err(|e| ImportError::Task(e.to_string()))?;
    }
    reader.await.map_err(|e| ImportError::Task(e.to_string()))??;

    let journal = Arc::try_unwrap(journal)
        .map_err(|_| ImportError::Task("journal still in use".to_owned()))?;
    blocking(move || journal.close()).await??;
    if let Some(error) = shared.journal_error.lock().unwrap_or_else(PoisonError::into_inner).take()
    {
        return Err(error.into());
    }

    let authentication_failed = shared.stopped();
    let unsent = if authentication_failed {
        "not sent: the import stopped when the API refused the credentials"
    } else if interrupted {
        "not sent: the import was interrupted; --resume sends it"
    } else {
        "not sent"
    };
    let reports = {
        let options = options.clone();
        blocking(move || {
            let state = journal::replay(&options.journal)?;
            Ok::<_, ImportError>(report::write(
                &options.report_dir,
                &options.input,
                options.format,
                &state,
                unsent,
            )?)
        })
        .await??
    };
    let counts = *shared.counts.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(Summary { counts, reports, interrupted, authentication_failed })
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ImportError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ImportError::Task(e.to_string()))
}

fn open_journal(options: &ImportOptions) -> Result<(JournalState, JournalWriter), ImportError> {
    let actual = fingerprint::of_file(&options.input)
        .map_err(|source| ImportError::Read { path: options.input.clone(), source })?;
    if options.resume {
        let state = journal::replay(&options.journal)?;
        if state.fingerprint != actual {
            return Err(ImportError::OtherInput {
                journal: options.journal.clone(),
                recorded: state.fingerprint.clone(),
                actual,
            });
        }
        let writer = JournalWriter::append(&options.journal, &actual)?;
        Ok((state, writer))
    } else {
        let writer = JournalWriter::create(&options.journal, &actual, options.format.as_str())?;
        Ok((JournalState::default(), writer))
    }
}

enum Work {
    Send { row: u64, request: Box<ValidatedRequest>, resent: bool },
    Skip,
    Rejected,
}

/// Reads, validates and decides per row what to do; runs on a blocking thread.
fn read_rows(
    options: &ImportOptions,
    state: &JournalState,
    sender: &mpsc::Sender<Work>,
) -> Result<(), ImportError> {
    let rows = RowReader::open(&options.input, options.format)?;
    for row in rows {
        let row = row?;
        let resent = match state.state(row.index) {
            RowState::Untouched | RowState::Failed => false,
            RowState::Unknown | RowState::Pending if options.retry_unknown => true,
            _ => {
                if sender.blocking_send(Work::Skip).is_err() {
                    return Ok(());
                }
                continue;
            }
        };
        let work = match row.request.as_ref().map(validate) {
            Ok(Ok(request)) => Work::Send { row: row.index, request: Box::new(request), resent },
            _ => Work::Rejected,
        };
        if sender.blocking_send(work).is_err() {
            // The importer stopped taking rows.
            return Ok(());
        }
    }
    Ok(())
}

struct Shared {
    counts: Mutex<Counts>,
    gate: Gate,
    observer: Arc<dyn Observer>,
    authentication_failed: std::sync::atomic::AtomicBool,
    journal_error: Mutex<Option<JournalError>>,
}

impl Shared {
    fn count(&self, update: impl FnOnce(&mut Counts)) {
        let counts = {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            counts.rows += 1;
            update(&mut counts);
            *counts
        };
        self.observer.progress(&counts);
    }

    fn stopped(&self) -> bool {
        self.authentication_failed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Rows ready to go while permits are free, without waiting for either: what one fsync covers.
fn gather(
    batch: &mut Vec<(u64, Box<ValidatedRequest>, bool, OwnedSemaphorePermit)>,
    permits: &Arc<Semaphore>,
    receiver: &mut mpsc::Receiver<Work>,
    shared: &Shared,
) {
    while let Ok(permit) = permits.clone().try_acquire_owned() {
        match receiver.try_recv() {
            Ok(Work::Send { row, request, resent }) => batch.push((row, request, resent, permit)),
            Ok(Work::Skip) => shared.count(|c| c.skipped += 1),
            Ok(Work::Rejected) => shared.count(|c| c.rejected += 1),
            Err(_) => return,
        }
    }
}

/// Sends one row whose intent is on disk, and records the outcome. Only a journal failure is
/// an error.
async fn send_row(
    client: &Client,
    journal: &JournalWriter,
    shared: &Shared,
    row: u64,
    request: &ValidatedRequest,
    resent: bool,
) -> Result<(), JournalError> {
    let mut rate_limited = 0;
    loop {
        let result = client.add_number(request).await;
        let entry = match result {
            Ok(created) => {
                let (id, status) = created.record().map_or((0, 0), |r| (r.id, r.status));
                shared.count(|c| c.created += 1);
                Entry::Created { row, id, status }
            }
            Err(Error::RateLimited { retry_after } | Error::Unavailable { retry_after })
                if rate_limited < MAX_RATE_LIMITED =>
            {
                // Not processed, says the server: pause everyone, then send this row again.
                rate_limited += 1;
                let backoff = Duration::from_millis(250u64 << rate_limited.min(6));
                shared.gate.pause(retry_after.unwrap_or(backoff));
                shared.gate.wait().await;
                continue;
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
                shared.authentication_failed.store(true, std::sync::atomic::Ordering::Relaxed);
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
        };
        return journal.record(entry);
    }
}

/// The shared pacing of all workers: the rate limit, and pauses the API asked for.
struct Gate {
    interval: Option<Duration>,
    state: Mutex<(Instant, Instant)>,
}

impl Gate {
    fn new(rate_per_second: Option<f64>) -> Self {
        let interval = rate_per_second
            .filter(|rate| rate.is_finite() && *rate > 0.0)
            .map(|rate| Duration::from_secs_f64(1.0 / rate));
        let now = Instant::now();
        Gate { interval, state: Mutex::new((now, now)) }
    }

    /// Waits for this worker's turn (no timer at all when it is now).
    async fn wait(&self) {
        let at = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let (next_slot, paused_until) = &mut *state;
            let mut at = Instant::now().max(*paused_until);
            if let Some(interval) = self.interval {
                at = at.max(*next_slot);
                *next_slot = at + interval;
            }
            at
        };
        if at > Instant::now() {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Holds every worker back for `duration`.
    fn pause(&self, duration: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = state.1.max(Instant::now() + duration);
    }
}
