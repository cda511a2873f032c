//! The import journal: an append-only file of JSON lines, one event each.
//!
//! An *intent* is written and made durable (fsync, shared by a batch of rows) before its row is
//! sent; the *outcome* is written after, and made durable in groups. After a crash, a row with an
//! intent and no outcome may or may not have been created: it is *unknown*. An intent whose row
//! was not sent after all (the import stopped first) is withdrawn by a *released* line.
//! A torn last line (the crash hit mid-write) is cut off on resume.

mod read;
mod writer;

use std::collections::{BTreeMap, HashMap};
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(crate) use writer::JournalWriter;

/// The journal format's version, in its first line. Version 2 added `released`; version 1
/// journals are read (and continued) as well.
pub const VERSION: u32 = 2;
/// The oldest version this kaleyra reads.
const OLDEST_VERSION: u32 = 1;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Entry {
    /// First line: what is being imported, and what for (`operation`, absent for an add).
    Begin {
        version: u32,
        fingerprint: String,
        format: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operation: Option<String>,
        /// A CSV's delimiter, as the first run read the file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delimiter: Option<String>,
    },
    /// A later run took over (informational).
    Resume { fingerprint: String },
    /// The row is about to be sent.
    Intent { row: u64 },
    /// The row's intent is withdrawn: it was not sent (the import stopped first).
    Released { row: u64 },
    /// The API created the number.
    Created { row: u64, id: u64, status: i64 },
    /// A resent row met the duplicate rejection: it exists (created by an earlier attempt).
    Exists { row: u64 },
    /// The API rejected the row.
    Rejected { row: u64, http_status: u16, code: String, parameter: String, message: String },
    /// The row may or may not have been created.
    Unknown { row: u64, reason: String },
    /// The row was certainly not created (not sent, or refused before processing).
    Failed { row: u64, reason: String },
}

/// What the journal says about one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    /// Never sent.
    Untouched,
    /// Intent without outcome: sent or about to be when the run stopped.
    Pending,
    /// Created by this import.
    Created,
    /// The API answered that the number already exists.
    Exists,
    /// The API rejected it (an envelope says why), or it was never sent because it is invalid.
    Rejected,
    /// Sent, with no answer that says whether it was created.
    Unknown,
    /// Not created, and safe to send again (the server never saw it, or said to retry).
    Failed,
}

/// Why a row was rejected: the API's envelope, or this crate's own before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowRejection {
    /// The HTTP status; 0 when the row was never sent.
    pub http_status: u16,
    /// The envelope's error code (`E900`/`E920` for a row that is not a request).
    pub code: String,
    /// The field at fault, when one is.
    pub parameter: String,
    /// The envelope's message.
    pub message: String,
}

/// Details kept for the reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Detail {
    /// Why the row was rejected.
    Rejected(RowRejection),
    /// Why a row is unknown or failed, in words.
    Reason(String),
}

/// The journal replayed: every row's last state, in compact form (a byte and an id per row).
#[derive(Debug, Default)]
pub struct JournalState {
    /// The fingerprint of the input the journal was written for.
    pub fingerprint: String,
    /// The input's format (`csv`, `jsonl`).
    pub format: String,
    /// What the rows were sent for (`add`, `update`).
    pub operation: String,
    /// A CSV's delimiter as the first run read the file (`None` in journals written before it
    /// was recorded).
    pub delimiter: Option<String>,
    /// Rows from 0 up, densely: a file's rows, or a caller's ids that come in order.
    states: Vec<RowState>,
    ids: Vec<u64>,
    /// Rows far beyond the dense ones (a caller's sparse ids, a damaged journal), which would
    /// otherwise allocate a slot for every row below them.
    sparse: BTreeMap<u64, (RowState, u64)>,
    statuses: HashMap<u64, i64>,
    details: HashMap<u64, Detail>,
}

/// How far beyond the dense rows a row may be and still grow them (9 bytes a row).
const DENSE_GAP: u64 = 1 << 20;

/// Status of a freshly created number; only other statuses are stored per row.
const USUAL_STATUS: i64 = 2;

impl JournalState {
    /// The last state of row `row` (from 1).
    pub fn state(&self, row: u64) -> RowState {
        match self.states.get(row as usize) {
            Some(state) => *state,
            None => self.sparse.get(&row).map_or(RowState::Untouched, |(state, _)| *state),
        }
    }

    /// Id and status of a created row.
    pub fn created(&self, row: u64) -> Option<(u64, i64)> {
        (self.state(row) == RowState::Created).then(|| {
            let id = match self.ids.get(row as usize) {
                Some(id) => *id,
                None => self.sparse.get(&row).map_or(0, |(_, id)| *id),
            };
            (id, self.statuses.get(&row).copied().unwrap_or(USUAL_STATUS))
        })
    }

