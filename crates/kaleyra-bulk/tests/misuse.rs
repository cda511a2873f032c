//! The importer used the ways people get wrong: two runs at once, ragged rows, a journal cut
//! short or deleted, paths that collide, a server asking to wait forever, a stop channel let go.
//! Each case: what is refused, what is sent (counted by the emulator), what is on disk.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kaleyra_bulk::import::{self, ImportError, ImportOptions, Silent, Summary};
use kaleyra_bulk::lock::LockError;
use kaleyra_bulk::{Format, report};
use kaleyra_emulator::{Fault, FaultPlan, RunningEmulator};
use kaleyra_transport::{Client, RetryPolicy};

const SID: &str = "HX0MISUSE";
const KEY: &str = "misuse-key-0123";

async fn emulator() -> RunningEmulator {
    common::emulator(SID, KEY).await
}

fn client(emulator: &RunningEmulator) -> Client {
    common::client(emulator, SID, KEY, RetryPolicy::default())
}

/// `rows` valid rows.
fn write_csv(path: &Path, rows: u32) {
    let mut text = String::from("display_name,wa_number\n");
    for n in 0..rows {
        text.push_str(&format!("Shop {n},+1323655{n:04}\n"));
    }
    std::fs::write(path, text).unwrap();
}

async fn run(emulator: &RunningEmulator, options: ImportOptions) -> Result<Summary, ImportError> {
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    import::run(client(emulator), options, Arc::new(Silent), stopped).await
}

fn options(input: &Path) -> ImportOptions {
    ImportOptions::new(input, Format::Csv)
}

fn resume(input: &Path) -> ImportOptions {
    {
        let mut o = options(input);
        o.resume = true;
        o
    }
}

#[tokio::test]
async fn a_second_import_on_the_same_journal_is_refused_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 300);
    let emulator = emulator().await;
    // Slow answers keep the first import running while the second one starts.
    emulator.set_faults(FaultPlan::latency_only(std::time::Duration::from_millis(20)));
    let first = tokio::spawn({
        let (client, options) = (client(&emulator), options(&input));
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        async move {
            let _stop = _stop;
            import::run(client, options, Arc::new(Silent), stopped).await
        }
    });
    while emulator.numbers().received == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let error = run(&emulator, resume(&input)).await.unwrap_err();
    assert!(
        matches!(&error, ImportError::Locked(LockError::Held { holder: Some(pid), .. }) if *pid == std::process::id()),
        "{error:?}"
    );
    assert!(!error.after_sending());
    // Another journal, the same report directory: refused too.
    let other = {
        let mut o = options(&input);
        o.journal = dir.path().join("other.journal");
        o
    };
    let error = run(&emulator, other).await.unwrap_err();
    assert!(matches!(error, ImportError::Locked(_)), "{error:?}");
    assert!(!dir.path().join("other.journal").exists(), "a refused run leaves no journal");

    let summary = first.await.unwrap().unwrap();
    assert_eq!(summary.reports.created, 300);
    let report = emulator.numbers();
    assert_eq!(report.creations(), 300);
    assert!(report.numbers.iter().all(|n| n.creations == 1), "a number was sent twice");
    // The lock files are gone with the run.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn ragged_rows_are_rejected_with_their_line_never_sent_and_the_reports_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    std::fs::write(
        &input,
        "display_name,wa_number,crm_id\n\
         a,+13236550001,1\n\
         b,+13236550002\n\
         c,+13236550003,3,surplus,more\n\
         d,+13236550004,4\n",
    )
    .unwrap();
    let emulator = emulator().await;
    let summary = run(&emulator, options(&input)).await.unwrap();
    assert_eq!((summary.reports.created, summary.reports.rejected), (2, 2));
    assert_eq!(emulator.numbers().received, 2, "ragged rows are never sent");
    let rejected =
        std::fs::read_to_string(dir.path().join("numbers.csv-reports").join(report::REJECTED))
            .unwrap();
    assert_eq!(
        rejected,
        "display_name,wa_number,crm_id,http_status,code,parameter,message,line\n\
         b,+13236550002,,,E920,,\"has 2 cells, the header has 3\",3\n\
         c,+13236550003,3,,E920,,\"has 5 cells, the header has 3; the cells past the header: \"\"surplus\"\", \"\"more\"\"\",4\n"
    );
    // And on every resume.
    let summary = run(&emulator, resume(&input)).await.unwrap();
    assert_eq!(summary.reports.rejected, 2);
}

