//! The client: one call, its attempts, and what each attempt's failure means.

use std::error::Error as _;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue, USER_AGENT};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client as Pool;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use kaleyra_model::{ApiKey, NumberRecord, SuccessEnvelope};
use kaleyra_validate::{ValidatedRequest, ValidatedUpdate};

use crate::RetryPolicy;
use crate::config::{ClientBuilder, ConfigError, RESERVED_HEADERS};
use crate::connector::{self, Deadline, Https};
use crate::error::{BoxError, Error, UnknownReason};
use crate::prepared::PreparedRequest;
use crate::response::{self, Verdict};

/// A client for one account (SID and key) at one base URL. Cheap to clone: clones share the
/// connection pool.
#[derive(Clone)]
pub struct Client {
    pool: Pool<Deadline<Https>, Full<Bytes>>,
    endpoint: Uri,
    api_key: ApiKey,
    headers: HeaderMap,
    retry: RetryPolicy,
    request_timeout: Duration,
    max_response_bytes: usize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("api_key", &self.api_key)
            .field("retry", &self.retry)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// A number the API created.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The HTTP status (200).
    pub status: u16,
    /// The success envelope as received.
    pub envelope: SuccessEnvelope,
    /// Attempts the call took, the successful one included.
    pub attempts: u32,
}

impl Created {
    /// The created record.
    pub fn record(&self) -> Option<&NumberRecord> {
        self.envelope.record()
    }
}

/// A number the API updated.
#[derive(Debug, Clone, PartialEq)]
pub struct Updated {
    /// The HTTP status (200).
    pub status: u16,
    /// The success envelope as received.
    pub envelope: SuccessEnvelope,
    /// Attempts the call took, the successful one included.
    pub attempts: u32,
}

impl Updated {
    /// The record as it is now.
    pub fn record(&self) -> Option<&NumberRecord> {
        self.envelope.record()
    }
}

/// Whether sending a request twice may do more than sending it once: what decides which
/// failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Idempotence {
    /// A create: retried only when it provably never arrived or the server said so.
    No,
    /// An update: the same PUT again leaves the record as one does, so a 5xx, a timeout or a
    /// lost connection is retried too.
    Yes,
}

/// The `Host` header hyper-util writes on each HTTP/1 request (the host, and the port unless it
/// is the scheme's default), made once instead of formatted and parsed per request (4 % of an
/// import's instructions). Only for plain `http`, which is always HTTP/1: over `https` the
/// protocol is chosen per connection and HTTP/2 sends no `Host`, so hyper-util decides there.
fn plain_http_host(endpoint: &Uri) -> Option<HeaderValue> {
    if endpoint.scheme_str() != Some("http") {
        return None;
    }
    let host = endpoint.host()?;
    let value = match endpoint.port_u16() {
        None | Some(80) => host.to_owned(),
        Some(port) => format!("{host}:{port}"),
    };
    HeaderValue::from_str(&value).ok()
}

/// The caller's default headers: `user-agent` replaces ours, others are appended.
fn add_default_headers(
    headers: &mut HeaderMap,
    defaults: &[(String, String)],
) -> Result<(), ConfigError> {
    let mut user_agent_replaced = false;
    for (name, value) in defaults {
        let invalid = |reason| ConfigError::InvalidHeader { name: name.clone(), reason };
        let header =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid("not a header name"))?;
        if RESERVED_HEADERS.contains(&header.as_str()) {
            return Err(invalid("the client sets it itself"));
        }
        let value = HeaderValue::from_str(value).map_err(|_| invalid("not a header value"))?;
        if header == USER_AGENT && !user_agent_replaced {
            headers.insert(USER_AGENT, value);
            user_agent_replaced = true;
        } else {
            headers.append(header, value);
        }
    }
    Ok(())
}

/// The header some gateways put the request's id in; logged to help the vendor's support.
const REQUEST_ID: &str = "x-request-id";

/// What one attempt came to.
enum Attempt {
    Answered(Verdict),
    /// Provably never sent.
    NotSent(String, BoxError),
}

impl Client {
    /// Starts building a client for this account; see [`ClientBuilder`].
    pub fn builder(sid: impl Into<String>, api_key: impl Into<ApiKey>) -> ClientBuilder {
        ClientBuilder::new(sid, api_key.into())
    }

