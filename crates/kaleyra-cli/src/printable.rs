//! Text from a server (or a file) printed for a person: control characters, escape sequences
//! among them, would act on the terminal instead of being read. They are shown escaped.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character but the line feed written as its escape (`\u{1b}`,
/// `\r`); a line feed stays one, as messages of several lines use it.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            let _ = write!(out, "{}", c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped_the_rest_kept() {
        assert_eq!(printable("Acme, Inc. ✓"), "Acme, Inc. ✓");
        assert_eq!(printable("\u{1b}]0;pwned\u{7}x\r\ny"), "\\u{1b}]0;pwned\\u{7}x\\r\ny");
        assert_eq!(printable("\u{9b}2J"), "\\u{9b}2J");
    }
}
