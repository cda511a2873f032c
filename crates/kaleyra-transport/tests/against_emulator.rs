//! The transport against a live emulator on 127.0.0.1, port 0: every outcome class, and for each
//! how many requests reached the server and how many records it created.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use kaleyra_emulator::{Emulator, EmulatorConfig, Fault, FaultPlan, RunningEmulator, TlsIdentity};
use kaleyra_model::{AddNumberRequest, ApiKey, Code, ErrorEnvelope, Field};
use kaleyra_transport::{Client, ClientBuilder, Error, RetryPolicy, UnknownReason};
use kaleyra_validate::{Limits, ValidatedRequest, validate};

const SID: &str = "HX0TEST071US";
const KEY: &str = "test-key-0123456789";

fn config() -> EmulatorConfig {
    EmulatorConfig::new(SID, ApiKey::new(KEY))
}

async fn emulator(config: EmulatorConfig) -> RunningEmulator {
    Emulator::new(config).bind("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

fn client_for(emulator: &RunningEmulator) -> ClientBuilder {
    Client::builder(SID, ApiKey::new(KEY))
        .base_url(emulator.base_url())
        .retry_policy(fast_retries())
        .request_timeout(Duration::from_secs(5))
}

fn number(n: u32) -> ValidatedRequest {
    let request = AddNumberRequest::new("xyz", format!("+1323655{n:04}"))
        .with(Field::BusinessCategory, "medical and health")
        .with(Field::Website, "https://google.com/testing");
    validate(&request).unwrap()
}

fn plan(fault: Fault, times: u32) -> FaultPlan {
    FaultPlan::times(fault, times)
}

#[tokio::test]
async fn success_returns_the_seed_record_shape() {
    let emulator = emulator(config()).await;
    let client = client_for(&emulator).build().unwrap();
    let created = client.add_number(&number(17)).await.unwrap();
    assert_eq!(created.attempts, 1);
    assert_eq!(created.envelope.code, Code::I102);
    assert_eq!(created.envelope.message, "Phone Number created successfully.");
    let record = created.record().unwrap();
    assert_eq!(record.phone_number, "+13236550017");
    assert_eq!(record.name, "xyz");
    assert_eq!(record.category.as_deref(), Some("Medical and Health"));
    assert_eq!(record.website, ["https://google.com/testing"]);
    assert_eq!(record.iso_code, "US");
    assert_eq!(record.status, 2);
    assert!(record.id > 0 && record.created_at > 1_600_000_000);
    let seen = emulator.numbers();
    assert_eq!((seen.received, seen.creations()), (1, 1));
}

#[tokio::test]
async fn duplicates_are_rejected_with_409() {
    let emulator = emulator(config()).await;
    let client = client_for(&emulator).build().unwrap();
    client.add_number(&number(1)).await.unwrap();
    let error = client.add_number(&number(1)).await.unwrap_err();
    assert!(error.is_duplicate(), "{error}");
    assert!(!error.may_have_been_created());
    let entry = emulator.numbers().get("+13236550001").cloned().unwrap();
    assert_eq!((entry.requests, entry.creations), (2, 1));
}

#[tokio::test]
async fn server_side_rejection_carries_the_envelope() {
    // The server is stricter than the client: its rejection comes back whole.
    let mut strict = config();
    strict.rules.limits = Limits::default().with(Field::DisplayName, Some(2));
    let emulator = emulator(strict).await;
    let client = client_for(&emulator).build().unwrap();
    let error = client.add_number(&number(2)).await.unwrap_err();
    let Error::Rejected { status: 400, envelope } = &error else { panic!("{error:?}") };
    let ErrorEnvelope::Full(full) = envelope.as_ref() else { panic!("{error:?}") };
    assert_eq!(full.code, Code::E947);
    assert_eq!(full.error.parameter, "display_name");
    assert_eq!(full.error.message, "display_name cannot be longer than 2 characters.");
}

#[tokio::test]
async fn wrong_key_or_sid_is_an_authentication_error() {
    let emulator = emulator(config()).await;
    for (sid, key) in [(SID, "wrong"), (SID, ""), ("OTHERSID", KEY), (SID, "test-key-012345678")] {
        let builder = Client::builder(sid, ApiKey::new(if key.is_empty() { "x" } else { key }))
            .base_url(emulator.base_url());
        let error = builder.build().unwrap().add_number(&number(3)).await.unwrap_err();
        let Error::Authentication { status: 401, envelope: Some(envelope) } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(envelope.detail().code, Code::Unknown("E901".into()));
    }
    assert_eq!(emulator.numbers().creations(), 0);
}

#[tokio::test]
async fn rate_limit_is_honoured_then_the_number_is_created() {
    let emulator = emulator(config()).await;
    emulator.set_faults(plan(Fault::rate_limit(Duration::from_secs(1)), 1));
    let client = client_for(&emulator).build().unwrap();
    let started = Instant::now();
    let created = client.add_number(&number(4)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After not honoured");
    assert_eq!(created.attempts, 2);
    let seen = emulator.numbers();
    assert_eq!((seen.received, seen.creations()), (2, 1));
}

#[tokio::test]
async fn retry_after_beyond_the_cap_is_returned_not_waited() {
    let emulator = emulator(config()).await;
    emulator.set_faults(plan(Fault::rate_limit(Duration::from_secs(3600)), 1));
    let client = client_for(&emulator).build().unwrap();
    let error = client.add_number(&number(5)).await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(3600))
    );
    assert_eq!(emulator.numbers().creations(), 0);
}

#[tokio::test]
async fn unavailable_with_retry_after_is_retried_without_it_is_unknown() {
    let emulator = emulator(config()).await;
    emulator.set_faults(plan(Fault::status_retry_after(503, Duration::from_secs(0)), 1));
    let client = client_for(&emulator).build().unwrap();
    assert_eq!(client.add_number(&number(6)).await.unwrap().attempts, 2);

    for status in [500, 502, 503] {
        emulator.set_faults(plan(Fault::status(status), 1));
        let error = client.add_number(&number(7)).await.unwrap_err();
        assert!(
            matches!(&error, Error::UnknownOutcome { reason: UnknownReason::ServerError { status: s, envelope: Some(_) } } if *s == status),
            "{error:?}"
        );
        assert!(error.may_have_been_created());
    }
    let seen = emulator.numbers();
    assert_eq!((seen.received, seen.creations()), (5, 1));
}

#[tokio::test]
async fn reset_after_processing_is_an_unknown_outcome_never_retried() {
    let emulator = emulator(config()).await;
    emulator.set_faults(plan(Fault::ResetAfter, 1));
    let client = client_for(&emulator).build().unwrap();
    let error = client.add_number(&number(8)).await.unwrap_err();
    assert!(
        matches!(&error, Error::UnknownOutcome { reason: UnknownReason::ConnectionLost(_) }),
        "{error:?}"
    );
    assert!(error.may_have_been_created());
    let seen = emulator.numbers();
    assert_eq!((seen.received, seen.creations()), (1, 1), "retried or not created");
}

#[tokio::test]
async fn reset_before_processing_on_plain_http_is_unknown_and_nothing_was_created() {
    // On plain HTTP/1.1 the client cannot tell a reset before processing from one after it: it
    // must say so rather than guess.
    let emulator = emulator(config()).await;
    emulator.set_faults(plan(Fault::ResetBefore, 1));
    let client = client_for(&emulator).build().unwrap();
    let error = client.add_number(&number(9)).await.unwrap_err();
    assert!(error.may_have_been_created(), "{error:?}");
    let seen = emulator.numbers();
    assert_eq!((seen.received, seen.creations()), (1, 0));
}

#[tokio::test]
async fn truncated_and_garbage_answers_may_have_created() {
    let emulator = emulator(config()).await;
    let client = client_for(&emulator).build().unwrap();
    emulator.set_faults(plan(Fault::Truncate, 1));
    let error = client.add_number(&number(10)).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::UnknownOutcome { reason: UnknownReason::BodyIncomplete { status: 200, .. } }
        ),
        "{error:?}"
    );
    emulator.set_faults(plan(Fault::Garbage, 1));
    let error = client.add_number(&number(11)).await.unwrap_err();
    let Error::Undecodable { status: 200, snippet, .. } = &error else { panic!("{error:?}") };
    assert!(snippet.starts_with("<html>"));
    assert!(error.may_have_been_created());
    let seen = emulator.numbers();
    assert_eq!((seen.received, seen.creations()), (2, 2));
}

