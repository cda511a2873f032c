//! The add-number request body, as a caller writes it (before validation).

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::Field;

/// Anything that holds the fields of an add-number request: the seam where a reader of its own
/// (the emulator's, which borrows values from the body) meets `kaleyra-validate`.
pub trait RequestFields {
    /// The value of `field`, `None` when absent.
    fn field(&self, field: Field) -> Option<&str>;
}

impl RequestFields for AddNumberRequest {
    fn field(&self, field: Field) -> Option<&str> {
        self.get(field)
    }
}

/// The JSON body of `POST /v1/{SID}/whatsapp/number`.
///
/// Every field is optional here so that a request missing a mandatory field can still be
/// represented and rejected with the API's own envelope. `None` means the key is absent;
/// `Some("")` means present but empty, which the API treats differently for `display_image`.
/// A JSON `null` reads as absent. Keys the API does not define are kept in `extra`, so a caller
/// can be warned about them; they are never sent on by the validated request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AddNumberRequest {
    /// The name shown on WhatsApp (mandatory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The number to register, in E.164 (mandatory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_number: Option<String>,
    /// The business address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Where the vendor sends incoming messages (and quality-rating and messaging-limit webhooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incoming_url: Option<String>,
    /// The profile image, a URL; present but empty is an error of its own (`E962`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_image: Option<String>,
    /// A description of the business.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_description: Option<String>,
    /// One of the 17 categories, in any ASCII case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_category: Option<String>,
    /// The business e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// The business website.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Keys that are not fields of the API.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AddNumberRequest {
    /// A request with the two mandatory fields set.
    pub fn new(display_name: impl Into<String>, wa_number: impl Into<String>) -> Self {
        AddNumberRequest {
            display_name: Some(display_name.into()),
            wa_number: Some(wa_number.into()),
            ..AddNumberRequest::default()
        }
    }

    /// Parses one JSON request body; an error names the field (when there is one), the line
    /// and the column. Trailing content after the object is an error.
    pub fn from_json(body: &[u8]) -> Result<AddNumberRequest, RequestParseError> {
        parse(body)
    }

    /// The value of `field`, `None` when absent (always for `about`, which this request does
    /// not take).
    pub fn get(&self, field: Field) -> Option<&str> {
        self.slot(field)?.as_deref()
    }

    /// Sets (`Some`) or removes (`None`) `field`. A field this request does not take (`about`)
    /// is kept in its `extra` keys, as its key in a JSON body would be.
    pub fn set(&mut self, field: Field, value: Option<String>) {
        match self.slot_mut(field) {
            Some(slot) => *slot = value,
            None => set_extra(&mut self.extra, field, value),
        }
    }

    /// Builder form of [`AddNumberRequest::set`].
    #[must_use]
    pub fn with(mut self, field: Field, value: impl Into<String>) -> Self {
        self.set(field, Some(value.into()));
        self
    }

    fn slot(&self, field: Field) -> Option<&Option<String>> {
        Some(match field {
            Field::DisplayName => &self.display_name,
            Field::WaNumber => &self.wa_number,
            Field::Address => &self.address,
            Field::IncomingUrl => &self.incoming_url,
            Field::DisplayImage => &self.display_image,
            Field::BusinessDescription => &self.business_description,
            Field::BusinessCategory => &self.business_category,
            Field::ContactEmail => &self.contact_email,
            Field::Website => &self.website,
            Field::About => return None,
        })
    }

    fn slot_mut(&mut self, field: Field) -> Option<&mut Option<String>> {
        Some(match field {
            Field::DisplayName => &mut self.display_name,
            Field::WaNumber => &mut self.wa_number,
            Field::Address => &mut self.address,
            Field::IncomingUrl => &mut self.incoming_url,
            Field::DisplayImage => &mut self.display_image,
            Field::BusinessDescription => &mut self.business_description,
            Field::BusinessCategory => &mut self.business_category,
            Field::ContactEmail => &mut self.contact_email,
            Field::Website => &mut self.website,
            Field::About => return None,
        })
    }
}

