#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod client;
mod config;
mod connector;
#[cfg(feature = "emulator")]
mod emulator;
mod env;
mod error;
mod prepared;
mod redact;
mod response;
mod retry;

pub use client::{Client, Created, Updated};
pub use config::{ClientBuilder, ConfigError, DEFAULT_BASE_URL, Region, TlsRoots};
pub use error::{Error, ErrorKind, UnknownReason};
pub use prepared::PreparedRequest;
pub use retry::RetryPolicy;

// What a caller needs besides the client, so that this crate is the one dependency.
pub use kaleyra_model::{
    AddNumberRequest, ApiKey, Category, ErrorEnvelope, Field, NumberRecord, UpdateNumberRequest,
};
pub use kaleyra_validate::{
    Rejection, ValidatedRequest, ValidatedUpdate, validate, validate_update,
};

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("kaleyra-transport/", env!("CARGO_PKG_VERSION"));
