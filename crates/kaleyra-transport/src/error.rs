//! What can go wrong with one add-number call, each case distinct so a caller can act on it.

use std::fmt;
use std::time::Duration;

use kaleyra_model::ErrorEnvelope;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A failed call. [`Error::may_have_been_created`] tells the cases where the number may exist
/// now from those where it certainly does not.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error envelope (400 validation, 409 duplicate, ...).
    #[error("rejected by the API (HTTP {status}): {}", envelope_text(.envelope))]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The API's envelope.
        envelope: Box<ErrorEnvelope>,
    },
    /// 401 or 403: the key does not belong to the SID, is deactivated, or the IP is not allowed.
    #[error("authentication failed (HTTP {status}): check the SID and the API key")]
    Authentication {
        /// 401 or 403.
        status: u16,
        /// The envelope, when the answer had one.
        envelope: Option<Box<ErrorEnvelope>>,
    },
    /// 429, and retrying did not help (or the wait asked for was too long).
    #[error("rate limited (HTTP 429){}", after(.retry_after))]
    RateLimited {
        /// The last `Retry-After`, when there was one.
        retry_after: Option<Duration>,
    },
    /// 503 with `Retry-After`, and retrying did not help.
    #[error("service unavailable (HTTP 503){}", after(.retry_after))]
    Unavailable {
        /// The last `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The request never left: connection refused, DNS, TLS handshake, connect timeout.
    #[error("request not sent after {attempts} attempt(s): {message}")]
    NotSent {
        /// Attempts made.
        attempts: u32,
        /// What the last one ran into.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The request may have reached the server and been processed; nobody can tell.
    #[error("outcome unknown, the number may or may not have been created: {reason}")]
    UnknownOutcome {
        /// Why nobody can tell.
        reason: UnknownReason,
    },
    /// An answer that is not an envelope this client understands.
    #[error("undecodable response (HTTP {status}): {detail}; body starts with {snippet:?}")]
    Undecodable {
        /// The HTTP status.
        status: u16,
        /// What could not be read.
        detail: String,
        /// The start of the body, the key masked.
        snippet: String,
    },
    /// An answer larger than the configured limit.
    #[error("response (HTTP {status}) larger than {limit} bytes")]
    ResponseTooLarge {
        /// The HTTP status.
        status: u16,
        /// The configured limit.
        limit: usize,
    },
}

/// Why an outcome is unknown.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UnknownReason {
    /// No (complete) answer within the request timeout.
    Timeout(Duration),
    /// The connection broke after the request was written.
    ConnectionLost(String),
    /// The answer's head arrived but its body broke off.
    BodyIncomplete {
        /// The HTTP status of the head.
        status: u16,
        /// What broke.
        detail: String,
    },
    /// A 5xx the server did not ask us to retry: the server may have failed after creating.
    ServerError {
        /// The HTTP status.
        status: u16,
        /// The envelope, when the answer had one.
        envelope: Option<Box<ErrorEnvelope>>,
    },
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnknownReason::Timeout(after) => write!(f, "no answer within {after:?}"),
            UnknownReason::ConnectionLost(detail) => {
                write!(f, "connection lost after the request was sent ({detail})")
            }
            UnknownReason::BodyIncomplete { status, detail } => {
                write!(f, "the answer (HTTP {status}) broke off ({detail})")
            }
            UnknownReason::ServerError { status, envelope } => {
                write!(f, "server error (HTTP {status})")?;
                if let Some(envelope) = envelope {
                    write!(f, ": {}", envelope_text(envelope))?;
                }
                Ok(())
            }
        }
    }
}

/// What a failed call means for the number: the one question every caller has to answer.
/// Exhaustive on purpose: a new [`Error`] variant falls into one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Not created, and sending it again as it is gets the same answer: rejected (validation,
    /// duplicate) or not authenticated.
    Refused,
    /// Not created, and worth sending again later: never sent, throttled, unavailable.
    NotCreated,
    /// May have been created: nobody can tell (a timeout or a lost connection after sending, a
    /// 5xx, an answer that cannot be read although its status says the server got that far).
    /// Look before sending it again.
    MayHaveBeenCreated,
}

