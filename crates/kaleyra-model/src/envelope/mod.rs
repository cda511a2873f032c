//! The response envelopes: success, the full error envelope and the bare error envelope.

mod deserialize;
mod record_key;

pub use record_key::RecordKey;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::Code;

/// `{"code":"I102","message":"Phone Number created successfully.","data":[{...}],"error":{}}`.
///
/// Read by hand (`deserialize.rs`): a derived reader with `flatten` buffers the whole envelope, then
/// each record again, which cost a client more than the rest of reading the response. Every
/// key is optional; unknown keys go to `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SuccessEnvelope {
    /// `I102` when a number was created (the emulator answers an update with its own `I902`).
    pub code: Code,
    /// "Phone Number created successfully."
    pub message: String,
    /// The created record (one).
    pub data: Vec<NumberRecord>,
    /// Empty on success.
    pub error: Map<String, Value>,
    /// Top-level keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SuccessEnvelope {
    /// Parses a success envelope from a response body (`serde_json::from_slice`).
    pub fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The first (in practice the only) record created.
    pub fn record(&self) -> Option<&NumberRecord> {
        self.data.first()
    }
}

/// The record of a created number, every field of the seed's example. Read by hand like
/// [`SuccessEnvelope`]: every key is optional, unknown keys go to `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NumberRecord {
    /// The vendor's id of the account's company.
    pub company_id: String,
    /// The number, in E.164.
    pub phone_number: String,
    /// The country, as the vendor names it.
    pub country: String,
    /// ISO 3166-1 alpha-2 region of the number.
    pub iso_code: String,
    /// The number's registration status (2 in the seed's example).
    pub status: i64,
    /// `business_description`.
    pub description: Option<String>,
    /// `address`.
    pub address: Option<String>,
    /// `contact_email`.
    pub email: Option<String>,
    /// `display_name`.
    pub name: String,
    /// An array in the seed; a bare string is read as a one-element array, `null` as none.
    pub website: Vec<String>,
    /// `incoming_url`.
    pub incoming_url: Option<String>,
    /// `business_category`, in its canonical spelling.
    pub category: Option<String>,
    /// `display_image`.
    pub profile_image: Option<String>,
    /// The vendor's own metadata, whatever its shape.
    pub meta_value: Option<Value>,
    /// Who created it (the account's SID in the emulator).
    pub created_by: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// The record's id.
    pub id: u64,
    /// 0 for the account's first creation, 1 after (an assumption: the seed shows 0).
    #[serde(rename = "notFirstRequest")]
    pub not_first_request: i64,
    /// The profile's About text, once an update set it (absent from a created record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The inner `error` object shared by both error envelope shapes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ErrorDetail {
    /// `E413`, `E962`, ...
    pub code: Code,
    /// `VALIDATION_ERROR`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Comma-joined field names.
    pub parameter: String,
    /// Comma-joined messages, one per parameter.
    pub message: String,
    /// The vendor's reference (empty in the seed).
    pub reference: String,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The full error envelope: `{"code":"E947","message":...,"data":[],"error":{...}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FullErrorEnvelope {
    /// `E947` for a failed create.
    pub code: Code,
    /// "Failed to create new WA number."
    #[serde(default)]
    pub message: String,
    /// Empty.
    #[serde(default)]
    pub data: Vec<Value>,
    /// What went wrong.
    #[serde(default)]
    pub error: ErrorDetail,
    /// Top-level keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The bare error envelope: `{"error":{...}}`, as the API sends for `E962`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BareErrorEnvelope {
    /// What went wrong.
    pub error: ErrorDetail,
    /// Top-level keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Either error envelope shape. Reading picks the shape by the presence of a top-level `code`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ErrorEnvelope {
    /// With a top-level `code` and `message`.
    Full(FullErrorEnvelope),
    /// Only the `error` object.
    Bare(BareErrorEnvelope),
}

impl ErrorDetail {
    /// An error object with an empty `reference`.
    pub fn new(
        code: Code,
        kind: impl Into<String>,
        parameter: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ErrorDetail {
            code,
            kind: kind.into(),
            parameter: parameter.into(),
            message: message.into(),
            ..ErrorDetail::default()
        }
    }
}

impl FullErrorEnvelope {
    /// A full envelope with an empty `data`.
    pub fn new(code: Code, message: impl Into<String>, error: ErrorDetail) -> Self {
        FullErrorEnvelope { code, message: message.into(), error, ..FullErrorEnvelope::default() }
    }
}

impl BareErrorEnvelope {
    /// A bare envelope around `error`.
    pub fn new(error: ErrorDetail) -> Self {
        BareErrorEnvelope { error, ..BareErrorEnvelope::default() }
    }
}

impl ErrorEnvelope {
    /// Parses either shape from a response body.
    pub fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The inner error object.
    pub fn detail(&self) -> &ErrorDetail {
        match self {
            ErrorEnvelope::Full(full) => &full.error,
            ErrorEnvelope::Bare(bare) => &bare.error,
        }
    }

    /// The top-level code (`E947`), absent in the bare shape.
    pub fn top_level_code(&self) -> Option<&Code> {
        match self {
            ErrorEnvelope::Full(full) => Some(&full.code),
            ErrorEnvelope::Bare(_) => None,
        }
    }

    /// The compact JSON bytes, as the API sends them.
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: every key is a string and no value is a float.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for ErrorEnvelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut object = Map::<String, Value>::deserialize(deserializer)?;
        let shape_error = |e: serde_json::Error| serde::de::Error::custom(e);
        if object.contains_key("code") {
            serde_json::from_value(Value::Object(object))
                .map(ErrorEnvelope::Full)
                .map_err(shape_error)
        } else if let Some(error) = object.remove("error") {
            Ok(ErrorEnvelope::Bare(BareErrorEnvelope {
                error: serde_json::from_value(error).map_err(shape_error)?,
                extra: object,
            }))
        } else {
            Err(serde::de::Error::custom(
                "not an error envelope: neither a top-level `code` nor an `error` object",
            ))
        }
    }
}

impl From<FullErrorEnvelope> for ErrorEnvelope {
    fn from(full: FullErrorEnvelope) -> Self {
        ErrorEnvelope::Full(full)
    }
}

impl From<BareErrorEnvelope> for ErrorEnvelope {
    fn from(bare: BareErrorEnvelope) -> Self {
        ErrorEnvelope::Bare(bare)
    }
}
