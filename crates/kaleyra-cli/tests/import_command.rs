//! `kaleyra number import` and `kaleyra validate FILE`: output, exit codes, and the promise that
//! matters most: SIGKILL at any moment, resume, and every valid row is created exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{kaleyra, render};
use insta::assert_snapshot;
use kaleyra_emulator::{Fault, FaultPlan, FaultRule, RunningEmulator};

const SID: &str = "HXIMPORT";
const KEY: &str = "import-test-key-0123";

/// A CSV of `rows` numbers; every 25th has no display name. Returns the valid numbers.
fn write_csv(path: &Path, rows: u32) -> BTreeSet<String> {
    let mut text = String::from("display_name,wa_number,business_category,crm_id\r\n");
    let mut valid = BTreeSet::new();
    for n in 0..rows {
        let number = format!("+1323{:07}", 5_500_000 + n);
        if n % 25 == 3 {
            text.push_str(&format!(",{number},,{n}\r\n"));
        } else {
            text.push_str(&format!("\"Shop {n}, Inc.\",{number},education,{n}\r\n"));
            valid.insert(number);
        }
    }
    std::fs::write(path, text).unwrap();
    valid
}

/// Output with the temporary directory masked.
fn run_in(dir: &Path, args: &[&str]) -> String {
    let output = kaleyra().current_dir(dir).args(args).output().unwrap();
    render(&output).replace(&dir.display().to_string(), "[DIR]")
}

#[test]
fn sandbox_import_then_resume_then_refusals() {
    let dir = tempfile::tempdir().unwrap();
    write_csv(&dir.path().join("numbers.csv"), 60);
    assert_snapshot!(
        "first_run",
        run_in(dir.path(), &["number", "import", "numbers.csv", "--sandbox", "-q"])
    );
    assert_snapshot!(
        "again_without_resume",
        run_in(dir.path(), &["number", "import", "numbers.csv", "--sandbox", "-q"])
    );
    assert_snapshot!(
        "resume",
        run_in(dir.path(), &["number", "import", "numbers.csv", "--sandbox", "--resume", "-q"])
    );
    let reports = dir.path().join("numbers.csv-reports");
    let created = std::fs::read_to_string(reports.join("created.csv")).unwrap();
    assert_eq!(created.lines().count(), 1 + 57);
    let rejected = std::fs::read_to_string(reports.join("rejected.csv")).unwrap();
    assert_snapshot!("rejected_csv", rejected);

    std::fs::write(dir.path().join("numbers.csv"), "display_name,wa_number\r\nx,+13236550017\r\n")
        .unwrap();
    assert_snapshot!(
        "changed_input",
        run_in(dir.path(), &["number", "import", "numbers.csv", "--sandbox", "--resume", "-q"])
    );
    std::fs::write(dir.path().join("bad.csv"), "name,number\nx,+13236550017\n").unwrap();
    assert_snapshot!(
        "missing_column",
        run_in(dir.path(), &["number", "import", "bad.csv", "--sandbox"])
    );
    assert_snapshot!(
        "unknown_format",
        run_in(dir.path(), &["number", "import", "numbers.txt", "--sandbox"])
    );
    assert!(
        run_in(dir.path(), &["number", "import", "numbers.csv", "--retry-unknown"])
            .starts_with("exit: 2\n")
    );
}

#[test]
fn validate_a_file_reports_each_problem_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("numbers.csv"),
        "\u{feff}display_name,wa_number,business_category,contact_email\r\n\
         a,+13236550017,Education,\r\n\
         \r\n\
         ,+1 323,Cars,nobody\r\n\
         b,+13236550017,,\r\n\
         c,+13236550018,other,c@example.com\r\n",
    )
    .unwrap();
    assert_snapshot!("csv_text", run_in(dir.path(), &["validate", "numbers.csv"]));
    assert_snapshot!("csv_json", run_in(dir.path(), &["validate", "-o", "json", "numbers.csv"]));
    std::fs::write(
        dir.path().join("numbers.jsonl"),
        "{\"display_name\":\"a\",\"wa_number\":\"+13236550017\"}\n[]\n{\"display_name\":\"b\",\"wa_number\":\"+13236550018\",\"display_image\":\"\"}\n",
    )
    .unwrap();
    assert_snapshot!("jsonl_text", run_in(dir.path(), &["validate", "numbers.jsonl"]));
    std::fs::write(dir.path().join("good.csv"), "display_name,wa_number\nx,+13236550017\n")
        .unwrap();
    assert_snapshot!("all_valid", run_in(dir.path(), &["validate", "good.csv"]));
}

struct Counters {
    state: u64,
}

