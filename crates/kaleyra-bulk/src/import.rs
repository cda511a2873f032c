//! The import: rows in, requests out with bounded concurrency and an optional rate, every step
//! journaled, a shared pause when the API says 429, and the reports at the end.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kaleyra_transport::{Client, Error};
use kaleyra_validate::{ValidatedRequest, validate};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::adaptive::{Answer, Controller, Limiter, Permit};
use crate::claim::Claim;
use crate::fingerprint;
use crate::input::{Change, Input};
use crate::journal::{self, Entry, JournalError, JournalState, JournalWriter, RowState};
use crate::lock::LockError;
use crate::report::{self, Manifest, ReportCounts, ReportError};
use crate::rows::{Format, InputError};

/// How many times one row is put back after a 429 / 503 before it is given up as failed.
const MAX_RATE_LIMITED: u32 = 20;

/// What to import and how. [`ImportOptions::new`] gives the defaults; [`Import`] sets them
/// one by one.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImportOptions {
    /// The CSV or JSONL file.
    pub input: PathBuf,
    /// What the input holds.
    pub format: Format,
    /// The journal (see [`ImportOptions::default_journal`]).
    pub journal: PathBuf,
    /// Where the reports go (see [`ImportOptions::default_report_dir`]). It is replaced as a
    /// whole at the end of every run, so it holds nothing but reports.
    pub report_dir: PathBuf,
    /// Requests in flight at once: fixed, or found from the server's answers (the default).
    pub concurrency: Concurrency,
    /// Rows whose intents are made durable ahead of sending: one fsync covers about half of
    /// them, so no row waits for the disk. After a crash (not an interruption) these rows are
    /// reported as unknown, although they were not sent; 1 is the most precise and the slowest.
    /// See [`ImportOptions::DEFAULT_INTENTS_AHEAD`] and [`ImportOptions::rows_ahead`].
    pub intents_ahead: usize,
    /// Requests started per second at most.
    pub rate_per_second: Option<f64>,
    /// The longest pause a `Retry-After` (or the backoff after a 429) may impose; a server
    /// asking for more waits this long and is asked again.
    pub max_retry_wait: Duration,
    /// Continue the import the journal records.
    pub resume: bool,
    /// On resume, send again the rows whose outcome is unknown. They may exist already: a
    /// duplicate rejection then counts as "already exists".
    pub retry_unknown: bool,
}

impl ImportOptions {
    /// The default [`Concurrency::Adaptive`] ceiling: the vendor's published rate limit
    /// (about 167 requests per second) at a round trip of 1.5 s.
    pub const DEFAULT_MAX_CONCURRENCY: usize = 256;

    /// One fsync (0.1 to 0.3 ms on common disks) per 64 rows: at the default concurrency of 8
    /// an import against a fast server then runs at more than half the rate of a load generator
    /// posting without a journal (`docs/benchmarks.md`); 64 ran at about half.
    pub const DEFAULT_INTENTS_AHEAD: usize = 128;

    /// The default [`ImportOptions::max_retry_wait`], the transport's own cap.
    pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

    /// A fresh import of `input` with the default journal and report directory beside it,
    /// adaptive concurrency (at most [`ImportOptions::DEFAULT_MAX_CONCURRENCY`]) and no rate
    /// limit.
    pub fn new(input: impl Into<PathBuf>, format: Format) -> ImportOptions {
        let input = input.into();
        ImportOptions {
            journal: ImportOptions::default_journal(&input),
            report_dir: ImportOptions::default_report_dir(&input),
            input,
            format,
            concurrency: Concurrency::Adaptive { max: ImportOptions::DEFAULT_MAX_CONCURRENCY },
            intents_ahead: ImportOptions::DEFAULT_INTENTS_AHEAD,
            rate_per_second: None,
            max_retry_wait: ImportOptions::DEFAULT_MAX_RETRY_WAIT,
            resume: false,
            retry_unknown: false,
        }
    }

