//! The response envelopes: success, the full error envelope and the bare error envelope.

mod deserialize;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::Code;

/// `{"code":"I102","message":"Phone Number created successfully.","data":[{...}],"error":{}}`.
///
/// Read by hand (`deserialize.rs`): a derived reader with `flatten` buffers the whole envelope, then
/// each record again, which cost a client more than the rest of reading the response. Every
/// key is optional; unknown keys go to `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SuccessEnvelope {
    pub code: Code,
    pub message: String,
    pub data: Vec<NumberRecord>,
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
pub struct NumberRecord {
    pub company_id: String,
    pub phone_number: String,
    pub country: String,
    pub iso_code: String,
    pub status: i64,
    pub description: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
    pub name: String,
    /// An array in the seed; a bare string is read as a one-element array, `null` as none.
    pub website: Vec<String>,
    pub incoming_url: Option<String>,
    pub category: Option<String>,
    pub profile_image: Option<String>,
    pub meta_value: Option<Value>,
    pub created_by: String,
    /// Epoch seconds.
    pub created_at: i64,
    pub id: u64,
    #[serde(rename = "notFirstRequest")]
    pub not_first_request: i64,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The inner `error` object shared by both error envelope shapes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorDetail {
    pub code: Code,
    #[serde(rename = "type")]
    pub kind: String,
    /// Comma-joined field names.
    pub parameter: String,
    /// Comma-joined messages, one per parameter.
    pub message: String,
    pub reference: String,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The full error envelope: `{"code":"E947","message":...,"data":[],"error":{...}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FullErrorEnvelope {
    pub code: Code,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub data: Vec<Value>,
    #[serde(default)]
    pub error: ErrorDetail,
    /// Top-level keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The bare error envelope: `{"error":{...}}`, as the API sends for `E962`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BareErrorEnvelope {
    pub error: ErrorDetail,
    /// Top-level keys this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Either error envelope shape. Reading picks the shape by the presence of a top-level `code`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ErrorEnvelope {
    Full(FullErrorEnvelope),
    Bare(BareErrorEnvelope),
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
