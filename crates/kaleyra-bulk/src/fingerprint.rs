//! A fingerprint of the input file, so a journal is never resumed against another file.

use std::io::Read;
use std::path::Path;

/// `fnv1a64:<hash>:<length>` of the file's bytes. Not cryptographic: it guards against mistakes
/// (another file, an edited file), not against an adversary. (The import reads it while it
/// scans the input, `scan_reader`; this is the plain version its tests compare with.)
#[cfg(test)]
fn of_file(path: &Path) -> std::io::Result<String> {
    scan_reader(std::fs::File::open(path)?).map(|scanned| scanned.fingerprint)
}

/// What one read of the input tells: its fingerprint and its line count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    /// As [`of_file`] gives it.
    pub fingerprint: String,
    /// Lines, the last one counted whether or not it ends in a newline: an upper bound of the
    /// rows (blank lines, a CSV's header line and quoted line breaks count too).
    pub lines: u64,
}

/// The fingerprint and the line count of everything `reader` gives, in one read.
pub fn scan_reader(reader: impl Read) -> std::io::Result<Scanned> {
    let (hash, lines) = digest(reader)?;
    Ok(Scanned { fingerprint: format!("fnv1a64:{:016x}:{}", hash.hash, hash.length), lines })
}

/// `fnv1a64:<hash>` of the first `length` bytes of the file at `path`; `None` when the file
/// is shorter than that. It tells whether a file that only grows (a journal) still begins with
/// what it held before.
pub fn of_prefix(path: &Path, length: u64) -> std::io::Result<Option<String>> {
    let (hash, _) = digest(std::fs::File::open(path)?.take(length))?;
    Ok((hash.length == length).then(|| format!("fnv1a64:{:016x}", hash.hash)))
}

/// The hash of everything `reader` gives, and its lines (the last one counted whether or not it
/// ends in a newline).
fn digest(mut reader: impl Read) -> std::io::Result<(Fnv, u64)> {
    let mut hash = Fnv::default();
    let (mut lines, mut last) = (0u64, b'\n');
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = reader.read(&mut buffer)?;
        let Some(chunk) = buffer.get(..read).filter(|chunk| !chunk.is_empty()) else {
            break;
        };
        hash.write(chunk);
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        last = chunk.last().copied().unwrap_or(last);
    }
    Ok((hash, lines + u64::from(last != b'\n')))
}

/// FNV-1a, 64 bits, and the bytes it has seen.
struct Fnv {
    hash: u64,
    length: u64,
}

impl Default for Fnv {
    fn default() -> Self {
        Fnv { hash: 0xcbf2_9ce4_8422_2325, length: 0 }
    }
}

impl Fnv {
    fn write(&mut self, chunk: &[u8]) {
        for byte in chunk {
            self.hash ^= u64::from(*byte);
            self.hash = self.hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.length += chunk.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_bytes_same_fingerprint_one_byte_changes_it() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "display_name,wa_number\nx,+1\n").unwrap();
        std::fs::write(&b, "display_name,wa_number\nx,+2\n").unwrap();
        assert_eq!(super::of_file(&a).unwrap(), super::of_file(&a).unwrap());
        assert_ne!(super::of_file(&a).unwrap(), super::of_file(&b).unwrap());
        std::fs::write(&b, "").unwrap();
        assert_eq!(super::of_file(&b).unwrap(), "fnv1a64:cbf29ce484222325:0");
    }

    #[test]
    fn a_prefix_hash_tells_a_grown_file_from_a_cut_or_changed_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        std::fs::write(&path, "abcdef").unwrap();
        let before = super::of_prefix(&path, 6).unwrap().unwrap();
        std::fs::write(&path, "abcdefgh").unwrap();
        assert_eq!(super::of_prefix(&path, 6).unwrap().as_ref(), Some(&before));
        std::fs::write(&path, "abc").unwrap();
        assert_eq!(super::of_prefix(&path, 6).unwrap(), None);
        std::fs::write(&path, "abcdeX").unwrap();
        assert_ne!(super::of_prefix(&path, 6).unwrap().as_ref(), Some(&before));
        assert_eq!(
            super::of_prefix(&path, 0).unwrap().as_deref(),
            Some("fnv1a64:cbf29ce484222325")
        );
    }

    #[test]
    fn lines_count_a_last_line_without_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        for (text, lines) in
            [("", 0), ("a", 1), ("a\n", 1), ("a\nb", 2), ("\n\n", 2), ("a\r\nb\r\n", 2)]
        {
            std::fs::write(&path, text).unwrap();
            let scanned = super::scan_reader(std::fs::File::open(&path).unwrap()).unwrap();
            assert_eq!(scanned.lines, lines, "{text:?}");
            assert_eq!(scanned.fingerprint, super::of_file(&path).unwrap());
        }
        // Lines across the read buffer's 256 KiB.
        std::fs::write(&path, "x\n".repeat(200_000) + "last").unwrap();
        assert_eq!(super::scan_reader(std::fs::File::open(&path).unwrap()).unwrap().lines, 200_001);
    }
}