    /// How many rows may wait with a durable intent: `intents_ahead`, but under a rate no more
    /// than 10 ms of rows (at least one), so that a crash during a slow import does not leave
    /// minutes of unsent rows unknown.
    pub fn rows_ahead(&self) -> usize {
        let most = self.intents_ahead.max(1);
        match self.rate_per_second.filter(|rate| rate.is_finite() && *rate > 0.0) {
            Some(rate) => ((rate / 100.0).ceil() as usize).clamp(1, most),
            None => most,
        }
    }

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

/// How many requests an import keeps in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Concurrency {
    /// Exactly this many (at least one); a 429 pauses every request for the wait the server
    /// asked for.
    Fixed(usize),
    /// As many as the server takes without throttling or slowing down, found from its answers
    /// (see `docs/performance.md`), never more than `max`: a few at first, doubling every round
    /// trip until a 429 or rising latency, then held near the ceiling. The rate requests start
    /// at is learnt too, once a 429 shows the server counts them. A throttled row waits the
    /// `Retry-After` the server gave it, alone; everyone waits only when nothing gets through.
    Adaptive {
        /// The most requests in flight.
        max: usize,
    },
}

impl Concurrency {
    /// The most requests it ever has in flight.
    pub fn max(&self) -> usize {
        match *self {
            Concurrency::Fixed(n) | Concurrency::Adaptive { max: n } => n.max(1),
        }
    }
}

/// An import, set up step by step: the client and the file, then only what differs from the
/// defaults of [`ImportOptions::new`]. [`Import::run`] runs it.
///
/// ```no_run
/// # async fn demo(client: kaleyra_transport::Client) -> Result<(), kaleyra_bulk::import::ImportError> {
/// use kaleyra_bulk::import::Import;
///
/// let summary = Import::new(client, "numbers.csv")?
///     .concurrency(16)
///     .rate_per_second(100.0)
///     .run()
///     .await?;
/// println!("{} created", summary.counts.created);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Import {
    client: Client,
    options: ImportOptions,
    observer: Arc<dyn Observer>,
    stop: watch::Receiver<bool>,
}

impl std::fmt::Debug for Import {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Import").field("options", &self.options).finish_non_exhaustive()
    }
}

impl Import {
    /// An import of `input`, its format told by its extension (`.csv`, `.jsonl`, `.ndjson`).
    pub fn new(client: Client, input: impl Into<PathBuf>) -> Result<Import, ImportError> {
        let input = input.into();
        let format = Format::from_path(&input).ok_or_else(|| {
            ImportError::Paths(format!(
                "{}: cannot tell the format from the name: use .csv or .jsonl, or Import::with_format",
                input.display()
            ))
        })?;
        Ok(Import::with_format(client, input, format))
    }

    /// An import of `input` in `format`, whatever its name.
    pub fn with_format(client: Client, input: impl Into<PathBuf>, format: Format) -> Import {
        // A receiver whose sender is gone never asks to stop.
        let (_, stop) = watch::channel(false);
        let options = ImportOptions::new(input, format);
        Import { client, options, observer: Arc::new(Silent), stop }
    }

    /// The journal (default: [`ImportOptions::default_journal`]).
    #[must_use]
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Import {
        self.options.journal = path.into();
        self
    }

    /// The report directory (default: [`ImportOptions::default_report_dir`]).
    #[must_use]
    pub fn report_dir(mut self, path: impl Into<PathBuf>) -> Import {
        self.options.report_dir = path.into();
        self
    }

    /// Exactly this many requests in flight (at least 1), instead of finding the server's
    /// ceiling.
    #[must_use]
    pub fn concurrency(mut self, requests: usize) -> Import {
        self.options.concurrency = Concurrency::Fixed(requests.max(1));
        self
    }

    /// Find the server's ceiling, with at most this many requests in flight (the default, with
    /// [`ImportOptions::DEFAULT_MAX_CONCURRENCY`]).
    #[must_use]
    pub fn max_concurrency(mut self, requests: usize) -> Import {
        self.options.concurrency = Concurrency::Adaptive { max: requests.max(1) };
        self
    }

