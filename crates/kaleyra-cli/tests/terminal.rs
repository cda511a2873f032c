//! On a terminal: an import's progress bar and `-v` log lines, each on rows of their own. The
//! terminal is a real pseudo-terminal, from util-linux's `script` (Debian's bsdutils, which
//! every Debian system has).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

#[test]
fn log_lines_never_share_a_row_with_the_progress_bar() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    let mut csv = String::from("display_name,wa_number\n");
    for i in 0..2000 {
        csv.push_str(&format!("n{i},+1323655{i:04}\n"));
    }
    std::fs::write(&input, csv).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("kaleyra");
    let typescript = dir.path().join("typescript");
    // Slow enough (about a second) for the bar to be drawn between log lines.
    let command =
        format!("{} -vv number import --sandbox --rate 2000 {}", binary.display(), input.display());
    let status = Command::new("script")
        .args(["-q", "-e", "-c", &command])
        .arg(&typescript)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("COLUMNS", "100")
        .env("TERM", "xterm")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("`script` (util-linux) runs commands on a pseudo-terminal");
    assert!(status.success(), "{status}");
    let output = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    assert!(output.contains(" rows "), "the bar was drawn: {output:.2000}");
    let mut lines = 0;
    for (at, _) in output.match_indices(" DEBUG kaleyra_transport") {
        // The line's timestamp starts 27 bytes before; before it, the row must be new or cleared.
        let start = at - "2026-12-05T21:51:41.276644Z".len();
        let before = &output[..start];
        assert!(
            before.is_empty() || before.ends_with('\n') || before.ends_with("\x1b[2K"),
            "a log line shares its row: {:?}",
            &output[start.saturating_sub(120)..at + 40]
        );
        lines += 1;
    }
    assert!(lines >= 2000, "{lines} log lines");
}
