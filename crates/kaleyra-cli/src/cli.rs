//! The command line: every command, flag and help text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (valid, created)
  1  rejected (invalid locally, or by the API)
  2  usage error or unreadable input
  3  transport failure or unknown outcome (the message says whether the number may exist)
  4  authentication failed";

const UPDATE_EXIT_CODES: &str = "\
Exit codes:
  0  success (valid, updated)
  1  rejected (invalid locally, or by the API: an unknown number among others)
  2  usage error or unreadable input
  3  transport failure or unknown outcome (sending the same update again is safe)
  4  authentication failed";

const ENVIRONMENT: &str = "\
Environment (a flag given beats the environment, which beats a profile, which beats the defaults):
  KALEYRA_SID           account SID (or --sid)
  KALEYRA_API_KEY       API key; never passed on the command line (--api-key-file beats it)
  KALEYRA_API_KEY_FILE  file holding the API key (or --api-key-file)
  KALEYRA_BASE_URL      API base URL (or --base-url), default https://api.kaleyra.io
  KALEYRA_REGION        in, ap, eu or na (or --region); set only one of the two
  KALEYRA_PROFILE       the config file's profile to use (or --profile); see `kaleyra config`
  KALEYRA_CONFIG        the config file (default $XDG_CONFIG_HOME/kaleyra/config.toml)
  RUST_LOG              log targets and levels, e.g. kaleyra_transport=debug (or -v, -vv)";

#[derive(Debug, Parser)]
#[command(
    name = "kaleyra",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("KALEYRA_COMMIT"), ")"),
    about = "Validate and register WhatsApp numbers with Kaleyra",
    after_help = format!("{EXIT_CODES}\n\n{ENVIRONMENT}")
)]
pub struct Cli {
    /// How to print results: text for people, json for scripts.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Text, global = true)]
    pub output: Output,

