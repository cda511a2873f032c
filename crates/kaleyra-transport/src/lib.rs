//! Async client for Kaleyra's WhatsApp **Add WhatsApp Number** API.
//!
//! Built on hyper 1.x and hyper-util's pooled client (HTTP/1.1 keep-alive, HTTP/2 by ALPN) with
//! rustls (ring provider, no OpenSSL). Three promises:
//!
//! - **Nothing invalid goes on the wire**: [`Client::add_number`] takes a
//!   [`kaleyra_validate::ValidatedRequest`], which only validation can make.
//! - **No duplicate side effects**: a POST is retried only when it provably never reached the
//!   server (connect refused, DNS, TLS handshake, connect timeout) or when the server said to
//!   (429, or 503 with `Retry-After`). A timeout or a lost connection after the request was
//!   written is an [`Error::UnknownOutcome`]: reported as such, never retried, never called a
//!   failure.
//! - **The key stays secret**: it is redacted in `Debug`, marked sensitive on the wire, masked in
//!   [`PreparedRequest`], and plain `http://` is refused except to loopback.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kaleyra_model::AddNumberRequest;
//! use kaleyra_transport::{Client, ErrorKind};
//!
//! // A local emulator stands in for https://api.kaleyra.io here.
//! let emulator = kaleyra_emulator::Emulator::start().await?;
//!
//! // Or `Client::from_env()`: KALEYRA_SID, KALEYRA_API_KEY, KALEYRA_REGION.
//! let client = Client::builder("HXXXXXXX071US", "Ac4XXXXX21f")
//!     .base_url(emulator.base_url()) // leave out for the real API, or use .region(..)
//!     .build()?;
//! let request = kaleyra_validate::validate(&AddNumberRequest::new("xyz", "+13236550017"))?;
//! match client.add_number(&request).await {
//!     Ok(created) => println!("created id {}", created.record().map_or(0, |r| r.id)),
//!     Err(error) => match error.kind() {
//!         ErrorKind::MayHaveBeenCreated => eprintln!("unknown outcome, look first: {error}"),
//!         ErrorKind::NotCreated => eprintln!("not created, try again later: {error}"),
//!         ErrorKind::Refused => eprintln!("refused: {error}"),
//!     },
//! }
//! assert_eq!(emulator.numbers().creations(), 1);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod client;
mod config;
mod connector;
mod env;
mod error;
mod prepared;
mod redact;
mod response;
mod retry;

pub use client::{Client, Created};
pub use config::{ClientBuilder, ConfigError, DEFAULT_BASE_URL, Region, TlsRoots};
pub use error::{Error, ErrorKind, UnknownReason};
pub use prepared::PreparedRequest;
pub use retry::RetryPolicy;

// What a caller needs besides the client, so that this crate is the one dependency.
pub use kaleyra_model::{AddNumberRequest, ApiKey, Category, ErrorEnvelope, Field, NumberRecord};
pub use kaleyra_validate::{Rejection, ValidatedRequest, validate};

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("kaleyra-transport/", env!("CARGO_PKG_VERSION"));