    /// A client from the environment, as the `kaleyra` command reads it: `KALEYRA_SID`;
    /// `KALEYRA_API_KEY`, or else the first line of the file `KALEYRA_API_KEY_FILE` names; and
    /// `KALEYRA_REGION` (`in`, `ap`, `eu`, `na`) or `KALEYRA_BASE_URL` (not both; neither is
    /// the default host). Empty variables count as unset. [`ClientBuilder::from_env`] gives
    /// the builder instead, to change other settings.
    pub fn from_env() -> Result<Client, ConfigError> {
        ClientBuilder::from_env()?.build()
    }

    pub(crate) fn from_builder(builder: ClientBuilder) -> Result<Client, ConfigError> {
        let endpoint = builder.endpoint()?;
        let https =
            connector::https(&builder.tls_roots, &builder.extra_roots, builder.connect_timeout)?;
        let connector = Deadline { inner: https, timeout: builder.connect_timeout };
        let pool = Pool::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(builder.pool_idle_timeout)
            .retry_canceled_requests(true)
            .build(connector);
        let mut key = HeaderValue::from_str(builder.api_key.expose_secret())
            .map_err(|_| ConfigError::InvalidApiKey)?;
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("api-key", key);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(crate::USER_AGENT));
        if let Some(host) = plain_http_host(&endpoint) {
            headers.insert(HOST, host);
        }
        add_default_headers(&mut headers, &builder.default_headers)?;
        Ok(Client {
            pool,
            endpoint,
            api_key: builder.api_key,
            headers,
            retry: builder.retry,
            request_timeout: builder.request_timeout,
            max_response_bytes: builder.max_response_bytes,
        })
    }

    /// The URL requests go to.
    pub fn endpoint(&self) -> &Uri {
        &self.endpoint
    }

    /// The exact request [`Client::add_number`] would send, for a dry run.
    pub fn prepare(&self, request: &ValidatedRequest) -> PreparedRequest {
        self.prepared(Method::POST, request.to_json())
    }

    /// The exact request [`Client::update_number`] would send, for a dry run.
    pub fn prepare_update(&self, request: &ValidatedUpdate) -> PreparedRequest {
        self.prepared(Method::PUT, request.to_json())
    }

    fn prepared(&self, method: Method, body: String) -> PreparedRequest {
        PreparedRequest {
            method,
            uri: self.endpoint.clone(),
            headers: self.headers.clone(),
            body,
            masked_key: self.api_key.masked(),
        }
    }

    /// Adds one WhatsApp number. Retries only what is safe to retry (see the crate docs).
    ///
    /// Emits `tracing` events (target `kaleyra_transport`) for each attempt, its answer and
    /// timing, each retry and its wait; never the key or the request body.
    pub async fn add_number(&self, request: &ValidatedRequest) -> Result<Created, Error> {
        let body = Bytes::from(request.to_json());
        let result = self
            .send(Method::POST, body, Idempotence::No)
            .await
            .map(|(envelope, attempts)| Created { status: 200, envelope, attempts });
        match &result {
            Ok(created) => tracing::debug!(
                attempts = created.attempts,
                id = created.record().map(|record| record.id),
                "number created"
            ),
            Err(error) => tracing::debug!(kind = ?error.kind(), %error, "number not created"),
        }
        result
    }

    /// Updates one WhatsApp number's profile: the fields `request` carries, the others left as
    /// they are. Unlike a create, an update is idempotent, so besides what [`Client::add_number`]
    /// retries, an attempt whose outcome is unknown (a 5xx, a timeout, a lost connection, an
    /// unreadable answer: [`Error::may_have_been_created`]) is sent again, up to the policy's attempts; when none is left the error says the outcome
    /// is unknown, and sending it again later is safe.
    pub async fn update_number(&self, request: &ValidatedUpdate) -> Result<Updated, Error> {
        let body = Bytes::from(request.to_json());
        let result = self
            .send(Method::PUT, body, Idempotence::Yes)
            .await
            .map(|(envelope, attempts)| Updated { status: 200, envelope, attempts });
        match &result {
            Ok(updated) => tracing::debug!(attempts = updated.attempts, "number updated"),
            Err(error) => tracing::debug!(kind = ?error.kind(), %error, "number not updated"),
        }
        result
    }

    async fn send(
        &self,
        method: Method,
        body: Bytes,
        idempotence: Idempotence,
    ) -> Result<(SuccessEnvelope, u32), Error> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let last = attempts >= self.retry.max_attempts.max(1);
            let wait = match self.attempt(&method, body.clone(), attempts).await {
                Attempt::Answered(Verdict::Created(envelope)) => return Ok((*envelope, attempts)),
                Attempt::Answered(Verdict::Failed(error))
                    if idempotence == Idempotence::Yes
                        && error.may_have_been_created()
                        && !last =>
                {
                    let wait = self.retry.backoff(attempts);
                    tracing::info!(attempt = attempts, wait_ms = millis(wait), %error, "outcome unknown, sending the update again");
                    wait
                }
                Attempt::Answered(Verdict::Failed(error)) => return Err(error),
                Attempt::Answered(Verdict::Retry { wait, error }) => {
                    if !self.retry.retry_rate_limited {
                        return Err(error);
                    }
                    let wait = match wait {
                        Some(asked) => match self.retry.honour(asked) {
                            Some(wait) => wait,
                            None => {
                                tracing::info!(
                                    retry_after_ms = millis(asked),
                                    "the server asked for a longer wait than the retry policy allows"
                                );
                                return Err(error);
                            }
                        },
                        None => self.retry.backoff(attempts),
                    };
                    if last {
                        return Err(error);
                    }
                    tracing::info!(attempt = attempts, wait_ms = millis(wait), %error, "retrying");
                    wait
                }
                Attempt::NotSent(message, source) => {
                    if last {
                        return Err(Error::NotSent { attempts, message, source: Some(source) });
                    }
                    let wait = self.retry.backoff(attempts);
                    tracing::info!(
                        attempt = attempts,
                        wait_ms = millis(wait),
                        reason = %message,
                        "not sent, retrying"
                    );
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, method: &Method, body: Bytes, number: u32) -> Attempt {
        tracing::debug!(attempt = number, %method, endpoint = %self.endpoint, "sending");
        let started = Instant::now();
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method.clone();
        *request.uri_mut() = self.endpoint.clone();
        *request.headers_mut() = self.headers.clone();
        let exchange = async {
            let response = match self.pool.request(request).await {
                Ok(response) => response,
                Err(error) => return send_failure(error),
            };
            let (parts, body) = response.into_parts();
            let status = parts.status.as_u16();
            tracing::debug!(
                attempt = number,
                status,
                version = ?parts.version,
                request_id = parts.headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()),
                head_ms = millis(started.elapsed()),
                "answered"
            );
            match Limited::new(body, self.max_response_bytes).collect().await {
                Ok(collected) => Attempt::Answered(response::classify(
                    parts.status,
                    &parts.headers,
                    &collected.to_bytes(),
                    self.api_key.expose_secret(),
                )),
                Err(error) if error.is::<LengthLimitError>() => {
                    Attempt::Answered(Verdict::Failed(Error::ResponseTooLarge {
                        status,
                        limit: self.max_response_bytes,
                    }))
                }
                Err(error) => Attempt::Answered(Verdict::Failed(Error::UnknownOutcome {
                    reason: UnknownReason::BodyIncomplete { status, detail: chain(&*error) },
                })),
            }
        };
        let attempt = match tokio::time::timeout(self.request_timeout, exchange).await {
            Ok(attempt) => attempt,
            Err(_elapsed) => Attempt::Answered(Verdict::Failed(Error::UnknownOutcome {
                reason: UnknownReason::Timeout(self.request_timeout),
            })),
        };
        tracing::trace!(attempt = number, elapsed_ms = millis(started.elapsed()), "attempt done");
        attempt
    }
}

