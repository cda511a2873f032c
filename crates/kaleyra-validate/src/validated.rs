//! A request that passed validation: trimmed, category canonical, safe to send.

use kaleyra_model::{Category, Field};
use serde::Serialize;
use serde::ser::SerializeMap;

/// The values of a request every rule accepted, borrowed from it: what [`ValidatedRequest`]
/// holds, for a caller that reads them once and need not copy them (the emulator builds its
/// record from them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValidatedRef<'a> {
    display_name: &'a str,
    wa_number: &'a str,
    address: Option<&'a str>,
    incoming_url: Option<&'a str>,
    display_image: Option<&'a str>,
    business_description: Option<&'a str>,
    business_category: Option<Category>,
    contact_email: Option<&'a str>,
    website: Option<&'a str>,
    /// Found by the number's validation, which had to look it up.
    iso_code: Option<&'static str>,
}

impl<'a> ValidatedRef<'a> {
    /// Stores a value its field's rules accepted.
    pub(crate) fn accept(&mut self, field: Field, accepted: crate::Accepted<'a>) {
        let text = match accepted {
            crate::Accepted::Category(category) => {
                self.business_category = Some(category);
                return;
            }
            crate::Accepted::Number { value, region } => {
                self.wa_number = value;
                self.iso_code = region;
                return;
            }
            crate::Accepted::Text(text) => text,
        };
        match field {
            Field::DisplayName => self.display_name = text,
            Field::Address => self.address = Some(text),
            Field::IncomingUrl => self.incoming_url = Some(text),
            Field::DisplayImage => self.display_image = Some(text),
            Field::BusinessDescription => self.business_description = Some(text),
            // Accepted as a category or a number above.
            Field::BusinessCategory | Field::WaNumber => {}
            Field::ContactEmail => self.contact_email = Some(text),
            Field::Website => self.website = Some(text),
            // Not a field of an add.
            Field::About => {}
        }
    }

    /// The display name, trimmed.
    #[inline]
    pub fn display_name(&self) -> &'a str {
        self.display_name
    }

    /// The number in E.164, exactly as it will be sent.
    #[inline]
    pub fn wa_number(&self) -> &'a str {
        self.wa_number
    }

    /// The value of any field as it will be sent (the category in its canonical spelling).
    #[inline]
    pub fn get(&self, field: Field) -> Option<&'a str> {
        match field {
            Field::DisplayName => Some(self.display_name),
            Field::WaNumber => Some(self.wa_number),
            Field::Address => self.address,
            Field::IncomingUrl => self.incoming_url,
            Field::DisplayImage => self.display_image,
            Field::BusinessDescription => self.business_description,
            Field::BusinessCategory => self.business_category.map(Category::as_str),
            Field::ContactEmail => self.contact_email,
            Field::Website => self.website,
            Field::About => None,
        }
    }

    /// ISO 3166-1 alpha-2 region of the number, as [`ValidatedRequest::iso_code`] (found by the
    /// validation, so at no cost here).
    #[inline]
    pub fn iso_code(&self) -> Option<&'static str> {
        self.iso_code
    }
}

impl From<ValidatedRef<'_>> for ValidatedRequest {
    fn from(valid: ValidatedRef<'_>) -> Self {
        let text = |value: Option<&str>| value.map(str::to_owned);
        ValidatedRequest {
            display_name: valid.display_name.to_owned(),
            wa_number: valid.wa_number.to_owned(),
            address: text(valid.address),
            incoming_url: text(valid.incoming_url),
            display_image: text(valid.display_image),
            business_description: text(valid.business_description),
            business_category: valid.business_category,
            contact_email: text(valid.contact_email),
            website: text(valid.website),
        }
    }
}

/// A request every rule accepted. Only [`crate::validate`] makes one, so a value of this type
/// is proof that nothing invalid goes on the wire. Serializes to the normalized request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidatedRequest {
    pub(crate) display_name: String,
    pub(crate) wa_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) incoming_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) display_image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) business_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) business_category: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) contact_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) website: Option<String>,
}

impl ValidatedRequest {
    /// The display name, trimmed.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The number in E.164, exactly as it will be sent.
    pub fn wa_number(&self) -> &str {
        &self.wa_number
    }

    /// The category, when one was given.
    pub fn business_category(&self) -> Option<Category> {
        self.business_category
    }

    /// The value of any field as it will be sent (the category in its canonical spelling).
    pub fn get(&self, field: Field) -> Option<&str> {
        match field {
            Field::DisplayName => Some(&self.display_name),
            Field::WaNumber => Some(&self.wa_number),
            Field::Address => self.address.as_deref(),
            Field::IncomingUrl => self.incoming_url.as_deref(),
            Field::DisplayImage => self.display_image.as_deref(),
            Field::BusinessDescription => self.business_description.as_deref(),
            Field::BusinessCategory => self.business_category.map(Category::as_str),
            Field::ContactEmail => self.contact_email.as_deref(),
            Field::Website => self.website.as_deref(),
            Field::About => None,
        }
    }

    /// ISO 3166-1 alpha-2 region of the number (`US`, `IN`, ...), when known. Looked up on
    /// each call (as costly as validating the number again), not during validation.
    pub fn iso_code(&self) -> Option<String> {
        kaleyra_phone::check(&self.wa_number).ok()?.region().map(str::to_owned)
    }

    /// The normalized request body, compact JSON, fields in the vendor's order.
    pub fn to_json(&self) -> String {
        // Strings and nothing else: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// An update every rule accepted: the number, and each field to change (trimmed, the category
/// in its canonical spelling), in the update's field order. Only [`crate::validate_update`]
/// makes one. Serializes to the normalized request body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidatedUpdate {
    wa_number: String,
    changes: Vec<(Field, String)>,
}

impl ValidatedUpdate {
    pub(crate) fn accept(&mut self, field: Field, accepted: crate::Accepted<'_>) {
        match accepted {
            crate::Accepted::Number { value, .. } => value.clone_into(&mut self.wa_number),
            crate::Accepted::Category(category) => {
                self.changes.push((field, category.as_str().to_owned()));
            }
            crate::Accepted::Text(text) => self.changes.push((field, text.to_owned())),
        }
    }

    /// The number to update, in E.164, exactly as it will be sent.
    pub fn wa_number(&self) -> &str {
        &self.wa_number
    }

    /// The fields to change and their new values, in the update's field order (never empty).
    pub fn changes(&self) -> impl Iterator<Item = (Field, &str)> {
        self.changes.iter().map(|(field, value)| (*field, value.as_str()))
    }

    /// The value of any field as it will be sent; `None` for a field the update leaves alone.
    pub fn get(&self, field: Field) -> Option<&str> {
        if field == Field::WaNumber {
            return Some(&self.wa_number);
        }
        self.changes.iter().find(|(f, _)| *f == field).map(|(_, value)| value.as_str())
    }

    /// The normalized request body, compact JSON, fields in the update's order.
    pub fn to_json(&self) -> String {
        // Strings and nothing else: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Serialize for ValidatedUpdate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1 + self.changes.len()))?;
        map.serialize_entry(Field::WaNumber.as_str(), &self.wa_number)?;
        for (field, value) in &self.changes {
            map.serialize_entry(field.as_str(), value)?;
        }
        map.end()
    }
}
