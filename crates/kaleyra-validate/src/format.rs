//! Format checks for the e-mail and URL fields, on top of the `validator` crate.

use validator::{ValidateEmail, ValidateUrl};

/// An e-mail address as HTML5 forms accept it (the `validator` crate's rule).
pub(crate) fn is_email(value: &str) -> bool {
    plain_email(value) || value.validate_email()
}

/// An address `validator` certainly accepts, recognized without its regexes (a fifth of the
/// emulator's validation): a local part of at most 64 of the characters its pattern allows, `@`,
/// then at most 255 bytes of dot-separated labels of 1 to 63 ASCII letters, digits and hyphens,
/// not starting or ending with a hyphen, which is exactly its domain pattern. IP literals and
/// international domains are left to it; a property test holds this to it.
fn plain_email(value: &str) -> bool {
    let bytes = value.as_bytes();
    // `@` is not a local-part character: the first one found is the last one, or the domain
    // has one and is refused, as splitting at the last one would refuse the local part.
    let local = bytes.iter().position(|&b| !is(b, LOCAL)).unwrap_or(bytes.len());
    if !(1..=64).contains(&local) || bytes.get(local) != Some(&b'@') {
        return false;
    }
    let domain = bytes.get(local + 1..).unwrap_or_default();
    domain.len() <= 255
        && domain.split(|&b| b == b'.').all(|label| {
            (1..=63).contains(&label.len())
                && label.iter().all(|&b| is(b, LABEL))
                && !label.starts_with(b"-")
                && !label.ends_with(b"-")
        })
}

/// An absolute `http` or `https` URL with a host and no white space.
pub(crate) fn is_http_url(value: &str) -> bool {
    let Some(rest) = after_http_scheme(value) else { return false };
    // What the shortcut takes has no white space; the URL parser silently drops tabs and
    // newlines, which the API would store, so they are refused before it.
    plainly_valid(rest.as_bytes()) || (!has_white_space(value) && value.validate_url())
}

fn has_white_space(value: &str) -> bool {
    if value.is_ascii() {
        value.bytes().any(|b| matches!(b, b' ' | b'\t'..=b'\r'))
    } else {
        value.contains(char::is_whitespace)
    }
}

/// What follows `http://` or `https://` (either in any case), when something does.
fn after_http_scheme(value: &str) -> Option<&str> {
    // The usual spelling first: ignoring case goes byte by byte.
    if let Some(rest) = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://")) {
        return (!rest.is_empty()).then_some(rest);
    }
    ["http://", "https://"].iter().find_map(|scheme| {
        // Compared as bytes: the value may have a multi-byte character where the scheme ends.
        let head = value.as_bytes().get(..scheme.len())?;
        let rest = value.get(scheme.len()..).filter(|rest| !rest.is_empty())?;
        head.eq_ignore_ascii_case(scheme.as_bytes()).then_some(rest)
    })
}

/// A URL the `url` crate certainly parses, recognized without it (the parse was a quarter of a
/// row's cost in `validate FILE`), given what follows its scheme: an ASCII host of plain labels,
/// an optional port, then anything printable. Anything else goes to the parser; a differential
/// test holds this to it. One pass, no searching (the emulator checks up to three URLs a request).
fn plainly_valid(rest: &[u8]) -> bool {
    // The host: labels of letters, digits and hyphens, split by dots, none empty, none starting
    // or ending with a hyphen, none with two hyphens in a row (`xn--` labels need IDNA: the
    // parser's). `previous` starts as a dot: the first label starts there.
    let (mut at, mut label_start, mut previous) = (0, 0, b'.');
    while let Some(&b) = rest.get(at) {
        match b {
            b'.' | b'-' if matches!(previous, b'.' | b'-') => return false,
            b'.' => label_start = at + 1,
            b'-' => {}
            _ if is(b, LABEL) => {}
            _ => break,
        }
        previous = b;
        at += 1;
    }
    if matches!(previous, b'.' | b'-') {
        return false;
    }
    // A numeric or hex last label reads as IPv4: the parser's.
    let last_label = rest.get(label_start..at).unwrap_or_default();
    if last_label.iter().all(u8::is_ascii_digit)
        || last_label.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"0x"))
    {
        return false;
    }
    if rest.get(at) == Some(&b':') {
        let start = at + 1;
        at = start;
        while rest.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let port = &rest[start..at];
        if !(1..=5).contains(&port.len()) {
            return false;
        }
        if port.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')) > 65_535 {
            return false;
        }
    }
    match rest.get(at) {
        None => true,
        Some(b'/' | b'?' | b'#') => rest[at..].iter().all(u8::is_ascii_graphic),
        Some(_) => false,
    }
}

