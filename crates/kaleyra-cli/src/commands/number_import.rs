//! `kaleyra number import`: a file of numbers, journaled, resumable, with reports.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kaleyra_bulk::import::{
    self, Concurrency, Counts, ImportOptions, Observer, Pace, Silent, Summary,
};
use kaleyra_bulk::{Format, Operation, ReadOptions};
use kaleyra_model::{AddNumberRequest, Field};
use kaleyra_transport::{Client, RetryPolicy};
use tokio::sync::watch;

use crate::cli::{ImportArgs, Output};
use crate::error::{CliError, Outcome, exit};
use crate::{credentials, runtime, sandbox};

pub fn run(
    args: &ImportArgs,
    output: Output,
    quiet: bool,
    logs: &crate::logging::Logs,
) -> Result<Outcome, CliError> {
    crate::input::not_a_directory(&args.file)?;
    if args.file == Path::new("-") {
        return Err(CliError::Usage(
            "an import needs a file, not stdin: the journal must be able to read it again to resume"
                .to_owned(),
        ));
    }
    let format = file_format(&args.file, args.format)?;
    // The import reads the header again itself; a header that cannot be read is its error.
    let name = args.file.display().to_string();
    let operation = if args.update { Operation::Update } else { Operation::Add };
    let read = ReadOptions::default().delimiter(args.delimiter).operation(operation);
    match kaleyra_bulk::RowReader::open(&args.file, format, read) {
        Ok(rows) => crate::render::csv_header(&name, &rows, args.delimiter, operation.fields())?,
        // A resume reads with the delimiter its journal recorded: the import decides.
        Err(error @ kaleyra_bulk::InputError::OneColumn { .. }) if !args.resume => {
            return Err(CliError::Usage(format!("{name}: {error} (--delimiter CHAR)")));
        }
        Err(_) => {}
    }
    let mut options = ImportOptions::new(&args.file, format);
    if let Some(journal) = &args.journal {
        options.journal = journal.clone();
    }
    if let Some(dir) = &args.report_dir {
        options.report_dir = dir.clone();
    }
    options.concurrency = match args.concurrency {
        Some(n) => Concurrency::Fixed(usize::from(n)),
        None => Concurrency::Adaptive { max: usize::from(args.max_concurrency) },
    };
    options.intents_ahead = usize::from(args.intents_ahead);
    options.rate_per_second = args.rate;
    options.max_retry_wait = Duration::from_secs(args.connection.max_retry_wait);
    options.resume = args.resume;
    options.retry_unknown = args.retry_unknown;
    options.normalize_numbers = args.normalize;
    options.delimiter = args.delimiter;
    options.operation = operation;
    runtime::build()?.block_on(import(args, options, output, quiet, logs))
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
    quiet: bool,
    logs: &crate::logging::Logs,
) -> Result<Outcome, CliError> {
    let (builder, emulator) = sandbox::or_account(args.sandbox, &args.connection).await?;
    // 429s are handled by the importer, which pauses every worker at once.
    let retry =
        RetryPolicy { retry_rate_limited: false, ..credentials::retry_policy(&args.connection) };
    let client = builder.retry_policy(retry).build()?;
    if emulator.is_some() && options.operation == Operation::Update {
        register_for_sandbox(&client, &options).await?;
    }

    // A CSV's first line names the columns.
    let header_lines = u64::from(options.format == Format::Csv);
    let terminal = std::io::stderr().is_terminal();
    let progress = (!quiet && terminal).then(progress_bar);
    if let Some(bar) = &progress {
        logs.around(bar);
    }
    let lines = (!quiet && !terminal).then(|| Arc::new(Lines::new(header_lines)));
    let observer: Arc<dyn Observer> = match (&progress, &lines) {
        (Some(bar), _) => Arc::new(Bar { bar: bar.clone(), header_lines, pace: Mutex::new(None) }),
        (None, Some(lines)) => lines.clone(),
        (None, None) => Arc::new(Silent),
    };
    let ticker = lines.map(|lines| {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PLAIN_PROGRESS_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                lines.print();
            }
        })
    });
    let (stop, stopped) = watch::channel(false);
    let signal = Arc::new(AtomicU8::new(0));
    let signals = tokio::spawn(interrupts(stop, signal.clone()));
    let result = import::run(client, options.clone(), observer, stopped).await;
    signals.abort();
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
        logs.without_bar();
    }
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    let summary = result.map_err(|error| {
        let name = options.input.display();
        if error.after_sending() {
            CliError::AfterSending(format!("{name}: {error}"))
        } else {
            CliError::Usage(format!("{name}: {error}"))
        }
    })?;
    print_summary(&summary, &options, output)?;
    Ok(outcome(&summary, signal.load(Ordering::Relaxed)))
}

