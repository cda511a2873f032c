//! Bulk import of WhatsApp numbers from CSV or JSONL: streaming, journaled, resumable.
//!
//! - [`RowReader`] reads a file row by row in bounded memory (CSV with a header naming the API's
//!   fields, or JSONL with one request body per line).
//! - [`check`] validates a whole file offline: every problem with its line and field, and
//!   numbers repeated within the file.
//! - [`journal`] is the import's memory: an append-only file with an *intent* written (and
//!   fsync'd, in groups) before each row is sent and an *outcome* after, so that after a crash a
//!   resume knows which rows were created, rejected, or may have been created.
//! - [`import`] runs an import (bounded concurrency, optional rate limit, shared 429 pauses) and
//!   [`report`] writes the reports from the journal: every row in exactly one of them, the four
//!   files swapped in as one set.
//! - [`input`] holds the input open for every pass, and [`lock`] keeps a second import off the
//!   journal and the report directory.

#![warn(missing_docs)]

pub mod check;
mod claim;
mod fingerprint;
mod generated;
pub mod import;
pub mod input;
pub mod journal;
pub mod lock;
pub mod report;
mod rows;

pub use rows::{Format, InputError, Row, RowError, RowReader};
