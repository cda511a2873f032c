//! Request handling: the create route, the admin routes, faults, authentication, limits.

use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::request::BorrowedRequest;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use subtle::{Choice, ConstantTimeEq};

use crate::body::{Chunk, ResponseBody, full, slow, truncated};
use crate::error_envelopes::{self, Failure};
use crate::faults::{self, Fault, FaultPlan};
use crate::state::Shared;
use crate::store::Admission;
use crate::throttle::LimitsJson;
use crate::{EmulatorConfig, FAULT_HEADER, Latency};

/// Returned to hyper to make it drop the connection without an answer.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub(crate) struct Abort;

const ADMIN_PREFIX: &str = "/__emulator/";
/// Header names as constants: looking one up by a string parses the string each time.
const API_KEY: http::HeaderName = http::HeaderName::from_static("api-key");
const FAULT: http::HeaderName = http::HeaderName::from_static(FAULT_HEADER);
/// Largest admin request body (a fault plan).
const ADMIN_BODY_LIMIT: usize = 64 * 1024;

pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<ResponseBody>, Abort> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    if let Some(route) = path.strip_prefix(ADMIN_PREFIX) {
        // Boxed: the create route's future, which hyper moves per request, stays small.
        let query = parts.uri.query().unwrap_or_default();
        return Ok(Box::pin(admin(&shared, route, &parts.method, query, body)).await);
    }
    let operation = match parts.method {
        Method::POST => Operation::Create,
        Method::PUT => Operation::Update,
        _ => Operation::Other,
    };
    match create_route_sid(path) {
        Some(sid) if operation != Operation::Other => {
            let plan = match plan_create(&shared, sid, &parts.headers, &body, operation) {
                Ok(plan) => plan,
                Err(failure) => return Ok(failure_response(failure)),
            };
            // The head is let go before the body is read: nothing after needs it.
            drop(parts);
            // Like a real server, processing goes on when the client goes away (a timeout on
            // its side does not undo a creation on ours). Without latency nothing awaits between
            // the end of the body and the response, so a client going away cannot cut the work
            // in two and it runs right here; with latency it runs in its own task (a spawn is
            // 4 % of a request).
            if plan.latency.is_zero() && shared.config.latency == Latency::None {
                return respond(&shared, plan, body).await;
            }
            tokio::spawn(async move { respond(&shared, plan, body).await })
                .await
                .unwrap_or(Err(Abort))
        }
        Some(_) => Ok(not_allowed("POST, PUT")),
        None => Ok(failure_response(error_envelopes::not_found())),
    }
}

/// What a request on the number route asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    /// `POST`: add a number.
    Create,
    /// `PUT`: update one.
    Update,
    /// Any other method.
    Other,
}

/// `/v1/{SID}/whatsapp/number` → the SID. The vendor's prose writes `Whatsapp`, its curl
/// `whatsapp`: the fixed segments match ignoring case.
fn create_route_sid(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v1/")?;
    // A byte search: `split_once` sets up a searcher, costly for a path this short.
    let slash = rest.bytes().position(|b| b == b'/')?;
    let (sid, fixed) = (rest.get(..slash)?, rest.get(slash + 1..)?);
    // The exact spelling first: a plain comparison, where ignoring case goes byte by byte.
    let route = fixed == "whatsapp/number" || fixed.eq_ignore_ascii_case("whatsapp/number");
    (!sid.is_empty() && route).then_some(sid)
}

/// What the head of a request on the number route decides: whether it is refused
/// (authentication, content type, declared length), and the fault and added latency that apply.
struct Plan {
    operation: Operation,
    head: Result<(), Failure>,
    fault: Option<Fault>,
    /// From the fault header and the fault plan; the configured service time is drawn later,
    /// only for a request that is not throttled.
    latency: Duration,
}

/// Reads the head of a create request; `Err` is the answer to a fault header that cannot be
/// read.
fn plan_create(
    shared: &Shared,
    sid: &str,
    headers: &http::HeaderMap,
    body: &Incoming,
    operation: Operation,
) -> Result<Plan, Failure> {
    shared.count_received();
    let heads = Heads::of(headers);
    let (header_fault, header_latency) = match heads.fault {
        None => (None, Duration::ZERO),
        Some(value) => {
            match value.to_str().map_err(|e| e.to_string()).and_then(faults::parse_header) {
                Ok(parsed) => parsed,
                Err(detail) => return Err(error_envelopes::bad_fault_header(&detail)),
            }
        }
    };
    let (plan_fault, plan_latency) = shared.take_request_fault();
    // The declared length as hyper read it from the head (`content-length`).
    let declared = hyper::body::Body::size_hint(body).exact();
    Ok(Plan {
        operation,
        head: check_headers(&shared.config, sid, &heads, declared),
        fault: header_fault.or(plan_fault),
        latency: header_latency + plan_latency,
    })
}

