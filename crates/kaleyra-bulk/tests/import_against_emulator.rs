//! Imports against a live emulator: reports partition the input, faults lose nothing and
//! duplicate nothing, resume finishes the job, a changed input is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kaleyra_bulk::import::{
    self, Concurrency, Import, ImportError, ImportOptions, Observer, RowOutcome, RowRejection,
    Silent, Summary,
};
use kaleyra_bulk::journal::RowState;
use kaleyra_bulk::{Format, report};
use kaleyra_emulator::{Fault, FaultPlan, FaultRule, RunningEmulator};
use kaleyra_model::ApiKey;
use kaleyra_transport::{Client, RetryPolicy};

const SID: &str = "HX0BULK";
const KEY: &str = "bulk-key-0123";

async fn emulator() -> RunningEmulator {
    common::emulator(SID, KEY).await
}

fn client(emulator: &RunningEmulator) -> Client {
    let retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    common::client(emulator, SID, KEY, retry)
}

/// `valid` good rows (numbers +1323655NNNN) and every 10th row invalid in some way.
fn write_csv(dir: &Path, rows: u32) -> (PathBuf, BTreeSet<String>) {
    let mut text = String::from("display_name,wa_number,business_category,crm_id\n");
    let mut valid = BTreeSet::new();
    for n in 0..rows {
        let number = format!("+1323655{n:04}");
        match n % 10 {
            3 => text.push_str(&format!(",{number},,{n}\n")),
            7 => text.push_str(&format!("\"Shop {n}, Inc.\",{number},Cars,{n}\n")),
            _ => {
                text.push_str(&format!("\"Shop {n}, Inc.\",{number},education,{n}\n"));
                valid.insert(number);
            }
        }
    }
    let path = dir.join("numbers.csv");
    std::fs::write(&path, text).unwrap();
    (path, valid)
}

fn options_for(input: &Path, resume: bool, retry_unknown: bool) -> ImportOptions {
    {
        let mut o = ImportOptions::new(input, Format::Csv);
        o.resume = resume;
        o.retry_unknown = retry_unknown;
        o
    }
}

async fn run(client: &Client, options: ImportOptions) -> Result<Summary, ImportError> {
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    import::run(client.clone(), options, Arc::new(Silent), stopped).await
}

/// The `wa_number` column of a report.
fn report_numbers(dir: &Path, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(dir.join(name)).unwrap();
    reader.records().map(|r| r.unwrap()[1].to_owned()).collect()
}

fn assert_partition(options: &ImportOptions, rows: u32) {
    let mut all = Vec::new();
    for name in [report::CREATED, report::REJECTED, report::UNKNOWN, report::FAILED] {
        all.extend(report_numbers(&options.report_dir, name));
    }
    assert_eq!(all.len(), rows as usize, "a row is missing from the reports or in two");
    let distinct: BTreeSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), rows as usize);
}

fn creations(emulator: &RunningEmulator) -> BTreeMap<String, u64> {
    emulator
        .numbers()
        .numbers
        .into_iter()
        .filter(|n| n.creations > 0)
        .map(|n| (n.wa_number, n.creations))
        .collect()
}

#[tokio::test]
async fn a_clean_import_creates_every_valid_row_once_and_reports_all() {
    let dir = tempfile::tempdir().unwrap();
    let (input, valid) = write_csv(dir.path(), 200);
    let emulator = emulator().await;
    let options = options_for(&input, false, false);
    let summary = run(&client(&emulator), options.clone()).await.unwrap();
    assert_eq!(summary.reports.created, valid.len() as u64);
    assert_eq!(summary.reports.rejected, 40);
    assert_eq!(summary.reports.total(), 200);
    assert!(!summary.interrupted && !summary.authentication_failed);
    assert_partition(&options, 200);
    let created = creations(&emulator);
    assert_eq!(created.keys().cloned().collect::<BTreeSet<_>>(), valid);
    assert!(created.values().all(|c| *c == 1));

    // Extra columns pass through; the added ones follow.
    let text = std::fs::read_to_string(options.report_dir.join(report::CREATED)).unwrap();
    assert!(
        text.starts_with("display_name,wa_number,business_category,crm_id,id,status,line\n"),
        "{text}"
    );
    assert!(text.contains("\"Shop 0, Inc.\",+13236550000,education,0,"));
    let rejected = std::fs::read_to_string(options.report_dir.join(report::REJECTED)).unwrap();
    assert!(
        rejected.contains(
            ",+13236550003,,3,,E413,display_name,display_name is required and cannot be empty.,5\n"
        ),
        "{rejected}"
    );

    // Nothing left: a resume sends nothing and reports the same.
    let again = run(&client(&emulator), options_for(&input, true, false)).await.unwrap();
    assert_eq!(again.counts.skipped, 160);
    assert_eq!(again.reports, summary.reports);
    assert_eq!(emulator.numbers().received, valid.len() as u64);
}

