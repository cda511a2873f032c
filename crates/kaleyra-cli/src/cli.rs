//! The command line: every command, flag and help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (the request is valid)
  1  the request is invalid (rejected)
  2  usage error or unreadable input";

#[derive(Debug, Parser)]
#[command(name = "kaleyra", version, about = "Validate and register WhatsApp numbers with Kaleyra", after_help = EXIT_CODES)]
pub struct Cli {
    /// How to print results: text for people, json for scripts.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Text, global = true)]
    pub output: Output,

    #[command(subcommand)]
    pub command: Command,
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
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// A JSON request body, as in the API's sample request; `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,
}