/// `--sandbox --update`: the sandbox starts empty, so every number of the file is registered
/// in it first (rows that are no valid update are left to the import to report).
async fn register_for_sandbox(client: &Client, options: &ImportOptions) -> Result<(), CliError> {
    let rows =
        kaleyra_bulk::RowReader::open(&options.input, options.format, options.read_options())
            .map_err(|e| CliError::Usage(format!("{}: {e}", options.input.display())))?;
    for row in rows {
        let Ok(Ok(request)) = row.map(|row| row.request) else { continue };
        let Some(number) = request.get(Field::WaNumber) else { continue };
        let number = if options.normalize_numbers {
            kaleyra_validate::suggest::e164_form(number)
        } else {
            number.trim().to_owned()
        };
        if let Ok(add) = kaleyra_validate::validate(&AddNumberRequest::new("Sandbox", number)) {
            // A number twice in the file is a duplicate the second time: nothing to do.
            let _ = client.add_number(&add).await;
        }
    }
    Ok(())
}

fn outcome(summary: &Summary, signal: u8) -> Outcome {
    if summary.interrupted {
        Outcome::Interrupted(if signal == 0 { exit::INTERRUPTED } else { signal })
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
            "pace": summary.pace,
        });
        writeln!(std::io::stdout().lock(), "{json}")?;
    }
    let mut err = std::io::stderr().lock();
    if summary.input_replaced {
        writeln!(
            err,
            "warning: another file was moved to {} during the import: this run read, and the \
             reports describe, the file it started with; a --resume needs that file back",
            options.input.display()
        )?;
    }
    if reports.total() == 0 && !summary.interrupted && !summary.authentication_failed {
        writeln!(err, "warning: {} has no rows: nothing to import", options.input.display())?;
    }
    if summary.interrupted {
        writeln!(err, "interrupted: the journal is consistent; run again with --resume to finish")?;
    }
    if summary.authentication_failed {
        writeln!(
            err,
            "stopped: the API refused the credentials (check KALEYRA_SID and the API key)"
        )?;
    }
    let done = match options.operation {
        Operation::Update => "updated",
        _ => "created",
    };
    writeln!(
        err,
        "{}: {} {done}, {} rejected, {} unknown, {} failed; reports in {}",
        options.input.display(),
        reports.created,
        reports.rejected,
        reports.unknown,
        reports.failed,
        options.report_dir.display()
    )?;
    let pace = &summary.pace;
    if pace.requests > 0 {
        writeln!(
            err,
            "{} request(s) in {:.1} s ({:.1}/s), {} throttled ({:.1} %)",
            pace.requests,
            pace.elapsed.as_secs_f64(),
            pace.requests_per_second(),
            pace.throttled,
            100.0 * pace.throttled as f64 / pace.requests as f64
        )?;
    }
    if reports.unknown > 0 && options.operation == Operation::Update {
        writeln!(
            err,
            "{} row(s) MAY HAVE BEEN UPDATED (unknown.csv): --resume sends them again (an update \
             is safe to repeat)",
            reports.unknown
        )?;
    } else if reports.unknown > 0 {
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
            "{} row(s) were not {done} (failed.csv): --resume sends them again",
            reports.failed
        )?;
    }
    Ok(())
}

/// The first Ctrl-C, SIGTERM or SIGHUP (what systemd, Kubernetes, CI time-outs and a closed
/// terminal send): stop taking rows, let those in flight finish, write the reports, and exit
/// 128 + the signal's number. A second: leave at once (the journal is consistent at every
/// moment).
async fn interrupts(stop: watch::Sender<bool>, signal: Arc<AtomicU8>) {
    let Ok(mut signals) = Signals::new() else { return };
    let Some(first) = signals.next().await else { return };
    signal.store(first, Ordering::Relaxed);
    let _ = stop.send(true);
    let _ = writeln!(
        std::io::stderr(),
        "\nstopping: letting the requests in flight finish, then writing the reports (Ctrl-C \
         again to quit at once)"
    );
    if let Some(second) = signals.next().await {
        std::process::exit(i32::from(second));
    }
}

