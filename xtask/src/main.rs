//! `cargo xtask`: the project's own automation.
//!
//! - `cargo xtask codegen [--check]`: the Rust tables, `docs/openapi.yaml` and
//!   `docs/reference.md` from `spec/kaleyra.toml`; the phone tables from
//!   `crates/kaleyra-phone/metadata.json` (`--update-phone` refreshes it from PyPI first).
//! - `cargo xtask phone-reference [--python PATH] [--count N] [--write]`: the phone verdicts
//!   against the reference, PyPI `phonenumbers`.
//! - `cargo xtask release VERSION [--publish] [--no-verify]`: bump, changelog, packages,
//!   artifacts in `target/dist/`.
//! - `cargo xtask deny`: licenses, sources and banned crates of the dependency tree.
//! - `cargo xtask bench [--rows N] [--memory-rows N] [--seconds N]`: builds release binaries
//!   and measures the emulator, a journaled import, offline validation and cold start, each
//!   beside its baseline, then the ceiling scenarios, writing `docs/benchmarks.md`.
//! - `cargo xtask bench-ceiling [--rows N] [--baseline-rows N]`: only the import against a
//!   throttling, slow emulator (its section of `docs/benchmarks.md`, `docs/ceiling.svg`).

mod bench;
mod bench_ceiling;
mod bench_process;
mod codegen;
mod deny;
mod doc_section;
mod openapi;
mod phone_program;
mod phone_reference;
mod phone_tables;
mod release;
mod spec;

use std::path::{Path, PathBuf};

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            println!(
                "cargo xtask <task>\n\ntasks:\n  release VERSION [--publish] [--no-verify]   bump, changelog, cargo package, target/dist/\n  codegen [--check] [--update-phone]   generated files from the spec and the phone metadata\n  phone-reference [--python PATH] [--count N] [--write]   phone verdicts against PyPI phonenumbers\n  deny                                 licenses, sources and banned crates, offline\n  bench [--rows N] [--memory-rows N] [--seconds N]   measure the emulator, import, validate and cold start, write docs/benchmarks.md\n  bench-ceiling [--rows N] [--baseline-rows N]   the import against a throttling, slow emulator"
            );
            Ok(())
        }
        Some("codegen") => codegen::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("bench-ceiling") => bench_ceiling::run(&args[1..]),
        Some("release") => release::run(&args[1..]),
        Some("deny") => deny::run(&args[1..]),
        Some("phone-reference") => phone_reference::run(&args[1..]),
        Some(other) => Err(format!("unknown task `{other}`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> Result<PathBuf, String> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .ok_or_else(|| "no workspace root".to_owned())
}

/// Runs cargo (the one running xtask) in `root`.
pub fn cargo(root: &Path, args: &[&str]) -> Result<(), String> {
    let status = std::process::Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() { Ok(()) } else { Err(format!("cargo {} failed", args.join(" "))) }
}
