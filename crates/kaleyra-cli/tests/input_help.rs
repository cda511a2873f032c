//! Input people get slightly wrong: a directory, an empty file, a misspelt column or category,
//! a spreadsheet that separates cells with `;` or tabs. Each gets a message that says what to
//! fix, pinned by snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{kaleyra, render};
use insta::assert_snapshot;

/// Runs `kaleyra ARGS` in `dir`, so the names in the output are the relative ones given.
fn run_in(dir: &Path, args: &[&str]) -> String {
    render(&kaleyra().current_dir(dir).args(args).output().unwrap())
}

#[test]
fn a_directory_is_named_as_one_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("numbers.csv")).unwrap();
    assert_snapshot!("directory_validate", run_in(dir.path(), &["validate", "numbers.csv"]));
    assert_snapshot!(
        "directory_import",
        run_in(dir.path(), &["number", "import", "--sandbox", "numbers.csv"])
    );
    assert_snapshot!(
        "directory_add",
        run_in(dir.path(), &["number", "add", "--sandbox", "--from", "numbers.csv"])
    );
}

#[test]
fn an_empty_csv_and_a_header_only_csv_behave_the_same() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.csv"), "").unwrap();
    std::fs::write(dir.path().join("header.csv"), "display_name,wa_number\n").unwrap();
    for (name, args) in
        [("validate", vec!["validate"]), ("import", vec!["number", "import", "--sandbox", "-q"])]
    {
        let empty = run_in(dir.path(), &[args.as_slice(), &["empty.csv"]].concat());
        let header = run_in(dir.path(), &[args.as_slice(), &["header.csv"]].concat());
        assert_eq!(empty.replace("empty.csv", "FILE"), header.replace("header.csv", "FILE"));
        assert_snapshot!(format!("no_rows_{name}"), header);
    }
}

#[test]
fn unknown_columns_are_warned_about_with_the_field_they_resemble() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("numbers.csv"),
        "display_name,wa_number,buisness_category,crm_id\nShop,+13236550017,education,7\n",
    )
    .unwrap();
    assert_snapshot!(run_in(dir.path(), &["validate", "numbers.csv"]));
}

#[test]
fn a_misspelt_category_gets_the_category_it_resembles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("request.json"),
        r#"{"display_name":"Shop","wa_number":"+13236550017","business_category":"educaton"}"#,
    )
    .unwrap();
    assert_snapshot!("category_text", run_in(dir.path(), &["validate", "request.json"]));
    // The envelope stays the API's, word for word.
    assert_snapshot!(
        "category_json",
        run_in(dir.path(), &["validate", "-o", "json", "request.json"])
    );
}

#[test]
fn semicolons_and_tabs_are_told_and_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("semicolons.csv"),
        "display_name;wa_number\n\"Shop; Inc.\";+13236550017\nShop;+13236550018\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("tabs.csv"), "display_name\twa_number\nShop\t+13236550017\n")
        .unwrap();
    assert_snapshot!("semicolons", run_in(dir.path(), &["validate", "semicolons.csv"]));
    assert_snapshot!("tabs", run_in(dir.path(), &["validate", "tabs.csv"]));
    assert_snapshot!(
        "semicolons_import",
        run_in(dir.path(), &["number", "import", "--sandbox", "-q", "semicolons.csv"])
    );
}

#[test]
fn a_delimiter_given_is_used_and_an_impossible_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Pipes: nothing in the header to tell them from.
    std::fs::write(
        dir.path().join("pipes.csv"),
        "display_name|wa_number\nShop, Inc.|+13236550017\n",
    )
    .unwrap();
    assert_snapshot!("pipes", run_in(dir.path(), &["validate", "--delimiter", "|", "pipes.csv"]));
    assert_snapshot!(
        "pipes_import",
        run_in(
            dir.path(),
            &["number", "import", "--sandbox", "-q", "--delimiter", "|", "pipes.csv"]
        )
    );
    std::fs::write(dir.path().join("tabs.csv"), "display_name\twa_number\nShop\t+13236550017\n")
        .unwrap();
    let tabs = run_in(dir.path(), &["validate", "--delimiter", "tab", "tabs.csv"]);
    assert!(tabs.starts_with("exit: 0") && !tabs.contains("note:"), "{tabs}");
    // Without it the header names one column, and the file is refused before anything is sent.
    assert_snapshot!("pipes_without_delimiter", run_in(dir.path(), &["validate", "pipes.csv"]));
    assert_snapshot!(
        "two_characters",
        run_in(dir.path(), &["validate", "--delimiter", "||", "pipes.csv"])
    );
}

#[test]
fn numbers_written_for_people_are_named_their_fix_and_sent_with_normalize() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("request.json"),
        r#"{"display_name":"Shop","wa_number":"+1 323-655-0017"}"#,
    )
    .unwrap();
    assert_snapshot!("number_refused", run_in(dir.path(), &["validate", "request.json"]));
    assert_snapshot!(
        "number_normalized",
        run_in(dir.path(), &["validate", "--normalize", "-o", "json", "request.json"])
    );

    std::fs::write(
        dir.path().join("numbers.csv"),
        "display_name,wa_number\nShop,+1 (323) 655-0017\nShop,0013236550018\nShop,+1 323\n",
    )
    .unwrap();
    let output = kaleyra()
        .current_dir(dir.path())
        .args(["number", "import", "--sandbox", "-q", "--normalize", "numbers.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", render(&output));
    // The reports show the value sent.
    let created =
        std::fs::read_to_string(dir.path().join("numbers.csv-reports/created.csv")).unwrap();
    let numbers: Vec<&str> =
        created.lines().skip(1).map(|line| line.split(',').nth(1).unwrap()).collect();
    assert_eq!(numbers, ["+13236550017", "+13236550018"]);
    let rejected =
        std::fs::read_to_string(dir.path().join("numbers.csv-reports/rejected.csv")).unwrap();
    assert!(rejected.contains(",+1323,"), "{rejected}");
}