/// The signals that stop an import, each as the exit code it ends with.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                terminate: signal(SignalKind::terminate())?,
                hangup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next signal's exit code; `None` if signals cannot be received.
    async fn next(&mut self) -> Option<u8> {
        #[cfg(unix)]
        {
            tokio::select! {
                result = tokio::signal::ctrl_c() => result.ok().map(|()| exit::INTERRUPTED),
                Some(()) = self.terminate.recv() => Some(exit::TERMINATED),
                Some(()) = self.hangup.recv() => Some(exit::HANGUP),
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.ok().map(|()| exit::INTERRUPTED)
    }
}

fn progress_bar() -> ProgressBar {
    // Its length comes with the input's line count (`Bar::input_lines`), before any row.
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style =
        // One line whatever the terminal's width: the counts are cut, not wrapped.
        ProgressStyle::with_template("{bar:20} {pos}/{len} rows  {per_sec:0}  ETA {eta}  {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// How often progress is told as a plain line when stderr is no terminal (CI, cron, a pipe).
const PLAIN_PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Progress as plain lines, for a stderr that is no terminal: what the bar would show.
struct Lines {
    header_lines: u64,
    started: std::time::Instant,
    state: Mutex<(Option<u64>, Counts, Option<Pace>)>,
}

impl Lines {
    fn new(header_lines: u64) -> Lines {
        Lines {
            header_lines,
            started: std::time::Instant::now(),
            state: Mutex::new((None, Counts::default(), None)),
        }
    }

    /// One line: rows done of the total, rate, ETA, outcomes so far.
    fn print(&self) {
        let (total, counts, pace) = *self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 { counts.rows as f64 / seconds } else { 0.0 };
        let (of, eta) = match total {
            Some(total) => {
                let left = total.saturating_sub(counts.rows);
                let eta =
                    if rate > 0.0 { format!("{:.0} s", left as f64 / rate) } else { "?".into() };
                (format!("/{total}"), eta)
            }
            None => (String::new(), "?".into()),
        };
        let pace = pace.map(|pace| format!(", {}", pace_text(&pace))).unwrap_or_default();
        // Nothing useful is left to do if stderr itself is gone.
        let _ = writeln!(
            std::io::stderr().lock(),
            "progress: {}{of} rows, {rate:.1} rows/s, ETA {eta}; created {}, rejected {}, \
             unknown {}, failed {}, skipped {}{pace}",
            counts.rows,
            counts.created + counts.exists,
            counts.rejected,
            counts.unknown,
            counts.failed,
            counts.skipped
        );
    }
}

impl Observer for Lines {
    fn input_lines(&self, lines: u64) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).0 =
            Some(lines.saturating_sub(self.header_lines));
    }

    fn progress(&self, counts: &Counts) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).1 = *counts;
    }

    fn pace(&self, pace: &Pace) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).2 = Some(*pace);
    }
}

/// The bar, the lines of the input that are no rows (a CSV's header line), and the pace last
/// heard of.
struct Bar {
    bar: ProgressBar,
    header_lines: u64,
    pace: Mutex<Option<Pace>>,
}

impl Observer for Bar {
    fn input_lines(&self, lines: u64) {
        self.bar.set_length(lines.saturating_sub(self.header_lines));
    }

    fn progress(&self, counts: &Counts) {
        self.bar.set_position(counts.rows);
        let pace = *self.pace.lock().unwrap_or_else(PoisonError::into_inner);
        let pace = pace.map(|pace| format!("  {}", pace_text(&pace))).unwrap_or_default();
        self.bar.set_message(format!(
            "created {}  rejected {}  unknown {}  failed {}  skipped {}{pace}",
            counts.created + counts.exists,
            counts.rejected,
            counts.unknown,
            counts.failed,
            counts.skipped
        ));
    }

    fn pace(&self, pace: &Pace) {
        *self.pace.lock().unwrap_or_else(PoisonError::into_inner) = Some(*pace);
    }
}

/// The concurrency and learnt rate of the moment, and the throttled requests so far.
fn pace_text(pace: &Pace) -> String {
    let rate = pace.learnt_rate.map(|rate| format!(" at {rate:.0}/s")).unwrap_or_default();
    format!("in flight {}{rate}  throttled {}", pace.concurrency, pace.throttled)
}
