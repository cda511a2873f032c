//! `kaleyra number import` misused as people do, with real processes: two imports at once,
//! SIGTERM and SIGHUP, a journal deleted and an input edited or replaced under a running
//! import, a server that echoes the key, flags out of range, credentials from two places.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::kaleyra;
use kaleyra_emulator::{FaultPlan, RunningEmulator};

const SID: &str = "HXMISUSE";
const KEY: &str = "misuse-cli-key-0123456";

/// `rows` valid rows.
fn write_csv(path: &Path, rows: u32) {
    let mut text = String::from("display_name,wa_number\n");
    for n in 0..rows {
        text.push_str(&format!("Shop {n},+1323655{n:04}\n"));
    }
    std::fs::write(path, text).unwrap();
}

fn import(input: &Path, base_url: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("kaleyra"));
    command
        .args(["number", "import", "-q", "--concurrency", "4"])
        .arg(input)
        .args(extra)
        .env_clear()
        .env("KALEYRA_SID", SID)
        .env("KALEYRA_API_KEY", KEY)
        .env("KALEYRA_BASE_URL", base_url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// A slow emulator (every answer 50 ms late) and a running import of `rows` rows.
fn slow_import(dir: &Path, rows: u32) -> (tokio::runtime::Runtime, RunningEmulator, Child) {
    let (runtime, emulator) = common::emulator(SID, KEY);
    emulator.set_faults(FaultPlan::latency_only(std::time::Duration::from_millis(50)));
    let input = dir.join("numbers.csv");
    write_csv(&input, rows);
    let child = import(&input, &emulator.base_url(), &[]).spawn().unwrap();
    let started = Instant::now();
    while emulator.numbers().received < 8 {
        assert!(started.elapsed() < Duration::from_secs(30), "the import did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    (runtime, emulator, child)
}

fn finish(child: Child) -> (Option<i32>, String) {
    let output = child.wait_with_output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn journal_count(dir: &Path, kind: &str) -> usize {
    let journal = std::fs::read_to_string(dir.join("numbers.csv.journal")).unwrap();
    journal.matches(&format!("\"kind\":\"{kind}\"")).count()
}

/// Resumes the import in `dir` against a fast emulator: it succeeds, and every row is created
/// once in all.
fn resume_to_the_end(dir: &Path, emulator: &RunningEmulator, flags: &[&str], rows: u64) {
    emulator.set_faults(FaultPlan::default());
    let input = dir.join("numbers.csv");
    let status = import(&input, &emulator.base_url(), flags).status().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_each_created_once(emulator, rows);
}

fn assert_each_created_once(emulator: &RunningEmulator, rows: u64) {
    let report = emulator.numbers();
    assert!(report.numbers.iter().all(|n| n.creations <= 1), "a number was created twice");
    assert_eq!(report.creations(), rows);
}

#[test]
fn a_second_import_while_one_runs_exits_2_naming_its_pid() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, emulator, first) = slow_import(dir.path(), 200);
    let input = dir.path().join("numbers.csv");
    for extra in [&["--resume"][..], &["--journal", "other.journal"]] {
        let second = import(&input, &emulator.base_url(), extra).spawn().unwrap();
        let (code, stderr) = finish(second);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(&format!("another import (pid {})", first.id())), "{stderr}");
    }
    let (code, stderr) = finish(first);
    assert_eq!(code, Some(0), "{stderr}");
    assert_each_created_once(&emulator, 200);
}

/// SIGTERM and SIGHUP end an import as the first Ctrl-C does: requests in flight finish, the
/// rows waiting are withdrawn, the reports are written, and the exit code names the signal.
#[test]
fn sigterm_and_sighup_stop_cleanly_with_143_and_129() {
    for (signal, exit) in [("-TERM", 143), ("-HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let (_runtime, emulator, child) = slow_import(dir.path(), 400);
        Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        let (code, stderr) = finish(child);
        assert_eq!(code, Some(exit), "{signal}: {stderr}");
        assert!(stderr.contains("interrupted: the journal is consistent"), "{stderr}");
        let created = emulator.numbers().creations();
        assert!(created > 0 && created < 400, "{created}");
        assert_eq!(
            journal_count(dir.path(), "intent"),
            journal_count(dir.path(), "created") + journal_count(dir.path(), "released"),
            "{signal}: an intent was left without its outcome"
        );
        let unknown =
            std::fs::read_to_string(dir.path().join("numbers.csv-reports/unknown.csv")).unwrap();
        assert_eq!(unknown.lines().count(), 1, "{signal}: rows left unknown: {unknown}");

        resume_to_the_end(dir.path(), &emulator, &["--resume"], 400);
    }
}

#[test]
fn a_journal_deleted_mid_run_stops_sending_and_is_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, emulator, child) = slow_import(dir.path(), 400);
    let journal = dir.path().join("numbers.csv.journal");
    std::fs::remove_file(&journal).unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("was deleted during the run: sending stopped"), "{stderr}");
    assert!(stderr.contains("row(s) were sent before this"), "{stderr}");
    assert!(journal.exists(), "the journal is back");
    assert!(emulator.numbers().creations() < 400, "sending went on");

    resume_to_the_end(dir.path(), &emulator, &["--resume", "--retry-unknown"], 400);
}

