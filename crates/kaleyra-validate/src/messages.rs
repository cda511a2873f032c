//! The messages of the error envelopes, generated from `spec/kaleyra.toml` (the vendor's
//! wording, typos included, and ours where the vendor is silent), and the two templates filled in.

pub use crate::generated::{
    CATEGORY_INVALID, CATEGORY_INVALID_PREFIX, CONTACT_EMAIL_INVALID, DISPLAY_IMAGE_EMPTY,
    DISPLAY_NAME_REQUIRED, WA_NUMBER_INVALID, WA_NUMBER_REQUIRED,
};

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