    /// Rows whose intents are made durable ahead of sending ([`ImportOptions::intents_ahead`]).
    #[must_use]
    pub fn intents_ahead(mut self, rows: usize) -> Import {
        self.options.intents_ahead = rows.max(1);
        self
    }

    /// Requests started per second at most (default: no limit).
    #[must_use]
    pub fn rate_per_second(mut self, rate: f64) -> Import {
        self.options.rate_per_second = Some(rate);
        self
    }

    /// The longest pause the server may impose ([`ImportOptions::max_retry_wait`]).
    #[must_use]
    pub fn max_retry_wait(mut self, wait: Duration) -> Import {
        self.options.max_retry_wait = wait;
        self
    }

    /// Continue the import the journal records instead of starting one.
    #[must_use]
    pub fn resume(mut self, resume: bool) -> Import {
        self.options.resume = resume;
        self
    }

    /// On resume, send again the rows whose outcome is unknown ([`ImportOptions::retry_unknown`]).
    #[must_use]
    pub fn retry_unknown(mut self, retry: bool) -> Import {
        self.options.retry_unknown = retry;
        self
    }

    /// Who is told about progress and about every row's outcome (default: nobody).
    #[must_use]
    pub fn observer(mut self, observer: impl Observer + 'static) -> Import {
        self.observer = Arc::new(observer);
        self
    }

    /// Stops the import (each row in flight finished, the reports written) once `stop` turns
    /// true; a sender dropped never stops it.
    #[must_use]
    pub fn stop_when(mut self, stop: watch::Receiver<bool>) -> Import {
        self.stop = stop;
        self
    }

    /// The options as they stand.
    pub fn options(&self) -> &ImportOptions {
        &self.options
    }

    /// Runs it: see [`run`].
    pub async fn run(self) -> Result<Summary, ImportError> {
        run(self.client, self.options, self.observer, self.stop).await
    }
}

/// What this run did, row by row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Counts {
    /// Rows read so far.
    pub rows: u64,
    /// Rows the API created.
    pub created: u64,
    /// Resent rows that turned out to exist already.
    pub exists: u64,
    /// Rejected locally (never sent) or by the API.
    pub rejected: u64,
    /// Rows that may or may not have been created.
    pub unknown: u64,
    /// Rows certainly not created.
    pub failed: u64,
    /// Rows an earlier run settled (or left unknown, without `retry_unknown`).
    pub skipped: u64,
}

/// How the import ended.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// This run's rows.
    pub counts: Counts,
    /// The reports, over the whole file and every run so far.
    pub reports: ReportCounts,
    /// Stopped early by the caller (Ctrl-C, a signal).
    pub interrupted: bool,
    /// Stopped early because the API refused the credentials.
    pub authentication_failed: bool,
    /// Another file was moved to the input's path during the run. The run read, and reports,
    /// the file it started with; a `--resume` needs that file back.
    pub input_replaced: bool,
    /// How the run went: requests, throttling, time.
    pub pace: Pace,
}

/// How fast a run went and how often the server throttled it.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Pace {
    /// Requests sent, retries after a 429 included.
    pub requests: u64,
    /// Of those, answered 429 (or 503 with `Retry-After`).
    pub throttled: u64,
    /// From the first request to the last answer.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
    /// Requests allowed in flight now (the limit the import holds, fixed or learnt).
    pub concurrency: usize,
    /// Requests per second the import paces itself at now, if it learnt a limit.
    pub learnt_rate: Option<f64>,
}

impl Pace {
    /// Requests answered per second, over the run.
    pub fn requests_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 { self.requests as f64 / seconds } else { 0.0 }
    }
}

fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