#[tokio::test]
async fn faults_lose_nothing_duplicate_nothing_and_resume_settles_the_unknowns() {
    let dir = tempfile::tempdir().unwrap();
    let (input, valid) = write_csv(dir.path(), 300);
    let emulator = emulator().await;
    let rule = |fault, times| FaultRule::times(fault, times);
    emulator.set_faults(
        [
            rule(Fault::rate_limit(Duration::from_secs(0)), 5),
            rule(Fault::status_retry_after(503, Duration::from_secs(0)), 3),
            rule(Fault::status(500), 4),
            rule(Fault::ResetAfter, 4),
            rule(Fault::ResetBefore, 3),
            rule(Fault::Truncate, 2),
            rule(Fault::Garbage, 2),
        ]
        .into_iter()
        .fold(FaultPlan::none(), FaultPlan::then),
    );
    // An odd, small queue: batches of one and two intents.
    let options = {
        let mut o = options_for(&input, false, false);
        o.intents_ahead = 3;
        o
    };
    let first = run(&client(&emulator), options.clone()).await.unwrap();
    assert_partition(&options, 300);
    // 500s, resets and bad answers are unknown: 4 + 4 + 3 + 2 + 2; 429 / 503 were waited out.
    assert_eq!(first.reports.unknown, 15, "{first:?}");
    assert!(creations(&emulator).values().all(|c| *c == 1), "a number was created twice");
    let unknown = report_numbers(&options.report_dir, report::UNKNOWN);

    // Without --retry-unknown, a resume leaves them alone.
    let second = run(&client(&emulator), options_like(&options, true, false)).await.unwrap();
    assert_eq!(second.reports.unknown, 15);
    // With it, they are sent again: created now, or found to exist already.
    let third = run(&client(&emulator), options_like(&options, true, true)).await.unwrap();
    assert_eq!(third.reports.unknown, 0);
    assert_eq!(third.reports.created, valid.len() as u64);
    assert_eq!(third.counts.exists + third.counts.created, 15);
    assert_eq!(
        third.counts.exists,
        4 + 2 + 2,
        "reset-after, truncate and garbage had created theirs"
    );
    let created = creations(&emulator);
    assert_eq!(created.keys().cloned().collect::<BTreeSet<_>>(), valid);
    assert!(created.values().all(|c| *c == 1));
    let exists_text = std::fs::read_to_string(options.report_dir.join(report::CREATED)).unwrap();
    for number in unknown {
        assert!(exists_text.contains(&number));
    }
    assert_eq!(exists_text.matches(",already_exists,").count(), 8);
}

