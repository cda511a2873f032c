//! One pass over JSON text for the one-pass request reader (`one_pass.rs`): it reads what
//! clients usually send and answers `None` for anything else, which serde then reads and words.
//! Its small steps are marked `#[inline]`: the reader lives in another module, which release
//! builds may put in another codegen unit.

use crate::json_text::unescaped_len;

pub(crate) struct Reader<'a> {
    pub(crate) body: &'a str,
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    pub(crate) fn new(body: &'a str) -> Self {
        Reader { body, at: 0 }
    }

    /// JSON's whitespace, exactly: serde_json allows these four and nothing else.
    #[inline]
    pub(crate) fn skip_whitespace(&mut self) {
        let bytes = self.body.as_bytes();
        while let Some(&byte) = bytes.get(self.at) {
            // Most tokens follow no whitespace at all: one comparison says so.
            if byte > b' ' || !matches!(byte, b' ' | b'\n' | b'\t' | b'\r') {
                break;
            }
            self.at += 1;
        }
    }

    /// Whether the next byte after whitespace is `byte` (not taken).
    #[inline]
    pub(crate) fn next_is(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        self.body.as_bytes().get(self.at) == Some(&byte)
    }

    #[inline]
    pub(crate) fn expect(&mut self, byte: u8) -> Option<()> {
        self.next_is(byte).then(|| self.at += 1)
    }

    /// After the last value: only whitespace may follow.
    #[inline]
    pub(crate) fn at_end(&mut self) -> bool {
        self.skip_whitespace();
        self.at == self.body.len()
    }

    /// A string without escapes or control characters: the text between its quotes.
    #[inline]
    pub(crate) fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let len = unescaped_len(self.body.as_bytes().get(start..)?);
        self.at = start + len;
        self.expect_here(b'"')?;
        // Both ends are ASCII quotes, so both are character boundaries.
        self.body.get(start..start + len)
    }

    /// A key, when it is one of `keys` written plainly: its position in `keys`. The bytes after
    /// its quote are compared with each key and a closing quote: keys are few, short and known,
    /// so this is cheaper than finding where the string ends first, and those bytes hold no
    /// backslash, so that quote ends it.
    pub(crate) fn key<T: Copy>(
        &mut self,
        keys: &[T],
        name: impl Fn(T) -> &'static str,
    ) -> Option<usize> {
        self.expect(b'"')?;
        let rest = self.body.as_bytes().get(self.at..)?;
        let found = keys.iter().position(|&key| comes_first(rest, name(key)))?;
        self.at += name(*keys.get(found)?).len() + 1;
        Some(found)
    }

    /// `null`, when it comes next.
    #[inline]
    pub(crate) fn null(&mut self) -> Option<()> {
        self.skip_whitespace();
        let rest = self.body.as_bytes().get(self.at..)?;
        rest.starts_with(b"null").then(|| self.at += 4)
    }

    /// `{` members `}`, each member read by `member` (from its key on).
    #[inline]
    pub(crate) fn object(&mut self, member: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.sequence(b'{', b'}', member)
    }

    /// `open`, then zero or more parts read by `part` and separated by commas, then `close`.
    #[inline]
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut part: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.expect(open)?;
        if self.next_is(close) {
            self.at += 1;
            return Some(());
        }
        loop {
            part(self)?;
            if self.next_is(b',') {
                self.at += 1;
            } else {
                return self.expect(close);
            }
        }
    }

    #[inline]
    fn expect_here(&mut self, byte: u8) -> Option<()> {
        (self.body.as_bytes().get(self.at) == Some(&byte)).then(|| self.at += 1)
    }
}

/// Whether `rest`, the bytes after a key's opening quote, is `key` and its closing quote.
#[inline]
fn comes_first(rest: &[u8], key: &str) -> bool {
    rest.get(key.len()) == Some(&b'"') && rest.starts_with(key.as_bytes())
}

/// Marks the known key at `index` as read: `None` the second time (a repeated key is serde's to
/// refuse, and word).
#[inline]
pub(crate) fn once(seen: &mut [bool], index: usize) -> Option<()> {
    (!std::mem::replace(seen.get_mut(index)?, true)).then_some(())
}

/// How many of 5,000 bodies drawn from `bodies` (the same ones every run) a fast reader answers
/// (`fast`) and serde reads (`serde`): a fast reader that answered too rarely would be correct
/// and useless.
#[cfg(test)]
pub(crate) fn answer_counts(
    bodies: impl proptest::strategy::Strategy<Value = String>,
    fast: impl Fn(&str) -> bool,
    serde: impl Fn(&str) -> bool,
) -> (usize, usize) {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut answered, mut read) = (0, 0);
    for _ in 0..5_000 {
        let body = bodies.new_tree(&mut runner).map(|tree| tree.current()).unwrap_or_default();
        answered += usize::from(fast(&body));
        read += usize::from(serde(&body));
    }
    (answered, read)
}
