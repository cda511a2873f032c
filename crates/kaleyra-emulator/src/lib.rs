#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod body;
mod config;
mod error_envelopes;
mod faults;
mod generated;
mod json_text;
mod latency;
mod numbers_report;
mod record;
mod request;
mod server;
mod service;
mod state;
mod store;
mod throttle;
mod update;

pub use config::{EmulatorConfig, SANDBOX_API_KEY, SANDBOX_SID};
pub use faults::{FAULT_HEADER, Fault, FaultPlan, FaultRule};
pub use latency::Latency;
pub use numbers_report::{NumberEntry, NumbersReport};
pub use server::{Emulator, RunningEmulator};
#[cfg(feature = "tls")]
pub use server::{TlsError, TlsIdentity};
pub use throttle::{Limits, RateLimit};