/// The JSON body of `PUT /v1/{SID}/whatsapp/number`: the number to update (`wa_number`) and the
/// fields to change; a field left out keeps its value.
///
/// As with [`AddNumberRequest`], every field is optional here so that a request missing one can
/// still be represented and rejected; `display_name` is not a field of an update and lands in
/// `extra`, like any key the API does not define.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateNumberRequest {
    /// The number to update, in E.164 (mandatory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_number: Option<String>,
    /// The business address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Where the vendor sends incoming messages (and quality-rating and messaging-limit webhooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incoming_url: Option<String>,
    /// The profile image, a URL; present but empty is an error of its own (`E962`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_image: Option<String>,
    /// A description of the business.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_description: Option<String>,
    /// One of the 17 categories, in any ASCII case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_category: Option<String>,
    /// The business e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// The business website.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// The profile's About text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// Keys that are not fields of the update.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UpdateNumberRequest {
    /// An update of the number `wa_number`, changing nothing yet: add fields with
    /// [`UpdateNumberRequest::with`].
    pub fn new(wa_number: impl Into<String>) -> Self {
        UpdateNumberRequest { wa_number: Some(wa_number.into()), ..UpdateNumberRequest::default() }
    }

    /// Parses one JSON request body, as [`AddNumberRequest::from_json`] does.
    pub fn from_json(body: &[u8]) -> Result<UpdateNumberRequest, RequestParseError> {
        parse(body)
    }

    /// The value of `field`, `None` when absent (always for `display_name`, which an update
    /// does not take).
    pub fn get(&self, field: Field) -> Option<&str> {
        self.slot(field)?.as_deref()
    }

    /// Sets (`Some`) or removes (`None`) `field`. A field an update does not take
    /// (`display_name`) is kept in its `extra` keys, as its key in a JSON body
    /// would be.
    pub fn set(&mut self, field: Field, value: Option<String>) {
        match self.slot_mut(field) {
            Some(slot) => *slot = value,
            None => set_extra(&mut self.extra, field, value),
        }
    }

    /// Builder form of [`UpdateNumberRequest::set`].
    #[must_use]
    pub fn with(mut self, field: Field, value: impl Into<String>) -> Self {
        self.set(field, Some(value.into()));
        self
    }

    fn slot(&self, field: Field) -> Option<&Option<String>> {
        Some(match field {
            Field::WaNumber => &self.wa_number,
            Field::Address => &self.address,
            Field::IncomingUrl => &self.incoming_url,
            Field::DisplayImage => &self.display_image,
            Field::BusinessDescription => &self.business_description,
            Field::BusinessCategory => &self.business_category,
            Field::ContactEmail => &self.contact_email,
            Field::Website => &self.website,
            Field::About => &self.about,
            Field::DisplayName => return None,
        })
    }

    fn slot_mut(&mut self, field: Field) -> Option<&mut Option<String>> {
        Some(match field {
            Field::WaNumber => &mut self.wa_number,
            Field::Address => &mut self.address,
            Field::IncomingUrl => &mut self.incoming_url,
            Field::DisplayImage => &mut self.display_image,
            Field::BusinessDescription => &mut self.business_description,
            Field::BusinessCategory => &mut self.business_category,
            Field::ContactEmail => &mut self.contact_email,
            Field::Website => &mut self.website,
            Field::About => &mut self.about,
            Field::DisplayName => return None,
        })
    }
}

impl RequestFields for UpdateNumberRequest {
    fn field(&self, field: Field) -> Option<&str> {
        self.get(field)
    }
}

fn set_extra(extra: &mut Map<String, Value>, field: Field, value: Option<String>) {
    match value {
        Some(value) => extra.insert(field.as_str().to_owned(), Value::String(value)),
        None => extra.remove(field.as_str()),
    };
}

