//! Format checks for the e-mail and URL fields, on top of the `validator` crate.

use validator::{ValidateEmail, ValidateUrl};

/// An e-mail address as HTML5 forms accept it (the `validator` crate's rule).
pub(crate) fn is_email(value: &str) -> bool {
    value.validate_email()
}

/// An absolute `http` or `https` URL with a host and no white space.
pub(crate) fn is_http_url(value: &str) -> bool {
    let scheme_ok = ["http://", "https://"].iter().any(|scheme| {
        // Compared as bytes: the value may have a multi-byte character where the scheme ends.
        value.len() > scheme.len()
            && value.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
    });
    // The URL parser silently drops tabs and newlines; the API would store them.
    scheme_ok && !value.contains(char::is_whitespace) && value.validate_url()
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