#[test]
fn an_input_edited_in_place_mid_run_gets_no_reports_and_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, emulator, child) = slow_import(dir.path(), 300);
    let input = dir.path().join("numbers.csv");
    // `cp other.csv numbers.csv` writes into the same file.
    let edited = std::fs::read_to_string(&input).unwrap().replace("Shop", "Store");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&input)
        .unwrap()
        .write_all(edited.as_bytes())
        .unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("changed during the import"), "{stderr}");
    assert!(!dir.path().join("numbers.csv-reports").exists(), "no reports that could lie");
    assert!(emulator.numbers().creations() > 0);
}

#[test]
fn an_input_replaced_mid_run_is_still_the_one_read_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, emulator, child) = slow_import(dir.path(), 300);
    let input = dir.path().join("numbers.csv");
    let other = dir.path().join("other.csv");
    std::fs::write(&other, "display_name,wa_number\nx,+13236559999\n").unwrap();
    std::fs::rename(&other, &input).unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("warning: another file was moved to"), "{stderr}");
    assert_each_created_once(&emulator, 300);
    let created =
        std::fs::read_to_string(dir.path().join("numbers.csv-reports/created.csv")).unwrap();
    assert_eq!(created.lines().count(), 301, "every row sent, and only those, is reported");
}

/// A server (a proxy, say) that answers every request 400 with the request's head in its body.
fn echoing_server() -> String {
    hostile_server(|head| {
        ("400 Bad Request", "text/html", format!("<html>bad request; you sent:\n{head}</html>"))
    })
}

/// A server answering every request with what `answer` makes of its head: status line, content
/// type and body.
fn hostile_server(
    answer: impl Fn(&str) -> (&'static str, &'static str, String) + Send + 'static,
) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut head, mut length) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let (status, content_type, body) = answer(&head);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{address}")
}

#[test]
fn a_server_echoing_the_key_gets_it_masked_everywhere_it_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let base_url = echoing_server();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 3);
    let output = import(&input, &base_url, &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let mut kept = vec![stderr.into_owned()];
    kept.push(std::fs::read_to_string(dir.path().join("numbers.csv.journal")).unwrap());
    for report in ["created.csv", "rejected.csv", "unknown.csv", "failed.csv"] {
        kept.push(
            std::fs::read_to_string(dir.path().join("numbers.csv-reports").join(report)).unwrap(),
        );
    }
    let all = kept.join("\n");
    assert!(all.contains("api-key: ****"), "the echo is there, masked: {all}");
    assert!(!all.contains(KEY) && !all.contains(&KEY[..12]), "{all}");

    let add = number_add_at(&base_url);
    let text =
        String::from_utf8_lossy(&add.stderr).into_owned() + &String::from_utf8_lossy(&add.stdout);
    assert!(text.contains("****") && !text.contains(KEY), "{text}");
}

#[test]
fn numeric_flags_out_of_range_are_usage_errors_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 1);
    for (flag, value) in [
        ("--rate", "1e-20"),
        ("--rate", "1e9"),
        ("--max-retry-wait", "18446744073709551615"),
        ("--timeout", "0"),
        ("--timeout", "99999999999"),
        ("--concurrency", "0"),
    ] {
        let output = kaleyra()
            .args(["number", "import", "--sandbox", flag, value])
            .arg(&input)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(flag), "{flag} {value}: {stderr}");
    }
    assert!(!dir.path().join("numbers.csv.journal").exists());
}

/// The request `number add --dry-run` would send, for the credentials tests.
fn dry_run(flags: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = kaleyra();
    command.args(["number", "add", "--display-name", "x", "--wa-number", "+13236550017"]);
    command.args(flags).arg("--dry-run").env("KALEYRA_SID", SID);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn flags_beat_the_environment_which_beats_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "from-the-file-AAAA\n").unwrap();
    let file_env = key_file.display().to_string();
    let file = file_env.as_str();

    // The key: --api-key-file, then KALEYRA_API_KEY, then KALEYRA_API_KEY_FILE.
    let both = [("KALEYRA_API_KEY", "from-the-env-BBBB"), ("KALEYRA_API_KEY_FILE", file)];
    assert!(dry_run(&["--api-key-file", file], &both[..1]).contains("AAAA\n"));
    assert!(dry_run(&[], &both).contains("BBBB\n"));
    assert!(dry_run(&[], &both[1..]).contains("AAAA\n"));

    // The host: --region or --base-url, then KALEYRA_BASE_URL or KALEYRA_REGION, then the default.
    let key = [("KALEYRA_API_KEY", "from-the-env-BBBB")];
    let url = [key[0], ("KALEYRA_BASE_URL", "https://kaleyra.example.com")];
    let region = [key[0], ("KALEYRA_REGION", "na")];
    assert!(dry_run(&["--region", "eu"], &url).contains("host: api.eu.kaleyra.io"));
    assert!(
        dry_run(&["--base-url", "https://flag.example.com"], &region)
            .contains("host: flag.example.com")
    );
    assert!(dry_run(&[], &url).contains("host: kaleyra.example.com"));
    assert!(dry_run(&[], &region).contains("host: api.na.kaleyra.io"));
    assert!(dry_run(&[], &key).contains("host: api.kaleyra.io"));
    let output = kaleyra()
        .args(["number", "add", "--display-name", "x", "--wa-number", "+13236550017", "--dry-run"])
        .env("KALEYRA_SID", SID)
        .envs([key[0], url[1], region[1]])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("both KALEYRA_BASE_URL and KALEYRA_REGION")
    );
}