/// Reads the body (unless the head was refused), waits out the latency, applies the fault,
/// processes the request.
async fn respond(
    shared: &Shared,
    plan: Plan,
    body: Incoming,
) -> Result<Response<ResponseBody>, Abort> {
    let Plan { operation, head, fault, latency } = plan;
    let config = &shared.config;
    // The request is read whole before anything slow happens: latency is the server's.
    let body = match head {
        Err(failure) => Err(failure),
        Ok(()) => read_body(body, config.max_body_bytes, config.body_read_timeout).await,
    };

    // Throttling answers at once, as a vendor's gateway does; a request let through counts as
    // in flight until it is answered.
    let _in_flight = match &body {
        Ok(_) => match shared.throttle.admit() {
            Ok(in_flight) => Some(in_flight),
            Err(wait) => {
                shared.count_throttled();
                return Ok(failure_response(error_envelopes::rate_limited(wait.as_secs())));
            }
        },
        Err(_) => None,
    };

    // Drawn here, past the throttle: a throttled request takes no service time, so the n-th
    // request processed meets the seed's n-th draw whatever the client's 429s were.
    let latency = latency + shared.latency.draw(&config.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    // Faults that strike before the request is processed.
    match &fault {
        Some(Fault::ResetBefore) => return Err(Abort),
        Some(Fault::Status { status, retry_after }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let retry_after = retry_after.map(faults::whole_seconds);
            return Ok(failure_response(error_envelopes::server_error(status, retry_after)));
        }
        Some(Fault::RateLimit { retry_after }) => {
            let retry_after = faults::whole_seconds(*retry_after);
            return Ok(failure_response(error_envelopes::rate_limited(retry_after)));
        }
        _ => {}
    }

    let response = match (body, operation) {
        (Ok(body), Operation::Update) => match crate::update::process(shared, &body) {
            Ok(envelope) => json_response(StatusCode::OK, envelope, None),
            Err(failure) => failure_response(failure),
        },
        (Ok(body), _) => process(shared, &body),
        (Err(failure), _) => failure_response(failure),
    };

    // Faults that strike after it was processed (a record may now exist).
    match fault {
        Some(Fault::ResetAfter) => Err(Abort),
        Some(Fault::Truncate) => Ok(rebodied(response, truncated).await),
        Some(Fault::SlowBody { pause }) => {
            let every = pause.min(Duration::from_secs(60));
            Ok(rebodied(response, |bytes| slow(bytes, every)).await)
        }
        Some(Fault::Garbage) => {
            let mut response = Response::new(full("<html><body>502 Bad Gateway</body></html>"));
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
            Ok(response)
        }
        _ => Ok(response),
    }
}

/// `response` with its bytes sent by another body (`make`), under the whole `Content-Length`.
async fn rebodied(
    response: Response<ResponseBody>,
    make: impl FnOnce(Bytes) -> ResponseBody,
) -> Response<ResponseBody> {
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let length = HeaderValue::from(bytes.len());
    let mut response = Response::from_parts(parts, make(bytes));
    response.headers_mut().insert(CONTENT_LENGTH, length);
    response
}

/// The request headers the create route reads, found in one pass: a lookup by name hashes the
/// name, byte by byte for the two that are not standard headers.
#[derive(Default)]
struct Heads<'a> {
    api_key: Option<&'a HeaderValue>,
    content_type: Option<&'a HeaderValue>,
    fault: Option<&'a HeaderValue>,
}

impl<'a> Heads<'a> {
    fn of(headers: &'a http::HeaderMap) -> Self {
        let mut heads = Heads::default();
        for (name, value) in headers {
            let slot = if *name == CONTENT_TYPE {
                &mut heads.content_type
            } else if *name == API_KEY {
                &mut heads.api_key
            } else if *name == FAULT {
                &mut heads.fault
            } else {
                continue;
            };
            // A repeated header's first value, as `HeaderMap::get` gives.
            slot.get_or_insert(value);
        }
        heads
    }
}

