//! Codes carried by the envelopes (`I102`, `E947`, ...).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::generated::Code;

impl Default for Code {
    fn default() -> Self {
        Code::Unknown(String::new())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Tolerant: a numeric code (seen on other vendor APIs) is kept as its text.
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(code) => Ok(Code::new(&code)),
            serde_json::Value::Null => Ok(Code::default()),
            other => Ok(Code::Unknown(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_codes_round_trip() {
        for text in ["I102", "E947", "E413", "E962", "E999", ""] {
            let code: Code = serde_json::from_str(&format!("{text:?}")).unwrap();
            assert_eq!(code.as_str(), text);
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("{text:?}"));
        }
        assert_eq!(Code::new("E999"), Code::Unknown("E999".into()));
        let numeric: Code = serde_json::from_str("401").unwrap();
        assert_eq!(numeric, Code::Unknown("401".into()));
    }
}
