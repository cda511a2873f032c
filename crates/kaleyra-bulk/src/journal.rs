//! The import journal: an append-only file of JSON lines, one event each.
//!
//! An *intent* is written and made durable (fsync, shared by every intent waiting at that moment)
//! before its row is sent; the *outcome* is written after, and made durable in groups. After a
//! crash, a row with an intent and no outcome may or may not have been created: it is *unknown*.
//! A torn last line (the crash hit mid-write) is cut off on resume.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// The journal format's version, in its first line.
pub const VERSION: u32 = 1;

/// Outcomes are fsync'd at least this often while an import runs.
const SYNC_INTERVAL: Duration = Duration::from_millis(100);

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// First line: what is being imported.
    Begin { version: u32, fingerprint: String, format: String },
    /// A later run took over (informational).
    Resume { fingerprint: String },
    /// The row is about to be sent.
    Intent { row: u64 },
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
    Created,
    Exists,
    Rejected,
    Unknown,
    Failed,
}

/// Details kept for the reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    Rejected { http_status: u16, code: String, parameter: String, message: String },
    Reason(String),
}

/// The journal replayed: every row's last state, in compact form (a byte and an id per row).
#[derive(Debug, Default)]
pub struct JournalState {
    pub fingerprint: String,
    pub format: String,
    states: Vec<RowState>,
    ids: Vec<u64>,
    statuses: HashMap<u64, i64>,
    details: HashMap<u64, Detail>,
}

/// Status of a freshly created number; only other statuses are stored per row.
const USUAL_STATUS: i64 = 2;

impl JournalState {
    pub fn state(&self, row: u64) -> RowState {
        self.states.get(row as usize).copied().unwrap_or(RowState::Untouched)
    }

    /// Id and status of a created row.
    pub fn created(&self, row: u64) -> Option<(u64, i64)> {
        (self.state(row) == RowState::Created).then(|| {
            let id = self.ids.get(row as usize).copied().unwrap_or_default();
            (id, self.statuses.get(&row).copied().unwrap_or(USUAL_STATUS))
        })
    }

    pub fn detail(&self, row: u64) -> Option<&Detail> {
        self.details.get(&row)
    }

