//! The messages of the error envelopes. The first four are the vendor's, typos included; the
//! rest are ours (the vendor's page is silent) and are listed as assumptions in `spec/`.

/// `display_name` absent, empty or blank (vendor's wording).
pub const DISPLAY_NAME_REQUIRED: &str = "display_name is required and cannot be empty.";
/// `wa_number` absent, empty or blank (vendor's wording, which differs from `display_name`'s).
pub const WA_NUMBER_REQUIRED: &str = "wa_number field is required and cannot be empty.";
/// `business_category` is none of the 17 values (vendor's wording, `catregory` typo included).
pub const CATEGORY_INVALID: &str = "business_catregory value is invalid. Valid values are: Automotive,Beauty, Spa, and Salon,Clothing and Apparel,Education,Entertainment,Event Planning and Service,Finance and Banking,Food and Grocery,Public Service,Hotel and Lodging,Medical and Health,Non-profit,Professional Services,Shopping and Retail,Travel and Transportation,Restaurant,Other";
/// `display_image` present but empty (vendor's wording, no final full stop).
pub const DISPLAY_IMAGE_EMPTY: &str = "display_image cannot be empty";

/// Assumption: `wa_number` is not a valid number written in E.164.
pub const WA_NUMBER_INVALID: &str =
    "wa_number is invalid. It must be a valid phone number in E164 format, e.g. +13236550017.";
/// Assumption: `contact_email` is not an e-mail address.
pub const CONTACT_EMAIL_INVALID: &str =
    "contact_email is invalid. It must be a valid email address.";

/// Every message template by its id in `spec/kaleyra.toml`, for checking the two agree.
#[doc(hidden)]
pub fn messages_for_spec() -> [(&'static str, &'static str); 8] {
    [
        ("display_name_required", DISPLAY_NAME_REQUIRED),
        ("wa_number_required", WA_NUMBER_REQUIRED),
        ("category_invalid_prefix", CATEGORY_INVALID_PREFIX),
        ("display_image_empty", DISPLAY_IMAGE_EMPTY),
        ("wa_number_invalid", WA_NUMBER_INVALID),
        ("contact_email_invalid", CONTACT_EMAIL_INVALID),
        ("url_invalid", URL_INVALID_TEMPLATE),
        ("too_long", TOO_LONG_TEMPLATE),
    ]
}

const CATEGORY_INVALID_PREFIX: &str = "business_catregory value is invalid. Valid values are: ";
const URL_INVALID_TEMPLATE: &str = "{field} is invalid. It must be a valid http or https URL.";
const TOO_LONG_TEMPLATE: &str = "{field} cannot be longer than {max} characters.";

/// Assumption: a URL field is not an absolute `http` or `https` URL.
pub fn url_invalid(field: &str) -> String {
    URL_INVALID_TEMPLATE.replace("{field}", field)
}

/// Assumption: a value is longer than its limit.
pub fn too_long(field: &str, max: usize) -> String {
    TOO_LONG_TEMPLATE.replace("{field}", field).replace("{max}", &max.to_string())
}

#[cfg(test)]
mod tests {
    use kaleyra_model::Category;

    #[test]
    fn category_message_lists_the_17_values_in_order() {
        let names: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
        let expected = format!("{}{}", super::CATEGORY_INVALID_PREFIX, names.join(","));
        assert_eq!(super::CATEGORY_INVALID, expected);
    }
}
