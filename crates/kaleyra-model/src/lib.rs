//! Request and response types of Kaleyra's WhatsApp **Add WhatsApp Number** API.
//!
//! This crate holds data and nothing else: no I/O, no async, no validation rules (those live in
//! `kaleyra-validate`). It is the shared vocabulary of the other kaleyra crates and of anyone who
//! talks to the API with their own HTTP stack.
//!
//! Readers are tolerant: unknown response fields are kept in an `extra` map, unknown codes
//! surface as [`Code::Unknown`], and missing response fields take their defaults, so a change on
//! the vendor's side never turns into a parse error.
//!
//! ```
//! use kaleyra_model::{AddNumberRequest, Category, Code, ErrorEnvelope, SuccessEnvelope};
//!
//! let request: AddNumberRequest =
//!     serde_json::from_str(r#"{"display_name":"xyz","wa_number":"+13236550017"}"#).unwrap();
//! assert_eq!(request.display_name.as_deref(), Some("xyz"));
//! assert_eq!(request.display_image, None); // absent, not empty
//!
//! assert_eq!("medical AND health".parse::<Category>().unwrap(), Category::MedicalAndHealth);
//!
//! let bare = r#"{"error":{"code":"E962","type":"VALIDATION_ERROR","parameter":"display_image","message":"display_image cannot be empty","reference":""}}"#;
//! let envelope = ErrorEnvelope::from_slice(bare.as_bytes()).unwrap();
//! assert!(envelope.top_level_code().is_none());
//! assert_eq!(envelope.detail().parameter, "display_image");
//!
//! let created = r#"{"code":"I102","message":"Phone Number created successfully.","data":[{"phone_number":"+13236550017","id":7,"crm":"x"}],"error":{}}"#;
//! let envelope = SuccessEnvelope::from_slice(created.as_bytes()).unwrap();
//! assert_eq!(envelope.code, Code::I102);
//! let record = envelope.record().unwrap();
//! assert_eq!((record.id, record.extra["crm"].as_str()), (7, Some("x"))); // unknown keys kept
//! ```

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
    BareErrorEnvelope, ErrorDetail, ErrorEnvelope, FullErrorEnvelope, NumberRecord, SuccessEnvelope,
};
pub use field::Field;
pub use request::{AddNumberRequest, RequestFields, RequestParseError};

/// Top-level message of the success envelope (code `I102`), as the seed prints it.
pub const CREATED_MESSAGE: &str = "Phone Number created successfully.";
/// Top-level message of the full error envelope (code `E947`), as the seed prints it.
pub const FAILED_MESSAGE: &str = "Failed to create new WA number.";
/// The `error.type` of every validation failure the seed shows.
pub const VALIDATION_ERROR: &str = "VALIDATION_ERROR";
