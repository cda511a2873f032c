//! The request's field names, in the order of the vendor's parameter table.
//!
//! That order is also the order in which problems are listed in an error envelope.

use std::fmt;

pub use crate::generated::Field;

impl Field {
    /// The field whose JSON key is `name` (exact, case-sensitive, as the API reads keys).
    pub fn from_key(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.as_str() == name)
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