#[tokio::test]
async fn a_journal_cut_short_after_a_run_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 200);
    let emulator = emulator().await;
    run(&emulator, options(&input)).await.unwrap();
    let journal = dir.path().join("numbers.csv.journal");
    let length = std::fs::metadata(&journal).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&journal).unwrap();
    file.set_len(length * 3 / 10).unwrap();
    drop(file);

    let error = run(&emulator, resume(&input)).await.unwrap_err();
    assert!(matches!(error, ImportError::JournalLost(_)), "{error:?}");
    assert!(error.to_string().contains("cut short"), "{error}");
    assert_eq!(emulator.numbers().received, 200, "nothing sent again");
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), length * 3 / 10, "left as found");

    // Deleted: a fresh import is refused as well (it would send every created row again).
    std::fs::remove_file(&journal).unwrap();
    let error = run(&emulator, options(&input)).await.unwrap_err();
    assert!(error.to_string().contains("is missing"), "{error}");
    assert!(!journal.exists(), "the refused run leaves no journal");
    assert_eq!(emulator.numbers().received, 200);
}

#[tokio::test]
async fn reports_of_another_journal_are_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 10);
    let emulator = emulator().await;
    run(&emulator, options(&input)).await.unwrap();
    let other = {
        let mut o = options(&input);
        o.journal = dir.path().join("second.journal");
        o
    };
    let error = run(&emulator, other).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("belong to the journal") && text.contains("numbers.csv.journal"),
        "{text}"
    );
    assert_eq!(emulator.numbers().received, 10);
}

#[tokio::test]
async fn colliding_or_unwritable_paths_are_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator().await;

    // The report directory cannot be made.
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 5);
    let unwritable = {
        let mut o = options(&input);
        o.report_dir = "/proc/nope".into();
        o
    };
    let error = run(&emulator, unwritable).await.unwrap_err();
    assert!(!error.after_sending(), "{error:?}");
    assert!(error.to_string().contains("/proc/nope"), "{error}");
    assert!(!dir.path().join("numbers.csv.journal").exists());

    // The input inside the report directory, named like a report.
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let inside = reports.join("created.csv");
    write_csv(&inside, 5);
    let colliding = {
        let mut o = options(&inside);
        o.report_dir = reports.clone();
        o
    };
    let error = run(&emulator, colliding).await.unwrap_err();
    assert!(error.to_string().contains("is inside the report directory"), "{error}");
    assert_eq!(std::fs::read_to_string(&inside).unwrap().lines().count(), 6, "input untouched");

    // The journal is the input; the journal is the report directory.
    let same = {
        let mut o = options(&input);
        o.journal = input.clone();
        o
    };
    assert!(run(&emulator, same).await.unwrap_err().to_string().contains("is the input file"));
    let same = {
        let mut o = options(&input);
        o.report_dir = options(&input).journal;
        o
    };
    assert!(run(&emulator, same).await.unwrap_err().to_string().contains("are the same path"));

    // A directory of other files is no report directory (it is replaced as a whole).
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let error = run(&emulator, {
        let mut o = options(&input);
        o.report_dir = busy.clone();
        o
    })
    .await;
    assert!(error.unwrap_err().to_string().contains("\"notes.txt\""));
    assert_eq!(std::fs::read_to_string(busy.join("notes.txt")).unwrap(), "mine");
    assert_eq!(emulator.numbers().received, 0, "nothing was sent in any of these");
}

#[tokio::test]
async fn a_run_that_fails_before_sending_leaves_no_journal() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator().await;
    let input = dir.path().join("numbers.csv");
    for text in [
        &b",\nx,+13236550001\n"[..],
        b"name,number\nx,+13236550001\n",
        b"display_name,wa_number\n\xff,+1\n",
    ] {
        std::fs::write(&input, text).unwrap();
        let error = run(&emulator, options(&input)).await.unwrap_err();
        assert!(!error.after_sending(), "{error:?}");
        assert!(!dir.path().join("numbers.csv.journal").exists(), "{error}");
    }
    // The corrected file then imports.
    write_csv(&input, 3);
    assert_eq!(run(&emulator, options(&input)).await.unwrap().reports.created, 3);
}

