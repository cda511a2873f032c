//! The reports: `created.csv`, `rejected.csv`, `unknown.csv` and `failed.csv`, derived from the
//! input and the journal, so that every input row is in exactly one of them.

use std::fs::File;
use std::path::{Path, PathBuf};

use kaleyra_validate::validate;

use crate::journal::{Detail, JournalState, RowState};
use crate::rows::{Format, InputError, Original, RowReader};

pub const CREATED: &str = "created.csv";
pub const REJECTED: &str = "rejected.csv";
pub const UNKNOWN: &str = "unknown.csv";
pub const FAILED: &str = "failed.csv";

/// Rows per report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
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
    pub fn total(&self) -> u64 {
        self.created + self.rejected + self.unknown + self.failed
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("cannot write report {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// One report file, written under a temporary name and renamed into place when complete.
struct Report {
    writer: csv::Writer<File>,
    temporary: PathBuf,
    path: PathBuf,
}

impl Report {
    fn create(
        dir: &Path,
        name: &str,
        header: &[String],
        added: &[&str],
    ) -> Result<Report, ReportError> {
        let path = dir.join(name);
        let temporary = dir.join(format!(".{name}.partial"));
        let failed = |source| ReportError::Write { path: path.clone(), source };
        let file = File::create(&temporary).map_err(failed)?;
        let mut writer = csv::Writer::from_writer(file);
        let columns =
            header.iter().map(String::as_str).chain(added.iter().copied()).chain(["line"]);
        writer.write_record(columns).map_err(|e| failed(e.into()))?;
        Ok(Report { writer, temporary, path })
    }

    fn row(&mut self, original: &Original, added: &[&str], line: u64) -> Result<(), ReportError> {
        let mut number = itoa::Buffer::new();
        let fields = original.iter().chain(added.iter().copied()).chain([number.format(line)]);
        self.writer
            .write_record(fields)
            .map_err(|e| ReportError::Write { path: self.path.clone(), source: e.into() })
    }

    fn finish(self) -> Result<(), ReportError> {
        let failed = |source| ReportError::Write { path: self.path.clone(), source };
        let file = self.writer.into_inner().map_err(|e| failed(e.into_error()))?;
        file.sync_all().map_err(failed)?;
        std::fs::rename(&self.temporary, &self.path).map_err(failed)
    }
}

/// Writes the four reports for `input` as the journal `state` sees it. Valid rows the journal
/// never saw go to `failed.csv` with `unsent_reason`.
pub fn write(
    dir: &Path,
    input: &Path,
    format: Format,
    state: &JournalState,
    unsent_reason: &str,
) -> Result<ReportCounts, ReportError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| ReportError::Write { path: dir.to_owned(), source })?;
    let mut rows = RowReader::open(input, format)?;
    let header = rows.header();
    // Only rows the journal never saw need their request (to say why they were not sent).
    let builder = rows.builder();
    let mut created = Report::create(dir, CREATED, &header, &["id", "status"])?;
    let mut rejected =
        Report::create(dir, REJECTED, &header, &["http_status", "code", "parameter", "message"])?;
    let mut unknown = Report::create(dir, UNKNOWN, &header, &["reason"])?;
    let mut failed = Report::create(dir, FAILED, &header, &["reason"])?;
    let mut counts = ReportCounts::default();

    let (mut id_text, mut status_text) = (itoa::Buffer::new(), itoa::Buffer::new());
    while let Some(raw) = rows.next_raw()? {
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
                    Some(Detail::Rejected { http_status, code, parameter, message }) => (
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
            RowState::Untouched => {
                let row = builder.build(raw);
                let original = &row.original;
                match &row.request {
                    Err(message) => {
                        rejected.row(original, &["", "E900", "", message], line)?;
                        counts.rejected += 1;
                    }
                    Ok(request) => match validate(request) {
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
                }
            }
        }
    }
    for report in [created, rejected, unknown, failed] {
        report.finish()?;
    }
    Ok(counts)
}
