//! Imports of a caller's requests (no file): outcomes keyed by the caller's ids, nothing on
//! disk without a journal, and with one a resume that skips what is settled.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kaleyra_bulk::import::{Import, ImportError, Observer, RowOutcome, RowRejection};
use kaleyra_emulator::{Fault, FaultPlan, RunningEmulator};
use kaleyra_model::AddNumberRequest;
use kaleyra_transport::{Client, RetryPolicy};

const SID: &str = "HX0REQUESTS";
const KEY: &str = "requests-key-0123";

fn client(emulator: &RunningEmulator) -> Client {
    common::client(emulator, SID, KEY, RetryPolicy::never())
}

/// Outcomes by the caller's id, and every line count the import announced.
#[derive(Default)]
struct Outcomes {
    rows: Mutex<BTreeMap<u64, RowOutcome>>,
    lines: Mutex<Vec<u64>>,
}

impl Observer for Outcomes {
    fn input_lines(&self, lines: u64) {
        self.lines.lock().unwrap().push(lines);
    }

    fn row(&self, row: u64, outcome: &RowOutcome) {
        let previous = self.rows.lock().unwrap().insert(row, outcome.clone());
        assert!(previous.is_none(), "row {row} told twice");
    }
}

/// Requests keyed by sparse ids (1000, 2000, ...); the one at `bad` has no display name.
fn requests(count: u64, bad: Option<u64>) -> Vec<(u64, AddNumberRequest)> {
    (0..count)
        .map(|n| {
            let name = if Some(n) == bad { "" } else { "Shop" };
            (n * 1000, AddNumberRequest::new(name, format!("+1323655{n:04}")))
        })
        .collect()
}

#[tokio::test]
async fn requests_without_a_journal_are_told_by_id_and_leave_nothing_on_disk() {
    let emulator = common::emulator(SID, KEY).await;
    let outcomes = Arc::new(Outcomes::default());
    // No journal means no file at all, not one beside the process.
    let before: Vec<_> = std::fs::read_dir(".").unwrap().map(|e| e.unwrap().path()).collect();
    let summary = Import::from_requests(client(&emulator), requests(20, Some(7)))
        .observer(outcomes.clone())
        .run()
        .await
        .unwrap();
    let after: Vec<_> = std::fs::read_dir(".").unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(before, after, "an import without a journal wrote a file");

    assert_eq!(summary.counts.rows, 20);
    assert_eq!(summary.counts.created, 19);
    assert_eq!(summary.counts.rejected, 1);
    assert_eq!((summary.reports.created, summary.reports.rejected), (19, 1));
    assert_eq!(*outcomes.lines.lock().unwrap(), vec![20], "a sized source announces its rows");

    let rows = outcomes.rows.lock().unwrap();
    assert_eq!(
        rows.keys().copied().collect::<Vec<_>>(),
        (0..20).map(|n| n * 1000).collect::<Vec<_>>()
    );
    match &rows[&7000] {
        RowOutcome::Rejected(RowRejection { http_status: 0, parameter, .. }) => {
            assert_eq!(parameter, "display_name");
        }
        other => panic!("row 7000: {other:?}"),
    }
    let mut ids: Vec<u64> = rows
        .values()
        .filter_map(|outcome| match outcome {
            RowOutcome::Created { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 19, "every created row has its own record id");
    assert_eq!(emulator.numbers().creations(), 19);
}

#[tokio::test]
async fn with_a_journal_a_resume_sends_only_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("requests.journal");
    let emulator = common::emulator(SID, KEY).await;
    // The first three requests meet a 500 before processing: failed, safe to send again.
    emulator.set_faults(FaultPlan::times(Fault::status(500), 3));
    let first = Import::from_requests(client(&emulator), requests(10, None))
        .concurrency(1)
        .journal(&journal)
        .run()
        .await
        .unwrap();
    assert_eq!((first.counts.created, first.counts.unknown + first.counts.failed), (7, 3));
    assert!(journal.exists());

    emulator.set_faults(FaultPlan::none());
    let outcomes = Arc::new(Outcomes::default());
    let second = Import::from_requests(client(&emulator), requests(10, None))
        .journal(&journal)
        .resume(true)
        .retry_unknown(true)
        .observer(outcomes.clone())
        .run()
        .await
        .unwrap();
    assert_eq!(second.counts.skipped, 7);
    assert_eq!(second.counts.created + second.counts.exists, 3);
    assert_eq!(second.reports.created, 10, "the journal's rows over both runs");
    let rows = outcomes.rows.lock().unwrap();
    assert_eq!(rows.values().filter(|o| **o == RowOutcome::Skipped).count(), 7);
    let seen = emulator.numbers();
    assert_eq!(seen.creations(), 10);
    assert!(seen.numbers.iter().all(|entry| entry.creations == 1), "a number created twice");
}

#[tokio::test]
async fn a_repeated_id_stops_an_import_with_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = common::emulator(SID, KEY).await;
    let mut twice = requests(3, None);
    twice.push((1000, AddNumberRequest::new("Shop", "+13236559999")));
    let error = Import::from_requests(client(&emulator), twice)
        .journal(dir.path().join("j"))
        .run()
        .await
        .unwrap_err();
    let inner = match &error {
        ImportError::AfterSending { source, .. } => source.as_ref(),
        other => other,
    };
    assert!(matches!(inner, ImportError::DuplicateId(1000)), "{error}");
    assert!(error.to_string().contains("1000"), "{error}");
    assert_eq!(emulator.numbers().creations(), 3, "the rows before it still went");

    // Without a journal ids are labels only: the same id twice is two rows.
    let mut twice = requests(2, None);
    twice.push((0, AddNumberRequest::new("Shop", "+13236559998")));
    let summary = Import::from_requests(client(&emulator), twice).run().await.unwrap();
    assert_eq!(summary.counts.rows, 3);
}

