//! `kaleyra`: validate and register WhatsApp numbers with Kaleyra.
//!
//! This binary is thin on purpose: argument parsing, reading input and printing output. The
//! rules live in `kaleyra-validate`, the HTTP in `kaleyra-transport` and `kaleyra-emulator`;
//! errors are rendered once, here at the edge.

mod cli;
mod commands;
mod credentials;
mod error;
mod input;
mod logging;
mod printable;
mod profiles;
mod render;
mod runtime;
mod sandbox;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, NumberCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = logging::init(&cli);
    let result = match &cli.command {
        Command::Validate(args) => commands::validate::run(args, cli.output),
        Command::Categories => commands::categories::run(cli.output),
        Command::Number(number) => match number.as_ref() {
            NumberCommand::Add(args) => commands::number_add::run(args, cli.output),
            NumberCommand::Update(args) => commands::number_update::run(args, cli.output),
            NumberCommand::Import(args) => {
                commands::number_import::run(args, cli.output, cli.quiet, &logs)
            }
        },
        Command::Config(command) => commands::config::run(command, cli.output),
        Command::Emulator(args) => commands::emulator::run(args, cli.output),
        Command::Completions { shell } => commands::docs::completions(*shell),
        Command::Manpages { dir } => commands::docs::manpages(dir),
    };
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            // Nothing useful is left to do if stderr itself is gone.
            let message = error.to_string();
            let _ = writeln!(std::io::stderr(), "error: {}", printable::printable(&message));
            error.exit_code()
        }
    }
}
