//! One module per command.

pub mod categories;
pub mod validate;
