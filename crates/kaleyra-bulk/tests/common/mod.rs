//! An emulator on 127.0.0.1 and a client for it, for the import tests.

#![allow(clippy::unwrap_used, dead_code)]

use std::time::Duration;

use kaleyra_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use kaleyra_model::ApiKey;
use kaleyra_transport::{Client, RetryPolicy};

/// An emulator accepting `sid` and `key`, on a free port.
pub async fn emulator(sid: &str, key: &str) -> RunningEmulator {
    Emulator::new(EmulatorConfig::new(sid, ApiKey::new(key)))
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// A client as the importer wants one (429s left to the importer), retrying as `retry` says.
pub fn client(emulator: &RunningEmulator, sid: &str, key: &str, retry: RetryPolicy) -> Client {
    Client::builder(sid, ApiKey::new(key))
        .base_url(emulator.base_url())
        .retry_policy(RetryPolicy { retry_rate_limited: false, ..retry })
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}