impl Error {
    /// Which of the three outcomes this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Rejected { .. } | Error::Authentication { .. } => ErrorKind::Refused,
            Error::RateLimited { .. } | Error::Unavailable { .. } | Error::NotSent { .. } => {
                ErrorKind::NotCreated
            }
            Error::UnknownOutcome { .. } => ErrorKind::MayHaveBeenCreated,
            // A 4xx the client cannot read is still a refusal; anything else (a 200 with
            // garbage, a huge 5xx) may have come after a creation.
            Error::Undecodable { status, .. } | Error::ResponseTooLarge { status, .. } => {
                if (400..500).contains(status) {
                    ErrorKind::Refused
                } else {
                    ErrorKind::MayHaveBeenCreated
                }
            }
        }
    }

    /// Whether the number may exist now (`kind() == ErrorKind::MayHaveBeenCreated`).
    pub fn may_have_been_created(&self) -> bool {
        self.kind() == ErrorKind::MayHaveBeenCreated
    }

    /// The API rejected the number because it already exists (HTTP 409).
    pub fn is_duplicate(&self) -> bool {
        matches!(self, Error::Rejected { status: 409, .. })
    }

    /// The envelope the API answered with, either shape, if there was one.
    pub fn envelope(&self) -> Option<&ErrorEnvelope> {
        match self {
            Error::Rejected { envelope, .. } => Some(envelope),
            Error::Authentication { envelope, .. } => envelope.as_deref(),
            Error::UnknownOutcome { reason: UnknownReason::ServerError { envelope, .. } } => {
                envelope.as_deref()
            }
            _ => None,
        }
    }
}

fn envelope_text(envelope: &ErrorEnvelope) -> String {
    let detail = envelope.detail();
    match detail.parameter.as_str() {
        "" => format!("{} {}", detail.code, detail.message),
        parameter => format!("{} {} ({parameter})", detail.code, detail.message),
    }
}

fn after(retry_after: &Option<Duration>) -> String {
    retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default()
}

#[cfg(test)]
mod kind_tests {
    use kaleyra_model::{BareErrorEnvelope, Code, ErrorDetail};

    use super::*;

    fn bare() -> ErrorEnvelope {
        ErrorEnvelope::Bare(BareErrorEnvelope::new(ErrorDetail::new(Code::E962, "t", "p", "m")))
    }

    #[test]
    fn every_error_answers_whether_the_number_may_exist() {
        let undecodable =
            |status| Error::Undecodable { status, detail: String::new(), snippet: String::new() };
        let cases = [
            (Error::Rejected { status: 409, envelope: Box::new(bare()) }, ErrorKind::Refused),
            (Error::Authentication { status: 401, envelope: None }, ErrorKind::Refused),
            (Error::RateLimited { retry_after: None }, ErrorKind::NotCreated),
            (Error::Unavailable { retry_after: None }, ErrorKind::NotCreated),
            (
                Error::NotSent { attempts: 3, message: String::new(), source: None },
                ErrorKind::NotCreated,
            ),
            (
                Error::UnknownOutcome { reason: UnknownReason::Timeout(Duration::from_secs(1)) },
                ErrorKind::MayHaveBeenCreated,
            ),
            // A garbage 200 came after the server did its work.
            (undecodable(200), ErrorKind::MayHaveBeenCreated),
            (undecodable(502), ErrorKind::MayHaveBeenCreated),
            (undecodable(404), ErrorKind::Refused),
            (Error::ResponseTooLarge { status: 200, limit: 1 }, ErrorKind::MayHaveBeenCreated),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error}");
            assert_eq!(error.may_have_been_created(), kind == ErrorKind::MayHaveBeenCreated);
        }
    }
}
