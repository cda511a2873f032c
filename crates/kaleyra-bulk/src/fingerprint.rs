//! A fingerprint of the input file, so a journal is never resumed against another file.

use std::io::Read;
use std::path::Path;

/// `fnv1a64:<hash>:<length>` of the file's bytes. Not cryptographic: it guards against mistakes
/// (another file, an edited file), not against an adversary.
pub fn of_file(path: &Path) -> std::io::Result<String> {
    scan(path).map(|scanned| scanned.fingerprint)
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

/// The fingerprint and the line count, in one read of the file.
pub fn scan(path: &Path) -> std::io::Result<Scanned> {
    let mut file = std::fs::File::open(path)?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let (mut length, mut lines, mut last) = (0u64, 0u64, b'\n');
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        let Some(chunk) = buffer.get(..read).filter(|chunk| !chunk.is_empty()) else {
            break;
        };
        length += read as u64;
        for byte in chunk {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        last = chunk.last().copied().unwrap_or(last);
    }
    Ok(Scanned {
        fingerprint: format!("fnv1a64:{hash:016x}:{length}"),
        lines: lines + u64::from(last != b'\n'),
    })
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
    fn lines_count_a_last_line_without_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        for (text, lines) in
            [("", 0), ("a", 1), ("a\n", 1), ("a\nb", 2), ("\n\n", 2), ("a\r\nb\r\n", 2)]
        {
            std::fs::write(&path, text).unwrap();
            let scanned = super::scan(&path).unwrap();
            assert_eq!(scanned.lines, lines, "{text:?}");
            assert_eq!(scanned.fingerprint, super::of_file(&path).unwrap());
        }
        // Lines across the read buffer's 256 KiB.
        std::fs::write(&path, "x\n".repeat(200_000) + "last").unwrap();
        assert_eq!(super::scan(&path).unwrap().lines, 200_001);
    }
}
