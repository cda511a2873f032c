//! One module per command.

pub mod categories;
pub mod config;
pub mod docs;
pub mod emulator;
pub mod number_add;
pub mod number_import;
pub mod number_update;
pub mod validate;
