//! Every emulator fault against the transport, as one table: the outcome class the caller is
//! given, how many requests reached the emulator, how many records it created. The invariant:
//! never a duplicate creation, never "not created" when it may have been.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use kaleyra_emulator::{Emulator, EmulatorConfig, Fault, FaultPlan, FaultRule};
use kaleyra_model::{AddNumberRequest, ApiKey, Field, UpdateNumberRequest};
use kaleyra_transport::{Client, Error, RetryPolicy};

const SID: &str = "HX0TABLE";
const KEY: &str = "table-key";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Created,
    /// Certainly not created.
    NotCreated,
    /// May have been created.
    Unknown,
}

fn class(result: &Result<kaleyra_transport::Created, Error>) -> Class {
    match result {
        Ok(_) => Class::Created,
        Err(error) if error.may_have_been_created() => Class::Unknown,
        Err(_) => Class::NotCreated,
    }
}

struct Case {
    name: &'static str,
    fault: Option<Fault>,
    latency_ms: u64,
    class: Class,
    /// Requests that reached the emulator's handler.
    received: u64,
    /// Records the emulator holds afterwards (once any slow processing is done).
    created: u64,
}

// `reset-on-accept` is not in the table: over plain HTTP whether the reset or the request's write
// comes first is a race (both answers, retried-and-created or unknown, are right); over HTTPS it
// is deterministic and tested in against_emulator.rs.
#[tokio::test]
async fn every_fault_against_the_transport() {
    let status = |status, retry_after| Some(Fault::Status { status, retry_after });
    let cases = [
        Case {
            name: "none",
            fault: None,
            latency_ms: 0,
            class: Class::Created,
            received: 1,
            created: 1,
        },
        Case {
            name: "latency beyond the timeout",
            fault: None,
            latency_ms: 400,
            class: Class::Unknown,
            received: 1,
            created: 1,
        },
        Case {
            name: "500",
            fault: status(500, None),
            latency_ms: 0,
            class: Class::Unknown,
            received: 1,
            created: 0,
        },
        Case {
            name: "502",
            fault: status(502, None),
            latency_ms: 0,
            class: Class::Unknown,
            received: 1,
            created: 0,
        },
        Case {
            name: "503 without Retry-After",
            fault: status(503, None),
            latency_ms: 0,
            class: Class::Unknown,
            received: 1,
            created: 0,
        },
        Case {
            name: "503 with Retry-After",
            fault: status(503, Some(Duration::ZERO)),
            latency_ms: 0,
            class: Class::Created,
            received: 2,
            created: 1,
        },
        Case {
            name: "429",
            fault: Some(Fault::rate_limit(Duration::from_secs(0))),
            latency_ms: 0,
            class: Class::Created,
            received: 2,
            created: 1,
        },
        Case {
            name: "reset before processing",
            fault: Some(Fault::ResetBefore),
            latency_ms: 0,
            class: Class::Unknown,
            received: 1,
            created: 0,
        },
        Case {
            name: "reset after processing",
            fault: Some(Fault::ResetAfter),
            latency_ms: 0,
            class: Class::Unknown,
            received: 1,
            created: 1,
        },
        Case {
            name: "truncated body",
            fault: Some(Fault::Truncate),
            latency_ms: 0,
            class: Class::Unknown,
            received: 1,
            created: 1,
        },
        Case {
            name: "slow body, done within the timeout",
            fault: Some(Fault::slow_body(Duration::from_millis(1))),
            latency_ms: 0,
            class: Class::Created,
            received: 1,
            created: 1,
        },
        Case {
            // About 30 pieces 20 ms apart against a 200 ms timeout: the head came, the record
            // exists, the answer never finishes.
            name: "slow body beyond the timeout",
            fault: Some(Fault::slow_body(Duration::from_millis(20))),
            latency_ms: 0,
            class: Class::Unknown,
            received: 1,
            created: 1,
        },
        Case {
            name: "garbage body",
            fault: Some(Fault::Garbage),
            latency_ms: 0,
            class: Class::Unknown,
            received: 1,
            created: 1,
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let emulator = Emulator::new(EmulatorConfig::new(SID, ApiKey::new(KEY)))
            .bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let rules =
            case.fault.clone().map(|fault| vec![FaultRule::once(fault)]).unwrap_or_default();
        let latency = FaultPlan::latency_only(Duration::from_millis(case.latency_ms));
        emulator.set_faults(rules.into_iter().fold(latency, FaultPlan::then));
        let client = Client::builder(SID, ApiKey::new(KEY))
            .base_url(emulator.base_url())
            .request_timeout(Duration::from_millis(200))
            .retry_policy(RetryPolicy {
                initial_backoff: Duration::from_millis(5),
                ..RetryPolicy::default()
            })
            .build()
            .unwrap();
        let request =
            kaleyra_validate::validate(&AddNumberRequest::new("xyz", "+13236550017")).unwrap();
        let result = client.add_number(&request).await;
        tokio::time::sleep(Duration::from_millis(case.latency_ms + 100)).await;
        let seen = emulator.numbers();
        let got = (class(&result), seen.received, seen.creations());
        // The invariant, whatever the table says.
        assert!(seen.creations() <= 1, "{}: created twice", case.name);
        if seen.creations() == 1 {
            assert_ne!(
                got.0,
                Class::NotCreated,
                "{}: called a failure although created",
                case.name
            );
        }
        if got != (case.class, case.received, case.created) {
            failures.push(format!(
                "{}: got {got:?}, want {:?} ({result:?})",
                case.name,
                (case.class, case.received, case.created)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// An update is idempotent: where a create's outcome would be unknown, the update is sent
/// again and lands; with one attempt only, the caller is told the outcome is unknown.
#[tokio::test]
async fn an_update_whose_outcome_is_unknown_is_sent_again() {
    let faults = [
        Fault::Status { status: 500, retry_after: None },
        Fault::Status { status: 502, retry_after: None },
        Fault::ResetAfter,
        Fault::Truncate,
        Fault::Garbage,
    ];
    let emulator = Emulator::new(EmulatorConfig::new(SID, ApiKey::new(KEY)))
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = |attempts| {
        Client::builder(SID, ApiKey::new(KEY))
            .base_url(emulator.base_url())
            .request_timeout(Duration::from_millis(500))
            .retry_policy(RetryPolicy {
                initial_backoff: Duration::from_millis(5),
                max_attempts: attempts,
                ..RetryPolicy::default()
            })
            .build()
            .unwrap()
    };
    let add = kaleyra_validate::validate(&AddNumberRequest::new("xyz", "+13236550017")).unwrap();
    client(1).add_number(&add).await.unwrap();
    for (at, fault) in faults.into_iter().enumerate() {
        let about = format!("about {at}");
        let update = kaleyra_validate::validate_update(
            &UpdateNumberRequest::new("+13236550017").with(Field::About, about.clone()),
        )
        .unwrap();
        emulator.set_faults(FaultPlan::once(fault.clone()));
        let before = emulator.numbers().received;
        let updated = client(4).update_number(&update).await;
        let updated = updated.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(updated.attempts, 2, "{fault:?}");
        assert_eq!(updated.record().unwrap().about.as_deref(), Some(about.as_str()), "{fault:?}");
        assert_eq!(emulator.numbers().received - before, 2, "{fault:?}");

        emulator.set_faults(FaultPlan::once(fault.clone()));
        let error = client(1).update_number(&update).await.unwrap_err();
        assert!(error.may_have_been_created(), "{fault:?}: {error}");
    }
    // A create under the same fault is never sent twice.
    emulator.set_faults(FaultPlan::once(Fault::Status { status: 500, retry_after: None }));
    let before = emulator.numbers().received;
    let other = kaleyra_validate::validate(&AddNumberRequest::new("xyz", "+13236550018")).unwrap();
    assert!(client(4).add_number(&other).await.unwrap_err().may_have_been_created());
    assert_eq!(emulator.numbers().received - before, 1);
}
