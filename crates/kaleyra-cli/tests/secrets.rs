//! The API key never appears in any output: stdout, stderr, the journal, the reports, whatever
//! the outcome, with every log level turned up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use kaleyra_emulator::{EmulatorConfig, Fault, FaultPlan, FaultRule};
use kaleyra_model::ApiKey;

const SID: &str = "HXSECRET";
/// Distinctive enough that any leak, even partial, is found.
const KEY: &str = "sk-LEAKCANARY-7f3a9c2e5b1d";
const WRONG_KEY: &str = "sk-WRONGCANARY-0a1b2c3d4e";

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for secret in [KEY, WRONG_KEY, "LEAKCANARY", "WRONGCANARY"] {
        assert!(!text.contains(secret), "{what} shows the key:\n{text}");
    }
}

fn files_under(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push(path);
        }
    }
}

#[test]
fn the_key_is_never_printed_logged_journaled_or_reported() {
    let (_runtime, emulator) = common::emulator(SID, KEY);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    std::fs::write(
        &input,
        "display_name,wa_number\na,+13236550017\n,+13236550018\nc,+13236550019\nd,+13236550020\n",
    )
    .unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, KEY).unwrap();

    emulator.set_faults(
        [FaultRule::once(Fault::ResetAfter), FaultRule::once(Fault::Garbage)]
            .into_iter()
            .fold(FaultPlan::none(), FaultPlan::then),
    );
    let base = emulator.base_url();
    let runs: Vec<(&str, Vec<&str>, &str)> = vec![
        ("import", vec!["number", "import", "numbers.csv", "-q"], KEY),
        (
            "import resume json",
            vec![
                "number",
                "import",
                "numbers.csv",
                "-q",
                "--resume",
                "--retry-unknown",
                "-o",
                "json",
            ],
            KEY,
        ),
        ("add created", common::number_add("+13236550021", &[]), KEY),
        ("add duplicate json", common::number_add("+13236550021", &["-o", "json"]), KEY),
        ("add wrong key", common::number_add("+13236550022", &[]), WRONG_KEY),
        ("add wrong key json", common::number_add("+13236550022", &["-o", "json"]), WRONG_KEY),
        ("dry run", common::number_add("+13236550023", &["--dry-run"]), KEY),
        ("invalid", common::number_add("123", &[]), KEY),
        (
            "insecure",
            common::number_add("+13236550024", &["--base-url", "http://example.com"]),
            KEY,
        ),
    ];
    // Every log level of every crate (hyper's and h2's too), as text and as JSON, and -vvv.
    let levels: [(&str, &[&str], &str); 3] = [
        ("RUST_LOG=trace", &[], "trace"),
        ("RUST_LOG=trace json", &["--log-format", "json"], "trace"),
        ("-vvv", &["-vvv"], ""),
    ];
    for (level, flags, rust_log) in levels {
        for (name, args, key) in &runs {
            let output = common::kaleyra()
                .current_dir(dir.path())
                .args(args)
                .args(flags)
                .env("KALEYRA_SID", SID)
                .env("KALEYRA_API_KEY", key)
                .env("KALEYRA_BASE_URL", &base)
                .env("RUST_LOG", rust_log)
                .env("RUST_BACKTRACE", "1")
                .output()
                .unwrap();
            assert_clean(&format!("{name} {level} stdout"), &output.stdout);
            assert_clean(&format!("{name} {level} stderr"), &output.stderr);
            if *name == "add created" {
                // The logs were on: the test would prove nothing otherwise.
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(stderr.contains("sending") && stderr.contains("answered"), "{stderr}");
            }
        }
    }
    // The key from a file, and a refused key file: same rule.
    let output = common::kaleyra()
        .current_dir(dir.path())
        .args(common::number_add("+13236550025", &["--dry-run"]))
        .env("KALEYRA_SID", SID)
        .env("KALEYRA_API_KEY_FILE", &key_file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_clean("key file stdout", &output.stdout);

    let mut files = Vec::new();
    files_under(dir.path(), &mut files);
    let mut checked = 0;
    for file in files.iter().filter(|f| f.file_name() != key_file.file_name()) {
        assert_clean(&file.display().to_string(), &std::fs::read(file).unwrap());
        checked += 1;
    }
    assert!(checked >= 5, "journal and reports were not written: {files:?}");
    assert!(format!("{:?}", EmulatorConfig::new(SID, ApiKey::new(KEY))).contains("[REDACTED]"));
    assert_clean("emulator debug", format!("{emulator:?}").as_bytes());
}
