//! `-v`, `RUST_LOG` and `--log-format`: the libraries' `tracing` events on stderr.
//!
//! Nothing is installed without `-v` or `RUST_LOG`, so a plain run pays nothing for it (cold
//! start is measured). The libraries never put the API key in an event.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use indicatif::ProgressBar;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, LogFormat};

/// Where log lines go: stderr, with the progress bar (when one is drawn there) taken off while
/// a line is written and drawn again below it, so that lines and bar never share a row.
#[derive(Clone, Default)]
pub struct Logs {
    bar: Arc<Mutex<Option<ProgressBar>>>,
}

impl Logs {
    /// From now on, lines are written around `bar`.
    pub fn around(&self, bar: &ProgressBar) {
        *self.bar.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.clone());
    }

    /// The bar is gone: lines go straight to stderr again.
    pub fn without_bar(&self) {
        *self.bar.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

impl Write for Logs {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let bar = self.bar.lock().unwrap_or_else(PoisonError::into_inner).clone();
        match bar {
            // The whole event at once: the subscriber hands one over per write.
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(line)).map(|()| line.len()),
            None => std::io::stderr().write(line),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// The crates whose events `-v` shows.
const TARGETS: [&str; 4] = ["kaleyra_transport", "kaleyra_bulk", "kaleyra_emulator", "kaleyra"];

/// Installs the subscriber the flags ask for, if any; the handle lets a command with a progress
/// bar keep the two apart.
pub fn init(cli: &Cli) -> Logs {
    let logs = Logs::default();
    let filter = match (cli.verbose, std::env::var("RUST_LOG")) {
        _ if cli.quiet => return logs,
        (0, Ok(directives)) if !directives.trim().is_empty() => EnvFilter::new(directives),
        (0, _) => return logs,
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
    let writer = logs.clone();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || writer.clone())
        .with_ansi(false);
    // A second subscriber cannot be installed (only in tests, which run one command each).
    let _ = match cli.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    logs
}
