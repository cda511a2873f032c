//! Exclusive locks that die with their process: one import per journal and per report
//! directory.
//!
//! A lock is an OS file lock (`flock` on Unix) on a small file beside the thing it guards,
//! holding the owner's process id. The OS lets go of it when the process ends, however it ends,
//! so a crash never leaves a stale lock; the file itself is removed when the lock is dropped,
//! and a file left by a crash is simply locked again by the next run.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::input::same_file;

/// A held lock; dropping it lets go (and removes its file).
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: File,
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "another import{} is using {guarded} (lock {lock}): wait for it to finish or stop it; \
         two imports on one journal or report directory would send rows twice",
        holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    Held {
        /// What the lock guards.
        guarded: PathBuf,
        /// The lock's file.
        lock: PathBuf,
        /// The holder's process id, when it wrote one.
        holder: Option<u32>,
    },
    /// The lock's file cannot be made or locked.
    #[error("cannot lock {guarded} (lock {lock}): {source}")]
    Io {
        /// What the lock guards.
        guarded: PathBuf,
        /// The lock's file.
        lock: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Lock {
    /// `.NAME.lock` beside `guarded`.
    pub fn path_for(guarded: &Path) -> PathBuf {
        let mut name = std::ffi::OsString::from(".");
        name.push(guarded.file_name().unwrap_or_default());
        name.push(".lock");
        guarded.with_file_name(name)
    }

    /// Takes the lock guarding `guarded` at once, or says who holds it.
    pub fn acquire(guarded: &Path) -> Result<Lock, LockError> {
        let path = Lock::path_for(guarded);
        let io = |source| LockError::Io { guarded: guarded.to_owned(), lock: path.clone(), source };
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let holder = file.read_to_string(&mut text).ok().and(text.trim().parse().ok());
                    return Err(LockError::Held {
                        guarded: guarded.to_owned(),
                        lock: path.clone(),
                        holder,
                    });
                }
                Err(TryLockError::Error(error)) => return Err(io(error)),
            }
            // The holder before us may have removed the file between our open and our lock:
            // then we hold a lock on a file nobody else can find. Start again.
            let still_there = match std::fs::metadata(&path) {
                Ok(at_path) => same_file(&file.metadata().map_err(io)?, &at_path),
                Err(_) => false,
            };
            if !still_there && cfg!(unix) {
                continue;
            }
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            writeln!(file, "{}", std::process::id()).map_err(io)?;
            return Ok(Lock { path, file });
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked, so that nobody locks a file that is about to go; the
        // lock itself goes when the handle closes.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_the_first_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("numbers.csv.journal");
        let first = Lock::acquire(&journal).unwrap();
        let lock_file = dir.path().join(".numbers.csv.journal.lock");
        assert_eq!(
            std::fs::read_to_string(&lock_file).unwrap().trim(),
            std::process::id().to_string()
        );
        match Lock::acquire(&journal) {
            Err(LockError::Held { holder, .. }) => assert_eq!(holder, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(first);
        assert!(!lock_file.exists());
        let _again = Lock::acquire(&journal).unwrap();
    }

    #[test]
    fn a_lock_file_left_by_a_crash_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j");
        std::fs::write(Lock::path_for(&journal), "4242\n").unwrap();
        let _lock = Lock::acquire(&journal).unwrap();
    }

    #[test]
    fn a_message_names_the_pid() {
        let error = LockError::Held {
            guarded: "numbers.csv.journal".into(),
            lock: ".numbers.csv.journal.lock".into(),
            holder: Some(77),
        };
        assert!(
            error.to_string().starts_with("another import (pid 77) is using numbers.csv.journal")
        );
    }
}
