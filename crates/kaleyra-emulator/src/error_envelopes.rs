//! The answers the vendor's page does not show: authentication, duplicates, limits, faults.
//!
//! Each keeps the full envelope shape of the page, with an `E9xx` code of our own. They are
//! assumptions, listed in `spec/kaleyra.toml` under `[codes]` (`generated.rs` holds them); a
//! client must treat them as unknown codes that happen to carry an HTTP status it understands.

use http::StatusCode;
use kaleyra_model::{Code, ErrorDetail, ErrorEnvelope, FAILED_MESSAGE, FullErrorEnvelope};

use crate::generated;

/// An error answer: status and envelope.
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    /// The envelope, as compact JSON.
    pub(crate) body: String,
    pub(crate) retry_after: Option<u64>,
}

/// One of the emulator's own answers, as the spec gives it.
pub(crate) struct Answer {
    pub(crate) code: &'static str,
    pub(crate) status: u16,
    pub(crate) kind: &'static str,
    pub(crate) parameter: &'static str,
    /// A template: `{name}` is filled in.
    pub(crate) message: &'static str,
}

impl Answer {
    /// The message with each `{name}` replaced by its value.
    fn message(&self, values: &[(&str, &str)]) -> String {
        values.iter().fold(self.message.to_owned(), |message, (name, value)| {
            message.replace(&format!("{{{name}}}"), value)
        })
    }

    /// The answer as the spec gives it, to adjust before [`Draft::failure`].
    fn draft(&self, values: &[(&str, &str)]) -> Draft {
        Draft {
            status: StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: self.code.to_owned(),
            kind: self.kind,
            parameter: self.parameter.to_owned(),
            message: self.message(values),
            top: None,
            retry_after: None,
        }
    }

    /// The answer as the spec gives it, its code at the top level too.
    fn failure(&self, values: &[(&str, &str)]) -> Failure {
        self.draft(values).failure()
    }
}

/// An answer being made: the spec's, with what this occasion changes.
struct Draft {
    status: StatusCode,
    code: String,
    kind: &'static str,
    parameter: String,
    message: String,
    /// The top-level code and message; the detail's when `None`.
    top: Option<(Code, String)>,
    retry_after: Option<u64>,
}

impl Draft {
    fn failure(self) -> Failure {
        let code = Code::new(&self.code);
        let (top_code, top_message) =
            self.top.unwrap_or_else(|| (code.clone(), self.message.clone()));
        let detail = ErrorDetail::new(code, self.kind, self.parameter, self.message);
        let envelope = ErrorEnvelope::Full(FullErrorEnvelope::new(top_code, top_message, detail));
        Failure { status: self.status, body: envelope.to_json(), retry_after: self.retry_after }
    }
}

/// 401: wrong or missing `api-key`, or a SID the key does not belong to. One answer for all, so
/// nothing tells how close a guess was.
pub(crate) fn unauthorized() -> Failure {
    generated::E901.failure(&[])
}

/// 409: the number already exists for this account. Top-level `E947` like every failed create.
pub(crate) fn duplicate() -> Failure {
    let mut draft = generated::E909.draft(&[]);
    draft.top = Some((Code::E947, FAILED_MESSAGE.to_owned()));
    draft.failure()
}

/// 404: an update for a number the account has no record of. Top-level `E948` like every
/// failed update.
pub(crate) fn not_registered() -> Failure {
    let mut draft = generated::E906.draft(&[]);
    let (code, message) = kaleyra_validate::UPDATE_FAILED;
    draft.top = Some((Code::new(code), message.to_owned()));
    draft.failure()
}

/// 400: the request breaks the API's rules: the envelope `kaleyra-validate` renders.
pub(crate) fn rejected(rejection: &kaleyra_validate::Rejection) -> Failure {
    Failure { status: StatusCode::BAD_REQUEST, body: rejection.to_json(), retry_after: None }
}

/// 400: the body is not a JSON object of strings; `parameter` is the field at fault, or `body`.
pub(crate) fn malformed_body(parameter: &str, detail: &str) -> Failure {
    let mut draft = generated::E900.draft(&[("detail", detail)]);
    parameter.clone_into(&mut draft.parameter);
    draft.failure()
}

/// 413: the body is larger than the limit.
pub(crate) fn body_too_large(limit: usize) -> Failure {
    generated::E913.failure(&[("limit", &limit.to_string())])
}

/// 408: the body did not arrive in time.
pub(crate) fn body_timeout() -> Failure {
    generated::E908.failure(&[])
}

/// 415: `Content-Type` is not JSON.
pub(crate) fn unsupported_media_type() -> Failure {
    generated::E915.failure(&[])
}

/// 404: no such route.
pub(crate) fn not_found() -> Failure {
    generated::E904.failure(&[])
}

/// 405: the route exists, the method does not.
pub(crate) fn method_not_allowed() -> Failure {
    generated::E905.failure(&[])
}

/// 507: the store holds `--max-records` records; nothing was created.
pub(crate) fn store_full(max_records: usize) -> Failure {
    generated::E907.failure(&[("max_records", &max_records.to_string())])
}

/// 400: the `x-emulator-fault` header cannot be read.
pub(crate) fn bad_fault_header(detail: &str) -> Failure {
    generated::E990.failure(&[("detail", detail)])
}

/// 429: rate limited, with `Retry-After`.
pub(crate) fn rate_limited(retry_after: u64) -> Failure {
    let mut draft = generated::E929.draft(&[("retry_after", &retry_after.to_string())]);
    draft.retry_after = Some(retry_after);
    draft.failure()
}

/// A 5xx, injected: `E950` + the last two digits of the status.
pub(crate) fn server_error(status: StatusCode, retry_after: Option<u64>) -> Failure {
    let reason = status.canonical_reason().unwrap_or("Server error");
    let mut draft = generated::E950.draft(&[("reason", reason)]);
    draft.status = status;
    draft.code = format!("E9{}", status.as_u16() % 100 + 50);
    draft.retry_after = retry_after;
    draft.failure()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_names_the_fault_header_the_emulator_reads() {
        assert_eq!(generated::E990.parameter, crate::FAULT_HEADER);
    }

    #[test]
    fn templates_are_filled_in() {
        let failure = body_too_large(65_536);
        assert_eq!(failure.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(failure.body.contains(r#""message":"Request body is larger than 65536 bytes.""#));
        let failure = server_error(StatusCode::BAD_GATEWAY, None);
        assert!(failure.body.starts_with(r#"{"code":"E952","message":"Bad Gateway.""#));
    }
}
