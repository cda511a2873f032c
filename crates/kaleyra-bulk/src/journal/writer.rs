//! The journal's writer: entries from any task, written and fsync'd by a thread of its own.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::{Entry, JournalError, VERSION, io};
use crate::operation::Operation;

/// Outcomes are fsync'd at least this often while an import runs.
const SYNC_INTERVAL: Duration = Duration::from_millis(100);
/// Outcomes reach the file (the page cache: they survive the process, not the machine) within
/// this time, or sooner with the next batch of intents. Waking the thread for each one would
/// cost more than writing it.
const WRITE_INTERVAL: Duration = Duration::from_millis(1);
/// ... or as soon as this many are waiting.
const WRITE_AT: usize = 64;

type Ack = oneshot::Sender<Result<(), String>>;

/// What the tasks hand the thread.
#[derive(Default)]
struct Inbox {
    entries: Vec<Entry>,
    /// Tasks waiting for everything before them to be durable.
    waiting: Vec<Ack>,
    closed: bool,
    /// Why the thread stopped, when it failed.
    failed: Option<String>,
}

#[derive(Default)]
struct Shared {
    inbox: Mutex<Inbox>,
    wake: Condvar,
}

impl Shared {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        // Nothing panics while holding the lock; a poisoned inbox is still whole.
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Appends entries from any task; a dedicated thread does the (blocking) writes and fsyncs.
pub(crate) struct JournalWriter {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<Result<(), JournalError>>>,
    /// No file: entries are dropped (an import that will never be resumed).
    discard: bool,
}

impl std::fmt::Debug for JournalWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalWriter")
            .field("running", &self.thread.is_some())
            .field("discard", &self.discard)
            .finish()
    }
}

impl JournalWriter {
    /// Starts a new journal; refuses to overwrite one.
    pub(crate) fn create(
        path: &Path,
        fingerprint: &str,
        format: &str,
        operation: Operation,
        delimiter: Option<char>,
    ) -> Result<JournalWriter, JournalError> {
        let mut file = match OpenOptions::new().read(true).write(true).create_new(true).open(path) {
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
            operation: (operation != Operation::Add).then(|| operation.as_str().to_owned()),
            delimiter: delimiter.map(String::from),
        };
        write_entry(&mut file, &begin, &mut Vec::new()).map_err(io(path))?;
        file.sync_all().map_err(io(path))?;
        sync_parent(path).map_err(io(path))?;
        Ok(JournalWriter::start(path, file))
    }

    /// A journal that keeps nothing, for an import that will never be resumed: every entry is
    /// accepted (and durable at once), none is written.
    pub(crate) fn discard() -> JournalWriter {
        JournalWriter { shared: Arc::new(Shared::default()), thread: None, discard: true }
    }

    /// Continues a journal that [`super::replay`] has read (and cut any torn tail from).
    pub(crate) fn append(path: &Path, fingerprint: &str) -> Result<JournalWriter, JournalError> {
        let mut file = OpenOptions::new().read(true).append(true).open(path).map_err(io(path))?;
        file.seek(SeekFrom::End(0)).map_err(io(path))?;
        let resume = Entry::Resume { fingerprint: fingerprint.to_owned() };
        write_entry(&mut file, &resume, &mut Vec::new()).map_err(io(path))?;
        file.sync_data().map_err(io(path))?;
        Ok(JournalWriter::start(path, file))
    }

    fn start(path: &Path, file: File) -> JournalWriter {
        let shared = Arc::new(Shared::default());
        let thread = {
            let (shared, path) = (shared.clone(), path.to_owned());
            std::thread::Builder::new()
                .name("kaleyra-journal".to_owned())
                .spawn(move || {
                    let result = write_loop(file, &path, &shared);
                    if let Err(error) = &result {
                        let mut inbox = shared.inbox();
                        inbox.failed = Some(error.to_string());
                        for ack in inbox.waiting.drain(..) {
                            let _ = ack.send(Err(error.to_string()));
                        }
                    }
                    result.map_err(io(&path))
                })
                .ok()
        };
        JournalWriter { shared, thread, discard: false }
    }

    /// Writes `entries` and returns once they are on disk (one fsync, shared with whatever else
    /// is waiting).
    pub(crate) async fn durable(&self, entries: Vec<Entry>) -> Result<(), JournalError> {
        if self.discard {
            return Ok(());
        }
        let (ack, acked) = oneshot::channel();
        {
            let mut inbox = self.open_inbox()?;
            inbox.entries.extend(entries);
            inbox.waiting.push(ack);
        }
        self.shared.wake.notify_one();
        acked
            .await
            .map_err(|_| JournalError::WriterGone("no acknowledgement".to_owned()))?
            .map_err(JournalError::WriterGone)
    }

    /// Writes `entry`; it reaches the file within a few milliseconds (or with the next
    /// [`JournalWriter::durable`]), the disk with the next fsync.
    pub(crate) fn record(&self, entry: Entry) -> Result<(), JournalError> {
        if self.discard {
            return Ok(());
        }
        let wake = {
            let mut inbox = self.open_inbox()?;
            inbox.entries.push(entry);
            // The first wakes the thread (it then gathers for a moment), and a full inbox.
            inbox.entries.len() == 1 || inbox.entries.len() >= WRITE_AT
        };
        if wake {
            self.shared.wake.notify_one();
        }
        Ok(())
    }