/// A request that failed before an answer: not sent only when the connector failed or hyper
/// handed the request back unsent; anything else may have reached the server.
fn send_failure(error: hyper_util::client::legacy::Error) -> Attempt {
    let canceled = error
        .source()
        .and_then(|source| source.downcast_ref::<hyper::Error>())
        .is_some_and(hyper::Error::is_canceled);
    let detail = chain(&error);
    if error.is_connect() || canceled {
        Attempt::NotSent(detail, Box::new(error))
    } else {
        Attempt::Answered(Verdict::Failed(Error::UnknownOutcome {
            reason: UnknownReason::ConnectionLost(detail),
        }))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// An error and its causes, `: `-joined, without repeats.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The value hyper-util would have written: its rule, restated.
    #[test]
    fn the_host_header_is_hyper_utils_own() {
        let host = |uri: &str| {
            plain_http_host(&uri.parse().unwrap()).map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(host("http://127.0.0.1:8080/v1/x").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(host("http://localhost/v1/x").as_deref(), Some("localhost"));
        assert_eq!(host("http://localhost:80/v1/x").as_deref(), Some("localhost"));
        assert_eq!(host("http://[::1]:9000/v1/x").as_deref(), Some("[::1]:9000"));
        assert_eq!(host("http://Example.COM:443/v1/x").as_deref(), Some("Example.COM:443"));
        assert_eq!(host("https://api.kaleyra.io/v1/x"), None);
        assert_eq!(host("https://localhost:8443/v1/x"), None);
    }
}
