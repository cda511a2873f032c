//! A request body read without copying its values, for a server that reads a body once: serde
//! (below) decides every body, and a one-pass reader (`one_pass.rs`) answers the common one
//! first, where the two agree.

#[cfg(test)]
mod against_owned;
mod one_pass;
mod scan;
mod text;

use std::borrow::Cow;
use std::fmt;

use kaleyra_model::{AddNumberRequest, Field, RequestFields, RequestParseError};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use text::Text;

/// [`AddNumberRequest`] read from a body without copying its values: each is borrowed from the
/// body unless it has escapes. Same rules (a test holds the two together): absent, `null` and
/// empty told apart, a repeated key refused, anything but a string refused for a field. Keys
/// the API does not define are checked for repeats and skipped, not kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct BorrowedRequest<'a> {
    values: [Option<Cow<'a, str>>; Field::ALL.len()],
    /// Set by the one-pass reader, which takes only such values: see
    /// [`Self::values_need_no_escaping`].
    unescaped: bool,
}

/// Requests are equal when their values are, however they were read.
impl PartialEq for BorrowedRequest<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

impl Eq for BorrowedRequest<'_> {}

impl<'a> BorrowedRequest<'a> {
    /// Parses one JSON request body, with [`AddNumberRequest::from_json`]'s errors.
    pub(crate) fn from_json(body: &'a [u8]) -> Result<Self, RequestParseError> {
        // Outside strings only ASCII is valid JSON, so a body that is not UTF-8 is an error; and
        // skipping an unknown key's value does not check its strings, so it is caught here.
        let text = std::str::from_utf8(body).ok();
        if let Some(request) = text.and_then(one_pass::read) {
            return Ok(request);
        }
        let parsed = text.map(serde_json::from_str::<Self>);
        match parsed {
            Some(Ok(request)) => Ok(request),
            // A body that fails is rare: the owned reader says where, exactly as it would.
            _ => {
                Err(AddNumberRequest::from_json(body).err().unwrap_or_else(|| RequestParseError {
                    field: None,
                    line: 0,
                    column: 0,
                    message: "the body was read differently twice".to_owned(),
                }))
            }
        }
    }

    /// The value of `field`, `None` when absent.
    pub(crate) fn get(&self, field: Field) -> Option<&str> {
        self.values[field as usize].as_deref()
    }

    /// `true` when every value, and so every part of one, is known to stand for itself inside a
    /// JSON string (no quote, backslash or control character: see
    /// [`crate::json_text::unescaped_len`]), so a writer may copy it between quotes without
    /// looking. Known for the common body, read in one pass; `false` means not known, not that a
    /// value needs escaping.
    #[inline]
    pub(crate) fn values_need_no_escaping(&self) -> bool {
        self.unescaped
    }
}

impl RequestFields for BorrowedRequest<'_> {
    fn field(&self, field: Field) -> Option<&str> {
        self.get(field)
    }
}

impl<'de> Deserialize<'de> for BorrowedRequest<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RequestVisitor)
    }
}

struct RequestVisitor;

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = BorrowedRequest<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with the add-number request fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut request = BorrowedRequest::default();
        let mut seen = [false; Field::ALL.len()];
        let mut unknown: Vec<Cow<'de, str>> = Vec::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            // `about` is an update's field: in a create it is a key like any unknown one.
            match Field::from_key(&key).filter(|field| Field::ADD.contains(field)) {
                Some(field) => {
                    let index = field as usize;
                    if std::mem::replace(&mut seen[index], true) {
                        return Err(de::Error::duplicate_field(field.as_str()));
                    }
                    request.values[index] = map.next_value::<Option<Text<'de>>>()?.map(|t| t.0);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                    if unknown.contains(&key) {
                        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    unknown.push(key);
                }
            }
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_borrowed_unless_escaped() {
        let body = br#"{"display_name":"xyz","address":"a\"b","website":null,"other":[1,{"x":2}]}"#;
        let request = BorrowedRequest::from_json(body).unwrap();
        assert!(matches!(request.values[Field::DisplayName as usize], Some(Cow::Borrowed("xyz"))));
        assert!(
            matches!(&request.values[Field::Address as usize], Some(Cow::Owned(a)) if a == "a\"b")
        );
        assert_eq!(request.get(Field::Website), None);
        assert!(!request.values_need_no_escaping(), "an escaped value");
    }

    #[test]
    fn unescaped_values_are_known_as_such() {
        let unescaped = BorrowedRequest::from_json(br#"{"display_name":"x y","address":null}"#);
        assert!(unescaped.unwrap().values_need_no_escaping());
        // Read by serde (a number for an unknown key): equal, but not known to be plain.
        let by_serde = BorrowedRequest::from_json(br#"{"display_name":"x y","n":1}"#).unwrap();
        assert!(!by_serde.values_need_no_escaping());
        let fast = BorrowedRequest::from_json(br#"{"display_name":"x y"}"#).unwrap();
        assert_eq!(by_serde, fast);
    }

    /// Read straight from the body without copies, a request validates to what the owned
    /// request validates to: the seam with `kaleyra-validate` sees the same values.
    #[test]
    fn borrowed_and_owned_requests_validate_alike() {
        use proptest::prelude::*;
        let value = prop_oneof![
            Just(None),
            "[ +0-9a-zA-Z@:/.\\-\"\u{1}é]{0,30}".prop_map(Some),
            Just(Some("+13236550017".to_owned())),
            Just(Some("https://example.com/x".to_owned())),
        ];
        let requests = proptest::collection::vec(value, Field::ALL.len()).prop_map(|values| {
            let mut request = AddNumberRequest::default();
            for (field, value) in Field::ALL.into_iter().zip(values) {
                request.set(field, value);
            }
            request
        });
        proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2_000))
            .run(&requests, |request| {
                let body = serde_json::to_vec(&request).unwrap();
                let borrowed = BorrowedRequest::from_json(&body).unwrap();
                let rules = kaleyra_validate::Rules::default();
                prop_assert_eq!(
                    kaleyra_validate::validate_ref_with(&borrowed, &rules)
                        .map(kaleyra_validate::ValidatedRequest::from),
                    kaleyra_validate::validate(&request)
                );
                Ok(())
            })
            .unwrap();
    }
}