    /// Every row the journal knows of (all but the untouched ones), with its state.
    pub(crate) fn rows(&self) -> impl Iterator<Item = (u64, RowState)> + '_ {
        let dense = self.states.iter().enumerate().map(|(row, state)| (row as u64, *state));
        let sparse = self.sparse.iter().map(|(row, (state, _))| (*row, *state));
        dense.chain(sparse).filter(|(_, state)| *state != RowState::Untouched)
    }

    /// What the reports say about a rejected, unknown or failed row.
    pub fn detail(&self, row: u64) -> Option<&Detail> {
        self.details.get(&row)
    }

    /// Applies one entry.
    pub(crate) fn apply(&mut self, entry: &Entry) {
        let (row, state) = match entry {
            Entry::Begin { fingerprint, format, operation, delimiter, .. } => {
                self.fingerprint = fingerprint.clone();
                self.format = format.clone();
                self.delimiter = delimiter.clone();
                self.operation = operation.clone().unwrap_or_else(|| "add".to_owned());
                return;
            }
            Entry::Resume { .. } => return,
            Entry::Intent { row } => (*row, RowState::Pending),
            Entry::Released { row } => (*row, RowState::Untouched),
            Entry::Created { row, id, status } => {
                self.set_id(*row, *id);
                if *status == USUAL_STATUS {
                    self.statuses.remove(row);
                } else {
                    self.statuses.insert(*row, *status);
                }
                (*row, RowState::Created)
            }
            Entry::Exists { row } => (*row, RowState::Exists),
            Entry::Rejected { row, http_status, code, parameter, message } => {
                self.details.insert(
                    *row,
                    Detail::Rejected(RowRejection {
                        http_status: *http_status,
                        code: code.clone(),
                        parameter: parameter.clone(),
                        message: message.clone(),
                    }),
                );
                (*row, RowState::Rejected)
            }
            Entry::Unknown { row, reason } => {
                self.details.insert(*row, Detail::Reason(reason.clone()));
                (*row, RowState::Unknown)
            }
            Entry::Failed { row, reason } => {
                self.details.insert(*row, Detail::Reason(reason.clone()));
                (*row, RowState::Failed)
            }
        };
        if !matches!(state, RowState::Rejected | RowState::Unknown | RowState::Failed) {
            self.details.remove(&row);
        }
        match self.slot(row) {
            Some(index) => self.states[index] = state,
            None => self.sparse.entry(row).or_insert((RowState::Untouched, 0)).0 = state,
        }
    }

    fn set_id(&mut self, row: u64, id: u64) {
        match self.slot(row) {
            Some(index) => self.ids[index] = id,
            None => self.sparse.entry(row).or_insert((RowState::Untouched, 0)).1 = id,
        }
    }

    /// The dense slot of `row`, grown to it when it is near the dense rows; `None` for a row
    /// kept in `sparse`.
    fn slot(&mut self, row: u64) -> Option<usize> {
        let len = self.states.len() as u64;
        if row < len {
            return usize::try_from(row).ok();
        }
        if self.sparse.contains_key(&row) || row - len > DENSE_GAP {
            return None;
        }
        let index = usize::try_from(row).ok()?;
        self.states.resize(index + 1, RowState::Untouched);
        self.ids.resize(index + 1, 0);
        // Sparse rows the dense ones now reach move in, or the dense slot would hide them.
        let reached: Vec<u64> = self.sparse.range(len..=row).map(|(row, _)| *row).collect();
        for row in reached {
            if let Some((state, id)) = self.sparse.remove(&row) {
                // `row` is at most `index`: it fits.
                self.states[row as usize] = state;
                self.ids[row as usize] = id;
            }
        }
        Some(index)
    }
}