/// `number add` of one number against the server at `base_url`.
fn number_add_at(base_url: &str) -> std::process::Output {
    kaleyra()
        .args(["number", "add", "--display-name", "x", "--wa-number", "+13236550017"])
        .env("KALEYRA_SID", SID)
        .env("KALEYRA_API_KEY", KEY)
        .env("KALEYRA_BASE_URL", base_url)
        .output()
        .unwrap()
}

/// A record whose name carries terminal escape sequences (set the window title, clear the
/// screen) is printed with them escaped, and so is an error quoting such text.
#[test]
fn server_text_reaches_the_terminal_escaped() {
    let success = std::fs::read_to_string(
        common::workspace_root().join("spec/examples/responses/success.json"),
    )
    .unwrap()
    .replace("\"name\": \"xyz\"", "\"name\": \"x\\u001b]0;pwned\\u0007\\u001b[2Jy\"");
    let base_url = hostile_server(move |_| ("200 OK", "application/json", success.clone()));
    let output = number_add_at(&base_url);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("  name: x\\u{1b}]0;pwned\\u{7}\\u{1b}[2Jy\n"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");

    let garbage = hostile_server(|_| ("418 Teapot", "text/plain", "\u{1b}[2Jboom".to_owned()));
    let output = number_add_at(&garbage);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\\u{1b}[2Jboom") && !stderr.contains('\u{1b}'), "{stderr:?}");
}

/// SIGKILL at random moments of runs that send rows and rewrite the reports (so that each set
/// differs from the last): whatever the moment, the report directory holds one whole set (every
/// row in exactly one report) or is missing until the next run puts it right; never the reports
/// of two runs mixed.
#[test]
fn a_kill_while_the_reports_are_written_never_leaves_a_mixed_set() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, emulator) = common::emulator(SID, KEY);
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 3_000);
    let reports = dir.path().join("numbers.csv-reports");
    let mut state =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    eprintln!("seed {state}");
    // A first run killed once it has sent some rows.
    let mut first = import(&input, &emulator.base_url(), &[]).spawn().unwrap();
    while emulator.numbers().received < 100 {
        std::thread::sleep(Duration::from_millis(1));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let (mut whole, mut missing) = (0, 0);
    for _ in 0..30 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let flags = ["--resume", "--retry-unknown"];
        let mut child = import(&input, &emulator.base_url(), &flags).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(u64::from(state >> 8) % 400_000));
        let _ = child.kill();
        let _ = child.wait();
        if !reports.exists() {
            missing += 1;
            continue;
        }
        let mut numbers = Vec::new();
        for name in ["created.csv", "rejected.csv", "unknown.csv", "failed.csv"] {
            let mut reader = csv::Reader::from_path(reports.join(name)).unwrap();
            numbers.extend(reader.records().map(|r| r.unwrap()[1].to_owned()));
        }
        let distinct: std::collections::BTreeSet<_> = numbers.iter().collect();
        assert_eq!((numbers.len(), distinct.len()), (3_000, 3_000), "a mixed or partial set");
        whole += 1;
    }
    eprintln!("{whole} whole sets, {missing} times with no set");
    let flags = ["--resume", "--retry-unknown"];
    let status = import(&input, &emulator.base_url(), &flags).status().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_each_created_once(&emulator, 3_000);
}

/// With stderr a pipe (CI, cron, nohup), progress comes as a plain line every 10 seconds;
/// `-q` silences it.
#[test]
fn a_pipe_gets_a_progress_line_every_ten_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, emulator) = common::emulator(SID, KEY);
    emulator.set_faults(FaultPlan::latency_only(Duration::from_millis(50)));
    let input = dir.path().join("numbers.csv");
    // About 12 s at 4 requests in flight, 50 ms each.
    write_csv(&input, 1_000);
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("kaleyra"));
    command
        .args(["number", "import", "--concurrency", "4"])
        .arg(&input)
        .env_clear()
        .env("KALEYRA_SID", SID)
        .env("KALEYRA_API_KEY", KEY)
        .env("KALEYRA_BASE_URL", emulator.base_url())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let (code, stderr) = finish(command.spawn().unwrap());
    assert_eq!(code, Some(0), "{stderr}");
    let line = stderr.lines().find(|line| line.starts_with("progress: ")).unwrap_or_else(|| {
        panic!("no progress line: {stderr}");
    });
    assert!(line.contains("/1000 rows, "), "{line}");
    assert!(line.contains("rows/s, ETA ") && line.contains("; created "), "{line}");
    assert!(line.contains("unknown 0, failed 0"), "{line}");
}
