//! Turning an answer (status, headers, body) into a result, by a short list of ordered rules.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode, header::RETRY_AFTER};
use kaleyra_model::{ErrorEnvelope, SuccessEnvelope};

use crate::error::{Error, UnknownReason};
use crate::redact::redact;

/// Longest part of an undecodable body quoted in an error.
const SNIPPET_CHARS: usize = 200;

/// What one complete answer means.
#[derive(Debug)]
pub(crate) enum Verdict {
    Created(Box<SuccessEnvelope>),
    Failed(Error),
    /// The server said the request was not processed and may be sent again, after `wait` if it
    /// said how long (else after the policy's backoff). `error` is what the caller gets if no
    /// attempt is left.
    Retry {
        wait: Option<Duration>,
        error: Error,
    },
}

/// The verdict on an answer. `key` is masked in whatever of the body an error quotes.
pub(crate) fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8], key: &str) -> Verdict {
    let code = status.as_u16();
    let retry_after = retry_after(headers);
    if status.is_success() {
        return match SuccessEnvelope::from_slice(body) {
            Ok(envelope) => Verdict::Created(Box::new(envelope)),
            Err(error) => {
                Verdict::Failed(undecodable(code, &error.to_string(), &redact(body, key)))
            }
        };
    }
    let body = &*redact(body, key);
    let envelope = ErrorEnvelope::from_slice(body).ok().map(Box::new);
    match code {
        401 | 403 => Verdict::Failed(Error::Authentication { status: code, envelope }),
        429 => Verdict::Retry { wait: retry_after, error: Error::RateLimited { retry_after } },
        503 if retry_after.is_some() => {
            Verdict::Retry { wait: retry_after, error: Error::Unavailable { retry_after } }
        }
        500..=599 => Verdict::Failed(Error::UnknownOutcome {
            reason: UnknownReason::ServerError { status: code, envelope },
        }),
        _ => match envelope {
            Some(envelope) => Verdict::Failed(Error::Rejected { status: code, envelope }),
            None => Verdict::Failed(undecodable(code, "not an error envelope", body)),
        },
    }
}

fn undecodable(status: u16, detail: &str, body: &[u8]) -> Error {
    let text = String::from_utf8_lossy(body);
    let snippet: String = text.chars().take(SNIPPET_CHARS).collect();
    Error::Undecodable { status, detail: detail.to_owned(), snippet }
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry_after: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = retry_after {
            headers.insert(RETRY_AFTER, value.parse().unwrap());
        }
        headers
    }

    fn verdict(status: u16, retry: Option<&str>, body: &str) -> Verdict {
        classify(
            StatusCode::from_u16(status).unwrap(),
            &headers(retry),
            body.as_bytes(),
            "k3y-s3cret",
        )
    }

    const FULL: &str = r#"{"code":"E947","message":"m","data":[],"error":{"code":"E413","type":"VALIDATION_ERROR","parameter":"wa_number","message":"x","reference":""}}"#;
    const BARE: &str = r#"{"error":{"code":"E962","type":"VALIDATION_ERROR","parameter":"display_image","message":"display_image cannot be empty","reference":""}}"#;

    #[test]
    fn success_needs_a_readable_envelope() {
        assert!(matches!(
            verdict(200, None, r#"{"code":"I102","data":[{"id":1}]}"#),
            Verdict::Created(_)
        ));
        let Verdict::Failed(error) = verdict(200, None, "<html>") else { panic!() };
        assert!(matches!(error, Error::Undecodable { status: 200, .. }));
        assert!(error.may_have_been_created());
    }

    #[test]
    fn rejections_parse_both_shapes() {
        for body in [FULL, BARE] {
            let Verdict::Failed(error) = verdict(400, None, body) else { panic!() };
            assert!(matches!(error, Error::Rejected { status: 400, .. }));
            assert!(!error.may_have_been_created());
        }
        let Verdict::Failed(error) = verdict(409, None, FULL) else { panic!() };
        assert!(error.is_duplicate());
        let Verdict::Failed(error) = verdict(404, None, "nope") else { panic!() };
        assert!(
            matches!(error, Error::Undecodable { status: 404, .. })
                && !error.may_have_been_created()
        );
    }

    #[test]
    fn authentication() {
        for status in [401, 403] {
            let Verdict::Failed(error) = verdict(status, None, FULL) else { panic!() };
            assert!(matches!(error, Error::Authentication { envelope: Some(_), .. }));
        }
    }

    #[test]
    fn only_429_and_503_with_retry_after_are_retried() {
        assert!(
            matches!(verdict(429, Some("2"), ""), Verdict::Retry { wait: Some(w), .. } if w == Duration::from_secs(2))
        );
        assert!(matches!(verdict(429, None, ""), Verdict::Retry { wait: None, .. }));
        assert!(matches!(
            verdict(503, Some("1"), ""),
            Verdict::Retry { error: Error::Unavailable { .. }, .. }
        ));
        for status in [500, 502, 503, 504] {
            let Verdict::Failed(error) = verdict(status, None, FULL) else { panic!("{status}") };
            assert!(error.may_have_been_created(), "{status}");
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after(&headers(Some(" 7 "))), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(&headers(Some("Wed, 21 Oct 2015 07:28:00 GMT"))),
            Some(Duration::ZERO)
        );
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let wait = retry_after(&headers(Some(&later))).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        assert_eq!(retry_after(&headers(Some("soon"))), None);
        assert_eq!(retry_after(&headers(None)), None);
    }

    #[test]
    fn snippets_are_bounded() {
        let Verdict::Failed(Error::Undecodable { snippet, .. }) =
            verdict(200, None, &"é".repeat(10_000))
        else {
            panic!()
        };
        assert_eq!(snippet.chars().count(), SNIPPET_CHARS);
    }

    /// A proxy echoing the request's headers: the key is in no error, whatever its kind.
    #[test]
    fn an_echoed_key_is_masked_in_every_quoted_text() {
        let envelope = r#"{"code":"E947","message":"bad","error":{"wa_number":{"code":"E413","message":"got api-key: k3y-s3cret"}},"data":[]}"#;
        for (status, body) in [
            (400, envelope.to_owned()),
            (502, envelope.to_owned()),
            (401, envelope.to_owned()),
            (400, "<html>api-key: k3y-s3cret</html>".to_owned()),
            (200, "echo: k3y-s3cret".to_owned()),
        ] {
            let Verdict::Failed(error) = verdict(status, None, &body) else { panic!("{status}") };
            let text = format!("{error} {error:?}");
            assert!(!text.contains("k3y-s3cret"), "{status}: {text}");
        }
    }
}