    /// Log what happens on stderr: -v attempts, retries and their waits; -vv each request's
    /// timing and the vendor's request id; -vvv everything. RUST_LOG (e.g.
    /// `kaleyra_transport=debug`) picks the targets instead. The API key is never logged.
    #[arg(long, short = 'v', action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// No progress display and no log lines; results and errors only.
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// How log lines look: text for people, json (one object per line) for log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a request body offline, exactly as the API would, without a key or the network.
    #[command(after_help = EXIT_CODES)]
    Validate(ValidateArgs),
    /// List the 17 accepted business categories in their canonical spelling.
    Categories,
    /// Register and update WhatsApp numbers.
    #[command(subcommand)]
    Number(Box<NumberCommand>),
    /// Read and change the profiles of the config file ($KALEYRA_CONFIG, else
    /// $XDG_CONFIG_HOME/kaleyra/config.toml, else ~/.config/kaleyra/config.toml).
    #[command(subcommand, after_help = CONFIG_HELP)]
    Config(ConfigCommand),
    /// Run a local server that behaves like the API (same route, envelopes and rules).
    #[command(after_help = ENVIRONMENT)]
    Emulator(EmulatorArgs),
    /// Print shell completions, e.g. `kaleyra completions bash > ~/.local/share/bash-completion/completions/kaleyra`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages for every command into DIR (used by `cargo xtask release`).
    #[command(hide = true)]
    Manpages {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

const CONFIG_HELP: &str = "\
The file holds one table per profile, with the names of the flags and environment variables:

  [profiles.default]
  sid = \"HXXXXXXX071US\"
  region = \"eu\"                              # or base_url = \"https://...\"
  api_key_command = \"pass show kaleyra\"      # or api_key_file = \"~/.config/kaleyra/key\"

A key inline (api_key = \"...\") is read only from a file no one else may read (chmod 600).
Precedence: a flag, then the environment, then the profile, then the defaults.";

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// The profiles' names, one per line.
    List,
    /// One profile's settings (the key masked) and the file they come from.
    Show {
        /// The profile (default: KALEYRA_PROFILE, else `default`).
        #[arg(long, env = "KALEYRA_PROFILE", value_name = "NAME")]
        profile: Option<String>,
    },
    /// Set KEY of a profile to VALUE, creating the file (mode 0600) and the profile if needed;
    /// the file's comments and other settings stay.
    Set {
        /// The profile (default: KALEYRA_PROFILE, else `default`).
        #[arg(long, env = "KALEYRA_PROFILE", value_name = "NAME")]
        profile: Option<String>,
        /// sid, region, base_url, api_key_file or api_key_command.
        #[arg(value_name = "KEY")]
        key: String,
        #[arg(value_name = "VALUE")]
        value: String,
    },
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A JSON request body (as in the API's sample request), or a CSV or JSONL file of them;
    /// `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,
    /// Check update requests (what `number update` and `number import --update` send) instead
    /// of add requests.
    #[arg(long)]
    pub update: bool,
    /// Check wa_number in its E.164 form: spaces, dashes, dots and parentheses taken out, a
    /// leading 00 made +. Without it such a number is refused, and the message names that form.
    #[arg(long)]
    pub normalize: bool,
    /// What FILE holds; by default its extension tells (.csv, .jsonl, .ndjson; else one JSON body).
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// The CSV's delimiter: one ASCII character, or `tab`. By default the header tells: a
    /// comma, else `;` or a tab when the header has those and no comma.
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

fn parse_delimiter(value: &str) -> Result<u8, String> {
    match value {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ => match value.as_bytes() {
            [byte] if byte.is_ascii() && !matches!(byte, b'"' | b'\n' | b'\r') => Ok(*byte),
            _ => Err(format!(
                "`{value}` is not a delimiter: one ASCII character other than a quote or a line \
                 break, or `tab`"
            )),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    /// One JSON request body.
    Json,
    /// A header row naming the API's fields, then one row per number.
    Csv,
    /// One JSON request body per line.
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum NumberCommand {
    /// Add one WhatsApp number. The request is validated locally first: an invalid one never
    /// reaches the network.
    #[command(after_help = format!("{EXIT_CODES}\n\n{ENVIRONMENT}"))]
    Add(AddArgs),
    /// Update one WhatsApp number's profile (PUT): the fields given change, the others stay.
    /// Validated locally first; an update is safe to send again, so one whose outcome is
    /// unknown (a 5xx, a timeout) is retried.
    #[command(after_help = format!("{UPDATE_EXIT_CODES}\n\n{ENVIRONMENT}"))]
    Update(UpdateArgs),
    /// Add every number of a CSV or JSONL file: validated first, sent as fast as the server
    /// allows, journaled so that an interrupted import resumes with no row created twice.
    #[command(after_help = format!("{IMPORT_EXIT_CODES}\n\n{ENVIRONMENT}"))]
    Import(ImportArgs),
}

const IMPORT_EXIT_CODES: &str = "\
Exit codes:
  0    every row created (or already existing)
  1    some rows rejected (rejected.csv)
  2    usage error, unreadable input, or another import holds the journal (nothing was sent)
  3    some rows unknown (unknown.csv: they may have been created) or failed (failed.csv), or
       a failure after rows were sent (the message says how many; --resume goes on)
  4    the API refused the credentials (the import stopped at once)
  129  SIGHUP, 130 Ctrl-C (SIGINT), 143 SIGTERM: requests in flight finished, reports written;
       run again with --resume";

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV (header row naming the API's fields; other columns are passed through to the
    /// reports) or JSONL file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Update the numbers instead of adding them (PUT): the file names each by wa_number and
    /// carries the fields to change (about among them). Reports: updated.csv in place of
    /// created.csv. An update whose outcome is unknown is sent again on --resume.
    #[arg(long)]
    pub update: bool,
    /// Send wa_number in its E.164 form: spaces, dashes, dots and parentheses taken out, a
    /// leading 00 made +. Without it such a number is refused, and the message names that form.
    #[arg(long)]
    pub normalize: bool,
    /// What FILE holds; by default its extension tells.
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// The CSV's delimiter: one ASCII character, or `tab`. By default the header tells: a
    /// comma, else `;` or a tab when the header has those and no comma.
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Requests in flight at once, pinned. Without it the import finds the most the server
    /// takes: a few at first, more while answers come back fast and unthrottled, fewer on 429,
    /// 5xx or timeouts, with the rate it starts requests at learnt from the 429s.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024), conflicts_with = "max_concurrency")]
    pub concurrency: Option<u16>,
    /// The most requests in flight the import may find (1 to 1024).
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_concurrency: u16,
    /// Requests started per second at most, e.g. 20 or 20/s (0.01 to 100000).
    #[arg(long, value_name = "N/s", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Rows whose intents are made durable ahead of sending (one fsync covers about half of
    /// them; with --rate, at most 10 ms worth of rows). After a crash these rows are reported
    /// unknown although they were not sent (Ctrl-C withdraws them cleanly): 1 is the most
    /// precise and the slowest.
    #[arg(
        long,
        value_name = "ROWS",
        default_value_t = kaleyra_bulk::import::ImportOptions::DEFAULT_INTENTS_AHEAD as u16,
        value_parser = clap::value_parser!(u16).range(1..=4096)
    )]
    pub intents_ahead: u16,
    /// The journal (default: FILE.journal beside the input).
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Continue the import the journal records: rows already created or rejected are skipped.
    #[arg(long)]
    pub resume: bool,
    /// With --resume, send again the rows whose outcome is unknown. Risk: the API may have
    /// created them already; a row that exists is then rejected as a duplicate and reported as
    /// already existing. Only safe because the API rejects duplicate numbers.
    #[arg(long, requires = "resume")]
    pub retry_unknown: bool,
    /// Where created.csv, rejected.csv, unknown.csv and failed.csv go (default: FILE-reports/).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Import into an emulator started in this process (needs no account); with --update, each
    /// row's number is registered there first, so that it has a record to update.
    #[arg(long)]
    pub sandbox: bool,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

fn parse_rate(value: &str) -> Result<f64, String> {
    let number = value.trim().trim_end_matches("/s").trim();
    match number.parse::<f64>() {
        Ok(rate) if (0.01..=100_000.0).contains(&rate) => Ok(rate),
        Ok(rate) if rate.is_finite() && rate > 0.0 => {
            Err(format!("`{value}` is out of range: a rate goes from 0.01/s to 100000/s"))
        }
        _ => Err(format!("`{value}` is not a positive rate such as 20 or 20/s")),
    }
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Read the JSON request body from FILE (`-` for stdin); flags given too override its fields.
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<PathBuf>,
    /// Send wa_number in its E.164 form: spaces, dashes, dots and parentheses taken out, a
    /// leading 00 made +. Without it such a number is refused, and the message names that form.
    #[arg(long)]
    pub normalize: bool,

    #[command(flatten)]
    pub fields: FieldArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Start the emulator in this process on 127.0.0.1 (a free port) and send the request to
    /// it over real HTTP. Needs no account.
    #[arg(long)]
    pub sandbox: bool,

    /// Print the exact HTTP request instead of sending it (the key masked to its last 4 characters).
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Read the JSON request body from FILE (`-` for stdin); flags given too override its fields.
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<PathBuf>,
    /// Send wa_number in its E.164 form: spaces, dashes, dots and parentheses taken out, a
    /// leading 00 made +. Without it such a number is refused, and the message names that form.
    #[arg(long)]
    pub normalize: bool,

    #[command(flatten)]
    pub fields: UpdateFieldArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Start the emulator in this process on 127.0.0.1 (a free port), register the number there
    /// first (so that it has a record to update), and send the update to it over real HTTP.
    /// Needs no account.
    #[arg(long)]
    pub sandbox: bool,

    /// Print the exact HTTP request instead of sending it (the key masked to its last 4 characters).
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Request fields")]
pub struct FieldArgs {
    /// Display name (mandatory).
    #[arg(long)]
    pub display_name: Option<String>,
    /// WhatsApp number in E.164, e.g. +13236550017 (mandatory).
    #[arg(long)]
    pub wa_number: Option<String>,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Request fields")]
pub struct UpdateFieldArgs {
    /// The WhatsApp number to update, in E.164 (mandatory).
    #[arg(long)]
    pub wa_number: Option<String>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The profile's About text (at most 139 characters).
    #[arg(long)]
    pub about: Option<String>,
}

/// The fields an add and an update share.
#[derive(Debug, Args)]
#[command(next_help_heading = "Request fields")]
pub struct ProfileArgs {
    #[arg(long)]
    pub address: Option<String>,
    /// URL that receives the incoming-message callbacks; Kaleyra also calls it (GET with
    /// display_phone_number, event, current_limit) when the quality rating or messaging limit
    /// changes.
    #[arg(long)]
    pub incoming_url: Option<String>,
    /// URL of the profile image.
    #[arg(long)]
    pub display_image: Option<String>,
    #[arg(long)]
    pub business_description: Option<String>,
    /// One of `kaleyra categories`, any case.
    #[arg(long)]
    pub business_category: Option<String>,
    #[arg(long)]
    pub contact_email: Option<String>,
    #[arg(long)]
    pub website: Option<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// The profile of the config file to use (`kaleyra config list`); without it and without
    /// KALEYRA_PROFILE, the profile `default` if there is one. Flags and the environment beat
    /// what a profile says.
    #[arg(long, env = "KALEYRA_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Account SID.
    #[arg(long, env = "KALEYRA_SID")]
    pub sid: Option<String>,
    /// File holding the API key (the key itself comes only from KALEYRA_API_KEY or a file);
    /// beats KALEYRA_API_KEY and KALEYRA_API_KEY_FILE.
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// API base URL; beats KALEYRA_BASE_URL and KALEYRA_REGION. Use the "API domain" Kaleyra's
    /// console shows for the key when it differs from the region's host.
    #[arg(long, value_name = "URL", conflicts_with = "region")]
    pub base_url: Option<String>,
    /// Regional host; beats KALEYRA_BASE_URL and KALEYRA_REGION.
    #[arg(long, value_parser = ["in", "ap", "eu", "na"])]
    pub region: Option<String>,
    /// Seconds one attempt may take before its outcome is reported unknown (1 to 3600).
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Longest wait a server may ask for (Retry-After) before a request is sent again; a
    /// longer one is cut to this (0 to 3600).
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub max_retry_wait: u64,
    /// Attempts for requests that provably never reached the server (or were asked to be repeated).
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// Allow plain http:// to a host other than loopback (the key then crosses the network unencrypted).
    #[arg(long)]
    pub allow_insecure_http: bool,
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The SID it accepts (default: the sandbox SID).
    #[arg(long, env = "KALEYRA_SID")]
    pub sid: Option<String>,
    /// File holding the key it accepts (default: KALEYRA_API_KEY, else KALEYRA_API_KEY_FILE,
    /// else the sandbox key).
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Accept a second create of the same number instead of answering 409.
    #[arg(long)]
    pub allow_duplicates: bool,
    /// Apply only the rules the vendor's page states (no format checks, no length limits).
    #[arg(long)]
    pub seed_rules_only: bool,
    /// Behave like the real vendor: `kaleyra` sets its published rate limit (50000/5m) and an
    /// assumed service time (p50=300ms,p99=1.5s); the flags below override either.
    #[arg(long, value_name = "PRESET", value_enum)]
    pub preset: Option<Preset>,
    /// Service time of every create request, after it is read: `300ms` (fixed) or
    /// `p50=300ms,p99=1.5s` (log-normal with that median and 99th percentile); `0` for none.
    #[arg(long, value_name = "DIST", value_parser = parse_latency)]
    pub latency: Option<kaleyra_emulator::Latency>,
    /// Seed of the service-time draws: the same seed, the same sequence of service times for
    /// the requests processed (a throttled request takes none).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed: u64,
    /// Requests the account may make, e.g. `400/s` or `50000/5m`; over it, 429 with
    /// `Retry-After` (token bucket; see --burst).
    #[arg(long, value_name = "N/PERIOD", value_parser = parse_rate_limit)]
    pub rate_limit: Option<kaleyra_emulator::RateLimit>,
    /// Requests an idle account may send at once under the rate limit (default: one second's
    /// worth).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub burst: Option<u32>,
    /// Create requests processed at once for the account; more are answered 429.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_in_flight: Option<u64>,
    /// Largest request body accepted, in bytes (413 above; 1 to 16777216).
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES", value_parser = parse_body_limit)]
    pub max_body_bytes: usize,
    /// Records kept at most (about 600 bytes each); a create beyond is answered 507 (E907)
    /// until POST /__emulator/reset.
    #[arg(long, default_value_t = kaleyra_emulator::EmulatorConfig::DEFAULT_MAX_RECORDS, value_name = "N", value_parser = parse_max_records)]
    pub max_records: usize,
}

/// What `--preset` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// Kaleyra's published rate limit and an assumed service time.
    Kaleyra,
}

fn parse_latency(value: &str) -> Result<kaleyra_emulator::Latency, String> {
    value.parse()
}

fn parse_rate_limit(value: &str) -> Result<kaleyra_emulator::RateLimit, String> {
    value.parse()
}

fn parse_body_limit(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(bytes) if (1..=16 * 1024 * 1024).contains(&bytes) => Ok(bytes),
        _ => Err(format!("`{value}` is not a body limit from 1 to 16777216 bytes")),
    }
}

fn parse_max_records(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(records) if (1..=100_000_000).contains(&records) => Ok(records),
        _ => Err(format!("`{value}` is not a record count from 1 to 100000000")),
    }
}
