//! The reports: `created.csv`, `rejected.csv`, `unknown.csv` and `failed.csv`, derived from the
//! input and the journal, so that every input row is in exactly one of them, and
//! `manifest.json`, which says what they were derived from. The five are written as one set
//! (written whole beside the report directory, then swapped in).
//!
//! Each report has the input's columns, then its own (`id`, `status`; `http_status`, `code`,
//! `parameter`, `message`; `reason`), then `line`. An input column with one of those names (a
//! report imported again) is renamed `input_NAME` in the reports, so that no name appears twice.
//! A row with fewer cells than the header is padded with empty cells; the cells of a longer one
//! beyond the header are quoted in its rejection message.

mod manifest;
pub(crate) mod set;

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::journal::{Detail, JournalState, RowRejection, RowState};
use crate::operation::Operation;
use crate::rows::{InputError, Original, RawRow, RowError, RowReader};

pub use manifest::{MANIFEST, Manifest};

/// The report of created rows (and rows whose number already existed).
pub const CREATED: &str = "created.csv";
/// In place of [`CREATED`] for an import of updates: the rows the API updated.
pub const UPDATED: &str = "updated.csv";
/// The report of rows that will not be created as they are.
pub const REJECTED: &str = "rejected.csv";
/// The report of rows that may or may not have been created.
pub const UNKNOWN: &str = "unknown.csv";
/// The report of rows certainly not created, which a resume sends again.
pub const FAILED: &str = "failed.csv";

/// The columns the reports add after the input's.
const ADDED: [&str; 8] =
    ["id", "status", "http_status", "code", "parameter", "message", "reason", "line"];

/// Rows per report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportCounts {
    /// Created now or before, or found to exist already.
    pub created: u64,
    /// Rejected, locally or by the API: will not be created as they are.
    pub rejected: u64,
    /// May or may not have been created.
    pub unknown: u64,
    /// Certainly not created; a resume sends them again.
    pub failed: u64,
}

impl ReportCounts {
    /// Rows in all four reports.
    pub fn total(&self) -> u64 {
        self.created + self.rejected + self.unknown + self.failed
    }
}

/// Why the reports could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The input could not be read again.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A file or directory could not be written.
    #[error("cannot write report {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// One report file of a set being written.
struct Report {
    writer: csv::Writer<File>,
    path: PathBuf,
    /// Cells per row taken from the input (the header's width).
    width: usize,
}

impl Report {
    fn create(
        dir: &Path,
        name: &str,
        header: &[String],
        added: &[&str],
    ) -> Result<Report, ReportError> {
        let path = dir.join(name);
        let failed = |source| ReportError::Write { path: path.clone(), source };
        let file = File::create(&path).map_err(failed)?;
        let mut writer = csv::Writer::from_writer(file);
        let columns =
            header.iter().map(String::as_str).chain(added.iter().copied()).chain(["line"]);
        writer.write_record(columns).map_err(|e| failed(e.into()))?;
        Ok(Report { writer, path, width: header.len() })
    }

    fn row(&mut self, original: &Original, added: &[&str], line: u64) -> Result<(), ReportError> {
        let mut number = itoa::Buffer::new();
        // As many cells as the header has, whatever the row has.
        let cells = original.iter().chain(std::iter::repeat("")).take(self.width);
        let fields = cells.chain(added.iter().copied()).chain([number.format(line)]);
        self.writer
            .write_record(fields)
            .map_err(|e| ReportError::Write { path: self.path.clone(), source: e.into() })
    }

    fn finish(self) -> Result<(), ReportError> {
        let failed = |source| ReportError::Write { path: self.path.clone(), source };
        let file = self.writer.into_inner().map_err(|e| failed(e.into_error()))?;
        file.sync_all().map_err(failed)
    }
}

/// The input's column names as the reports show them: a name the reports add is prefixed with
/// `input_` (again, until it is unique).
fn report_header(header: Vec<String>) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for name in header {
        let mut name = name;
        while ADDED.contains(&name.as_str()) || names.contains(&name) && name.starts_with("input_")
        {
            name = format!("input_{name}");
        }
        names.push(name);
    }
    names
}

/// Writes the four reports for the input `rows` as the journal `state` sees it, then the
/// manifest `describe` makes of their counts, as one set swapped in for `dir`. Valid rows the
/// journal never saw go to `failed.csv` with `unsent_reason`.
pub fn write(
    dir: &Path,
    rows: RowReader,
    state: &JournalState,
    unsent_reason: &str,
    describe: impl FnOnce(ReportCounts) -> Manifest,
) -> Result<ReportCounts, ReportError> {
    let partial =
        set::start(dir).map_err(|source| ReportError::Write { path: set::partial(dir), source })?;
    let counts = write_reports(&partial, rows, state, unsent_reason)?;
    let manifest = partial.join(MANIFEST);
    std::fs::write(&manifest, describe(counts).to_bytes())
        .and_then(|()| File::open(&manifest)?.sync_all())
        .map_err(|source| ReportError::Write { path: manifest, source })?;
    set::swap_in(&partial, dir)
        .map_err(|source| ReportError::Write { path: dir.to_owned(), source })?;
    Ok(counts)
}