/// One JSON body read into `T`; see [`AddNumberRequest::from_json`].
fn parse<T: de::DeserializeOwned>(body: &[u8]) -> Result<T, RequestParseError> {
    // Tracking the path costs as much as the parse itself: only a body that fails is parsed
    // again to say where.
    if let Ok(request) = serde_json::from_slice(body) {
        return Ok(request);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let request = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let field = (!matches!(path.as_str(), "" | "." | "?")).then_some(path);
        RequestParseError::new(field, &error.into_inner())
    })?;
    deserializer.end().map_err(|error| RequestParseError::new(None, &error))?;
    Ok(request)
}

/// A body that is not a request: where, and what serde_json said (without its location).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestParseError {
    /// The key whose value is wrong, when the error is inside one.
    pub field: Option<String>,
    /// The line of the error, from 1 (0 when unknown).
    pub line: usize,
    /// The column of the error, from 1 (0 when unknown).
    pub column: usize,
    /// What serde_json said.
    pub message: String,
}

impl RequestParseError {
    fn new(field: Option<String>, error: &serde_json::Error) -> Self {
        let (line, column) = (error.line(), error.column());
        let text = error.to_string();
        let location = format!(" at line {line} column {column}");
        let message = text.strip_suffix(&location).unwrap_or(&text).to_owned();
        RequestParseError { field, line, column, message }
    }
}

impl fmt::Display for RequestParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RequestParseError {}

// Written by hand rather than derived with `#[serde(flatten)]`: flatten buffers the whole object,
// which costs time per row in bulk and moves a type error's line and column to the object's end.
impl<'de> Deserialize<'de> for AddNumberRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RequestVisitor(std::marker::PhantomData::<AddNumberRequest>))
    }
}

impl<'de> Deserialize<'de> for UpdateNumberRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(RequestVisitor(std::marker::PhantomData::<UpdateNumberRequest>))
    }
}

/// What the reader needs of a request type.
trait Body: Default {
    /// The fields the request takes.
    const FIELDS: &'static [Field];
    const EXPECTING: &'static str;
    fn set(&mut self, field: Field, value: Option<String>);
    fn extra(&mut self) -> &mut Map<String, Value>;
}

impl Body for AddNumberRequest {
    const FIELDS: &'static [Field] = &Field::ADD;
    const EXPECTING: &'static str = "a JSON object with the add-number request fields";
    fn set(&mut self, field: Field, value: Option<String>) {
        AddNumberRequest::set(self, field, value);
    }
    fn extra(&mut self) -> &mut Map<String, Value> {
        &mut self.extra
    }
}

impl Body for UpdateNumberRequest {
    const FIELDS: &'static [Field] = &Field::UPDATE;
    const EXPECTING: &'static str = "a JSON object with the update-number request fields";
    fn set(&mut self, field: Field, value: Option<String>) {
        UpdateNumberRequest::set(self, field, value);
    }
    fn extra(&mut self) -> &mut Map<String, Value> {
        &mut self.extra
    }
}

