//! The client's `tracing` events: attempts, answers, retries and waits, never the key.
//!
//! One test function: tracing caches per-callsite interest across threads, so a test without a
//! subscriber running beside one with a scoped subscriber could hide its events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kaleyra_emulator::{Emulator, EmulatorConfig, Fault, FaultPlan};
use kaleyra_model::{AddNumberRequest, ApiKey};
use kaleyra_transport::{Client, RetryPolicy};
use kaleyra_validate::validate;

const SID: &str = "HX0TEST071US";
const KEY: &str = "obs-secret-key-0123456789";

/// Everything the subscriber writes, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn run_traced<F: std::future::Future>(future: F) -> (F::Output, String) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let output = tracing::subscriber::with_default(subscriber, || runtime.block_on(future));
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    (output, text)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
}

#[test]
fn attempts_answers_retries_and_refusals_are_traced_without_the_key() {
    attempts_answers_and_retries();
    refused_connections();
}

fn attempts_answers_and_retries() {
    let (created, log) = run_traced(async {
        let emulator = Emulator::new(EmulatorConfig::new(SID, ApiKey::new(KEY)))
            .bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        emulator.set_faults(FaultPlan::once(Fault::status_retry_after(503, Duration::ZERO)));
        let client = Client::builder(SID, KEY)
            .base_url(emulator.base_url())
            .retry_policy(fast_retries())
            .build()
            .unwrap();
        let request = validate(&AddNumberRequest::new("Shop", "+13236550017")).unwrap();
        client.add_number(&request).await.unwrap()
    });
    assert_eq!(created.attempts, 2);
    for expected in [
        "sending attempt=1",
        "answered attempt=1 status=503",
        "retrying attempt=1 wait_ms=0",
        "sending attempt=2",
        "answered attempt=2 status=200",
        "number created attempts=2 id=1",
    ] {
        assert!(log.contains(expected), "no `{expected}` in:\n{log}");
    }
    assert!(!log.contains(KEY), "the key is in the log:\n{log}");
}

fn refused_connections() {
    let (error, log) = run_traced(async {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let client = Client::builder(SID, KEY)
            .base_url(format!("http://127.0.0.1:{port}"))
            .retry_policy(fast_retries())
            .build()
            .unwrap();
        let request = validate(&AddNumberRequest::new("Shop", "+13236550017")).unwrap();
        client.add_number(&request).await.unwrap_err()
    });
    assert!(!error.may_have_been_created());
    assert_eq!(log.matches("not sent, retrying").count(), 2, "{log}");
    assert!(log.contains("number not created kind=NotCreated"), "{log}");
    assert!(!log.contains(KEY));
}