/// Why an import did not run to its end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input cannot be read.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The journal cannot be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The reports cannot be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Another import holds the journal or the report directory.
    #[error(transparent)]
    Locked(#[from] LockError),
    /// A file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The report directory cannot be made or written.
    #[error("the report directory {path} cannot be used: {source}")]
    ReportDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The input, journal and report directory do not go together.
    #[error("{0}")]
    Paths(String),
    /// The journal is missing, cut short or replaced while reports of it say rows were sent.
    #[error("{0}")]
    JournalLost(String),
    /// The journal belongs to another input.
    #[error(
        "the journal {journal} belongs to another input (fingerprint {recorded}, this file is {actual}): \
         resume with the file it was started with, or start a new journal"
    )]
    OtherInput {
        /// The journal.
        journal: PathBuf,
        /// The fingerprint it records.
        recorded: String,
        /// The input's.
        actual: String,
    },
    /// The input was edited while the import read it.
    #[error(
        "{input} changed during the import (now {now}): rows read after the change may not be \
         the rows the journal names, so no reports were written. The journal is kept: put the \
         original file back and run again with --resume"
    )]
    InputChanged {
        /// The input.
        input: PathBuf,
        /// Its fingerprint now.
        now: String,
    },
    /// The input is stdin, which cannot be read a second time.
    #[error("an import needs a file, not stdin: a resume must be able to read it again")]
    Stdin,
    /// An internal task failed.
    #[error("the import task failed: {0}")]
    Task(String),
    /// Something failed after rows had been sent: they are in the journal.
    #[error(
        "{source}\n{sent} row(s) were sent before this (the journal records each, so none is \
         sent twice): fix the cause and run again with --resume, which also writes the reports"
    )]
    AfterSending {
        /// Rows sent in this run.
        sent: u64,
        /// What failed.
        source: Box<ImportError>,
    },
}

