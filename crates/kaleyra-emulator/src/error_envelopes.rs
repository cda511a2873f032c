//! The answers the vendor's page does not show: authentication, duplicates, limits, faults.
//!
//! Each keeps the full envelope shape of the page, with an `E9xx` code of our own. They are
//! assumptions, listed in `spec/kaleyra.toml` under `[codes]`; a client must treat them as
//! unknown codes that happen to carry an HTTP status it understands.

use http::StatusCode;
use kaleyra_model::{Code, ErrorDetail, ErrorEnvelope, FAILED_MESSAGE, FullErrorEnvelope};

/// An error answer: status and envelope.
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    /// The envelope, as compact JSON.
    pub(crate) body: String,
    pub(crate) retry_after: Option<u64>,
}

fn failure(
    status: StatusCode,
    code: &str,
    kind: &str,
    parameter: &str,
    message: String,
) -> Failure {
    let top = (Code::new(code), message.clone());
    failure_with_top(status, code, kind, parameter, message, top)
}

fn failure_with_top(
    status: StatusCode,
    code: &str,
    kind: &str,
    parameter: &str,
    message: String,
    (top_code, top_message): (Code, String),
) -> Failure {
    let envelope = ErrorEnvelope::Full(FullErrorEnvelope {
        code: top_code,
        message: top_message,
        data: Vec::new(),
        error: ErrorDetail {
            code: Code::new(code),
            kind: kind.to_owned(),
            parameter: parameter.to_owned(),
            message,
            reference: String::new(),
            extra: Default::default(),
        },
        extra: Default::default(),
    });
    Failure { status, body: envelope.to_json(), retry_after: None }
}

/// 401: wrong or missing `api-key`, or a SID the key does not belong to. One answer for all, so
/// nothing tells how close a guess was.
pub(crate) fn unauthorized() -> Failure {
    failure(
        StatusCode::UNAUTHORIZED,
        "E901",
        "AUTHENTICATION_ERROR",
        "api-key",
        "Invalid API key or SID.".to_owned(),
    )
}

/// 409: the number already exists for this account. Top-level `E947` like every failed create.
pub(crate) fn duplicate() -> Failure {
    failure_with_top(
        StatusCode::CONFLICT,
        "E909",
        "DUPLICATE_ERROR",
        "wa_number",
        "wa_number already exists.".to_owned(),
        (Code::E947, FAILED_MESSAGE.to_owned()),
    )
}

/// 400: the body is not a JSON object of strings.
pub(crate) fn malformed_body(parameter: &str, detail: &str) -> Failure {
    failure(
        StatusCode::BAD_REQUEST,
        "E900",
        "VALIDATION_ERROR",
        parameter,
        format!("Request body is not valid: {detail}"),
    )
}

/// 413: the body is larger than the limit.
pub(crate) fn body_too_large(limit: usize) -> Failure {
    failure(
        StatusCode::PAYLOAD_TOO_LARGE,
        "E913",
        "REQUEST_ERROR",
        "body",
        format!("Request body is larger than {limit} bytes."),
    )
}

/// 408: the body did not arrive in time.
pub(crate) fn body_timeout() -> Failure {
    failure(
        StatusCode::REQUEST_TIMEOUT,
        "E908",
        "REQUEST_ERROR",
        "body",
        "Request body was not received in time.".to_owned(),
    )
}

/// 415: `Content-Type` is not JSON.
pub(crate) fn unsupported_media_type() -> Failure {
    failure(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "E915",
        "REQUEST_ERROR",
        "Content-Type",
        "Content-Type must be application/json.".to_owned(),
    )
}

/// 404: no such route.
pub(crate) fn not_found() -> Failure {
    failure(StatusCode::NOT_FOUND, "E904", "REQUEST_ERROR", "path", "Not found.".to_owned())
}

/// 405: the route exists, the method does not.
pub(crate) fn method_not_allowed() -> Failure {
    failure(
        StatusCode::METHOD_NOT_ALLOWED,
        "E905",
        "REQUEST_ERROR",
        "method",
        "Method not allowed.".to_owned(),
    )
}

/// 507: the store holds `--max-records` records; nothing was created.
pub(crate) fn store_full(max_records: usize) -> Failure {
    failure(
        StatusCode::INSUFFICIENT_STORAGE,
        "E907",
        "EMULATOR_ERROR",
        "store",
        format!(
            "The emulator holds {max_records} records, its limit (--max-records): nothing was created. POST /__emulator/reset empties it."
        ),
    )
}

/// 400: the `x-emulator-fault` header cannot be read.
pub(crate) fn bad_fault_header(detail: &str) -> Failure {
    failure(
        StatusCode::BAD_REQUEST,
        "E990",
        "EMULATOR_ERROR",
        crate::FAULT_HEADER,
        format!("Cannot read the fault header: {detail}"),
    )
}

/// 429: rate limited, with `Retry-After`.
pub(crate) fn rate_limited(retry_after: u64) -> Failure {
    let mut failure = failure(
        StatusCode::TOO_MANY_REQUESTS,
        "E929",
        "RATE_LIMIT_ERROR",
        "",
        format!("Too many requests. Retry after {retry_after} seconds."),
    );
    failure.retry_after = Some(retry_after);
    failure
}

/// A 5xx, injected: `E950` + the last two digits of the status.
pub(crate) fn server_error(status: StatusCode, retry_after: Option<u64>) -> Failure {
    let code = format!("E9{}", status.as_u16() % 100 + 50);
    let message = status.canonical_reason().unwrap_or("Server error").to_owned() + ".";
    let mut failure = failure(status, &code, "SERVER_ERROR", "", message);
    failure.retry_after = retry_after;
    failure
}
