//! Writing JSON strings as serde_json does, and the one question about them the record writer and
//! the one-pass request reader ask: how much of a value needs no escaping.

/// Appends `value` as a JSON string, byte for byte as serde_json writes it. The common string,
/// which needs no escaping, is copied as it is; the rest goes to serde_json.
pub(crate) fn push_string(json: &mut Vec<u8>, value: &str) {
    if unescaped_len(value.as_bytes()) < value.len() {
        // Into memory: cannot fail.
        let _ = serde_json::to_writer(&mut *json, value);
    } else {
        push_unescaped(json, value);
    }
}

/// Appends `value` between quotes as it is: [`push_string`] for a value already known to need
/// no escaping (`unescaped_len(value) == value.len()`, checked in debug builds), without looking.
#[inline]
pub(crate) fn push_unescaped(json: &mut Vec<u8>, value: &str) {
    debug_assert_eq!(unescaped_len(value.as_bytes()), value.len(), "{value:?} needs escaping");
    json.reserve(value.len() + 2);
    json.push(b'"');
    json.extend_from_slice(value.as_bytes());
    json.push(b'"');
}

/// How many bytes at the start of `bytes` stand for themselves inside a JSON string: up to the
/// first quote, backslash or control character (below 0x20), which serde_json escapes when
/// writing and which end or escape a string when reading. DEL and non-ASCII stand for
/// themselves. Eight bytes at a time: it runs over every value the emulator reads and writes.
pub(crate) fn unescaped_len(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::MAX / 255;
    const HIGHS: u64 = ONES * 0x80;
    // The high bit of each byte of `word` below `n` (n <= 128). A borrow can mark a byte above
    // a marked one wrongly, never one below it, so the lowest mark is exact.
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let equal = |word: u64, b: u8| below(word ^ (ONES * u64::from(b)), 1);
    let mut words = bytes.chunks_exact(8);
    let mut done = 0;
    for chunk in words.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let marks = below(word, 0x20) | equal(word, b'"') | equal(word, b'\\');
        if marks != 0 {
            return done + (marks.trailing_zeros() / 8) as usize;
        }
        done += 8;
    }
    let tail = words.remainder();
    done + tail.iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\').unwrap_or(tail.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescaped_bytes_end_exactly_where_serde_json_would_escape() {
        for byte in 0..=127u8 {
            let text = String::from(char::from(byte));
            let escaped = serde_json::to_string(&text).unwrap() != format!("\"{text}\"");
            // In each lane of a word, in the tail, after another special byte.
            for at in [0, 3, 7, 8, 13, 15, 16, 37, 40] {
                let long = format!("{}{text}{}\"\\", "a".repeat(at), "b".repeat(40 - at));
                let expected = if escaped { at } else { 41 };
                assert_eq!(unescaped_len(long.as_bytes()), expected, "byte {byte} at {at}");
            }
        }
        assert_eq!(unescaped_len("é€😀\u{7f}".as_bytes()), "é€😀\u{7f}".len());
        assert_eq!(unescaped_len(b""), 0);
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        use proptest::prelude::*;
        let text =
            proptest::string::string_regex("[a-z \"\\\\\u{0}-\u{1f}\u{7f}é€😀]{0,40}").unwrap();
        proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(5_000))
            .run(&text, |text| {
                let mut ours = b"[".to_vec();
                push_string(&mut ours, &text);
                prop_assert_eq!(&ours[1..], serde_json::to_vec(&text).unwrap());
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn unescaped_len_is_the_first_special_byte_for_any_bytes() {
        use proptest::prelude::*;
        let bytes = proptest::collection::vec(
            prop_oneof![4 => Just(b'a'), 1 => any::<u8>(), 1 => Just(b'"'), 1 => Just(0x1f)],
            0..40,
        );
        proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(5_000))
            .run(&bytes, |bytes| {
                let naive = bytes
                    .iter()
                    .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
                    .unwrap_or(bytes.len());
                prop_assert_eq!(unescaped_len(&bytes), naive);
                Ok(())
            })
            .unwrap();
    }
}