#[tokio::test]
async fn a_report_imported_again_gets_prefixed_columns() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator().await;
    emulator.set_faults(FaultPlan::times(Fault::status(500), 1));
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 3);
    run(&emulator, options(&input)).await.unwrap();
    let unknown = dir.path().join("numbers.csv-reports").join(report::UNKNOWN);
    let again = dir.path().join("again.csv");
    std::fs::copy(&unknown, &again).unwrap();
    run(&emulator, options(&again)).await.unwrap();
    let created =
        std::fs::read_to_string(dir.path().join("again.csv-reports").join(report::CREATED))
            .unwrap();
    assert!(
        created.starts_with("display_name,wa_number,input_reason,input_line,id,status,line\n"),
        "{created}"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_any_duration_waits_the_cap_and_the_import_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator().await;
    emulator.set_faults(FaultPlan::times(Fault::rate_limit(Duration::MAX), 2));
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 4);
    let options = {
        let mut o = options(&input);
        o.max_retry_wait = Duration::from_millis(50);
        o
    };
    let summary = run(&emulator, options).await.unwrap();
    assert_eq!(summary.reports.created, 4);
    // A rate no `Duration` can hold starts the first request at once and does not panic.
    let input = dir.path().join("slow.csv");
    let slow = {
        let mut o = options_with_numbers(&input, 9);
        o.rate_per_second = Some(1e-20);
        o
    };
    assert_eq!(run(&emulator, slow).await.unwrap().reports.created, 1);
}

/// `options` for a file whose one row has the number +132365599NN.
fn options_with_numbers(input: &Path, n: u32) -> ImportOptions {
    std::fs::write(input, format!("display_name,wa_number\nx,+13236559{n:03}\n")).unwrap();
    options(input)
}

#[tokio::test]
async fn a_dropped_stop_sender_means_never_stop() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator().await;
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 50);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    drop(stop);
    let summary =
        import::run(client(&emulator), options(&input), Arc::new(Silent), stopped).await.unwrap();
    assert!(!summary.interrupted);
    assert_eq!((summary.reports.created, summary.reports.failed), (50, 0));
}

#[tokio::test]
async fn a_half_swapped_report_set_is_finished_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator().await;
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 5);
    run(&emulator, options(&input)).await.unwrap();
    // A crash between the two renames: the old set moved aside, the new one complete.
    let reports: PathBuf = dir.path().join("numbers.csv-reports");
    std::fs::rename(&reports, dir.path().join(".numbers.csv-reports.partial")).unwrap();
    let summary = run(&emulator, resume(&input)).await.unwrap();
    assert_eq!(summary.reports.created, 5);
    assert_eq!(emulator.numbers().received, 5);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".partial") || n.ends_with(".old")), "{names:?}");
}

/// A resume reads the file as the first run did: the delimiter that run was given is taken
/// from the journal, and another one is refused before anything is sent (by the header, or by
/// the journal when the header reads both ways).
#[tokio::test]
async fn a_resume_reads_with_the_delimiter_the_journal_recorded() {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    std::fs::write(
        &input,
        "display_name|wa_number\nShop, Inc.|+13236550011\nShop, Ltd.|+13236550012\n",
    )
    .unwrap();
    // The second row fails (a 503 the client may not retry), so the resume has work to do.
    let mut first = options(&input);
    first.delimiter = Some(b'|');
    first.concurrency = import::Concurrency::Fixed(1);
    emulator.set_faults(
        FaultPlan::default().then(kaleyra_emulator::FaultRule::once(Fault::Status {
            status: 401,
            retry_after: None,
        })),
    );
    let summary = run(&emulator, first).await.unwrap();
    assert!(summary.authentication_failed, "{summary:?}");
    let received = emulator.numbers().received;

    let mut other = resume(&input);
    other.delimiter = Some(b';');
    let error = run(&emulator, other).await.unwrap_err();
    // This header reads as one column with `;`: refused on the header, before the journal.
    assert!(error.to_string().contains("separated by `;`"), "{error}");
    assert_eq!(emulator.numbers().received, received, "nothing was sent");

    let summary = run(&emulator, resume(&input)).await.unwrap();
    assert_eq!(summary.reports.created, 2, "{summary:?}");
    let names: Vec<String> =
        emulator.numbers().numbers.iter().map(|n| n.records[0].name.clone()).collect();
    assert_eq!(names, ["Shop, Inc.", "Shop, Ltd."]);
}
