//! An import's claim on its files, made before any row is sent: the paths make sense together,
//! the journal and the report directory are locked against a second import, a report set a
//! crash left half swapped is put right, and the reports there belong to this journal, which
//! is still all there.

use std::path::{Path, PathBuf};

use crate::fingerprint;
use crate::import::{ImportError, ImportOptions};
use crate::input::Input;
use crate::lock::Lock;
use crate::report::{Manifest, set};

/// The locks an import holds while it runs, and what it knows of its files.
#[derive(Debug)]
pub(crate) struct Claim {
    /// The journal as an absolute path (what the manifest records).
    pub journal: PathBuf,
    /// The input as an absolute path.
    pub input: PathBuf,
    _journal_lock: Lock,
    _reports_lock: Lock,
}

impl Claim {
    /// Checks and locks; nothing has been sent yet when this fails.
    pub(crate) fn make(options: &ImportOptions, input: &Input) -> Result<Claim, ImportError> {
        let journal = absolute(&options.journal)?;
        let dir = absolute(&options.report_dir)?;
        let input_path = absolute(input.path())?;
        let refuse = |message: String| Err(ImportError::Paths(message));
        let report_dir_error =
            |source| ImportError::ReportDir { path: options.report_dir.clone(), source };

        if input.is(&journal) || journal == input_path {
            return refuse(format!(
                "the journal {} is the input file: pass another --journal",
                options.journal.display()
            ));
        }
        if journal == dir || dir.starts_with(&journal) {
            return refuse(format!(
                "the journal {} and the report directory {} are the same path",
                options.journal.display(),
                options.report_dir.display()
            ));
        }
        if input.is(&dir) || dir == input_path {
            return refuse(format!(
                "the report directory {} is the input file: pass another --report-dir",
                options.report_dir.display()
            ));
        }
        // The set is swapped in as a whole directory: nothing else may live in it.
        for (what, path, flag) in
            [("input", &input_path, "move it"), ("journal", &journal, "pass another --journal")]
        {
            if path.starts_with(&dir) {
                return refuse(format!(
                    "the {what} {} is inside the report directory {}, which is replaced as a \
                     whole at the end of every run: {flag}, or pass another --report-dir",
                    path.display(),
                    options.report_dir.display()
                ));
            }
        }
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(report_dir_error)?;
        }

        let journal_lock = Lock::acquire(&journal)?;
        let reports_lock = Lock::acquire(&dir)?;
        set::recover(&dir).map_err(report_dir_error)?;
        // The directory must be one the set can be written beside and swapped into: make sure
        // now, not after sending.
        set::start(&dir).and_then(std::fs::remove_dir).map_err(report_dir_error)?;
        if let Some(name) = set::foreign_entry(&dir).map_err(report_dir_error)? {
            return refuse(format!(
                "the report directory {} holds {:?}, which is no report: the reports are \
                 replaced as a whole directory, so they need one of their own (pass another \
                 --report-dir)",
                options.report_dir.display(),
                name
            ));
        }
        let manifest = Manifest::read(&dir).map_err(report_dir_error)?;
        if let Some(manifest) = manifest {
            check_manifest(&manifest, &journal, options)?;
        }
        Ok(Claim {
            journal,
            input: input_path,
            _journal_lock: journal_lock,
            _reports_lock: reports_lock,
        })
    }
}

/// The reports in the directory were written from this journal, which still holds (at least)
/// what it held then.
fn check_manifest(
    manifest: &Manifest,
    journal: &Path,
    options: &ImportOptions,
) -> Result<(), ImportError> {
    let dir = options.report_dir.display();
    if manifest.journal != journal {
        return Err(ImportError::Paths(format!(
            "the reports in {dir} belong to the journal {}, not to {}: pass another \
             --report-dir, or remove {dir} (reports are written again from their journal at the \
             end of every run)",
            manifest.journal.display(),
            options.journal.display()
        )));
    }
    let settled = manifest.reports.created + manifest.reports.unknown;
    let prefix = match fingerprint::of_prefix(journal, manifest.journal_bytes) {
        Ok(prefix) => prefix,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if settled == 0 {
                return Ok(());
            }
            return Err(ImportError::JournalLost(format!(
                "the journal {} is missing, but the reports in {dir} say its import created (or \
                 may have created) {settled} row(s): a new import would send them again. Put \
                 the journal back and run with --resume; to start over anyway, remove {dir}",
                options.journal.display()
            )));
        }
        Err(source) => {
            return Err(ImportError::Read { path: options.journal.clone(), source });
        }
    };
    if !options.resume {
        // A fresh run meets an existing journal and refuses it anyway.
        return Ok(());
    }
    match prefix {
        None => Err(ImportError::JournalLost(format!(
            "the journal {} is shorter than when the reports in {dir} were written from it \
             ({} bytes then): it was cut short, and resuming would send created rows again. Put \
             the whole journal back",
            options.journal.display(),
            manifest.journal_bytes
        ))),
        Some(checksum) if checksum != manifest.journal_checksum => {
            Err(ImportError::JournalLost(format!(
                "the journal {} no longer begins with what it held when the reports in {dir} \
                 were written from it: it was replaced or edited, and resuming could send \
                 created rows again. Put the original journal back",
                options.journal.display()
            )))
        }
        Some(_) => Ok(()),
    }
}

/// `path` made absolute (its parent canonical, so a link or `..` names the same thing twice
/// the same way); the path need not exist yet.
fn absolute(path: &Path) -> Result<PathBuf, ImportError> {
    let absolute = std::path::absolute(path)
        .map_err(|source| ImportError::Read { path: path.to_owned(), source })?;
    if let Ok(canonical) = absolute.canonicalize() {
        return Ok(canonical);
    }
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => match parent.canonicalize() {
            Ok(parent) => Ok(parent.join(name)),
            Err(_) => Ok(absolute.clone()),
        },
        _ => Ok(absolute),
    }
}