/// Authentication, content type and declared length: everything decided by the head alone.
fn check_headers(
    config: &EmulatorConfig,
    sid: &str,
    heads: &Heads<'_>,
    declared: Option<u64>,
) -> Result<(), Failure> {
    let key = heads.api_key.map(HeaderValue::as_bytes).unwrap_or_default();
    if !bool::from(credentials_match(config, sid, key)) {
        return Err(error_envelopes::unauthorized());
    }
    if config.require_json_content_type && !is_json(heads.content_type) {
        return Err(error_envelopes::unsupported_media_type());
    }
    if declared.is_some_and(|length| length > config.max_body_bytes as u64) {
        return Err(error_envelopes::body_too_large(config.max_body_bytes));
    }
    Ok(())
}

/// Body, validation, duplicates, creation: the API's own behaviour.
fn process(shared: &Shared, body: &[u8]) -> Response<ResponseBody> {
    let config = &shared.config;
    let request = match parse_request(body) {
        Ok(request) => request,
        Err(failure) => return failure_response(failure),
    };
    let valid = match kaleyra_validate::validate_ref_with(&request, &config.rules) {
        Ok(valid) => valid,
        Err(rejection) => {
            return json_response(StatusCode::BAD_REQUEST, rejection.to_json(), None);
        }
    };

    // `created_by` is the SID, which authentication held to the configured one the envelope has.
    let created = shared.envelope.begin(&valid, request.values_need_no_escaping(), now());
    // Copied before the lock: the store holds it only to admit and keep.
    let head = created.record_head().into();
    // Bound first: a guard in the `match` itself would be held to the end of the match.
    let admission =
        shared.store().admit(valid.wa_number(), config.reject_duplicates, config.max_records, head);
    match admission {
        Admission::Duplicate => failure_response(error_envelopes::duplicate()),
        Admission::Full => failure_response(error_envelopes::store_full(config.max_records)),
        Admission::Create { id, not_first } => {
            json_response(StatusCode::OK, created.finish(id, not_first), None)
        }
    }
}

/// Compares in time that depends only on the configured SID's and key's lengths.
fn credentials_match(config: &EmulatorConfig, sid: &str, key: &[u8]) -> Choice {
    ct_eq(sid.as_bytes(), config.sid.as_bytes())
        & ct_eq(key, config.api_key.expose_secret().as_bytes())
}

fn ct_eq(given: &[u8], expected: &[u8]) -> Choice {
    // Given a wrong length, `expected` is compared with itself: the same work either way.
    // Differences are gathered without a branch on them and judged once (`subtle`'s per-byte
    // comparison put an optimization barrier on every byte: a third of the header checks).
    let same_length = given.len() == expected.len();
    let given = if same_length { given } else { expected };
    // Eight bytes at a step, then the rest one at a time: the same steps whatever the bytes.
    let (given_words, given_rest) = given.as_chunks::<8>();
    let (expected_words, expected_rest) = expected.as_chunks::<8>();
    let words = given_words
        .iter()
        .zip(expected_words)
        .fold(0, |found, (a, b)| found | (u64::from_ne_bytes(*a) ^ u64::from_ne_bytes(*b)));
    let rest = given_rest.iter().zip(expected_rest).fold(0, |found, (a, b)| found | (a ^ b));
    Choice::from(u8::from(same_length)) & (words | u64::from(rest)).ct_eq(&0)
}

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type.map(HeaderValue::as_bytes).is_some_and(|v| {
        // The usual spelling compared whole first; the rest is split, trimmed, and compared
        // ignoring case a byte at a time.
        if v == b"application/json" {
            return true;
        }
        let essence = v.split(|&b| b == b';').next().unwrap_or(v);
        essence.trim_ascii().eq_ignore_ascii_case(b"application/json")
    })
}

async fn read_body(body: Incoming, limit: usize, timeout: Duration) -> Result<Bytes, Failure> {
    let mut reading = std::pin::pin!(collect(body, limit));
    // Most bodies came with the head and are read at the first try, which needs no timer
    // (setting one up asks the runtime for its clock and timer handle every request).
    let first_try = std::future::poll_fn(|cx| Poll::Ready(reading.as_mut().poll(cx))).await;
    if let Poll::Ready(read) = first_try {
        return read;
    }
    match tokio::time::timeout(timeout, reading).await {
        Err(_elapsed) => Err(error_envelopes::body_timeout()),
        Ok(result) => result,
    }
}

