//! `manifest.json`, written last into every set of reports: which journal and input the set
//! describes, and how long the journal was and what it held when the set was written. A later
//! run reads it to refuse a journal that was cut short, deleted or swapped, and to keep reports
//! of one journal from being overwritten by another's.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ReportCounts;

/// The file's name inside the report directory.
pub const MANIFEST: &str = "manifest.json";

/// The manifest's format version.
const VERSION: u32 = 1;

/// What a set of reports was written from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// The format's version.
    pub version: u32,
    /// The journal, as an absolute path.
    pub journal: PathBuf,
    /// The journal's length in bytes when the reports were written.
    pub journal_bytes: u64,
    /// `fnv1a64:<hash>` of those bytes.
    pub journal_checksum: String,
    /// The input, as an absolute path.
    pub input: PathBuf,
    /// The input's fingerprint.
    pub input_fingerprint: String,
    /// Rows per report.
    pub reports: ReportCounts,
}

impl Manifest {
    /// A manifest of this version.
    pub fn new(
        journal: PathBuf,
        journal_bytes: u64,
        journal_checksum: String,
        input: PathBuf,
        input_fingerprint: String,
        reports: ReportCounts,
    ) -> Manifest {
        Manifest {
            version: VERSION,
            journal,
            journal_bytes,
            journal_checksum,
            input,
            input_fingerprint,
            reports,
        }
    }

    /// The manifest in `dir`; `Ok(None)` when there is none.
    pub fn read(dir: &Path) -> std::io::Result<Option<Manifest>> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        serde_json::from_slice(&text).map(Some).map_err(|error| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a kaleyra report manifest: {error}", path.display()),
            )
        })
    }

    /// The manifest as written, one JSON object and a line end.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::read(dir.path()).unwrap(), None);
        let manifest = Manifest::new(
            "/data/numbers.csv.journal".into(),
            1234,
            "fnv1a64:0123456789abcdef".into(),
            "/data/numbers.csv".into(),
            "fnv1a64:0000000000000001:99".into(),
            ReportCounts { created: 3, rejected: 1, unknown: 0, failed: 0 },
        );
        std::fs::write(dir.path().join(MANIFEST), manifest.to_bytes()).unwrap();
        assert_eq!(Manifest::read(dir.path()).unwrap(), Some(manifest));
        std::fs::write(dir.path().join(MANIFEST), "display_name,wa_number\n").unwrap();
        let error = Manifest::read(dir.path()).unwrap_err();
        assert!(error.to_string().contains("is not a kaleyra report manifest"), "{error}");
    }
}