/// A letter, digit or hyphen: what a plain host label is made of.
const LABEL: u8 = 1;
/// What the local part of a plain e-mail address is made of.
const LOCAL: u8 = 2;

/// The classes of every byte, looked up once per byte (testing a byte against the local part's
/// twenty symbols one by one was most of the e-mail check).
static CLASSES: [u8; 256] = {
    let mut classes = [0; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        if b.is_ascii_alphanumeric() || b == b'-' {
            classes[byte] |= LABEL;
        }
        if b.is_ascii_alphanumeric() {
            classes[byte] |= LOCAL;
        }
        byte += 1;
    }
    let symbols = b".!#$%&'*+/=?^_`{|}~-";
    let mut i = 0;
    while i < symbols.len() {
        classes[symbols[i] as usize] |= LOCAL;
        i += 1;
    }
    classes
};

fn is(b: u8, class: u8) -> bool {
    CLASSES[usize::from(b)] & class != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "https://www.kaleyra.com",
            "HTTP://example.com/a?b=c#d",
            "https://s3.ap-south-1.amazonaws.com/stage-hexa/docs/1620380334flower-729512__340.jpg",
            "http://127.0.0.1:8080/incoming",
        ] {
            assert!(is_http_url(ok), "{ok}");
        }
        for bad in [
            "www.kaleyra.com",
            "ftp://example.com",
            "https://",
            "https:// example.com",
            "https://exa mple.com",
            "https://example.com/\tx",
            "javascript:alert(1)",
            "mailto:a@b.c",
            "https",
            "𑯃\\Á9¥gੈ",
            "httpé://x",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    /// The shortcut as first written, searching the value several times: the definition the
    /// one-pass scanner is held to.
    fn plainly_valid_as_defined(value: &str) -> bool {
        let Some((_, rest)) = value.split_once("://") else { return false };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let port_ok = port.is_none_or(|p| {
            (1..=5).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65_535)
        });
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
                && !label.contains("--")
        };
        let last = host.rsplit('.').next().unwrap_or_default();
        let numeric_last = last.bytes().all(|b| b.is_ascii_digit())
            || last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"));
        port_ok
            && host.split('.').all(label_ok)
            && !numeric_last
            && tail.bytes().all(|b| b.is_ascii_graphic())
    }

    fn url_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let label = prop_oneof![
            "[a-zA-Z0-9-]{1,12}",
            Just("xn--".to_owned()),
            Just("xn--a".to_owned()),
            Just("0x1f".to_owned()),
            "[0-9]{1,4}",
        ];
        (
            prop_oneof![Just("http://"), Just("https://"), Just("HTTPS://")],
            proptest::collection::vec(label, 1..5),
            proptest::option::of("[0-9]{1,6}"),
            "[!-~]{0,24}",
            prop_oneof![Just(""), Just("/"), Just("?"), Just("#")],
        )
            .prop_map(|(scheme, labels, port, tail, start)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                let tail = format!("{start}{tail}");
                format!("{scheme}{}{port}{tail}", labels.join("."))
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// Whatever follows the scheme, the scanner and the definition agree.
        #[test]
        fn the_scanner_is_the_definition(rest in "[a-zA-Z0-9.:/?#@_ ~é-]{0,24}") {
            let url = format!("https://{rest}");
            let scanned = after_http_scheme(&url).is_some_and(|rest| plainly_valid(rest.as_bytes()));
            proptest::prop_assert_eq!(scanned, plainly_valid_as_defined(&url), "{}", url);
        }

        /// The scheme in its usual spelling is taken as ignoring case takes it.
        #[test]
        fn the_scheme_is_matched_ignoring_case(value in "(https?|HTTPS?|hTtPs?|htt)?:?/{0,3}[a-zé/]{0,3}") {
            let ignoring_case = ["http://", "https://"].iter().find_map(|scheme| {
                let rest = value.get(scheme.len()..).filter(|rest| !rest.is_empty())?;
                value.get(..scheme.len())?.eq_ignore_ascii_case(scheme).then_some(rest)
            });
            proptest::prop_assert_eq!(after_http_scheme(&value), ignoring_case, "{}", value);
        }

        /// The shortcut never accepts what the parser refuses.
        #[test]
        fn the_shortcut_agrees_with_the_url_parser(url in url_strategy()) {
            let shortcut = after_http_scheme(&url).is_some_and(|rest| plainly_valid(rest.as_bytes()));
            if shortcut {
                proptest::prop_assert!(url.validate_url(), "{}", url);
            }
            // The one-pass scanner is the readable definition it replaced.
            proptest::prop_assert_eq!(shortcut, plainly_valid_as_defined(&url), "{}", url);
        }
    }

    fn email_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let local =
            prop_oneof!["[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{0,70}", "[a-z@ \\\\\"(),:;<>é]{0,8}",];
        let label = prop_oneof![
            "[a-zA-Z0-9-]{0,12}",
            "[a-z]{60,66}",
            Just("xn--bcher-kva".to_owned()),
            Just("bücher".to_owned()),
            Just("[127.0.0.1]".to_owned()),
            Just("[::1]".to_owned()),
            "[_ .@]{1,2}",
        ];
        (local, proptest::collection::vec(label, 0..6))
            .prop_map(|(local, labels)| format!("{local}@{}", labels.join(".")))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// The shortcut never accepts what `validator` refuses, and the verdict is its verdict.
        #[test]
        fn the_email_shortcut_agrees_with_validator(email in email_strategy()) {
            if plain_email(&email) {
                proptest::prop_assert!(email.validate_email(), "{}", email);
            }
            proptest::prop_assert_eq!(is_email(&email), email.validate_email(), "{}", email);
        }
    }

    #[test]
    fn the_email_shortcut_takes_ordinary_addresses_and_leaves_the_rest() {
        for ordinary in ["xyz@example.com", "a.b+c@mail.example-1.co.uk", "x@y"] {
            assert!(plain_email(ordinary), "{ordinary}");
        }
        let long_label = format!("a@{}.com", "b".repeat(63));
        assert!(plain_email(&long_label));
        for left in [
            "a@[127.0.0.1]",
            "a@bücher.example",
            "é@example.com",
            "a@-example.com",
            "a@example..com",
            "@example.com",
            "a@",
            &format!("a@{}.com", "b".repeat(64)),
            &format!("{}@example.com", "a".repeat(65)),
        ] {
            assert!(!plain_email(left), "{left}");
        }
    }

    #[test]
    fn the_shortcut_takes_ordinary_urls_and_leaves_the_rest() {
        for ordinary in [
            "https://www.kaleyra.com",
            "https://example.com/testing?a=b#c",
            "http://127.0.0.1.example:8080/incoming",
            "https://s3.ap-south-1.amazonaws.com/stage-hexa/docs/1620380334flower-729512__340.jpg",
        ] {
            assert!(plainly_valid_as_defined(ordinary), "{ordinary}");
            assert!(plainly_valid(after_http_scheme(ordinary).unwrap().as_bytes()), "{ordinary}");
        }
        for left in [
            "http://127.0.0.1:8080/incoming",
            "https://xn--bcher-kva.example",
            "https://user@example.com",
            "https://exa_mple.com",
            "https://example.com:99999",
            "https://example.com:99999999999",
            "https://example.com:",
            "https://bücher.example",
            "https://a..b",
        ] {
            assert!(!plainly_valid_as_defined(left), "{left}");
            assert!(!plainly_valid(after_http_scheme(left).unwrap().as_bytes()), "{left}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["xyz@example.com", "a.b+c@sub.example.co.in", "user@[127.0.0.1]"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["xyz", "xyz@", "@example.com", "a@b@c", "a b@example.com", "xyz@-example.com"] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
