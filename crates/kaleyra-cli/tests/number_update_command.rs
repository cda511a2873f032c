//! `kaleyra number update`: output and exit codes against the in-process sandbox and against
//! an emulator, what the emulator's record looks like afterwards, and the update's retry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{emulator, example, kaleyra, render};
use insta::assert_snapshot;
use kaleyra_emulator::{Fault, FaultPlan};

const SID: &str = "HXCLI0UPDATE";
const KEY: &str = "cli-update-key-0123456789";

/// `created_at` and the sandbox's port vary from run to run.
fn masked(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.to_owned();
        for marker in ["\"created_at\":", "host: 127.0.0.1:"] {
            if let Some(at) = line.find(marker) {
                let start = at + marker.len();
                let end = line[start..]
                    .find(|c: char| !c.is_ascii_digit())
                    .map_or(line.len(), |e| start + e);
                line.replace_range(start..end, "[N]");
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn run(args: &[&str]) -> String {
    masked(&render(&kaleyra().args(args).output().unwrap()))
}

#[test]
fn sandbox_update_from_flags_from_a_file_and_as_a_dry_run() {
    assert_snapshot!(run(&[
        "number",
        "update",
        "--sandbox",
        "--wa-number",
        "+13236550017",
        "--about",
        "Open 9 to 5",
        "--business-category",
        "medical AND health",
    ]));
    assert_snapshot!(run(&[
        "number",
        "update",
        "--sandbox",
        "-o",
        "json",
        "--from",
        &example("update_request.json"),
    ]));
    assert_snapshot!(run(&[
        "number",
        "update",
        "--sandbox",
        "--dry-run",
        "--from",
        &example("update_request.json"),
        "--website",
        "https://example.com",
    ]));
}

#[test]
fn refused_locally_without_a_request() {
    // Nothing to update, an invalid number, an unknown key with its likely meaning, too long.
    assert_snapshot!(run(&["number", "update", "--wa-number", "+13236550017"]));
    assert_snapshot!(run(&[
        "number",
        "update",
        "-o",
        "json",
        "--wa-number",
        "+1 323 655 0017",
        "--about",
        &"a".repeat(140),
    ]));
    let output = kaleyra()
        .args(["number", "update", "--from", "-"])
        .write_stdin(r#"{"wa_number":"+13236550017","abuot":"x","display_name":"y"}"#)
        .output()
        .unwrap();
    assert_snapshot!(render(&output));
}

#[test]
fn against_an_emulator_every_exit_code_and_the_record_it_leaves() {
    let (runtime, emulator) = emulator(SID, KEY);
    let url = emulator.base_url();
    let cli = |key: &str, args: &[&str]| {
        let mut command = kaleyra();
        command.env("KALEYRA_SID", SID).env("KALEYRA_API_KEY", key).arg("number");
        command.args(args).args(["--base-url", &url, "--timeout", "5"]);
        command.output().unwrap()
    };
    let update = |key: &str, about: &str| {
        cli(key, &["update", "--wa-number", "+13236550017", "--about", about])
    };

    // Not registered yet: the API's refusal, exit 1.
    let output = update(KEY, "first");
    assert_eq!(output.status.code(), Some(1), "{}", render(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("E906"), "{}", render(&output));

    let output = cli(KEY, &["add", "--display-name", "xyz", "--wa-number", "+13236550017"]);
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    let output = update(KEY, "Open 9 to 5");
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    let record = emulator.numbers().get("+13236550017").unwrap().records[0].clone();
    assert_eq!((record.name.as_str(), record.about.as_deref()), ("xyz", Some("Open 9 to 5")));

    // Wrong key: exit 4.
    assert_eq!(update("wrong", "x").status.code(), Some(4));

    // A 502 once: the update is sent again and lands; the emulator saw both.
    let before = emulator.numbers().received;
    emulator.set_faults(FaultPlan::once(Fault::Status { status: 502, retry_after: None }));
    let output = update(KEY, "after a 502");
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    let after = emulator.numbers();
    assert_eq!(after.received - before, 2);
    let entry = after.get("+13236550017").unwrap();
    assert_eq!(entry.records[0].about.as_deref(), Some("after a 502"));
    assert_eq!((entry.creations, entry.updates), (1, 2));

    // A 502 on every attempt: unknown outcome, exit 3, and the message says a resend is safe.
    emulator.set_faults(FaultPlan::once(Fault::Status { status: 502, retry_after: None }));
    let output =
        cli(KEY, &["update", "--wa-number", "+13236550017", "--about", "x", "--max-attempts", "1"]);
    assert_eq!(output.status.code(), Some(3), "{}", render(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("sending the same update again is safe"),
        "{}",
        render(&output)
    );
    drop(runtime);
}

#[test]
fn an_import_of_updates_with_its_reports_and_its_journal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("updates.csv"),
        "wa_number,about,display_name\n+13236550011,Open,Shop\n+1 323 655 0012,Late,\n+13236550013,,\n",
    )
    .unwrap();
    let run_here =
        |args: &[&str]| render(&kaleyra().current_dir(dir.path()).args(args).output().unwrap());
    assert_snapshot!("validate_updates", run_here(&["validate", "--update", "updates.csv"]));
    assert_snapshot!(
        "import_updates",
        run_here(&[
            "number",
            "import",
            "--update",
            "--sandbox",
            "--normalize",
            "-q",
            "updates.csv"
        ])
    );
    let reports = dir.path().join("updates.csv-reports");
    assert_eq!(
        std::fs::read_to_string(reports.join("updated.csv")).unwrap(),
        "wa_number,about,display_name,id,status,line\n+13236550011,Open,Shop,1,2,2\n+13236550012,Late,,2,2,3\n"
    );
    assert!(!reports.join("created.csv").exists());
    // The journal says what it was for: resuming it as an add is refused.
    let output = run_here(&["number", "import", "--sandbox", "--resume", "updates.csv"]);
    assert!(
        output.starts_with("exit: 2") && output.contains("records an import to update, not to add"),
        "{output}"
    );
}
