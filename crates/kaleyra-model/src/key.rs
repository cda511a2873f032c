//! An object key as hand-written readers take it: borrowed from the input when it has no escapes.
//! (`Cow<str>`'s own `Deserialize` always copies: one allocation per key.)

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(key)))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(key.to_owned())))
    }

    fn visit_string<E: de::Error>(self, key: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_keys_and_copies_escaped_ones() {
        let plain: Key<'_> = serde_json::from_str(r#""wa_number""#).unwrap();
        assert!(matches!(plain.0, Cow::Borrowed("wa_number")));
        let escaped: Key<'_> = serde_json::from_str(r#""wa\u005fnumber""#).unwrap();
        assert!(matches!(&escaped.0, Cow::Owned(key) if key == "wa_number"));
        let from_value: Key<'_> = serde::Deserialize::deserialize(serde_json::json!("k")).unwrap();
        assert_eq!(from_value.0, "k");
    }
}
