#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod adaptive;
pub mod check;
mod claim;
mod fingerprint;
mod generated;
pub mod import;
pub mod input;
pub mod journal;
pub mod lock;
mod operation;
pub mod report;
mod rows;

pub use operation::{Operation, Request};
pub use rows::{Format, InputError, ReadOptions, Row, RowError, RowReader};
