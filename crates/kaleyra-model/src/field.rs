//! The request's field names, in the order of the vendor's parameter table.
//!
//! That order is also the order in which problems are listed in an error envelope.

use std::fmt;

/// One field of the add-number request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    DisplayName,
    WaNumber,
    Address,
    IncomingUrl,
    DisplayImage,
    BusinessDescription,
    BusinessCategory,
    ContactEmail,
    Website,
}

impl Field {
    /// Every field, in the vendor's order.
    pub const ALL: [Field; 9] = [
        Field::DisplayName,
        Field::WaNumber,
        Field::Address,
        Field::IncomingUrl,
        Field::DisplayImage,
        Field::BusinessDescription,
        Field::BusinessCategory,
        Field::ContactEmail,
        Field::Website,
    ];

    /// The JSON key of the field.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::DisplayName => "display_name",
            Field::WaNumber => "wa_number",
            Field::Address => "address",
            Field::IncomingUrl => "incoming_url",
            Field::DisplayImage => "display_image",
            Field::BusinessDescription => "business_description",
            Field::BusinessCategory => "business_category",
            Field::ContactEmail => "contact_email",
            Field::Website => "website",
        }
    }

    /// The field whose JSON key is `name` (exact, case-sensitive, as the API reads keys).
    pub fn from_key(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.as_str() == name)
    }

    /// Whether the seed makes the field mandatory.
    pub const fn is_mandatory(self) -> bool {
        matches!(self, Field::DisplayName | Field::WaNumber)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_only_two_are_mandatory() {
        for field in Field::ALL {
            assert_eq!(Field::from_key(field.as_str()), Some(field));
        }
        let mandatory: Vec<_> = Field::ALL.into_iter().filter(|f| f.is_mandatory()).collect();
        assert_eq!(mandatory, [Field::DisplayName, Field::WaNumber]);
        assert_eq!(Field::from_key("Display_Name"), None);
    }
}
