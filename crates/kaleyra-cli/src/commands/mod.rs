//! One module per command.

pub mod categories;
pub mod emulator;
pub mod number_add;
pub mod validate;
