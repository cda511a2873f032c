//! Where the Rust port of libphonenumber (the `phonenumber` crate, pinned) and these verdicts
//! differ, on every example number of the metadata with and without a national prefix kept
//! after the country code. The verdicts here are the reference's (`cargo xtask phone-reference`
//! checks every one of these numbers against PyPI `phonenumbers`); the snapshot records the
//! port's quirks (it strips a national prefix without checking that the rest is still a number,
//! and names "001" for some Italian and Vatican numbers) and its older metadata, so that a
//! change on either side shows up in review.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;

use phonenumber::Mode;

/// The port's strict verdict: the region of a number it parses, finds valid and formats back
/// exactly.
fn port(value: &str) -> Option<String> {
    let number = phonenumber::parse(None, value).ok()?;
    if !number.is_valid() || number.format().mode(Mode::E164).to_string() != value {
        return None;
    }
    Some(number.country().id().map_or("001".to_owned(), |id| id.as_ref().to_owned()))
}

fn ours(value: &str) -> Option<String> {
    kaleyra_phone::check(value).ok().map(|n| n.region().unwrap_or("001").to_owned())
}

#[test]
fn where_the_port_differs_from_the_reference() {
    let metadata: serde_json::Value =
        serde_json::from_str(include_str!("../metadata.json")).unwrap();
    let (mut total, mut report) = (0, String::new());
    for code in metadata["codes"].as_array().unwrap() {
        for region in code["regions"].as_array().unwrap() {
            let descriptors = region["descriptors"].as_array().unwrap();
            for example in descriptors.iter().filter_map(|d| d["example"].as_str()) {
                for prefix in ["", "0", "8", "1"] {
                    let number = format!("+{}{prefix}{example}", code["code"]);
                    total += 1;
                    let (ours, port) = (ours(&number), port(&number));
                    if ours != port {
                        let show = |v: Option<String>| v.unwrap_or_else(|| "invalid".to_owned());
                        let _ = writeln!(report, "{number}: {} (port: {})", show(ours), show(port));
                    }
                }
            }
        }
    }
    let differences = report.lines().count();
    // Nearly all verdicts agree: the comparison is with a working port.
    assert!(differences * 50 < total, "{differences} of {total}");
    insta::assert_snapshot!(format!("{differences} of {total} numbers differ\n{report}"));
}
