//! The messages of the error envelopes, generated from `spec/kaleyra.toml` (the vendor's
//! wording, typos included, and ours where the vendor is silent), and the two templates filled in.

pub use crate::generated::{
    CATEGORY_INVALID, CATEGORY_INVALID_PREFIX, CONTACT_EMAIL_INVALID, DISPLAY_IMAGE_EMPTY,
    DISPLAY_NAME_REQUIRED, NOTHING_TO_UPDATE, WA_NUMBER_INVALID, WA_NUMBER_REQUIRED,
};

/// Assumption (ours): the top-level code and message of a failed update's full envelope.
pub const UPDATE_FAILED: (&str, &str) = crate::generated::E948;

/// Assumption: a URL field is not an absolute `http` or `https` URL.
pub fn url_invalid(field: &str) -> String {
    crate::generated::URL_INVALID.replace("{field}", field)
}

/// Assumption: a value is longer than its limit.
pub fn too_long(field: &str, max: usize) -> String {
    crate::generated::TOO_LONG.replace("{field}", field).replace("{max}", &max.to_string())
}

#[cfg(test)]
mod tests {
    use kaleyra_model::Category;

    #[test]
    fn category_message_lists_the_categories_in_order() {
        let names: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
        let expected = format!("{}{}", crate::generated::CATEGORY_INVALID_PREFIX, names.join(","));
        assert_eq!(super::CATEGORY_INVALID, expected);
    }

    /// The message names every field an update may change, in the update's order.
    #[test]
    fn nothing_to_update_names_every_field_an_update_changes() {
        use kaleyra_model::Field;
        let names: Vec<_> =
            Field::UPDATE.iter().filter(|f| **f != Field::WaNumber).map(|f| f.as_str()).collect();
        assert_eq!(
            super::NOTHING_TO_UPDATE,
            format!("At least one of {} is required.", names.join(", "))
        );
    }

    #[test]
    fn templates() {
        assert_eq!(
            super::url_invalid("website"),
            "website is invalid. It must be a valid http or https URL."
        );
        assert_eq!(
            super::too_long("address", 256),
            "address cannot be longer than 256 characters."
        );
    }
}