#[tokio::test]
async fn a_stopped_import_withdraws_the_intents_it_did_not_send_and_resume_sends_them() {
    let dir = tempfile::tempdir().unwrap();
    let (input, valid) = write_csv(dir.path(), 200);
    let emulator = emulator().await;
    emulator.set_faults(FaultPlan::latency_only(std::time::Duration::from_millis(40)));
    let options = {
        let mut o = options_for(&input, false, false);
        o.concurrency = Concurrency::Fixed(2);
        o.intents_ahead = 10;
        o
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let import =
        tokio::spawn(import::run(client(&emulator), options.clone(), Arc::new(Silent), stopped));
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.send(true).unwrap();
    let summary = import.await.unwrap().unwrap();
    assert!(summary.interrupted);

    let journal = std::fs::read_to_string(&options.journal).unwrap();
    let count = |kind: &str| journal.matches(&format!("\"kind\":\"{kind}\"")).count();
    let sent = emulator.numbers().received as usize;
    assert!(sent >= 2 && sent < valid.len(), "{sent}");
    assert_eq!(count("created"), sent, "every row sent has its outcome");
    assert!(count("released") > 0, "rows were waiting with durable intents");
    assert_eq!(count("intent"), count("created") + count("released"));
    let state = kaleyra_bulk::journal::replay(&options.journal).unwrap();
    assert!((0..200).all(|row| state.state(row) != RowState::Pending));

    emulator.set_faults(FaultPlan::default());
    let resumed = run(&client(&emulator), options_like(&options, true, false)).await.unwrap();
    assert_eq!(resumed.reports.created, valid.len() as u64);
    assert_eq!(resumed.reports.unknown, 0);
    let created = creations(&emulator);
    assert_eq!(created.keys().cloned().collect::<BTreeSet<_>>(), valid);
    assert!(created.values().all(|c| *c == 1));
}

fn options_like(options: &ImportOptions, resume: bool, retry_unknown: bool) -> ImportOptions {
    {
        let mut o = options.clone();
        o.resume = resume;
        o.retry_unknown = retry_unknown;
        o
    }
}

#[tokio::test]
async fn resume_refuses_another_file_and_survives_a_torn_journal() {
    let dir = tempfile::tempdir().unwrap();
    let (input, valid) = write_csv(dir.path(), 50);
    let emulator = emulator().await;
    let options = options_for(&input, false, false);
    run(&client(&emulator), options.clone()).await.unwrap();

    // A new run over the same journal without --resume is refused.
    let error = run(&client(&emulator), options.clone()).await.unwrap_err();
    assert!(error.to_string().contains("--resume"), "{error}");

    // A torn last line (as a crash leaves it) is tolerated.
    let mut journal = std::fs::read(&options.journal).unwrap();
    journal.extend_from_slice(br#"{"kind":"created","row":4"#);
    std::fs::write(&options.journal, journal).unwrap();
    let resumed = run(&client(&emulator), options_like(&options, true, false)).await.unwrap();
    assert_eq!(resumed.reports.created, valid.len() as u64);

    // The input changed: refused, nothing sent.
    let received = emulator.numbers().received;
    let mut text = std::fs::read_to_string(&input).unwrap();
    text.push_str("new,+13236559999,,x\n");
    std::fs::write(&input, text).unwrap();
    let error = run(&client(&emulator), options_like(&options, true, false)).await.unwrap_err();
    assert!(matches!(error, ImportError::OtherInput { .. }), "{error}");
    assert_eq!(emulator.numbers().received, received);
}

#[tokio::test]
async fn a_missing_mandatory_column_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.csv");
    std::fs::write(&input, "display_name,phone\nx,+13236550017\n").unwrap();
    let emulator = emulator().await;
    let error = run(&client(&emulator), options_for(&input, false, false)).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "the header has no `wa_number` column: it is mandatory (the header must name the API's fields)"
    );
    assert_eq!(emulator.numbers().received, 0);
}

#[tokio::test]
async fn an_unreadable_line_stops_the_import_after_the_rows_before_it() {
    // Rows travel in chunks from the reading thread: those read before the bad line (more
    // than two chunks' worth, and a partial one) must still be sent, each once.
    let dir = tempfile::tempdir().unwrap();
    let (input, valid) = write_csv(dir.path(), 150);
    let mut bytes = std::fs::read(&input).unwrap();
    bytes.extend_from_slice(b"\"Shop \xff\",+13236559999,education,x\n");
    bytes.extend_from_slice(b"\"After\",+13236559998,education,y\n");
    std::fs::write(&input, bytes).unwrap();
    let emulator = emulator().await;
    let error = run(&client(&emulator), options_for(&input, false, false)).await.unwrap_err();
    assert!(error.to_string().contains("line 152"), "{error}");
    assert!(error.after_sending(), "rows were sent before the bad line: {error:?}");
    let created = creations(&emulator);
    let numbers: BTreeSet<String> = created.keys().cloned().collect();
    assert_eq!(numbers, valid, "every valid row before the bad line, nothing after");
    assert!(created.values().all(|&count| count == 1));
}

#[tokio::test]
async fn wrong_credentials_stop_the_import_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = write_csv(dir.path(), 500);
    let emulator = emulator().await;
    let wrong =
        Client::builder(SID, ApiKey::new("wrong")).base_url(emulator.base_url()).build().unwrap();
    let options = {
        let mut o = options_for(&input, false, false);
        o.concurrency = Concurrency::Fixed(2);
        o
    };
    let summary = run(&wrong, options.clone()).await.unwrap();
    assert!(summary.authentication_failed);
    assert!(emulator.numbers().received <= 4, "kept sending after a 401");
    assert_eq!(summary.reports.created, 0);
    assert_partition(&options, 500);
}

