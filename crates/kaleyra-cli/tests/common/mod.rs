//! Runs the `kaleyra` binary with a cleared environment and renders what it did as one text
//! (exit code, stdout, stderr) for snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

pub fn example(name: &str) -> String {
    workspace_root().join("spec/examples").join(name).display().to_string()
}

/// `number add` for display name `x` and `wa_number`, then `flags` (clap takes them in any order).
pub fn number_add<'a>(wa_number: &'a str, flags: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["number", "add", "--display-name", "x", "--wa-number", wa_number];
    args.extend_from_slice(flags);
    args
}

pub fn kaleyra() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("kaleyra").unwrap();
    command.env_clear().env("NO_COLOR", "1").current_dir(workspace_root());
    command
}

/// Exit code, stdout and stderr, with the workspace path replaced by `[ROOT]`.
pub fn render(output: &std::process::Output) -> String {
    let root = workspace_root().display().to_string();
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().map_or("signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    mask_timing(&text.replace(&root, "[ROOT]"))
}

/// An import's pace line says how long it took: `N request(s) in [TIME] ([RATE]), ...`.
fn mask_timing(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        match (line.find(" request(s) in "), line.find("/s), ")) {
            (Some(start), Some(end)) if start < end => {
                out.push_str(&line[..start]);
                out.push_str(" request(s) in [TIME] ([RATE]), ");
                out.push_str(&line[end + "/s), ".len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

pub fn run(args: &[&str], stdin: &str) -> String {
    let output = kaleyra().args(args).write_stdin(stdin).output().unwrap();
    render(&output)
}

/// An emulator accepting `sid` and `key` on 127.0.0.1, served by a runtime of its own while the
/// test runs the binary as a child process. Keep the runtime alive as long as the emulator.
pub fn emulator(
    sid: &str,
    key: &str,
) -> (tokio::runtime::Runtime, kaleyra_emulator::RunningEmulator) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = kaleyra_emulator::EmulatorConfig::new(sid, kaleyra_model::ApiKey::new(key));
    let emulator = runtime.block_on(async {
        kaleyra_emulator::Emulator::new(config).bind("127.0.0.1:0".parse().unwrap()).await.unwrap()
    });
    (runtime, emulator)
}
