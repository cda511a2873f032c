//! A JSON string as the hand-written readers take it, key or value: borrowed from the input
//! when it has no escapes. (`Cow<str>`'s own `Deserialize` always copies: one allocation each.)

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

pub(crate) struct Text<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    // As `String`'s own reader says it, so that errors read the same.
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_strings_and_copies_escaped_ones() {
        let plain: Text<'_> = serde_json::from_str(r#""wa_number""#).unwrap();
        assert!(matches!(plain.0, Cow::Borrowed("wa_number")));
        let escaped: Text<'_> = serde_json::from_str(r#""wa\u005fnumber""#).unwrap();
        assert!(matches!(&escaped.0, Cow::Owned(text) if text == "wa_number"));
        let from_value: Text<'_> = serde::Deserialize::deserialize(serde_json::json!("k")).unwrap();
        assert_eq!(from_value.0, "k");
        let error = serde_json::from_str::<Text<'_>>("5").err().unwrap().to_string();
        assert_eq!(error, serde_json::from_str::<String>("5").err().unwrap().to_string());
    }
}