    /// Applies one entry.
    pub fn apply(&mut self, entry: &Entry) {
        let (row, state) = match entry {
            Entry::Begin { fingerprint, format, .. } => {
                self.fingerprint = fingerprint.clone();
                self.format = format.clone();
                return;
            }
            Entry::Resume { .. } => return,
            Entry::Intent { row } => (*row, RowState::Pending),
            Entry::Created { row, id, status } => {
                self.slot(*row);
                self.ids[*row as usize] = *id;
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
                    Detail::Rejected {
                        http_status: *http_status,
                        code: code.clone(),
                        parameter: parameter.clone(),
                        message: message.clone(),
                    },
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
        self.slot(row);
        self.states[row as usize] = state;
    }

    fn slot(&mut self, row: u64) {
        let needed = row as usize + 1;
        if self.states.len() < needed {
            self.states.resize(needed, RowState::Untouched);
            self.ids.resize(needed, 0);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "journal {path} already exists: pass --resume to continue that import, or remove the file to start over"
    )]
    Exists { path: PathBuf },
    #[error("journal {path} line {line} is corrupt: {message}")]
    Corrupt { path: PathBuf, line: u64, message: String },
    #[error("journal {path} has no begin line: it is not a kaleyra import journal")]
    NoBegin { path: PathBuf },
    #[error("journal {path} is version {found}, this kaleyra reads version {VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("the journal writer stopped: {0}")]
    WriterGone(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io { path: path.to_owned(), source }
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
        match serde_json::from_slice::<Entry>(&line) {
            Ok(entry) if complete => {
                if number == 1 {
                    match &entry {
                        Entry::Begin { version, .. } if *version != VERSION => {
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

enum Message {
    Entry(Entry),
    /// Made durable, then acknowledged.
    Durable(Vec<Entry>, oneshot::Sender<Result<(), String>>),
}

/// Appends entries from any task; a dedicated thread does the (blocking) writes and fsyncs.
#[derive(Debug)]
pub struct JournalWriter {
    sender: Option<mpsc::UnboundedSender<Message>>,
    thread: Option<JoinHandle<Result<(), JournalError>>>,
}

impl JournalWriter {
    /// Starts a new journal; refuses to overwrite one.
    pub fn create(
        path: &Path,
        fingerprint: &str,
        format: &str,
    ) -> Result<JournalWriter, JournalError> {
        let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(JournalError::Exists { path: path.to_owned() });
            }
            Err(e) => return Err(io(path)(e)),
        };
        let begin = Entry::Begin {
            version: VERSION,
            fingerprint: fingerprint.to_owned(),
            format: format.to_owned(),
        };
        write_entry(&mut file, &begin).map_err(io(path))?;
        file.sync_all().map_err(io(path))?;
        sync_parent(path).map_err(io(path))?;
        Ok(JournalWriter::start(path, file))
    }

    /// Continues a journal that [`replay`] has read (and cut any torn tail from).
    pub fn append(path: &Path, fingerprint: &str) -> Result<JournalWriter, JournalError> {
        let mut file = OpenOptions::new().append(true).open(path).map_err(io(path))?;
        file.seek(SeekFrom::End(0)).map_err(io(path))?;
        write_entry(&mut file, &Entry::Resume { fingerprint: fingerprint.to_owned() })
            .map_err(io(path))?;
        file.sync_data().map_err(io(path))?;
        Ok(JournalWriter::start(path, file))
    }

    fn start(path: &Path, file: File) -> JournalWriter {
        let (sender, receiver) = mpsc::unbounded_channel();
        let path = path.to_owned();
        let thread = std::thread::Builder::new()
            .name("kaleyra-journal".to_owned())
            .spawn(move || write_loop(file, receiver).map_err(io(&path)))
            .ok();
        JournalWriter { sender: Some(sender), thread }
    }

    /// Writes `entries` and returns once they are on disk (one fsync, shared with whatever else
    /// is waiting).
    pub async fn durable(&self, entries: Vec<Entry>) -> Result<(), JournalError> {
        let (ack, acked) = oneshot::channel();
        self.send(Message::Durable(entries, ack))?;
        acked
            .await
            .map_err(|_| JournalError::WriterGone("no acknowledgement".to_owned()))?
            .map_err(JournalError::WriterGone)
    }

    /// Writes `entry`; it reaches the disk with the next group.
    pub fn record(&self, entry: Entry) -> Result<(), JournalError> {
        self.send(Message::Entry(entry))
    }

    fn send(&self, message: Message) -> Result<(), JournalError> {
        self.sender
            .as_ref()
            .ok_or_else(|| JournalError::WriterGone("closed".to_owned()))?
            .send(message)
            .map_err(|_| JournalError::WriterGone("the writer thread ended".to_owned()))
    }

    /// Writes and fsyncs everything sent so far, then stops the writer. Blocks: call it from
    /// `spawn_blocking` in async code.
    pub fn close(mut self) -> Result<(), JournalError> {
        self.sender.take();
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| JournalError::WriterGone("the writer thread panicked".to_owned()))?,
            None => Err(JournalError::WriterGone("the writer thread did not start".to_owned())),
        }
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        // Dropped without close: still let the thread flush what it has.
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Takes every message waiting, writes them in one go, fsyncs when someone waits for it (or
/// the interval passed), acknowledges.
fn write_loop(file: File, mut receiver: mpsc::UnboundedReceiver<Message>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
    let mut last_sync = Instant::now();
    let mut unsynced = false;
    while let Some(first) = receiver.blocking_recv() {
        let mut waiting = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Entry(entry) => write_entry(&mut out, &entry)?,
                Message::Durable(entries, ack) => {
                    waiting.push(ack);
                    for entry in &entries {
                        write_entry(&mut out, entry)?;
                    }
                }
            }
            unsynced = true;
            next = receiver.try_recv().ok();
        }
        if !waiting.is_empty() || last_sync.elapsed() >= SYNC_INTERVAL {
            let synced = out.flush().and_then(|()| out.get_ref().sync_data());
            last_sync = Instant::now();
            unsynced = false;
            let result = synced.as_ref().map(|_| ()).map_err(|e| e.to_string());
            for ack in waiting {
                let _ = ack.send(result.clone());
            }
            synced?;
        }
    }
    out.flush()?;
    if unsynced {
        out.get_ref().sync_data()?;
    }
    Ok(())
}

fn write_entry(out: &mut impl Write, entry: &Entry) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)
}

/// Makes a new file's directory entry durable.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn begin() -> String {
        serde_json::to_string(&Entry::Begin {
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
        let writer = JournalWriter::create(&path, "fp", "csv").unwrap();
        writer.durable(vec![Entry::Intent { row: 0 }]).await.unwrap();
        writer.record(Entry::Created { row: 0, id: 7, status: 2 }).unwrap();
        writer.durable(vec![Entry::Intent { row: 1 }, Entry::Intent { row: 2 }]).await.unwrap();
        writer.durable(vec![Entry::Intent { row: 3 }]).await.unwrap();
        writer.record(Entry::Unknown { row: 3, reason: "timeout".into() }).unwrap();
        writer.record(Entry::Created { row: 4, id: 9, status: 5 }).unwrap();
        tokio::task::spawn_blocking(move || writer.close()).await.unwrap().unwrap();
        assert!(matches!(
            JournalWriter::create(&path, "fp", "csv"),
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
}
