//! What an import reads and writes, and how hard it pushes the server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::operation::Operation;
use crate::rows::{Format, ReadOptions};

/// What to import and how. [`ImportOptions::new`] gives the defaults; [`Import`](super::Import) sets them
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
    /// Send each `wa_number` in its E.164 form, as [`crate::RowReader::normalize_numbers`]
    /// does; the reports show the value sent.
    pub normalize_numbers: bool,
    /// The CSV delimiter, a byte of ASCII; `None` tells it from the header (see
    /// [`crate::ReadOptions`]).
    pub delimiter: Option<u8>,
    /// What each row asks for: add the number (the default) or update it. A journal records it;
    /// a resume with another operation is refused.
    pub operation: Operation,
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
            normalize_numbers: false,
            delimiter: None,
            operation: Operation::Add,
        }
    }

    /// How the input's rows are read.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions::default().delimiter(self.delimiter).operation(self.operation)
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