impl ImportError {
    /// Whether rows may have been sent (and so created) before the error.
    pub fn after_sending(&self) -> bool {
        matches!(self, ImportError::AfterSending { .. })
    }
}

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
    /// Rejected: by the API, or here before sending (`http_status` 0), with the envelope's
    /// code, parameter and message (`E900`/`E920` for a row that is not a request).
    Rejected {
        /// The HTTP status; 0 when the row was not sent.
        http_status: u16,
        /// The error code.
        code: String,
        /// The field at fault, when one is.
        parameter: String,
        /// The message.
        message: String,
    },
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
    fn of(entry: &Entry) -> Option<RowOutcome> {
        Some(match entry {
            Entry::Created { id, status, .. } => RowOutcome::Created { id: *id, status: *status },
            Entry::Exists { .. } => RowOutcome::Exists,
            Entry::Rejected { http_status, code, parameter, message, .. } => RowOutcome::Rejected {
                http_status: *http_status,
                code: code.clone(),
                parameter: parameter.clone(),
                message: message.clone(),
            },
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

/// Runs the import until the input is done, `stop` turns true, or the credentials are refused.
/// A `stop` whose sender is dropped never stops the import.
///
/// Before any row is sent the input, the journal and the report directory are checked and the
/// journal and the report directory locked: a second import on either is refused at once.
/// An error before sending leaves nothing behind (a journal this run created is removed); an
/// error after is [`ImportError::AfterSending`].
pub async fn run(
    client: Client,
    options: ImportOptions,
    observer: Arc<dyn Observer>,
    stop: watch::Receiver<bool>,
) -> Result<Summary, ImportError> {
    if options.input == Path::new("-") {
        return Err(ImportError::Stdin);
    }
    let prepared = {
        let options = options.clone();
        blocking(move || prepare(&options)).await??
    };
    let Prepared { input, claim, state, writer } = prepared;
    observer.input_lines(input.lines());
    let input = Arc::new(input);
    let now = Instant::now();
    let controller = match options.concurrency {
        Concurrency::Fixed(n) => Controller::fixed(n, now),
        Concurrency::Adaptive { max } => Controller::adaptive(INITIAL_CONCURRENCY, max, now),
    };
    let shared = Arc::new(Shared {
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
    });
    let result = import(client, &options, &input, &claim, state, writer, &shared, stop).await;
    let sent = shared.sent.load(Ordering::Relaxed);
    match result {
        Err(error) if sent > 0 => Err(ImportError::AfterSending { sent, source: Box::new(error) }),
        Err(error) => {
            if !options.resume {
                // Nothing was sent: the journal this run began would only block the next one.
                let _ = std::fs::remove_file(&options.journal);
            }
            Err(error)
        }
        Ok(summary) => Ok(summary),
    }
}

/// What is ready before the first row: the input open, the claim made, the journal open.
struct Prepared {
    input: Input,
    claim: Claim,
    state: JournalState,
    writer: JournalWriter,
}

/// Opens and checks everything, in an order that leaves nothing behind when it fails: the
/// input and its header, then the claim on the files, then the journal.
fn prepare(options: &ImportOptions) -> Result<Prepared, ImportError> {
    let input = Input::open(&options.input).map_err(|error| match error {
        InputError::Io(source) => ImportError::Read { path: options.input.clone(), source },
        other => other.into(),
    })?;
    input.rows(options.format)?;
    let claim = Claim::make(options, &input)?;
    let actual = input.fingerprint().to_owned();
    let (state, writer) = if options.resume {
        let state = journal::replay(&options.journal)?;
        if state.fingerprint != actual {
            return Err(ImportError::OtherInput {
                journal: options.journal.clone(),
                recorded: state.fingerprint.clone(),
                actual,
            });
        }
        (state, JournalWriter::append(&options.journal, &actual)?)
    } else {
        let writer = JournalWriter::create(&options.journal, &actual, options.format.as_str())?;
        (JournalState::default(), writer)
    };
    Ok(Prepared { input, claim, state, writer })
}

/// Sends every row, then writes the reports.
#[allow(clippy::too_many_arguments)]
async fn import(
    client: Client,
    options: &ImportOptions,
    input: &Arc<Input>,
    claim: &Claim,
    state: JournalState,
    writer: JournalWriter,
    shared: &Arc<Shared>,
    stop: watch::Receiver<bool>,
) -> Result<Summary, ImportError> {
    let state = Arc::new(state);
    let journal = Arc::new(writer);

    // Rows are read and validated on a thread of their own; the channel's bound keeps memory flat.
    let (sender, receiver) = mpsc::channel::<Vec<Work>>(2);
    let reader = {
        let (options, state, input) = (options.clone(), state.clone(), input.clone());
        tokio::task::spawn_blocking(move || read_rows(&options, &input, &state, &sender))
    };

    // Intents are made durable ahead of the rows in flight, so that no row waits for an fsync:
    // at most `intents_ahead` rows wait to be sent with a durable intent.
    let concurrency = options.concurrency.max();
    let (ready, waiting) = mpsc::channel::<Ready>(options.rows_ahead());
    let intents = tokio::spawn(write_intents(
        Rows::new(receiver),
        ready,
        journal.clone(),
        shared.clone(),
        stop.clone(),
    ));
    let waiting = Arc::new(tokio::sync::Mutex::new(waiting));
    // One long-lived task per slot: a row finishing hands its slot straight to the next one.
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        senders.spawn(send_rows(
            waiting.clone(),
            client.clone(),
            journal.clone(),
            shared.clone(),
            stop.clone(),
        ));
    }
    while let Some(finished) = senders.join_next().await {
        finished.map_err(|e| ImportError::Task(e.to_string()))?;
    }
    // Rows left waiting with a durable intent were not sent: withdraw their intents.
    let mut waiting = waiting.lock().await;
    waiting.close();
    while let Some(ready) = waiting.recv().await {
        release(&journal, shared, ready.row);
    }
    drop(waiting);
    let interrupted = *stop.borrow();
    intents.await.map_err(|e| ImportError::Task(e.to_string()))?;
    reader.await.map_err(|e| ImportError::Task(e.to_string()))??;

    let journal = Arc::try_unwrap(journal)
        .map_err(|_| ImportError::Task("journal still in use".to_owned()))?;
    blocking(move || journal.close()).await??;
    if let Some(error) = shared.journal_error.lock().unwrap_or_else(PoisonError::into_inner).take()
    {
        return Err(error.into());
    }

    let authentication_failed = shared.authentication_failed.load(Ordering::Relaxed);
    let unsent = if authentication_failed {
        "not sent: the import stopped when the API refused the credentials"
    } else if interrupted {
        "not sent: the import was interrupted; --resume sends it"
    } else {
        "not sent"
    };
    let (reports, input_replaced) = {
        let (options, input) = (options.clone(), input.clone());
        let (journal_path, input_path) = (claim.journal.clone(), claim.input.clone());
        blocking(move || {
            let input_replaced = match input.change() {
                Ok(Change::None) => false,
                Ok(Change::Replaced) => true,
                Ok(Change::Edited(now)) => {
                    return Err(ImportError::InputChanged { input: options.input.clone(), now });
                }
                Err(source) => {
                    return Err(ImportError::Read { path: options.input.clone(), source });
                }
            };
            let state = journal::replay(&options.journal)?;
            let journal_bytes = std::fs::metadata(&options.journal)
                .map_err(|source| ImportError::Read { path: options.journal.clone(), source })?
                .len();
            let checksum = fingerprint::of_prefix(&options.journal, journal_bytes)
                .map_err(|source| ImportError::Read { path: options.journal.clone(), source })?
                .unwrap_or_default();
            let fingerprint = input.fingerprint().to_owned();
            let reports = report::write(
                &options.report_dir,
                input.rows(options.format)?,
                &state,
                unsent,
                |counts| {
                    Manifest::new(
                        journal_path,
                        journal_bytes,
                        checksum,
                        input_path,
                        fingerprint,
                        counts,
                    )
                },
            )?;
            Ok::<_, ImportError>((reports, input_replaced))
        })
        .await??
    };
    let counts = *shared.counts.lock().unwrap_or_else(PoisonError::into_inner);
    let pace = shared.pace();
    Ok(Summary { counts, reports, interrupted, authentication_failed, input_replaced, pace })
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ImportError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ImportError::Task(e.to_string()))
}

/// Resolves once `stop` says stop; never when its sender is gone (nobody can ask any more).
async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

enum Work {
    Send(Ready),
    Skip { row: u64 },
    Rejected { row: u64, outcome: RowOutcome },
}

/// Rows go from the reading thread in chunks of this many: handed over one by one, the thread
/// was woken for every row once the queue was full (a third of an import's futex calls).
const CHUNK: usize = 64;

/// The reading thread's rows, taken one at a time out of its chunks.
struct Rows {
    chunks: mpsc::Receiver<Vec<Work>>,
    current: std::vec::IntoIter<Work>,
}

impl Rows {
    fn new(chunks: mpsc::Receiver<Vec<Work>>) -> Self {
        Rows { chunks, current: Vec::new().into_iter() }
    }

    /// The next row; `None` when the reading thread is done. Cancel-safe: a chunk is taken
    /// whole, in the poll that receives it.
    async fn recv(&mut self) -> Option<Work> {
        loop {
            if let Some(work) = self.current.next() {
                return Some(work);
            }
            self.current = self.chunks.recv().await?.into_iter();
        }
    }

    /// The next row if one is there already.
    fn try_recv(&mut self) -> Option<Work> {
        loop {
            if let Some(work) = self.current.next() {
                return Some(work);
            }
            self.current = self.chunks.try_recv().ok()?.into_iter();
        }
    }
}

/// Reads, validates and decides per row what to do; runs on a blocking thread.
fn read_rows(
    options: &ImportOptions,
    input: &Input,
    state: &JournalState,
    sender: &mpsc::Sender<Vec<Work>>,
) -> Result<(), ImportError> {
    let rows = input.rows(options.format)?;
    let mut chunk = Vec::with_capacity(CHUNK);
    // False when the importer stopped taking rows.
    let hand_over = |chunk: &mut Vec<Work>| {
        chunk.is_empty()
            || sender.blocking_send(std::mem::replace(chunk, Vec::with_capacity(CHUNK))).is_ok()
    };
    for row in rows {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                // The rows before a bad one still go.
                hand_over(&mut chunk);
                return Err(error.into());
            }
        };
        let resent = match state.state(row.index) {
            RowState::Untouched | RowState::Failed => Some(false),
            RowState::Unknown | RowState::Pending if options.retry_unknown => Some(true),
            _ => None,
        };
        let work = match resent {
            None => Work::Skip { row: row.index },
            Some(resent) => match row.request.as_ref().map(validate) {
                Ok(Ok(request)) => {
                    Work::Send(Ready { row: row.index, request: Box::new(request), resent })
                }
                Ok(Err(rejection)) => {
                    let envelope = rejection.envelope();
                    let detail = envelope.detail();
                    let outcome = RowOutcome::Rejected {
                        http_status: 0,
                        code: detail.code.to_string(),
                        parameter: detail.parameter.clone(),
                        message: detail.message.clone(),
                    };
                    Work::Rejected { row: row.index, outcome }
                }
                Err(error) => {
                    let outcome = RowOutcome::Rejected {
                        http_status: 0,
                        code: error.code().to_owned(),
                        parameter: String::new(),
                        message: error.to_string(),
                    };
                    Work::Rejected { row: row.index, outcome }
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

struct Shared {
    counts: Mutex<Counts>,
    gate: Gate,
    /// Requests in flight, and what the answers taught about the server's ceiling.
    limiter: Limiter,
    adaptive: bool,
    clock: Mutex<Clock>,
    /// 429s since the last request that got through.
    throttled_in_a_row: AtomicU64,
    /// The longest pause the server may impose.
    max_wait: Duration,
    /// Rows sent in this run (their first attempt started).
    sent: AtomicU64,
    observer: Arc<dyn Observer>,
    authentication_failed: AtomicBool,
    /// The credentials were refused or the journal failed: nothing more is sent.
    halted: AtomicBool,
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

    /// Counts a row that is not sent: skipped (settled earlier) or rejected before sending.
    fn count_unsent(&self, work: &Work) {
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
    fn journal_failed(&self, error: JournalError) {
        self.journal_error.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(error);
        self.halted.store(true, Ordering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.halted.load(Ordering::Relaxed)
    }

    fn pace(&self) -> Pace {
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
    fn answered(&self, started: Instant) {
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
struct Clock {
    requests: u64,
    first: Option<Instant>,
    last: Option<Instant>,
    reported: Option<Instant>,
}

/// How often the observer hears how the run goes.
const PACE_EVERY: Duration = Duration::from_millis(250);
/// Requests in flight at the start of an adaptive import.
const INITIAL_CONCURRENCY: usize = 16;
/// 429s in a row (nothing got through in between), on top of twice the limit on requests in
/// flight, after which every sender waits, not only the throttled rows: a burst of 429s to
/// requests sent together is no reason to stop everyone.
const THROTTLED_IN_A_ROW: u64 = 8;

/// A row whose intent is on disk, waiting for a free slot.
struct Ready {
    row: u64,
    request: Box<ValidatedRequest>,
    resent: bool,
}

/// Stage one: once half the queue of ready rows is free, takes as many rows as it has room for,
/// makes their intents durable with one fsync, and queues them. Counts the rows that are not
/// sent. Stops when the rows run out, the import is stopped, or the senders are gone.
async fn write_intents(
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

/// Stage two, one task per slot: sends ready rows one after the other (after any pause the API
/// asked for, at the rate allowed) until the queue ends, the import is stopped, or the
/// credentials are refused. The row in hand is always finished.
async fn send_rows(
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
        shared.gate.wait(&shared.limiter).await;
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
fn release(journal: &JournalWriter, shared: &Shared, row: u64) {
    if let Err(error) = journal.record(Entry::Released { row }) {
        shared.journal_failed(error);
    }
}

/// One row whose intent is on disk, on its way.
struct Sending<'a> {
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
        request: &ValidatedRequest,
        mut permit: Permit<'_>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), JournalError> {
        let Sending { shared, row, .. } = *self;
        let mut rate_limited = 0;
        shared.sent.fetch_add(1, Ordering::Relaxed);
        loop {
            permit.sending();
            let started = Instant::now();
            let result = self.client.add_number(request).await;
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
                    } else {
                        // This row alone waits, a little longer or shorter than asked, so that
                        // the rows throttled together do not come back together.
                        let wait = wait.mul_f64(jitter(0.75, 1.25));
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
                    shared.gate.wait(&shared.limiter).await;
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
    fn entry(&self, result: Result<kaleyra_transport::Created, Error>) -> Entry {
        let Sending { shared, row, resent, .. } = *self;
        match result {
            Ok(created) => {
                let (id, status) = created.record().map_or((0, 0), |r| (r.id, r.status));
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
fn answer_of(result: &Result<kaleyra_transport::Created, Error>, took: Duration) -> Answer {
    match result {
        Ok(_) | Err(Error::Rejected { .. }) => Answer::Accepted(took),
        Err(Error::RateLimited { .. } | Error::Unavailable { .. }) => Answer::Throttled,
        Err(error) if error.may_have_been_created() => Answer::Overloaded,
        Err(_) => Answer::Nothing,
    }
}

/// A factor from `low` to `high`, from the standard library's per-process random hash keys.
fn jitter(low: f64, high: f64) -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x6a69_7474_6572);
    let fraction = (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64;
    low + (high - low) * fraction
}

/// The shared pacing of all workers: the rate limit, and pauses the API asked for.
struct Gate {
    interval: Option<Duration>,
    state: Mutex<(Instant, Instant)>,
}

impl Gate {
    fn new(rate_per_second: Option<f64>) -> Self {
        // A rate too small for a `Duration` (1e-20/s) is a day between requests.
        let interval = rate_per_second.filter(|rate| rate.is_finite() && *rate > 0.0).map(|rate| {
            Duration::try_from_secs_f64(1.0 / rate).unwrap_or(MAX_INTERVAL).min(MAX_INTERVAL)
        });
        let now = Instant::now();
        Gate { interval, state: Mutex::new((now, now)) }
    }

    /// Waits for this worker's turn (no timer at all when it is now): the hard rate, the rate
    /// the limiter learnt, whichever is slower, and any pause.
    async fn wait(&self, limiter: &Limiter) {
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
    fn pause(&self, duration: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = state.1.max(later(Instant::now(), duration));
    }
}

/// The longest gap the rate may put between two requests.
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// `at + duration`, saturating a day ahead rather than overflowing.
fn later(at: Instant, duration: Duration) -> Instant {
    at.checked_add(duration.min(MAX_INTERVAL)).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(intents_ahead: usize, rate_per_second: Option<f64>) -> ImportOptions {
        ImportOptions {
            intents_ahead,
            rate_per_second,
            ..ImportOptions::new("numbers.csv", Format::Csv)
        }
    }

    #[test]
    fn rows_ahead_are_at_most_10_ms_of_rows_under_a_rate() {
        assert_eq!(options(64, None).rows_ahead(), 64);
        assert_eq!(options(0, None).rows_ahead(), 1);
        assert_eq!(options(64, Some(1.0)).rows_ahead(), 1);
        assert_eq!(options(64, Some(0.01)).rows_ahead(), 1);
        assert_eq!(options(64, Some(1_000.0)).rows_ahead(), 10);
        assert_eq!(options(64, Some(1_050.0)).rows_ahead(), 11);
        assert_eq!(options(64, Some(1e9)).rows_ahead(), 64);
        assert_eq!(options(64, Some(f64::NAN)).rows_ahead(), 64);
    }
}
