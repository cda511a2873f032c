//! Server text is quoted in errors (an envelope's message, the start of an undecodable body),
//! and errors end up on terminals, in journals and in reports. A proxy that echoes the request's
//! headers in an error body would put the key there: every occurrence of the key, and the value
//! after any `api-key` header name, is masked before anything is read from the body.

use std::borrow::Cow;

/// What a masked value becomes.
const MASK: &[u8] = b"****";

/// `body` with the key and every `api-key` header value masked; borrowed when there is none.
pub(crate) fn redact<'a>(body: &'a [u8], key: &str) -> Cow<'a, [u8]> {
    let mut text = Cow::Borrowed(body);
    if !key.is_empty() && find(&text, key.as_bytes(), 0).is_some() {
        text = Cow::Owned(replace_all(&text, key.as_bytes()));
    }
    if find_name(&text, 0).is_some() {
        text = Cow::Owned(mask_header_values(&text));
    }
    text
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// The next `api-key` (any case) at or after `from`.
fn find_name(text: &[u8], from: usize) -> Option<usize> {
    const NAME: &[u8] = b"api-key";
    let rest = text.get(from..)?;
    rest.windows(NAME.len())
        .position(|window| window.eq_ignore_ascii_case(NAME))
        .map(|at| at + from)
}

fn replace_all(text: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = find(text, needle, at) {
        out.extend_from_slice(&text[at..found]);
        out.extend_from_slice(MASK);
        at = found + needle.len();
    }
    out.extend_from_slice(&text[at..]);
    out
}

/// After each `api-key` name: the separators (quotes, `:`, `=`, white space, a JSON escape's
/// backslash), then the value up to the next separator, masked.
fn mask_header_values(text: &[u8]) -> Vec<u8> {
    let separator = |byte: u8| matches!(byte, b'"' | b'\'' | b':' | b'=' | b'\\' | b' ' | b'\t');
    let end_of_value = |byte: u8| {
        separator(byte) || matches!(byte, b',' | b';' | b'}' | b']' | b'\r' | b'\n' | b'&' | b'<')
    };
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    while let Some(name) = find_name(text, at) {
        let mut value = name + b"api-key".len();
        while value < text.len() && separator(text[value]) {
            value += 1;
        }
        let mut end = value;
        while end < text.len() && !end_of_value(text[end]) {
            end += 1;
        }
        out.extend_from_slice(&text[at..value]);
        if end > value {
            out.extend_from_slice(MASK);
        }
        at = end.max(name + 1);
    }
    out.extend_from_slice(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(body: &str, key: &str) -> String {
        String::from_utf8(redact(body.as_bytes(), key).into_owned()).unwrap()
    }

    #[test]
    fn the_key_and_api_key_header_values_are_masked_wherever_they_stand() {
        let key = "Ac4f00dcafe21f";
        assert_eq!(redacted("no secrets here", key), "no secrets here");
        assert!(matches!(redact(b"plain", key), Cow::Borrowed(_)));
        assert_eq!(redacted(&format!("x{key}y{key}"), key), "x****y****");
        assert_eq!(
            redacted(r#"{"message":"headers: api-key: other-secret, host: x"}"#, key),
            r#"{"message":"headers: api-key: ****, host: x"}"#
        );
        assert_eq!(
            redacted(r#"{"headers":{"Api-Key":"abc123","accept":"*/*"}}"#, key),
            r#"{"headers":{"Api-Key":"****","accept":"*/*"}}"#
        );
        assert_eq!(
            redacted(&format!("API-KEY={key}&next=1"), key),
            "API-KEY=****&next=1",
            "the key itself first, then the header value (already masked)"
        );
        assert_eq!(redacted("api-key", key), "api-key");
        assert_eq!(redacted("api-key:\r\n", key), "api-key:\r\n");
    }

    proptest::proptest! {
        /// Whatever surrounds it, the key never survives.
        #[test]
        fn the_key_never_survives(before in ".{0,40}", after in ".{0,40}", key in "[A-Za-z0-9]{4,32}") {
            let body = format!("{before}{key}{after}");
            let out = redact(body.as_bytes(), &key);
            proptest::prop_assert!(find(&out, key.as_bytes(), 0).is_none(), "{:?}", String::from_utf8_lossy(&out));
        }
    }
}