impl Counters {
    /// A small deterministic generator: the seed is printed, so a failure can be replayed.
    fn next(&mut self, below: u64) -> u64 {
        self.state = self
            .state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.state >> 33) % below
    }
}

fn import_command(input: &Path, emulator: &RunningEmulator, extra: &[&str]) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("kaleyra"));
    command
        .args(["number", "import", "-q", "--concurrency", "16"])
        .arg(input)
        .args(extra)
        .env_clear()
        .env("KALEYRA_SID", SID)
        .env("KALEYRA_API_KEY", KEY)
        .env("KALEYRA_BASE_URL", emulator.base_url())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

fn report_numbers(dir: &Path, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(dir.join(name)).unwrap();
    reader.records().map(|r| r.unwrap()[1].to_owned()).collect()
}

fn sigkill_and_resume(rows: u32, faults: FaultPlan) {
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64;
    eprintln!("seed {seed}");
    let mut random = Counters { state: seed };
    let (runtime, emulator) = common::emulator(SID, KEY);
    emulator.set_faults(faults);
    let dir = tempfile::tempdir().unwrap();
    let input: PathBuf = dir.path().join("numbers.csv");
    let valid = write_csv(&input, rows);

    // Kill it at random moments, resuming each time.
    let mut kills = 0;
    let mut first = true;
    while kills < 5 {
        let mut command =
            import_command(&input, &emulator, if first { &[] } else { &["--resume"] });
        first = false;
        let mut child = command.spawn().unwrap();
        let wait = Duration::from_millis(100 + random.next(900));
        let started = Instant::now();
        let mut finished = false;
        while started.elapsed() < wait {
            if child.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if finished {
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    eprintln!("killed {kills} times");
    // Finish: rows whose outcome a kill made unknown are sent again; those that exist are found.
    let status =
        import_command(&input, &emulator, &["--resume", "--retry-unknown"]).status().unwrap();
    assert!(status.success() || status.code() == Some(1), "{status:?}");

    let report = emulator.numbers();
    let created: BTreeSet<_> =
        report.numbers.iter().filter(|n| n.creations > 0).map(|n| n.wa_number.clone()).collect();
    let twice: Vec<_> = report.numbers.iter().filter(|n| n.creations > 1).collect();
    assert!(twice.is_empty(), "created twice: {twice:?}");
    assert_eq!(created, valid, "a valid row was not created");

    let reports = ImportReports::read(&dir.path().join("numbers.csv-reports"));
    assert_eq!(reports.created, valid, "created.csv disagrees with the emulator");
    assert_eq!(reports.rejected.len() as u32, rows - valid.len() as u32);
    assert!(reports.unknown.is_empty() && reports.failed.is_empty());
    let everything: BTreeSet<_> = reports.created.iter().chain(&reports.rejected).collect();
    assert_eq!(everything.len() as u32, rows, "the reports do not partition the input");
    runtime.block_on(emulator.shutdown());
}

struct ImportReports {
    created: BTreeSet<String>,
    rejected: Vec<String>,
    unknown: Vec<String>,
    failed: Vec<String>,
}

impl ImportReports {
    fn read(dir: &Path) -> Self {
        let created: Vec<_> = report_numbers(dir, "created.csv");
        let set: BTreeSet<_> = created.iter().cloned().collect();
        assert_eq!(set.len(), created.len(), "a row twice in created.csv");
        ImportReports {
            created: set,
            rejected: report_numbers(dir, "rejected.csv"),
            unknown: report_numbers(dir, "unknown.csv"),
            failed: report_numbers(dir, "failed.csv"),
        }
    }
}

#[test]
fn sigkill_at_random_moments_then_resume_creates_every_row_exactly_once() {
    sigkill_and_resume(20_000, FaultPlan::default());
}

#[test]
fn sigkill_with_emulator_faults_then_resume_agrees_with_the_emulator() {
    let rule = |fault, times| FaultRule::times(fault, times);
    sigkill_and_resume(
        4_000,
        [
            rule(Fault::rate_limit(Duration::from_secs(0)), 10),
            rule(Fault::status(500), 10),
            rule(Fault::ResetAfter, 10),
            rule(Fault::ResetBefore, 10),
            rule(Fault::Truncate, 5),
            rule(Fault::Garbage, 5),
            rule(Fault::slow_body(Duration::from_millis(2)), 5),
            rule(Fault::status_retry_after(503, Duration::from_secs(0)), 5),
        ]
        .into_iter()
        .fold(FaultPlan::none(), FaultPlan::then),
    );
}

#[test]
fn ctrl_c_lets_requests_in_flight_finish_and_exits_130_then_resume_finishes() {
    let (_runtime, emulator) = common::emulator(SID, KEY);
    // Slow answers: the interrupt lands while requests are in flight.
    emulator.set_faults(FaultPlan::latency_only(std::time::Duration::from_millis(100)));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    let valid = write_csv(&input, 400);
    let mut child = import_command(&input, &emulator, &[]).spawn().unwrap();
    // Interrupted once requests are in flight, however long the process took to get there.
    let started = std::time::Instant::now();
    while emulator.numbers().received < 10 {
        assert!(started.elapsed() < Duration::from_secs(60), "no request reached the emulator");
        std::thread::sleep(Duration::from_millis(10));
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let created_so_far = emulator.numbers().creations();
    assert!(created_so_far > 0 && created_so_far < valid.len() as u64, "{created_so_far}");
    // Nothing in flight was abandoned: every intent has its outcome, or was withdrawn because
    // its row was still waiting to be sent.
    let journal = std::fs::read_to_string(dir.path().join("numbers.csv.journal")).unwrap();
    let count = |kind: &str| journal.matches(&format!("\"kind\":\"{kind}\"")).count();
    assert_eq!(count("intent"), count("created") + count("released"), "{journal}");
    assert_eq!(count("created") as u64, created_so_far);
    assert!(count("released") > 0, "rows were waiting with durable intents: {journal}");

    emulator.set_faults(FaultPlan::default());
    let status = import_command(&input, &emulator, &["--resume"]).status().unwrap();
    assert_eq!(status.code(), Some(1), "some rows are rejected by design");
    let report = emulator.numbers();
    assert_eq!(report.creations(), valid.len() as u64);
    assert!(report.numbers.iter().all(|n| n.creations <= 1));
}

#[test]
fn refused_credentials_exit_4() {
    let (_runtime, emulator) = common::emulator(SID, "another key");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 100);
    let status = import_command(&input, &emulator, &[]).status().unwrap();
    assert_eq!(status.code(), Some(4));
    assert!(emulator.numbers().received <= 16);
}

/// The import run on a pseudo-terminal (`script`, from util-linux), as a person would run it:
/// what the terminal showed, escape sequences and all.
fn import_on_a_terminal(input: &Path, emulator: &RunningEmulator, extra: &str) -> String {
    let binary = assert_cmd::cargo::cargo_bin("kaleyra");
    let command =
        format!("{} number import --concurrency 1 {extra} {}", binary.display(), input.display());
    let output = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .env("KALEYRA_SID", SID)
        .env("KALEYRA_API_KEY", KEY)
        .env("KALEYRA_BASE_URL", emulator.base_url())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("`script` (util-linux) runs the import on a pseudo-terminal");
    assert_eq!(output.status.code(), Some(1), "one row is rejected by design");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Rows done in each frame of the bar: the numbers before `/{total} rows`.
fn bar_positions(screen: &str, total: u32) -> Vec<u32> {
    let marker = format!("/{total} rows");
    screen
        .match_indices(&marker)
        .map(|(at, _)| {
            let digits = screen[..at].chars().rev().take_while(char::is_ascii_digit).count();
            screen[at - digits..at].parse().unwrap()
        })
        .collect()
}

#[test]
fn a_progress_bar_is_drawn_on_a_terminal_unless_quiet() {
    let (_runtime, emulator) = common::emulator(SID, KEY);
    // Slow answers: the bar's 200 ms tick draws several frames.
    emulator.set_faults(FaultPlan::latency_only(std::time::Duration::from_millis(100)));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 8);

    let screen = import_on_a_terminal(&input, &emulator, "");
    // The bar counts the file's rows, not its header line.
    let positions = bar_positions(&screen, 8);
    assert!(positions.len() >= 2, "{screen}");
    assert!(positions.windows(2).all(|pair| pair[0] <= pair[1]), "{positions:?}");
    assert!(positions.iter().all(|&done| done <= 8), "{positions:?}");
    assert!(screen.contains("created 1  rejected 1"), "the counts ride along: {screen}");
    // Redrawn in place on one line (a bar wider than the terminal wraps, and each redraw then
    // moves the cursor up).
    assert!(screen.contains("\r\x1b[2K") && !screen.contains("\x1b[1A"), "{screen:?}");
    assert!(screen.contains("numbers.csv: 7 created, 1 rejected, 0 unknown, 0 failed"), "{screen}");

    emulator.reset();
    emulator.set_faults(FaultPlan::latency_only(std::time::Duration::from_millis(100)));
    let quiet = dir.path().join("quiet.csv");
    std::fs::copy(&input, &quiet).unwrap();
    let screen = import_on_a_terminal(&quiet, &emulator, "-q");
    assert!(!screen.contains(" rows "), "{screen}");
    assert!(screen.contains("quiet.csv: 7 created, 1 rejected"), "{screen}");
}