#[tokio::test]
async fn misuse_of_a_requests_import_is_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = common::emulator(SID, KEY).await;
    let refused = |result: Result<_, ImportError>| match result {
        Err(ImportError::Paths(message)) => message,
        other => panic!("{other:?}"),
    };
    let message = refused(
        Import::from_requests(client(&emulator), requests(2, None))
            .report_dir(dir.path().join("reports"))
            .run()
            .await,
    );
    assert!(message.contains("no reports"), "{message}");
    let message = refused(
        Import::from_requests(client(&emulator), requests(2, None)).resume(true).run().await,
    );
    assert!(message.contains("journal"), "{message}");

    // A file's journal is not a requests journal.
    let input = dir.path().join("numbers.csv");
    std::fs::write(&input, "display_name,wa_number\nShop,+13236550001\n").unwrap();
    Import::new(client(&emulator), &input).unwrap().run().await.unwrap();
    let error = Import::from_requests(client(&emulator), requests(2, None))
        .journal(dir.path().join("numbers.csv.journal"))
        .resume(true)
        .run()
        .await
        .unwrap_err();
    assert!(matches!(error, ImportError::OtherInput { .. }), "{error}");
    // A journal that exists is not overwritten by a fresh run.
    let error = Import::from_requests(client(&emulator), requests(2, None))
        .journal(dir.path().join("numbers.csv.journal"))
        .run()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("exists"), "{error}");
    assert_eq!(emulator.numbers().creations(), 1, "nothing more was sent");
}

#[tokio::test]
async fn requests_from_a_channel_end_when_the_senders_are_gone() {
    let emulator = common::emulator(SID, KEY).await;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let producer = tokio::spawn(async move {
        for (id, request) in requests(12, None) {
            sender.send((id, request)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let outcomes = Arc::new(Outcomes::default());
    let summary = Import::from_receiver(client(&emulator), receiver)
        .observer(outcomes.clone())
        .run()
        .await
        .unwrap();
    producer.await.unwrap();
    assert_eq!(summary.counts.created, 12);
    assert_eq!(outcomes.rows.lock().unwrap().len(), 12);
    assert!(outcomes.lines.lock().unwrap().is_empty(), "a channel has no known length");
}
