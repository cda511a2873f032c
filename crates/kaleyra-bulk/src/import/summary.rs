//! What a run did: its counts and its pace.

use std::time::Duration;

use crate::report::ReportCounts;

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
