//! `cargo xtask`: the project's own automation (codegen, docs, release, bench).
//!
//! Tasks arrive in later issues; this skeleton exists so the alias and the workspace layout are
//! settled from the start.

use std::process::ExitCode;

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        None | Some("help" | "--help" | "-h") => {
            println!("cargo xtask <task>\n\ntasks: (none yet)");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("xtask: unknown task `{other}`");
            ExitCode::from(2)
        }
    }
}
