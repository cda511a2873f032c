//! Test support shared by the crates' tests: the vendor page's JSON examples (placeholders
//! replaced by realistic values, from `spec/examples/`) and the two ways of printing JSON the
//! tests compare with: the page's four-space indentation, and the compact wire form.

#![warn(missing_docs)]

use serde::Serialize;

/// The success envelope the vendor's page shows.
pub const SUCCESS: &str = include_str!("../../../spec/examples/responses/success.json");
/// The page's envelope for missing mandatory fields.
pub const MISSING_MANDATORY: &str =
    include_str!("../../../spec/examples/responses/missing_mandatory.json");
/// The page's envelope for an invalid category.
pub const INVALID_CATEGORY: &str =
    include_str!("../../../spec/examples/responses/invalid_category.json");
/// The page's bare envelope for an empty `display_image`.
pub const EMPTY_DISPLAY_IMAGE: &str =
    include_str!("../../../spec/examples/responses/empty_display_image.json");
/// Ours (the page shows no update): a sample update request body.
pub const UPDATE_REQUEST: &str = include_str!("../../../spec/examples/update_request.json");
/// Ours: the emulator's answer to [`UPDATE_REQUEST`] after [`SAMPLE_REQUEST`] created the number.
pub const UPDATED: &str = include_str!("../../../spec/examples/responses/updated.json");
/// Ours: the envelope of an update that changes nothing.
pub const NOTHING_TO_UPDATE: &str =
    include_str!("../../../spec/examples/responses/nothing_to_update.json");
/// The page's sample request body.
pub const SAMPLE_REQUEST: &str = include_str!("../../../spec/examples/sample_request.json");

/// `value` printed as the page prints JSON: four-space indentation and a final line end.
pub fn seed_pretty<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Test support: a value that cannot be printed is a broken test.
    #[allow(clippy::expect_used)]
    value.serialize(&mut serializer).expect("serializable");
    String::from_utf8_lossy(&out).into_owned() + "\n"
}

/// The page's JSON with the white space between tokens removed, key order kept.
pub fn minified(text: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in text.chars() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c.is_whitespace() {
            continue;
        } else {
            in_string = c == '"';
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn minified_keeps_strings_whole() {
        assert_eq!(
            super::minified("{ \"a b\" : [ 1, \"x \\\" y\" ] }\n"),
            r#"{"a b":[1,"x \" y"]}"#
        );
    }
}