struct RequestVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Body> Visitor<'de> for RequestVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut request = T::default();
        let mut seen = [false; Field::ALL.len()];
        while let Some(key) = map.next_key::<String>()? {
            match Field::from_key(&key).filter(|field| T::FIELDS.contains(field)) {
                Some(field) => {
                    let index = field as usize;
                    if seen[index] {
                        return Err(de::Error::duplicate_field(field.as_str()));
                    }
                    seen[index] = true;
                    request.set(field, map.next_value::<Option<String>>()?);
                }
                None => {
                    let value = map.next_value::<Value>()?;
                    if request.extra().contains_key(&key) {
                        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    request.extra().insert(key, value);
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
    fn absent_empty_and_null_are_told_apart() {
        let absent: AddNumberRequest = serde_json::from_str(r#"{"display_name":"x"}"#).unwrap();
        let empty: AddNumberRequest =
            serde_json::from_str(r#"{"display_name":"x","display_image":""}"#).unwrap();
        let null: AddNumberRequest =
            serde_json::from_str(r#"{"display_name":"x","display_image":null}"#).unwrap();
        assert_eq!(absent.display_image, None);
        assert_eq!(empty.display_image.as_deref(), Some(""));
        assert_eq!(null, absent);
        assert_eq!(
            serde_json::to_string(&empty).unwrap(),
            r#"{"display_name":"x","display_image":""}"#
        );
    }

    #[test]
    fn unknown_keys_are_kept_and_get_set_cover_every_field() {
        let request: AddNumberRequest =
            serde_json::from_str(r#"{"wa_number":"+1","buisness_category":"Other"}"#).unwrap();
        assert_eq!(request.extra.keys().collect::<Vec<_>>(), ["buisness_category"]);
        let mut built = AddNumberRequest::default();
        for field in Field::ADD {
            assert_eq!(built.get(field), None);
            built.set(field, Some(field.as_str().to_uppercase()));
            assert_eq!(built.get(field), Some(field.as_str().to_uppercase().as_str()));
        }
        let json = serde_json::to_value(&built).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 9);
    }

    #[test]
    fn an_update_takes_about_and_keeps_display_name_as_unknown() {
        let update = UpdateNumberRequest::from_json(
            br#"{"wa_number":"+13236550017","about":"Open","display_name":"x","address":null}"#,
        )
        .unwrap();
        assert_eq!(update.get(Field::About), Some("Open"));
        assert_eq!(update.get(Field::DisplayName), None);
        assert_eq!(update.address, None);
        assert_eq!(update.extra.keys().collect::<Vec<_>>(), ["display_name"]);
        assert_eq!(
            serde_json::to_string(&update).unwrap(),
            r#"{"wa_number":"+13236550017","about":"Open","display_name":"x"}"#
        );
        let mut built = UpdateNumberRequest::default();
        for field in Field::UPDATE {
            built.set(field, Some(field.as_str().to_owned()));
            assert_eq!(built.get(field), Some(field.as_str()));
        }
        assert!(built.extra.is_empty());
        assert_eq!(serde_json::to_value(&built).unwrap().as_object().unwrap().len(), 9);
        // And the other way round: `about` is not a field of an add.
        let add = AddNumberRequest::from_json(br#"{"about":"Open"}"#).unwrap();
        assert_eq!((add.get(Field::About), add.extra.len()), (None, 1));
        let add = AddNumberRequest::default().with(Field::About, "Open");
        assert_eq!(add.extra.get("about"), Some(&Value::String("Open".into())));
        let error = UpdateNumberRequest::from_json(br#"{"about":"a","about":"b"}"#).unwrap_err();
        assert!(error.message.starts_with("duplicate field `about`"), "{error}");
    }

    #[test]
    fn from_json_names_field_line_and_column() {
        let error = AddNumberRequest::from_json(b"{\n  \"display_name\": 5}").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("display_name"));
        assert_eq!((error.line, error.column), (2, 19));
        assert_eq!(error.to_string(), "display_name: invalid type: integer `5`, expected a string");
        let error = AddNumberRequest::from_json(b"{} {}").unwrap_err();
        assert_eq!((error.field, error.message.as_str()), (None, "trailing characters"));
        assert!(AddNumberRequest::from_json(br#"{"wa_number":"+1"}"#).is_ok());
        // Invalid UTF-8 is found where it is, as before the body was checked whole.
        let error = AddNumberRequest::from_json(b"{\"address\": \"a\xffb\"}").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("address"));
        assert_eq!(
            (error.line, error.column, error.message.as_str()),
            (1, 15, "invalid unicode code point")
        );
    }

    #[test]
    fn type_errors_and_duplicates_point_at_the_value() {
        let error =
            serde_json::from_str::<AddNumberRequest>("{\n  \"display_name\": 5}").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid type: integer `5`, expected a string at line 2 column 19"
        );
        let error =
            serde_json::from_str::<AddNumberRequest>(r#"{"wa_number":"1","wa_number":"2"}"#)
                .unwrap_err();
        assert!(error.to_string().starts_with("duplicate field `wa_number`"), "{error}");
        let error = serde_json::from_str::<AddNumberRequest>("[]").unwrap_err();
        assert!(error.to_string().contains("expected a JSON object"), "{error}");
    }
}