#[tokio::test]
async fn response_over_the_cap_is_refused() {
    let emulator = emulator(config()).await;
    let client = client_for(&emulator).max_response_bytes(64).build().unwrap();
    let error = client.add_number(&number(12)).await.unwrap_err();
    assert!(matches!(error, Error::ResponseTooLarge { status: 200, limit: 64 }), "{error:?}");
    assert!(error.may_have_been_created());
}

#[tokio::test]
async fn timeout_after_sending_is_unknown_and_not_retried() {
    let emulator = emulator(config()).await;
    emulator.set_faults(FaultPlan::latency_only(std::time::Duration::from_millis(600)));
    let client = client_for(&emulator).request_timeout(Duration::from_millis(150)).build().unwrap();
    let error = client.add_number(&number(13)).await.unwrap_err();
    assert!(
        matches!(error, Error::UnknownOutcome { reason: UnknownReason::Timeout(_) }),
        "{error:?}"
    );
    // The server goes on and creates it: exactly why the outcome was unknown, not failed.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let seen = emulator.numbers();
    assert_eq!((seen.received, seen.creations()), (1, 1));
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported_as_not_sent() {
    // Bound but not listening: the port stays ours (no parallel test can take it) and every
    // connection to it is refused.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let client = Client::builder(SID, ApiKey::new(KEY))
        .base_url(format!("http://{addr}"))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = client.add_number(&number(14)).await.unwrap_err();
    let Error::NotSent { attempts: 3, .. } = &error else { panic!("{error:?}") };
    assert!(!error.may_have_been_created());
}

fn tls_identity() -> (TlsIdentity, Vec<u8>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = certified.cert.der().to_vec();
    let identity = TlsIdentity {
        cert_chain: vec![cert.clone()],
        private_key_pkcs8: certified.signing_key.serialize_der(),
    };
    (identity, cert)
}

async fn tls_emulator() -> (RunningEmulator, Vec<u8>) {
    let (identity, cert) = tls_identity();
    let emulator = Emulator::new(config())
        .with_tls(identity)
        .unwrap()
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (emulator, cert)
}

#[tokio::test]
async fn https_with_a_self_signed_certificate() {
    let (emulator, cert) = tls_emulator().await;
    let url = format!("https://localhost:{}", emulator.local_addr().port());
    let client = Client::builder(SID, ApiKey::new(KEY))
        .base_url(&url)
        .tls_roots(kaleyra_transport::TlsRoots::Only(vec![cert]))
        .build()
        .unwrap();
    let created = client.add_number(&number(15)).await.unwrap();
    assert_eq!(created.record().unwrap().phone_number, "+13236550015");
    // Several calls share the pooled connection (HTTP/2 by ALPN).
    for n in 16..20 {
        client.add_number(&number(n)).await.unwrap();
    }
    assert_eq!(emulator.numbers().creations(), 5);

    // Not trusting the certificate fails in the handshake: never sent, so safe.
    let untrusting = Client::builder(SID, ApiKey::new(KEY))
        .base_url(&url)
        .tls_roots(kaleyra_transport::TlsRoots::Only(Vec::new()))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let error = untrusting.add_number(&number(20)).await.unwrap_err();
    assert!(matches!(error, Error::NotSent { attempts: 1, .. }), "{error:?}");
    assert_eq!(emulator.numbers().creations(), 5);
}

#[tokio::test]
async fn reset_before_processing_on_https_is_retried_and_created_once() {
    let (emulator, cert) = tls_emulator().await;
    emulator.set_faults(plan(Fault::ResetOnAccept, 2));
    let client = Client::builder(SID, ApiKey::new(KEY))
        .base_url(format!("https://localhost:{}", emulator.local_addr().port()))
        .tls_roots(kaleyra_transport::TlsRoots::Only(vec![cert]))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let created = client.add_number(&number(21)).await.unwrap();
    assert_eq!(created.attempts, 3);
    let entry = emulator.numbers().get("+13236550021").cloned().unwrap();
    assert_eq!((entry.requests, entry.creations), (1, 1));
}

#[test]
fn debug_output_never_shows_the_key() {
    let client = Client::builder(SID, ApiKey::new(KEY)).build().unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains(KEY), "{debug}");
    let prepared = client.prepare(&number(1));
    assert!(!format!("{prepared:?}").contains(KEY));
    assert!(!prepared.to_string().contains(KEY));
    assert!(prepared.to_string().contains("api-key: ***************6789"));
}
