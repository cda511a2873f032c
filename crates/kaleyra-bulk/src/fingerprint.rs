//! A fingerprint of the input file, so a journal is never resumed against another file.

use std::io::Read;
use std::path::Path;

/// `fnv1a64:<hash>:<length>` of the file's bytes. Not cryptographic: it guards against mistakes
/// (another file, an edited file), not against an adversary.
pub fn of_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut length: u64 = 0;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        length += read as u64;
        for byte in &buffer[..read] {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Ok(format!("fnv1a64:{hash:016x}:{length}"))
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
}
