//! Every way a command can fail, and the exit code each one maps to.

use std::process::ExitCode;

/// The documented exit codes.
pub mod exit {
    pub const OK: u8 = 0;
    pub const REJECTED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const TRANSPORT: u8 = 3;
    pub const AUTHENTICATION: u8 = 4;
    /// 128 + the signal's number, as shells report a process a signal ended.
    pub const HANGUP: u8 = 129;
    pub const INTERRUPTED: u8 = 130;
    pub const TERMINATED: u8 = 143;
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot read {name}: {source}")]
    Read { name: String, source: std::io::Error },
    #[error("{name}:{line}:{column}: {message}")]
    Malformed { name: String, line: usize, column: usize, message: String },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] kaleyra_transport::ConfigError),
    #[error("cannot start the emulator: {0}")]
    Emulator(std::io::Error),
    #[error("cannot write output: {0}")]
    Write(#[from] std::io::Error),
    /// Failed after requests were sent: they may have created numbers.
    #[error("{0}")]
    AfterSending(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::Read { .. }
            | CliError::Malformed { .. }
            | CliError::Usage(_)
            | CliError::Config(_)
            | CliError::Emulator(_)
            | CliError::Write(_) => exit::USAGE,
            CliError::AfterSending(_) => exit::TRANSPORT,
        })
    }
}

/// How a command that ran to the end turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Rejected,
    TransportFailure,
    AuthenticationFailed,
    /// Stopped by a signal; carries the exit code (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
    Interrupted(u8),
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Success => exit::OK,
            Outcome::Rejected => exit::REJECTED,
            Outcome::TransportFailure => exit::TRANSPORT,
            Outcome::AuthenticationFailed => exit::AUTHENTICATION,
            Outcome::Interrupted(code) => code,
        })
    }
}
