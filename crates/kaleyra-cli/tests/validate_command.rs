//! `kaleyra validate` and `kaleyra categories`: output and exit codes, pinned.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{example, run};
use insta::assert_snapshot;

#[test]
fn valid_sample_request_as_text_and_json() {
    assert_snapshot!(run(&["validate", &example("sample_request.json")], ""));
    assert_snapshot!(run(&["validate", "--output", "json", &example("sample_request.json")], ""));
}

#[test]
fn normalized_body_from_stdin() {
    let body = r#"{"display_name":"  xyz ","wa_number":"+13236550017","business_category":"non-PROFIT","address":""}"#;
    assert_snapshot!(run(&["validate", "-o", "json"], body));
    assert_snapshot!(run(&["validate", "-"], body));
}

#[test]
fn seed_rejections_print_the_api_envelope() {
    assert_snapshot!("missing_mandatory_json", run(&["validate", "-o", "json"], "{}"));
    assert_snapshot!("missing_mandatory_text", run(&["validate"], "{}"));
    let bad_category =
        r#"{"display_name":"xyz","wa_number":"+13236550017","business_category":"Cars"}"#;
    assert_snapshot!("invalid_category_json", run(&["validate", "-o", "json"], bad_category));
    let empty_image = r#"{"display_name":"xyz","wa_number":"+13236550017","display_image":""}"#;
    assert_snapshot!("empty_image_json", run(&["validate", "-o", "json"], empty_image));
}

#[test]
fn every_problem_is_listed_and_unknown_keys_warned() {
    let body = r#"{"wa_number":"+1 323","display_image":"","contact_email":"x@","buisness_category":"Other"}"#;
    assert_snapshot!(run(&["validate"], body));
}

#[test]
fn unreadable_input_exits_2_naming_file_line_and_column() {
    assert_snapshot!("no_such_file", run(&["validate", "does-not-exist.json"], ""));
    assert_snapshot!("wrong_type", run(&["validate"], "{\n  \"display_name\": 5\n}"));
    assert_snapshot!("truncated", run(&["validate"], "{\n  \"display_name\": \"x\",\n"));
    assert_snapshot!("not_an_object", run(&["validate"], "[1, 2]"));
    assert_snapshot!("trailing_garbage", run(&["validate"], "{} {}"));
    assert_snapshot!("empty_input", run(&["validate"], ""));
}

#[test]
fn usage_errors_exit_2() {
    assert_snapshot!(run(&["validate", "--output", "yaml"], "{}"));
    assert!(run(&["frobnicate"], "").starts_with("exit: 2\n"));
}

#[test]
fn categories() {
    assert_snapshot!("categories_text", run(&["categories"], ""));
    assert_snapshot!("categories_json", run(&["categories", "-o", "json"], ""));
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "_kaleyra()"),
        ("zsh", "#compdef kaleyra"),
        ("fish", "complete -c kaleyra"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = common::kaleyra().args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(String::from_utf8_lossy(&output.stdout).contains(marker), "{shell}");
    }
}

#[test]
fn man_pages_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::kaleyra().arg("manpages").arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    for page in [
        "kaleyra.1",
        "kaleyra-validate.1",
        "kaleyra-number-add.1",
        "kaleyra-number-import.1",
        "kaleyra-emulator.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let output = common::kaleyra().arg("--version").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    let inner = text
        .strip_prefix(&format!("kaleyra {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{text:?}"));
    let commit = inner.strip_suffix("-modified").unwrap_or(inner);
    assert!(
        commit == "unknown commit"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{text:?}"
    );
}
