//! `kaleyra number import`: a file of numbers, journaled, resumable, with reports.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kaleyra_bulk::Format;
use kaleyra_bulk::import::{self, Counts, ImportOptions, Observer, Silent, Summary};
use kaleyra_transport::RetryPolicy;
use tokio::sync::watch;

use crate::cli::{ImportArgs, Output};
use crate::error::{CliError, Outcome};
use crate::{runtime, sandbox};

pub fn run(args: &ImportArgs, output: Output) -> Result<Outcome, CliError> {
    if args.file == Path::new("-") {
        return Err(CliError::Usage(
            "an import needs a file, not stdin: the journal must be able to read it again to resume"
                .to_owned(),
        ));
    }
    let format = file_format(&args.file, args.format)?;
    let options = ImportOptions {
        input: args.file.clone(),
        format,
        journal: args.journal.clone().unwrap_or_else(|| ImportOptions::default_journal(&args.file)),
        report_dir: args
            .report_dir
            .clone()
            .unwrap_or_else(|| ImportOptions::default_report_dir(&args.file)),
        concurrency: usize::from(args.concurrency),
        intents_ahead: usize::from(args.intents_ahead),
        rate_per_second: args.rate,
        resume: args.resume,
        retry_unknown: args.retry_unknown,
    };
    runtime::build()?.block_on(import(args, options, output))
}

/// The format named, else the one the extension implies.
pub fn file_format(path: &Path, named: Option<crate::cli::FileFormat>) -> Result<Format, CliError> {
    match named {
        Some(crate::cli::FileFormat::Csv) => Ok(Format::Csv),
        Some(crate::cli::FileFormat::Jsonl) => Ok(Format::Jsonl),
        Some(crate::cli::FileFormat::Json) => Err(CliError::Usage(
            "an import reads CSV or JSONL; --format json is one request".to_owned(),
        )),
        None => Format::from_path(path).ok_or_else(|| {
            CliError::Usage(format!(
                "cannot tell the format of {} from its name: pass --format csv or --format jsonl",
                path.display()
            ))
        }),
    }
}

async fn import(
    args: &ImportArgs,
    options: ImportOptions,
    output: Output,
) -> Result<Outcome, CliError> {
    let (builder, emulator) = sandbox::or_account(args.sandbox, &args.connection).await?;
    // 429s are handled by the importer, which pauses every worker at once.
    let retry = RetryPolicy {
        max_attempts: args.connection.max_attempts,
        retry_rate_limited: false,
        ..RetryPolicy::default()
    };
    let client = builder.retry_policy(retry).build()?;

    let progress = progress_bar(args);
    let observer: Arc<dyn Observer> = match &progress {
        // A CSV's first line names the columns.
        Some(bar) => Arc::new(Bar(bar.clone(), u64::from(options.format == Format::Csv))),
        None => Arc::new(Silent),
    };
    let (stop, stopped) = watch::channel(false);
    let signals = tokio::spawn(interrupts(stop, args.concurrency));
    let result = import::run(client, options.clone(), observer, stopped).await;
    signals.abort();
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    let summary = result.map_err(|e| CliError::Usage(e.to_string()))?;
    print_summary(&summary, &options, output)?;
    Ok(outcome(&summary))
}

fn outcome(summary: &Summary) -> Outcome {
    if summary.interrupted {
        Outcome::Interrupted
    } else if summary.authentication_failed {
        Outcome::AuthenticationFailed
    } else if summary.reports.unknown > 0 || summary.reports.failed > 0 {
        Outcome::TransportFailure
    } else if summary.reports.rejected > 0 {
        Outcome::Rejected
    } else {
        Outcome::Success
    }
}

fn print_summary(
    summary: &Summary,
    options: &ImportOptions,
    output: Output,
) -> Result<(), CliError> {
    let reports = &summary.reports;
    if output == Output::Json {
        let json = serde_json::json!({
            "input": options.input,
            "journal": options.journal,
            "report_dir": options.report_dir,
            "this_run": summary.counts,
            "reports": reports,
            "interrupted": summary.interrupted,
            "authentication_failed": summary.authentication_failed,
        });
        writeln!(std::io::stdout().lock(), "{json}")?;
    }
    let mut err = std::io::stderr().lock();
    if summary.interrupted {
        writeln!(err, "interrupted: the journal is consistent; run again with --resume to finish")?;
    }
    if summary.authentication_failed {
        writeln!(
            err,
            "stopped: the API refused the credentials (check KALEYRA_SID and the API key)"
        )?;
    }
    writeln!(
        err,
        "{}: {} created, {} rejected, {} unknown, {} failed; reports in {}",
        options.input.display(),
        reports.created,
        reports.rejected,
        reports.unknown,
        reports.failed,
        options.report_dir.display()
    )?;
    if reports.unknown > 0 {
        writeln!(
            err,
            "{} row(s) MAY HAVE BEEN CREATED (unknown.csv): --resume --retry-unknown sends them again; \
             those that exist are then reported as already existing",
            reports.unknown
        )?;
    }
    if reports.failed > 0 {
        writeln!(
            err,
            "{} row(s) were not created (failed.csv): --resume sends them again",
            reports.failed
        )?;
    }
    Ok(())
}

/// First Ctrl-C: stop taking rows, let those in flight finish. Second: leave at once (the
/// journal is consistent at every moment).
async fn interrupts(stop: watch::Sender<bool>, in_flight: u16) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    let _ = stop.send(true);
    let _ = writeln!(
        std::io::stderr(),
        "\nstopping: letting up to {in_flight} request(s) in flight finish (Ctrl-C again to quit at once)"
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}

fn progress_bar(args: &ImportArgs) -> Option<ProgressBar> {
    if args.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    // Its length comes with the input's line count (`Bar::input_lines`), before any row.
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style =
        // One line whatever the terminal's width: the counts are cut, not wrapped.
        ProgressStyle::with_template("{bar:20} {pos}/{len} rows  {per_sec:0}  ETA {eta}  {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// The bar, and the lines of the input that are no rows (a CSV's header line).
struct Bar(ProgressBar, u64);

impl Observer for Bar {
    fn input_lines(&self, lines: u64) {
        self.0.set_length(lines.saturating_sub(self.1));
    }

    fn progress(&self, counts: &Counts) {
        self.0.set_position(counts.rows);
        self.0.set_message(format!(
            "created {}  rejected {}  unknown {}  failed {}  skipped {}",
            counts.created + counts.exists,
            counts.rejected,
            counts.unknown,
            counts.failed,
            counts.skipped
        ));
    }
}
