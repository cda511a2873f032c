//! Why an import did not run to its end.

use std::path::PathBuf;

use crate::journal::JournalError;
use crate::lock::LockError;
use crate::report::ReportError;
use crate::rows::InputError;

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
    /// The journal was written for another operation (an add resumed as an update, say).
    #[error(
        "the journal {journal} records an import to {recorded}, not to {asked}: resume it as it \
         was started, or start a new journal"
    )]
    OtherOperation {
        /// The journal.
        journal: PathBuf,
        /// The operation it records.
        recorded: String,
        /// The operation asked for.
        asked: &'static str,
    },
    /// The journal's first run read the CSV with another delimiter.
    #[error(
        "the journal {journal} read the file with the delimiter `{recorded}`, not `{given}`: \
         resume without naming a delimiter (or with `{recorded}`)"
    )]
    OtherDelimiter {
        /// The journal.
        journal: PathBuf,
        /// The delimiter it records.
        recorded: char,
        /// The one given now.
        given: char,
    },
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
    /// A caller's request id came twice in an import with a journal, which keys rows by id.
    #[error("the request id {0} came twice: the journal keys rows by id, so ids must be unique")]
    DuplicateId(u64),
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
