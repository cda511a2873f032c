//! The import: rows in, requests out with bounded concurrency and an optional rate, every step
//! journaled, a shared pause when the API says 429, and the reports at the end.

mod error;
mod gate;
mod intents;
mod observer;
mod options;
mod pipeline;
mod reading;
mod requests;
mod sending;
mod shared;
mod summary;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kaleyra_model::AddNumberRequest;
use kaleyra_transport::Client;
use tokio::sync::{mpsc, watch};

use crate::rows::Format;

pub use error::ImportError;
pub use observer::{Observer, RowOutcome, Silent};
pub use options::{Concurrency, ImportOptions};
pub use pipeline::run;
pub use summary::{Counts, Pace, Summary};

pub use crate::journal::RowRejection;

/// An import, set up step by step: the client and the rows (a file, or the caller's requests),
/// then only what differs from the defaults of [`ImportOptions::new`]. [`Import::run`] runs it.
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
pub struct Import {
    client: Client,
    options: ImportOptions,
    observer: Arc<dyn Observer>,
    stop: watch::Receiver<bool>,
    source: Source,
}

/// Where an import's rows come from.
enum Source {
    /// The file [`ImportOptions::input`].
    File,
    /// The caller's requests; a journal file only when one is set; whether a report directory
    /// was set (refused: reports have a file's columns).
    Requests { requests: requests::Requests, journal: Option<PathBuf>, report_dir: bool },
}

impl std::fmt::Debug for Import {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::File => "file",
            Source::Requests { .. } => "requests",
        };
        f.debug_struct("Import")
            .field("source", &source)
            .field("options", &self.options)
            .finish_non_exhaustive()
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
        Import { client, options, observer: Arc::new(Silent), stop, source: Source::File }
    }

    /// An import of the caller's requests, each with a key of the caller's choosing (a
    /// database id, a position): the observer hears every row's outcome under that key.
    ///
    /// The requests are taken on a thread of their own, a few hundred ahead of the rows in
    /// flight, so the iterator may block (read a database cursor, say). Without
    /// [`Import::journal`] nothing is written to disk and the import cannot be resumed; with
    /// it, the journal is keyed by these ids (which must then be unique: a repeated id stops
    /// the import with [`ImportError::DuplicateId`]) and [`Import::resume`] skips the ids an
    /// earlier run settled. No reports are written: [`Summary::reports`] counts the rows instead.
    ///
    /// ```no_run
    /// # async fn demo(client: kaleyra_transport::Client, requests: Vec<kaleyra_model::AddNumberRequest>) -> Result<(), kaleyra_bulk::import::ImportError> {
    /// use kaleyra_bulk::import::{Import, Observer, RowOutcome};
    ///
    /// struct Print;
    /// impl Observer for Print {
    ///     fn row(&self, id: u64, outcome: &RowOutcome) {
    ///         println!("{id}: {outcome:?}");
    ///     }
    /// }
    ///
    /// let keyed = requests.into_iter().enumerate().map(|(i, request)| (i as u64, request));
    /// let summary = Import::from_requests(client, keyed).observer(Print).run().await?;
    /// println!("{} created", summary.counts.created);
    /// # Ok(()) }
    /// ```
    pub fn from_requests<I>(client: Client, requests: I) -> Import
    where
        I: IntoIterator<Item = (u64, AddNumberRequest)>,
        I::IntoIter: Send + 'static,
    {
        let mut import = Import::with_format(client, PathBuf::new(), Format::Jsonl);
        import.source = Source::Requests {
            requests: Box::new(requests.into_iter()),
            journal: None,
            report_dir: false,
        };
        import
    }

    /// An import of the requests sent on `receiver` (see [`Import::from_requests`]); it ends
    /// once every sender is dropped and the requests sent are done.
    pub fn from_receiver(
        client: Client,
        mut receiver: mpsc::Receiver<(u64, AddNumberRequest)>,
    ) -> Import {
        // Taken on a blocking thread: the blocking receive is the right one there.
        Import::from_requests(client, std::iter::from_fn(move || receiver.blocking_recv()))
    }

    /// The journal (default: [`ImportOptions::default_journal`] for a file, none for requests).
    #[must_use]
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Import {
        let path = path.into();
        if let Source::Requests { journal, .. } = &mut self.source {
            *journal = Some(path.clone());
        }
        self.options.journal = path;
        self
    }

    /// The report directory (default: [`ImportOptions::default_report_dir`]); an import of
    /// requests has none and refuses to run with one.
    #[must_use]
    pub fn report_dir(mut self, path: impl Into<PathBuf>) -> Import {
        if let Source::Requests { report_dir, .. } = &mut self.source {
            *report_dir = true;
        }
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

    /// Send each `wa_number` in its E.164 form ([`ImportOptions::normalize_numbers`]).
    #[must_use]
    pub fn normalize_numbers(mut self, normalize: bool) -> Import {
        self.options.normalize_numbers = normalize;
        self
    }

    /// What each row of the file asks for: add the number (the default) or update it
    /// ([`ImportOptions::operation`]). An update whose outcome is unknown is sent again on
    /// resume without [`Import::retry_unknown`]: an update is idempotent. An import of a
    /// caller's requests ([`Import::from_requests`]) always adds.
    #[must_use]
    pub fn operation(mut self, operation: crate::Operation) -> Import {
        self.options.operation = operation;
        self
    }

    /// The CSV delimiter ([`ImportOptions::delimiter`]); by default the header tells.
    #[must_use]
    pub fn delimiter(mut self, delimiter: u8) -> Import {
        self.options.delimiter = Some(delimiter);
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

    /// Runs it: see [`run`] (what holds for a file's journal holds for a requests journal).
    pub async fn run(self) -> Result<Summary, ImportError> {
        let Import { client, options, observer, stop, source } = self;
        match source {
            Source::File => run(client, options, observer, stop).await,
            Source::Requests { report_dir: true, .. } => Err(ImportError::Paths(
                "an import of requests writes no reports: the observer hears every row's outcome"
                    .to_owned(),
            )),
            Source::Requests { requests, journal, report_dir: false } => {
                requests::run(client, options, journal, requests, observer, stop).await
            }
        }
    }
}
