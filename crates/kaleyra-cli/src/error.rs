//! Every way a command can fail, and the exit code each one maps to.

use std::process::ExitCode;

/// The documented exit codes.
pub mod exit {
    pub const OK: u8 = 0;
    pub const REJECTED: u8 = 1;
    pub const USAGE: u8 = 2;
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot read {name}: {source}")]
    Read { name: String, source: std::io::Error },
    #[error("{name}:{line}:{column}: {message}")]
    Malformed { name: String, line: usize, column: usize, message: String },
    #[error("cannot write output: {0}")]
    Write(#[from] std::io::Error),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Read { .. } | CliError::Malformed { .. } | CliError::Write(_) => {
                ExitCode::from(exit::USAGE)
            }
        }
    }
}

/// How a command that ran to the end turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Rejected,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Success => exit::OK,
            Outcome::Rejected => exit::REJECTED,
        })
    }
}