#[tokio::test]
async fn jsonl_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.jsonl");
    std::fs::write(
        &input,
        "{\"display_name\":\"a\",\"wa_number\":\"+13236550017\"}\n\nnot json\n{\"display_name\":\"b\",\"wa_number\":\"+13236550018\",\"display_image\":\"\"}\n",
    )
    .unwrap();
    let emulator = emulator().await;
    let options = {
        let mut o = options_for(&input, false, false);
        o.format = Format::Jsonl;
        o
    };
    let summary = run(&client(&emulator), options.clone()).await.unwrap();
    assert_eq!((summary.reports.created, summary.reports.rejected), (1, 2));
    let rejected = std::fs::read_to_string(options.report_dir.join(report::REJECTED)).unwrap();
    assert!(rejected.contains("E900"), "{rejected}");
    assert!(
        rejected.contains("E962,display_image,display_image cannot be empty,4\n"),
        "{rejected}"
    );
}

/// What an observer was told, in order.
#[derive(Default)]
struct Told(std::sync::Mutex<Vec<String>>);

impl import::Observer for Told {
    fn input_lines(&self, lines: u64) {
        self.0.lock().unwrap().push(format!("lines {lines}"));
    }

    fn progress(&self, counts: &kaleyra_bulk::import::Counts) {
        self.0.lock().unwrap().push(format!("rows {}", counts.rows));
    }
}

#[tokio::test]
async fn the_observer_learns_the_line_count_once_before_any_row() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = write_csv(dir.path(), 30);
    let emulator = emulator().await;
    let told = Arc::new(Told::default());
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let options = options_for(&input, false, false);
    import::run(client(&emulator), options, told.clone(), stopped).await.unwrap();
    let told = told.0.lock().unwrap();
    // The header line and 30 rows; then every row's progress.
    assert_eq!(told.first().map(String::as_str), Some("lines 31"), "{told:?}");
    assert_eq!(told.iter().filter(|t| t.starts_with("lines")).count(), 1, "{told:?}");
    assert_eq!(told.last().map(String::as_str), Some("rows 30"), "{told:?}");
}

/// What a library user writes: the builder's defaults run the whole import, and an observer
/// sees every row's outcome, with the ids the server gave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_runs_an_import_and_an_observer_sees_each_row() {
    #[derive(Default)]
    struct Outcomes(std::sync::Mutex<BTreeMap<u64, RowOutcome>>);
    impl Observer for Outcomes {
        fn row(&self, row: u64, outcome: &RowOutcome) {
            let previous = self.0.lock().unwrap().insert(row, outcome.clone());
            assert!(previous.is_none(), "row {row} told twice");
        }
    }

    let emulator = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let (input, valid) = write_csv(dir.path(), 40);
    let outcomes = Arc::new(Outcomes::default());
    let summary = Import::new(client(&emulator), &input)
        .unwrap()
        .concurrency(4)
        .observer(Arc::clone(&outcomes))
        .run()
        .await
        .unwrap();
    assert_eq!((summary.counts.created, summary.counts.rejected), (32, 8));

    let outcomes = outcomes.0.lock().unwrap().clone();
    assert_eq!(outcomes.keys().copied().collect::<Vec<_>>(), (0..40).collect::<Vec<_>>());
    let ids: BTreeSet<u64> = emulator
        .numbers()
        .numbers
        .iter()
        .filter(|entry| valid.contains(&entry.wa_number))
        .flat_map(|entry| entry.records.iter().map(|record| record.id))
        .collect();
    let mut created = BTreeSet::new();
    for (row, outcome) in outcomes {
        match (row % 10, outcome) {
            (3 | 7, RowOutcome::Rejected(RowRejection { http_status: 0, code, .. })) => {
                assert_eq!(code, "E413")
            }
            (_, RowOutcome::Created { id, status: 2 }) => assert!(created.insert(id)),
            (_, other) => panic!("row {row}: {other:?}"),
        }
    }
    assert_eq!(created, ids, "the observer saw the ids the server gave");

    // A name that says no format is refused before anything happens.
    let error = Import::new(client(&emulator), dir.path().join("numbers.txt")).unwrap_err();
    assert!(error.to_string().contains("cannot tell the format"), "{error}");
}
