//! A local server that behaves like Kaleyra's **Add WhatsApp Number** API.
//!
//! Same route (`POST /v1/{SID}/whatsapp/number`), same headers, same envelopes: requests are
//! validated by `kaleyra-validate`, so rejections are byte-for-byte the vendor's. Created numbers
//! live in memory. Under `/__emulator/` are admin endpoints (`GET numbers`, `POST reset`,
//! `GET`/`PUT faults`), and faults can be set for the whole server or for one request with the
//! `x-emulator-fault` header. What the vendor does not document (status codes, authentication,
//! duplicates, rate limits) follows the assumptions in `spec/kaleyra.toml`.
//!
//! ```
//! # async fn demo() -> std::io::Result<()> {
//! use kaleyra_emulator::{Emulator, EmulatorConfig};
//!
//! let emulator = Emulator::new(EmulatorConfig::sandbox()).bind("127.0.0.1:0".parse().unwrap()).await?;
//! println!("listening on {}", emulator.base_url());
//! // ... point a client at emulator.base_url() ...
//! assert!(emulator.numbers().numbers.is_empty());
//! emulator.shutdown().await;
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

#![warn(missing_docs)]

mod body;
mod config;
mod error_envelopes;
mod faults;
mod generated;
mod json_text;
mod numbers_report;
mod record;
mod request;
mod server;
mod service;
mod state;
mod store;

pub use config::{EmulatorConfig, SANDBOX_API_KEY, SANDBOX_SID};
pub use faults::{FAULT_HEADER, Fault, FaultPlan, FaultRule};
pub use numbers_report::{NumberEntry, NumbersReport};
pub use server::{Emulator, RunningEmulator};
#[cfg(feature = "tls")]
pub use server::{TlsError, TlsIdentity};