/// A journal that cannot be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading or writing the file failed.
    #[error("journal {path}: {source}")]
    Io {
        /// The journal.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A new import would overwrite an existing journal.
    #[error(
        "journal {path} already exists: pass --resume to continue that import, or remove the file to start over"
    )]
    Exists {
        /// The journal.
        path: PathBuf,
    },
    /// A line other than a torn last one cannot be read.
    #[error("journal {path} line {line} is corrupt: {message}")]
    Corrupt {
        /// The journal.
        path: PathBuf,
        /// The line, from 1.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// The file does not start as a journal does.
    #[error("journal {path} has no begin line: it is not a kaleyra import journal")]
    NoBegin {
        /// The file.
        path: PathBuf,
    },
    /// A journal of a version this one cannot read.
    #[error(
        "journal {path} is version {found}, this kaleyra reads versions {OLDEST_VERSION} to {VERSION}"
    )]
    Version {
        /// The journal.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// The thread writing the journal stopped; what it said.
    #[error("the journal writer stopped: {0}")]
    WriterGone(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io { path: path.to_owned(), source }
}

/// The CSV delimiter the journal's first line records, read without the rest (and without its
/// lock: that line is never rewritten); `None` when it records none or cannot be read, which
/// [`replay`] then reports.
pub(crate) fn recorded_delimiter(path: &Path) -> Option<u8> {
    let file = OpenOptions::new().read(true).open(path).ok()?;
    let mut first = Vec::new();
    BufReader::new(file).read_until(b'\n', &mut first).ok()?;
    match read::entry(&first).ok()? {
        Entry::Begin { delimiter, .. } => delimiter?.bytes().next(),
        _ => None,
    }
}

/// Replays a journal; a torn or unreadable *last* line is cut off the file (it is the write a
/// crash interrupted), anything unreadable before it is an error.
pub fn replay(path: &Path) -> Result<JournalState, JournalError> {
    let file = OpenOptions::new().read(true).write(true).open(path).map_err(io(path))?;
    let mut reader = BufReader::new(&file);
    let mut state = JournalState::default();
    let mut line = Vec::new();
    let (mut good_end, mut number, mut pending_error) = (0u64, 0u64, None);
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(io(path))?;
        if read == 0 {
            break;
        }
        number += 1;
        if let Some((bad_line, message)) = pending_error.take() {
            // A bad line followed by more lines is not a torn tail.
            return Err(JournalError::Corrupt { path: path.to_owned(), line: bad_line, message });
        }
        let complete = line.last() == Some(&b'\n');
        match read::entry(&line) {
            Ok(entry) if complete => {
                if number == 1 {
                    match &entry {
                        Entry::Begin { version, .. }
                            if !(OLDEST_VERSION..=VERSION).contains(version) =>
                        {
                            return Err(JournalError::Version {
                                path: path.to_owned(),
                                found: *version,
                            });
                        }
                        Entry::Begin { .. } => {}
                        _ => return Err(JournalError::NoBegin { path: path.to_owned() }),
                    }
                }
                state.apply(&entry);
                good_end += read as u64;
            }
            Ok(_) => pending_error = Some((number, "no line end".to_owned())),
            Err(error) => pending_error = Some((number, error.to_string())),
        }
    }
    if number == 0 || state.fingerprint.is_empty() {
        return Err(JournalError::NoBegin { path: path.to_owned() });
    }
    // A torn tail: cut it, so the next entry starts on a line of its own.
    if file.metadata().map_err(io(path))?.len() != good_end {
        file.set_len(good_end).map_err(io(path))?;
        file.sync_all().map_err(io(path))?;
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Rows close together, far apart and at the very end of the range.
    fn any_row() -> impl Strategy<Value = u64> {
        prop_oneof![0u64..64, (1u64 << 20)..(1u64 << 20) + 64, Just(u64::MAX), any::<u64>()]
    }

    fn any_entry() -> impl Strategy<Value = Entry> {
        (any_row(), 0u8..5, any::<u64>()).prop_map(|(row, kind, id)| match kind {
            0 => Entry::Intent { row },
            1 => Entry::Released { row },
            2 => Entry::Created { row, id, status: 2 },
            3 => Entry::Exists { row },
            _ => Entry::Failed { row, reason: "no".into() },
        })
    }

    proptest! {
        /// Dense and sparse rows answer like a plain map of every row's last entry, whatever
        /// order the rows come in (a caller's ids need not be dense or in order).
        #[test]
        fn state_matches_a_map_of_last_entries(entries in prop::collection::vec(any_entry(), 0..200)) {
            let mut state = JournalState::default();
            let mut model: HashMap<u64, (RowState, u64)> = HashMap::new();
            for entry in &entries {
                state.apply(entry);
                let (row, new) = match entry {
                    Entry::Intent { row } => (*row, RowState::Pending),
                    Entry::Released { row } => (*row, RowState::Untouched),
                    Entry::Created { row, .. } => (*row, RowState::Created),
                    Entry::Exists { row } => (*row, RowState::Exists),
                    Entry::Failed { row, .. } => (*row, RowState::Failed),
                    _ => unreachable!(),
                };
                let slot = model.entry(row).or_insert((RowState::Untouched, 0));
                slot.0 = new;
                if let Entry::Created { id, .. } = entry {
                    slot.1 = *id;
                }
            }
            for (row, (expected, id)) in &model {
                prop_assert_eq!(state.state(*row), *expected, "row {}", row);
                if *expected == RowState::Created {
                    prop_assert_eq!(state.created(*row), Some((*id, 2)));
                }
            }
            prop_assert!(state.states.len() <= (2 << 20) + 64, "dense rows stay near the rows seen");
        }
    }

    fn begin() -> String {
        serde_json::to_string(&Entry::Begin {
            operation: None,
            delimiter: None,
            version: VERSION,
            fingerprint: "fp".into(),
            format: "csv".into(),
        })
        .unwrap()
            + "\n"
    }

    #[tokio::test]
    async fn written_entries_replay_to_the_last_state_per_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let writer =
            JournalWriter::create(&path, "fp", "csv", crate::Operation::Add, None).unwrap();
        writer.durable(vec![Entry::Intent { row: 0 }]).await.unwrap();
        writer.record(Entry::Created { row: 0, id: 7, status: 2 }).unwrap();
        writer.durable(vec![Entry::Intent { row: 1 }, Entry::Intent { row: 2 }]).await.unwrap();
        writer.durable(vec![Entry::Intent { row: 3 }]).await.unwrap();
        writer.record(Entry::Unknown { row: 3, reason: "timeout".into() }).unwrap();
        writer.record(Entry::Created { row: 4, id: 9, status: 5 }).unwrap();
        tokio::task::spawn_blocking(move || writer.close()).await.unwrap().unwrap();
        assert!(matches!(
            JournalWriter::create(&path, "fp", "csv", crate::Operation::Add, None),
            Err(JournalError::Exists { .. })
        ));

        let state = replay(&path).unwrap();
        assert_eq!(state.fingerprint, "fp");
        assert_eq!(state.created(0), Some((7, 2)));
        assert_eq!(state.state(1), RowState::Pending);
        assert_eq!(state.state(2), RowState::Pending);
        assert_eq!(state.state(3), RowState::Unknown);
        assert_eq!(state.detail(3), Some(&Detail::Reason("timeout".into())));
        assert_eq!(state.created(4), Some((9, 5)));
        assert_eq!(state.state(1000), RowState::Untouched);
    }

    #[test]
    fn a_torn_last_line_is_cut_and_appending_goes_on_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let whole = format!("{}{}\n", begin(), r#"{"kind":"intent","row":0}"#);
        std::fs::write(&path, format!("{whole}{{\"kind\":\"created\",\"ro")).unwrap();
        let state = replay(&path).unwrap();
        assert_eq!(state.state(0), RowState::Pending);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole);

        // A complete but unreadable last line is a torn write too.
        std::fs::write(&path, format!("{whole}\u{0}\u{0}\u{0}\n")).unwrap();
        assert!(replay(&path).is_ok());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole);
    }

    #[test]
    fn corruption_before_the_end_and_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        std::fs::write(&path, format!("{}garbage\n{}\n", begin(), r#"{"kind":"intent","row":0}"#))
            .unwrap();
        assert!(matches!(replay(&path), Err(JournalError::Corrupt { line: 2, .. })));
        std::fs::write(&path, "display_name,wa_number\n").unwrap();
        assert!(matches!(replay(&path), Err(JournalError::NoBegin { .. })));
        std::fs::write(&path, "").unwrap();
        assert!(matches!(replay(&path), Err(JournalError::NoBegin { .. })));
        std::fs::write(
            &path,
            r#"{"kind":"begin","version":99,"fingerprint":"x","format":"csv"}"#.to_owned() + "\n",
        )
        .unwrap();
        assert!(matches!(replay(&path), Err(JournalError::Version { found: 99, .. })));
    }

    #[test]
    fn later_outcomes_win_and_an_intent_reopens_a_row() {
        let mut state = JournalState::default();
        state.apply(&Entry::Intent { row: 2 });
        state.apply(&Entry::Unknown { row: 2, reason: "lost".into() });
        state.apply(&Entry::Intent { row: 2 });
        assert_eq!(state.state(2), RowState::Pending);
        assert_eq!(state.detail(2), None);
        state.apply(&Entry::Exists { row: 2 });
        assert_eq!(state.state(2), RowState::Exists);
    }

    #[test]
    fn a_released_intent_leaves_the_row_untouched() {
        let mut state = JournalState::default();
        state.apply(&Entry::Intent { row: 4 });
        state.apply(&Entry::Released { row: 4 });
        assert_eq!(state.state(4), RowState::Untouched);
        assert_eq!(
            serde_json::to_string(&Entry::Released { row: 4 }).unwrap(),
            r#"{"kind":"released","row":4}"#
        );
    }

    #[test]
    fn a_version_1_journal_is_read_and_continued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let v1 = r#"{"kind":"begin","version":1,"fingerprint":"fp","format":"csv"}"#;
        std::fs::write(&path, format!("{v1}\n{}\n", r#"{"kind":"intent","row":0}"#)).unwrap();
        assert_eq!(replay(&path).unwrap().state(0), RowState::Pending);
        let writer = JournalWriter::append(&path, "fp").unwrap();
        writer.record(Entry::Created { row: 0, id: 1, status: 2 }).unwrap();
        writer.close().unwrap();
        assert_eq!(replay(&path).unwrap().created(0), Some((1, 2)));
    }
}
