//! `-v`, `RUST_LOG` and `--log-format`: the libraries' `tracing` events on stderr.
//!
//! Nothing is installed without `-v` or `RUST_LOG`, so a plain run pays nothing for it (cold
//! start is measured). The libraries never put the API key in an event.

use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, LogFormat};

/// The crates whose events `-v` shows.
const TARGETS: [&str; 4] = ["kaleyra_transport", "kaleyra_bulk", "kaleyra_emulator", "kaleyra"];

/// Installs the subscriber the flags ask for, if any.
pub fn init(cli: &Cli) {
    let filter = match (cli.verbose, std::env::var("RUST_LOG")) {
        _ if cli.quiet => return,
        (0, Ok(directives)) if !directives.trim().is_empty() => EnvFilter::new(directives),
        (0, _) => return,
        (verbose, _) => {
            let level = match verbose {
                1 => "info",
                2 => "debug",
                _ => "trace",
            };
            let directives: Vec<String> =
                TARGETS.iter().map(|target| format!("{target}={level}")).collect();
            EnvFilter::new(directives.join(","))
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    // A second subscriber cannot be installed (only in tests, which run one command each).
    let _ = match cli.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
