//! A set of reports is written whole into a fresh directory beside the report directory, then
//! swapped in with two renames: a reader (or a crash) sees the old set, the new set, or no
//! directory at all, never reports of two runs mixed. The next run finishes or undoes a swap a
//! crash interrupted.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::{CREATED, FAILED, MANIFEST, REJECTED, UNKNOWN, UPDATED};

/// Every name a report directory may hold.
pub(crate) const NAMES: [&str; 6] = [CREATED, UPDATED, REJECTED, UNKNOWN, FAILED, MANIFEST];

/// `.NAME.partial` beside `dir`: the set being written.
pub(crate) fn partial(dir: &Path) -> PathBuf {
    beside(dir, "partial")
}

/// `.NAME.old` beside `dir`: the set being replaced.
fn old(dir: &Path) -> PathBuf {
    beside(dir, "old")
}

fn beside(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(dir.file_name().unwrap_or_default());
    name.push(".");
    name.push(suffix);
    dir.with_file_name(name)
}

/// Finishes or undoes a swap that a crash interrupted, and removes a half-written set. Call it
/// holding the report directory's lock.
pub(crate) fn recover(dir: &Path) -> std::io::Result<()> {
    let (partial, old) = (partial(dir), old(dir));
    if partial.is_dir() {
        if !dir.exists() && partial.join(MANIFEST).is_file() {
            // Complete (its manifest is written last) and the old set already moved aside.
            std::fs::rename(&partial, dir)?;
        } else {
            remove_set(&partial)?;
        }
    }
    if old.is_dir() {
        if dir.exists() { remove_set(&old)? } else { std::fs::rename(&old, dir)? }
    }
    // Report files half written by versions that renamed each file into place.
    for name in NAMES {
        let _ = std::fs::remove_file(dir.join(format!(".{name}.partial")));
    }
    Ok(())
}

/// A fresh, empty directory for a new set (a leftover one is removed first).
pub(crate) fn start(dir: &Path) -> std::io::Result<PathBuf> {
    let partial = partial(dir);
    if partial.exists() {
        remove_set(&partial)?;
    }
    std::fs::create_dir(&partial)?;
    Ok(partial)
}

/// Makes the new set in `partial` durable and swaps it in for `dir`.
pub(crate) fn swap_in(partial: &Path, dir: &Path) -> std::io::Result<()> {
    sync_dir(partial)?;
    let old = old(dir);
    if old.exists() {
        remove_set(&old)?;
    }
    let had_old = match std::fs::rename(dir, &old) {
        Ok(()) => true,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
        Err(error) => return Err(error),
    };
    std::fs::rename(partial, dir)?;
    if let Some(parent) = dir.parent() {
        sync_dir(if parent.as_os_str().is_empty() { Path::new(".") } else { parent })?;
    }
    if had_old {
        remove_set(&old)?;
    }
    Ok(())
}

/// Removes a set's directory: only the names a set holds, so that nothing else is ever deleted.
fn remove_set(dir: &Path) -> std::io::Result<()> {
    for name in NAMES {
        match std::fs::remove_file(dir.join(name)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    std::fs::remove_dir(dir)
}

/// What a report directory holds that no set does (the first such name), if anything.
pub(crate) fn foreign_entry(dir: &Path) -> std::io::Result<Option<OsString>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let name = entry?.file_name();
        let ours = name.to_str().is_some_and(|name| {
            NAMES.contains(&name) || NAMES.iter().any(|report| name == format!(".{report}.partial"))
        });
        if !ours {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(dir: &Path, marker: &str, complete: bool) {
        std::fs::create_dir_all(dir).unwrap();
        for name in [CREATED, REJECTED, UNKNOWN, FAILED] {
            std::fs::write(dir.join(name), marker).unwrap();
        }
        if complete {
            std::fs::write(dir.join(MANIFEST), marker).unwrap();
        }
    }

    fn marker(dir: &Path) -> String {
        std::fs::read_to_string(dir.join(CREATED)).unwrap()
    }

    #[test]
    fn a_swap_replaces_the_whole_set() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("numbers.csv-reports");
        set(&dir, "old", true);
        let partial = start(&dir).unwrap();
        set(&partial, "new", true);
        swap_in(&partial, &dir).unwrap();
        assert_eq!(marker(&dir), "new");
        let names: Vec<_> =
            std::fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["numbers.csv-reports"], "nothing left beside it");
    }

    #[test]
    fn a_crash_between_the_renames_is_finished_by_the_next_run() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("r");
        // Old set moved aside, new set complete, the second rename not done.
        set(&old(&dir), "old", true);
        set(&partial(&dir), "new", true);
        recover(&dir).unwrap();
        assert_eq!(marker(&dir), "new");
        assert!(!old(&dir).exists() && !partial(&dir).exists());
    }

    #[test]
    fn a_half_written_set_is_dropped_and_the_old_one_kept() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("r");
        set(&dir, "old", true);
        set(&partial(&dir), "new", false);
        recover(&dir).unwrap();
        assert_eq!(marker(&dir), "old");
        assert!(!partial(&dir).exists());

        // The old set moved aside and the new one incomplete: the old one comes back.
        std::fs::rename(&dir, old(&dir)).unwrap();
        set(&partial(&dir), "new", false);
        recover(&dir).unwrap();
        assert_eq!(marker(&dir), "old");
    }

    #[test]
    fn foreign_files_are_named_and_never_removed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("r");
        assert_eq!(foreign_entry(&dir).unwrap(), None);
        set(&dir, "x", true);
        std::fs::write(dir.join(".created.csv.partial"), "").unwrap();
        assert_eq!(foreign_entry(&dir).unwrap(), None);
        std::fs::write(dir.join("numbers.csv"), "").unwrap();
        assert_eq!(foreign_entry(&dir).unwrap(), Some("numbers.csv".into()));
        assert!(remove_set(&dir).is_err(), "a directory with other files stays");
        assert!(dir.join("numbers.csv").exists());
    }
}
