//! The input file, held open for the whole import: every pass (sending, the reports) reads the
//! bytes of the file the import started with, even if another file is moved to its path, and an
//! edit in place is found by fingerprinting it again before the reports are written.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fingerprint::{self, Scanned};
use crate::rows::{Format, InputError, ReadOptions, RowReader};

/// An input file opened once.
#[derive(Debug)]
pub struct Input {
    path: PathBuf,
    file: Arc<File>,
    scanned: Scanned,
}

/// What became of the input while the import ran.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The same bytes at the same path.
    None,
    /// Another file was put at the path; the import read (and reports) the one it started with.
    Replaced,
    /// The file itself was edited: rows read after the edit may not be the rows the journal
    /// names. Carries the fingerprint the file has now.
    Edited(String),
}

impl Input {
    /// Opens `path` and reads it once for its fingerprint and line count.
    pub fn open(path: &Path) -> Result<Input, InputError> {
        let file = File::open(path)?;
        if file.metadata()?.is_dir() {
            return Err(InputError::Io(std::io::Error::other("is a directory")));
        }
        let file = Arc::new(file);
        let scanned = fingerprint::scan_reader(At::new(file.clone()))?;
        Ok(Input { path: path.to_owned(), file, scanned })
    }

    /// Where it was opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its fingerprint when opened (`fnv1a64:<hash>:<length>`).
    pub fn fingerprint(&self) -> &str {
        &self.scanned.fingerprint
    }

    /// Its line count when opened.
    pub fn lines(&self) -> u64 {
        self.scanned.lines
    }

    /// The file's rows, read from its start through the handle opened first; `options` as in
    /// [`RowReader::with_options`].
    pub fn rows(&self, format: Format, options: ReadOptions) -> Result<RowReader, InputError> {
        RowReader::with_options(Box::new(At::new(self.file.clone())), format, options)
    }

    /// Reads the file again (through the same handle) and looks at its path: has anything
    /// changed since it was opened?
    pub fn change(&self) -> std::io::Result<Change> {
        let now = fingerprint::scan_reader(At::new(self.file.clone()))?;
        if now.fingerprint != self.scanned.fingerprint {
            return Ok(Change::Edited(now.fingerprint));
        }
        let same = match std::fs::metadata(&self.path) {
            Ok(at_path) => same_file(&self.file.metadata()?, &at_path),
            Err(_) => false,
        };
        Ok(if same { Change::None } else { Change::Replaced })
    }

    /// Whether `path` names this very file.
    pub fn is(&self, path: &Path) -> bool {
        match (self.file.metadata(), std::fs::metadata(path)) {
            (Ok(ours), Ok(theirs)) => same_file(&ours, &theirs),
            _ => false,
        }
    }
}

/// Whether two metadata describe one file (device and inode; elsewhere, never assumed).
pub(crate) fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// A reader over a shared file handle at its own position (positioned reads), so that several
/// passes read one handle without disturbing each other.
struct At {
    file: Arc<File>,
    offset: u64,
}

impl At {
    fn new(file: Arc<File>) -> At {
        At { file, offset: 0 }
    }
}

impl Read for At {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        let read = std::os::unix::fs::FileExt::read_at(&*self.file, buffer, self.offset)?;
        #[cfg(windows)]
        let read = std::os::windows::fs::FileExt::seek_read(&*self.file, buffer, self.offset)?;
        self.offset += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "display_name,wa_number\na,+13236550017\n";

    #[test]
    fn passes_read_the_file_opened_first_whatever_is_moved_to_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("numbers.csv");
        std::fs::write(&path, TEXT).unwrap();
        let input = Input::open(&path).unwrap();
        assert_eq!(input.change().unwrap(), Change::None);
        assert!(input.is(&path));

        let other = dir.path().join("other.csv");
        std::fs::write(&other, "display_name,wa_number\nb,+13236550018\n").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(input.change().unwrap(), Change::Replaced);
        assert!(!input.is(&path));
        let rows: Vec<_> =
            input.rows(Format::Csv, ReadOptions::default()).unwrap().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].request.as_ref().unwrap().as_add().unwrap().display_name.as_deref(),
            Some("a")
        );
        // Twice: each pass starts at the beginning.
        assert_eq!(input.rows(Format::Csv, ReadOptions::default()).unwrap().count(), 1);
    }

    #[test]
    fn an_edit_in_place_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("numbers.csv");
        std::fs::write(&path, TEXT).unwrap();
        let input = Input::open(&path).unwrap();
        std::fs::write(&path, TEXT.replace('a', "z")).unwrap();
        assert!(matches!(input.change().unwrap(), Change::Edited(_)));
    }

    #[test]
    fn a_directory_is_refused_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let error = Input::open(dir.path()).unwrap_err();
        assert!(error.to_string().contains("is a directory"), "{error}");
    }
}
