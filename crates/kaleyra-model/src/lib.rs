#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod category;
mod code;
mod credentials;
mod envelope;
mod field;
mod generated;
mod request;

pub use category::{Category, UnknownCategory};
pub use code::Code;
pub use credentials::ApiKey;
pub use envelope::{
    BareErrorEnvelope, ErrorDetail, ErrorEnvelope, FullErrorEnvelope, NumberRecord, RecordKey,
    SuccessEnvelope,
};
pub use field::Field;
pub use request::{AddNumberRequest, RequestFields, RequestParseError, UpdateNumberRequest};

/// Top-level message of the success envelope (code `I102`), as the seed prints it.
pub const CREATED_MESSAGE: &str = "Phone Number created successfully.";
/// Top-level message of the full error envelope (code `E947`), as the seed prints it.
pub const FAILED_MESSAGE: &str = "Failed to create new WA number.";
/// The `error.type` of every validation failure the seed shows.
pub const VALIDATION_ERROR: &str = "VALIDATION_ERROR";