fn write_reports(
    dir: &Path,
    mut rows: RowReader,
    state: &JournalState,
    unsent_reason: &str,
) -> Result<ReportCounts, ReportError> {
    let header = report_header(rows.header());
    // Only rows the journal never saw need their request (to say why they were not sent).
    let builder = rows.builder();
    let done = match rows.operation() {
        Operation::Add => CREATED,
        Operation::Update => UPDATED,
    };
    let mut created = Report::create(dir, done, &header, &["id", "status"])?;
    let mut rejected =
        Report::create(dir, REJECTED, &header, &["http_status", "code", "parameter", "message"])?;
    let mut unknown = Report::create(dir, UNKNOWN, &header, &["reason"])?;
    let mut failed = Report::create(dir, FAILED, &header, &["reason"])?;
    let mut counts = ReportCounts::default();

    let (mut id_text, mut status_text) = (itoa::Buffer::new(), itoa::Buffer::new());
    let mut raw = RawRow::default();
    while rows.read_raw(&mut raw)? {
        let (index, line) = (raw.index, raw.line);
        let original = &raw.original;
        match state.state(index) {
            RowState::Created => {
                let (id, status) = state.created(index).unwrap_or_default();
                created.row(original, &[id_text.format(id), status_text.format(status)], line)?;
                counts.created += 1;
            }
            RowState::Exists => {
                created.row(original, &["", "already_exists"], line)?;
                counts.created += 1;
            }
            RowState::Rejected => {
                let (http_status, code, parameter, message) = match state.detail(index) {
                    Some(Detail::Rejected(RowRejection {
                        http_status,
                        code,
                        parameter,
                        message,
                        ..
                    })) => (
                        http_status.to_string(),
                        code.as_str(),
                        parameter.as_str(),
                        message.as_str(),
                    ),
                    _ => (String::new(), "", "", ""),
                };
                rejected.row(original, &[&http_status, code, parameter, message], line)?;
                counts.rejected += 1;
            }
            RowState::Unknown | RowState::Pending => {
                let reason = match state.detail(index) {
                    Some(Detail::Reason(reason)) => reason.as_str(),
                    _ => "may have been sent: the run stopped between its intent and its outcome",
                };
                unknown.row(original, &[reason], line)?;
                counts.unknown += 1;
            }
            RowState::Failed => {
                let reason = match state.detail(index) {
                    Some(Detail::Reason(reason)) => reason.as_str(),
                    _ => "not created",
                };
                failed.row(original, &[reason], line)?;
                counts.failed += 1;
            }
            RowState::Untouched => match &builder.request(&raw) {
                Err(error) => {
                    let message = unreadable_message(error, original);
                    rejected.row(original, &["", error.code(), "", &message], line)?;
                    counts.rejected += 1;
                }
                Ok(request) => match request.check() {
                    Err(rejection) => {
                        let envelope = rejection.envelope();
                        let detail = envelope.detail();
                        rejected.row(
                            original,
                            &["", detail.code.as_str(), &detail.parameter, &detail.message],
                            line,
                        )?;
                        counts.rejected += 1;
                    }
                    Ok(_) => {
                        failed.row(original, &[unsent_reason], line)?;
                        counts.failed += 1;
                    }
                },
            },
        }
    }
    for report in [created, rejected, unknown, failed] {
        report.finish()?;
    }
    Ok(counts)
}

/// The rejection message of a row that is no request; a ragged row's cells beyond the header
/// (which its report row cannot hold) are quoted in it.
fn unreadable_message(error: &RowError, original: &Original) -> String {
    match error {
        RowError::Ragged { cells, columns } if cells > columns => {
            let extra: Vec<String> =
                original.iter().skip(*columns).map(|cell| format!("{cell:?}")).collect();
            format!("{error}; the cells past the header: {}", extra.join(", "))
        }
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_columns_named_like_report_columns_are_prefixed() {
        let header = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            report_header(header(&["display_name", "wa_number", "reason", "line", "input_line"])),
            header(&[
                "display_name",
                "wa_number",
                "input_reason",
                "input_line",
                "input_input_line"
            ])
        );
        assert_eq!(report_header(header(&["request"])), header(&["request"]));
    }
}
