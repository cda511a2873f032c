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
//! use kaleyra_model::{AddNumberRequest, ApiKey};
//! use kaleyra_transport::Client;
//!
//! // A local emulator stands in for https://api.kaleyra.io here.
//! let emulator = kaleyra_emulator::Emulator::new(kaleyra_emulator::EmulatorConfig::sandbox())
//!     .bind("127.0.0.1:0".parse()?)
//!     .await?;
//!
//! let client = Client::builder("HXXXXXXX071US", ApiKey::new("Ac4XXXXX21f"))
//!     .base_url(emulator.base_url()) // leave out for the real API, or use .region(..)
//!     .build()?;
//! let request = kaleyra_validate::validate(&AddNumberRequest::new("xyz", "+13236550017"))?;
//! match client.add_number(&request).await {
//!     Ok(created) => println!("created id {}", created.record().map_or(0, |r| r.id)),
//!     Err(error) if error.may_have_been_created() => eprintln!("unknown outcome: {error}"),
//!     Err(error) => eprintln!("not created: {error}"),
//! }
//! assert_eq!(emulator.numbers().creations(), 1);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod client;
mod config;
mod connector;
mod error;
mod prepared;
mod redact;
mod response;
mod retry;

pub use client::{Client, Created};
pub use config::{ClientBuilder, ConfigError, DEFAULT_BASE_URL, Region, TlsRoots};
pub use error::{Error, UnknownReason};
pub use prepared::PreparedRequest;
pub use retry::RetryPolicy;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("kaleyra-transport/", env!("CARGO_PKG_VERSION"));