    fn open_inbox(&self) -> Result<MutexGuard<'_, Inbox>, JournalError> {
        let inbox = self.shared.inbox();
        if let Some(failed) = &inbox.failed {
            return Err(JournalError::WriterGone(failed.clone()));
        }
        if inbox.closed || self.thread.is_none() {
            return Err(JournalError::WriterGone("closed".to_owned()));
        }
        Ok(inbox)
    }

    /// Writes and fsyncs everything sent so far, then stops the writer. Blocks: call it from
    /// `spawn_blocking` in async code.
    pub(crate) fn close(mut self) -> Result<(), JournalError> {
        if self.discard {
            return Ok(());
        }
        self.stop().unwrap_or_else(|| {
            Err(JournalError::WriterGone("the writer thread did not start".into()))
        })
    }

    fn stop(&mut self) -> Option<Result<(), JournalError>> {
        self.shared.inbox().closed = true;
        self.shared.wake.notify_one();
        let thread = self.thread.take()?;
        Some(
            thread.join().unwrap_or_else(|_| {
                Err(JournalError::WriterGone("the writer thread panicked".into()))
            }),
        )
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        // Dropped without close: still let the thread write what it has.
        let _ = self.stop();
    }
}

/// Takes what the tasks left, writes it, fsyncs when someone waits for it (or the interval
/// passed), acknowledges; until closed. At every fsync it checks that the journal's path still
/// names the file it writes: a journal deleted or replaced under a run stops the run.
fn write_loop(file: File, path: &Path, shared: &Shared) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
    let mut entries = Vec::new();
    let mut line = Vec::with_capacity(256);
    let mut last_sync = Instant::now();
    let mut unsynced = false;
    loop {
        let (waiting, closed) = {
            let mut inbox = shared.inbox();
            let idle = |inbox: &Inbox| {
                inbox.entries.is_empty() && inbox.waiting.is_empty() && !inbox.closed
            };
            // Sleep until there is something to do (or written outcomes are due an fsync).
            while idle(&inbox) {
                let due = SYNC_INTERVAL.saturating_sub(last_sync.elapsed());
                if unsynced && due.is_zero() {
                    break;
                }
                let timeout = if unsynced { due } else { Duration::from_secs(3600) };
                inbox = shared
                    .wake
                    .wait_timeout(inbox, timeout)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            // Let outcomes gather for a moment, unless a task waits or many are there.
            let gathered = Instant::now() + WRITE_INTERVAL;
            while inbox.waiting.is_empty() && inbox.entries.len() < WRITE_AT && !inbox.closed {
                let left = gathered.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                inbox =
                    shared.wake.wait_timeout(inbox, left).unwrap_or_else(PoisonError::into_inner).0;
            }
            // Swap buffers: the tasks fill the other one while this one is written.
            std::mem::swap(&mut entries, &mut inbox.entries);
            (std::mem::take(&mut inbox.waiting), inbox.closed)
        };
        unsynced |= !entries.is_empty();
        for entry in entries.drain(..) {
            write_entry(&mut out, &entry, &mut line)?;
        }
        out.flush()?;
        let due = unsynced && last_sync.elapsed() >= SYNC_INTERVAL;
        if !waiting.is_empty() || due || (closed && unsynced) {
            let synced = out.get_ref().sync_data().and_then(|()| still_at(out.get_ref(), path));
            last_sync = Instant::now();
            unsynced = false;
            let result = synced.as_ref().map(|_| ()).map_err(|e| e.to_string());
            for ack in waiting {
                let _ = ack.send(result.clone());
            }
            synced?;
        }
        if closed {
            return Ok(());
        }
    }
}

/// Fails when `path` no longer names `file` (deleted, or another file moved there), after
/// putting what `file` holds back where it can be found: at `path` if nothing is there, else at
/// `PATH.recovered`.
fn still_at(file: &File, path: &Path) -> std::io::Result<()> {
    let ours = file.metadata()?;
    let theirs = std::fs::metadata(path);
    if theirs.as_ref().is_ok_and(|theirs| crate::input::same_file(&ours, theirs)) {
        return Ok(());
    }
    #[cfg(not(unix))]
    if theirs.is_ok() {
        return Ok(());
    }
    let what = if theirs.is_ok() { "replaced by another file" } else { "deleted" };
    let target = if theirs.is_ok() { recovered(path) } else { path.to_owned() };
    let restored = restore(file, &target);
    Err(std::io::Error::other(match restored {
        Ok(()) => format!(
            "was {what} during the run: sending stopped; what it held is back at {} (a \
             --resume with it continues, and writes the reports)",
            target.display()
        ),
        Err(error) => format!(
            "was {what} during the run: sending stopped; putting it back at {} failed ({error})",
            target.display()
        ),
    }))
}

fn recovered(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".recovered");
    path.with_file_name(name)
}

/// Copies the open journal to a new file at `target` (never over an existing one).
fn restore(file: &File, target: &Path) -> std::io::Result<()> {
    let mut copy = OpenOptions::new().write(true).create_new(true).open(target)?;
    let mut source = file.try_clone()?;
    source.seek(SeekFrom::Start(0))?;
    std::io::copy(&mut source, &mut copy)?;
    copy.sync_all()?;
    sync_parent(target)
}

/// Writes `entry` as one line with one `write_all`, formatted in `line` (reused by the caller).
fn write_entry(out: &mut impl Write, entry: &Entry, line: &mut Vec<u8>) -> std::io::Result<()> {
    line.clear();
    serde_json::to_writer(&mut *line, entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(line)
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