/// The body's bytes, at most `limit` of them. A body that comes in one frame (most do: it
/// arrives with the head) is handed on as it is, without a copy.
async fn collect(mut body: Incoming, limit: usize) -> Result<Bytes, Failure> {
    let mut first = Bytes::new();
    let mut rest = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|error| error_envelopes::malformed_body("body", &error.to_string()))?;
        // Trailers carry nothing the API reads.
        let Ok(data) = frame.into_data() else { continue };
        if first.len() + rest.len() + data.len() > limit {
            return Err(error_envelopes::body_too_large(limit));
        }
        if first.is_empty() && rest.is_empty() {
            first = data;
        } else {
            // From the second frame on, everything is in `rest`.
            rest.extend_from_slice(&std::mem::take(&mut first));
            rest.extend_from_slice(&data);
        }
    }
    Ok(if rest.is_empty() { first } else { Bytes::from(rest) })
}

fn parse_request(body: &[u8]) -> Result<BorrowedRequest<'_>, Failure> {
    BorrowedRequest::from_json(body).map_err(|error| {
        let detail = format!("{} at line {} column {}", error.message, error.line, error.column);
        error_envelopes::malformed_body(error.field.as_deref().unwrap_or("body"), &detail)
    })
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

async fn admin(
    shared: &Shared,
    route: &str,
    method: &Method,
    query: &str,
    body: Incoming,
) -> Response<ResponseBody> {
    match (route, method.clone()) {
        ("numbers", Method::GET) => match page(query) {
            Ok((offset, limit)) => {
                let report = shared.report_page(offset, limit);
                json_response(
                    StatusCode::OK,
                    serde_json::to_string(&report).unwrap_or_default(),
                    None,
                )
            }
            Err(detail) => failure_response(error_envelopes::malformed_body("query", &detail)),
        },
        ("reset", Method::POST) => {
            shared.reset();
            json_response(StatusCode::OK, r#"{"reset":true}"#.to_owned(), None)
        }
        ("faults", Method::GET) => {
            let plan = shared.fault_plan();
            json_response(StatusCode::OK, serde_json::to_string(&plan).unwrap_or_default(), None)
        }
        ("faults", Method::PUT) => match admin_json::<FaultPlan>(shared, body, "faults").await {
            Ok(plan) => {
                let json = serde_json::to_string(&plan).unwrap_or_default();
                shared.set_faults(plan);
                json_response(StatusCode::OK, json, None)
            }
            Err(failure) => failure_response(failure),
        },
        ("limits", Method::GET) => limits_response(shared),
        ("limits", Method::PUT) => match admin_json::<LimitsJson>(shared, body, "limits").await {
            Ok(limits) => {
                shared.throttle.set_limits(limits.into());
                limits_response(shared)
            }
            Err(failure) => failure_response(failure),
        },
        ("health", Method::GET) => {
            json_response(StatusCode::OK, r#"{"status":"ok"}"#.to_owned(), None)
        }
        ("numbers" | "health", _) => not_allowed("GET"),
        ("reset", _) => not_allowed("POST"),
        ("faults" | "limits", _) => not_allowed("GET, PUT"),
        _ => failure_response(error_envelopes::not_found()),
    }
}

/// An admin body, read within the admin limit and parsed; a failure names `field`.
async fn admin_json<T: serde::de::DeserializeOwned>(
    shared: &Shared,
    body: Incoming,
    field: &str,
) -> Result<T, Failure> {
    let body = read_body(body, ADMIN_BODY_LIMIT, shared.config.body_read_timeout).await?;
    serde_json::from_slice(&body)
        .map_err(|error| error_envelopes::malformed_body(field, &error.to_string()))
}

fn limits_response(shared: &Shared) -> Response<ResponseBody> {
    let json = LimitsJson::from(shared.throttle.limits());
    json_response(StatusCode::OK, serde_json::to_string(&json).unwrap_or_default(), None)
}

/// Numbers per page of the admin listing, by default and at most: a page is built in memory.
const PAGE: usize = 1_000;
const MAX_PAGE: usize = 10_000;

/// `offset` and `limit` of the admin listing's query.
fn page(query: &str) -> Result<(usize, usize), String> {
    let (mut offset, mut limit) = (0, PAGE);
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number =
            value.parse::<usize>().map_err(|_| format!("`{name}` must be a whole number"))?;
        match name {
            "offset" => offset = number,
            "limit" if (1..=MAX_PAGE).contains(&number) => limit = number,
            "limit" => return Err(format!("`limit` goes from 1 to {MAX_PAGE}")),
            _ => return Err(format!("unknown parameter `{name}`: offset and limit are known")),
        }
    }
    Ok((offset, limit))
}

/// 405, with the `Allow` header RFC 9110 requires on it.
fn not_allowed(allow: &'static str) -> Response<ResponseBody> {
    let mut response = failure_response(error_envelopes::method_not_allowed());
    response.headers_mut().insert(http::header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn failure_response(failure: Failure) -> Response<ResponseBody> {
    json_response(failure.status, failure.body, failure.retry_after)
}

fn json_response(
    status: StatusCode,
    body: impl Into<Chunk>,
    retry_after: Option<u64>,
) -> Response<ResponseBody> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(seconds) = retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_route() {
        assert_eq!(create_route_sid("/v1/HX071US/whatsapp/number"), Some("HX071US"));
        assert_eq!(create_route_sid("/v1/HX071US/Whatsapp/number"), Some("HX071US"));
        assert_eq!(create_route_sid("/v1/HX071US/WHATSAPP/Number"), Some("HX071US"));
        for path in [
            "/V1/a/whatsapp/number",
            "/v1/a/b/whatsapp/number",
            "/v1/a/whatsapp//number",
            "/v1/a/whatsappnumber",
            "v1/a/whatsapp/number",
            "/v1//whatsapp/number",
            "/v2/a/whatsapp/number",
            "/v1/a/whatsapp/number/",
            "/v1/a/whatsapp",
            "/",
        ] {
            assert_eq!(create_route_sid(path), None, "{path}");
        }
    }

    #[test]
    fn json_content_types() {
        let json = |value: &[u8]| is_json(Some(&HeaderValue::from_bytes(value).unwrap()));
        for yes in
            [&b"application/json"[..], b"Application/JSON; charset=utf-8", b" application/json ;"]
        {
            assert!(json(yes), "{}", String::from_utf8_lossy(yes));
        }
        for no in [&b"application/jsonx"[..], b"text/plain", b"application/json\xe9", b"json", b""]
        {
            assert!(!json(no), "{}", String::from_utf8_lossy(no));
        }
        assert!(!is_json(None));
    }

    /// The same values `HeaderMap::get` gives, repeated headers included.
    #[test]
    fn heads_are_the_first_value_of_each_name() {
        let mut headers = http::HeaderMap::new();
        headers.append("x-other", HeaderValue::from_static("o"));
        headers.append(&API_KEY, HeaderValue::from_static("first"));
        headers.append(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.append(&API_KEY, HeaderValue::from_static("second"));
        headers.append(&FAULT, HeaderValue::from_static("reset-before"));
        let heads = Heads::of(&headers);
        assert_eq!(heads.api_key, headers.get(&API_KEY));
        assert_eq!(heads.api_key.unwrap(), "first");
        assert_eq!(heads.content_type, headers.get(CONTENT_TYPE));
        assert_eq!(heads.fault, headers.get(&FAULT));
        let empty = http::HeaderMap::new();
        let none = Heads::of(&empty);
        assert!(none.api_key.is_none() && none.content_type.is_none() && none.fault.is_none());
    }

    #[test]
    fn constant_time_comparison_is_exact() {
        assert!(bool::from(ct_eq(b"abc", b"abc")));
        for given in [&b"abd"[..], b"ab", b"abcd", b"", b"ABC"] {
            assert!(!bool::from(ct_eq(given, b"abc")));
        }
        // Lengths around the eight-byte steps, one byte changed anywhere.
        let expected: Vec<u8> = (0..40).collect();
        for len in 0..=expected.len() {
            let expected = &expected[..len];
            assert!(bool::from(ct_eq(expected, expected)), "{len}");
            for at in 0..len {
                let mut given = expected.to_vec();
                given[at] ^= 0x80;
                assert!(!bool::from(ct_eq(&given, expected)), "{len} {at}");
            }
            if let Some((_, shorter)) = expected.split_last() {
                assert!(!bool::from(ct_eq(shorter, expected)), "{len}");
            }
        }
    }
}
