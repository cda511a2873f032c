//! The run of a file: prepare, then the three stages (read, make intents durable, send), then
//! the reports.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use kaleyra_transport::Client;
use tokio::sync::{mpsc, watch};

use super::intents::{Ready, write_intents};
use super::reading::{Rows, SourceRow, Work, read_rows};
use super::sending::{release, send_rows};
use super::shared::Shared;
use super::{ImportError, ImportOptions, Observer, Summary};
use crate::claim::Claim;
use crate::fingerprint;
use crate::input::{Change, Input};
use crate::journal::{self, JournalState, JournalWriter};
use crate::report::{self, Manifest};
use crate::rows::InputError;

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
    let Prepared { input, claim, state, writer, delimiter } = prepared;
    // The delimiter the journal recorded, on a resume that names none.
    let mut options = options;
    options.delimiter = delimiter;
    observer.input_lines(input.lines());
    let input = Arc::new(input);
    let shared = Arc::new(Shared::new(&options, observer));
    let result = import(client, &options, &input, &claim, state, writer, &shared, stop).await;
    settle(result, &shared, (!options.resume).then_some(options.journal.as_path()))
}

/// An error after rows were sent becomes [`ImportError::AfterSending`]; before, the journal this
/// run began (`begun`) is removed: it would only block the next run.
pub(super) fn settle(
    result: Result<Summary, ImportError>,
    shared: &Shared,
    begun: Option<&Path>,
) -> Result<Summary, ImportError> {
    let sent = shared.sent.load(Ordering::Relaxed);
    match result {
        Err(error) if sent > 0 => Err(ImportError::AfterSending { sent, source: Box::new(error) }),
        Err(error) => {
            if let Some(journal) = begun {
                let _ = std::fs::remove_file(journal);
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
    /// The CSV delimiter to read with: the one given, else the one the journal recorded.
    delimiter: Option<u8>,
}

/// Opens and checks everything, in an order that leaves nothing behind when it fails: the
/// input and its header, then the claim on the files, then the journal.
fn prepare(options: &ImportOptions) -> Result<Prepared, ImportError> {
    let input = Input::open(&options.input).map_err(|error| match error {
        InputError::Io(source) => ImportError::Read { path: options.input.clone(), source },
        other => other.into(),
    })?;
    // A resume that names no delimiter reads the file as the first run did.
    let recorded = options.resume.then(|| journal::recorded_delimiter(&options.journal)).flatten();
    let delimiter = options.delimiter.or(recorded);
    let read = input.rows(options.format, options.read_options().delimiter(delimiter))?.delimiter();
    let claim = Claim::make(options, &input)?;
    let actual = input.fingerprint().to_owned();
    let (state, writer) = if options.resume {
        let state = journal::replay(&options.journal)?;
        if state.operation != options.operation.as_str() {
            return Err(ImportError::OtherOperation {
                journal: options.journal.clone(),
                recorded: state.operation.clone(),
                asked: options.operation.as_str(),
            });
        }
        if state.fingerprint != actual {
            return Err(ImportError::OtherInput {
                journal: options.journal.clone(),
                recorded: state.fingerprint.clone(),
                actual,
            });
        }
        // The same bytes cut another way are other rows.
        let recorded = state.delimiter.as_deref().and_then(|d| d.bytes().next());
        if let (Some(recorded), Some(given)) = (recorded, options.delimiter)
            && recorded != given
        {
            return Err(ImportError::OtherDelimiter {
                journal: options.journal.clone(),
                recorded: char::from(recorded),
                given: char::from(given),
            });
        }
        (state, JournalWriter::append(&options.journal, &actual)?)
    } else {
        let writer = JournalWriter::create(
            &options.journal,
            &actual,
            options.format.as_str(),
            options.operation,
            read,
        )?;
        (JournalState::default(), writer)
    };
    Ok(Prepared { input, claim, state, writer, delimiter })
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
    let rows = {
        let (input, format, normalize) = (input.clone(), options.format, options.normalize_numbers);
        let read = options.read_options();
        move || {
            let mut rows = input.rows(format, read)?.normalize_numbers(normalize);
            Ok(std::iter::from_fn(move || {
                rows.next_request().map_err(ImportError::from).transpose()
            }))
        }
    };
    let interrupted = send_all(client, options, rows, state, writer, shared, stop).await?;

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
                input
                    .rows(options.format, options.read_options())?
                    .normalize_numbers(options.normalize_numbers),
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

/// The three stages: `rows` read and validated on a thread of their own (the rows an earlier
/// run settled skipped), their intents made durable in batches, then sent. Returns once every
/// row is done or the run is stopped, with the journal closed; `true` when it was stopped.
pub(super) async fn send_all<R>(
    client: Client,
    options: &ImportOptions,
    rows: impl FnOnce() -> Result<R, ImportError> + Send + 'static,
    state: JournalState,
    writer: JournalWriter,
    shared: &Arc<Shared>,
    stop: watch::Receiver<bool>,
) -> Result<bool, ImportError>
where
    R: Iterator<Item = Result<SourceRow, ImportError>>,
{
    let state = Arc::new(state);
    let journal = Arc::new(writer);

    // The channel's bound keeps memory flat.
    let (sender, receiver) = mpsc::channel::<Vec<Work>>(2);
    let reader = {
        let (options, state) = (options.clone(), state.clone());
        tokio::task::spawn_blocking(move || read_rows(&options, rows()?, &state, &sender))
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
    Ok(interrupted)
}

pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ImportError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ImportError::Task(e.to_string()))
}

/// Resolves once `stop` says stop; never when its sender is gone (nobody can ask any more).
pub(super) async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}
