//! Each rejection the vendor's page shows, produced by validation, byte-for-byte; and a snapshot
//! of every envelope our own rules produce.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kaleyra_model::{AddNumberRequest, ErrorEnvelope, Field};
use kaleyra_seed::{
    EMPTY_DISPLAY_IMAGE, INVALID_CATEGORY, MISSING_MANDATORY, SAMPLE_REQUEST, minified, seed_pretty,
};
use kaleyra_validate::{ProblemKind, Rules, validate, validate_with};

fn reject(json: &str) -> kaleyra_validate::Rejection {
    let request: AddNumberRequest = serde_json::from_str(json).unwrap();
    validate(&request).unwrap_err()
}

fn sample() -> AddNumberRequest {
    serde_json::from_str(SAMPLE_REQUEST).unwrap()
}

#[test]
fn missing_mandatory_fields_give_the_seed_envelope() {
    for body in
        ["{}", r#"{"display_name":"","wa_number":""}"#, r#"{"display_name":"  ","wa_number":"\t"}"#]
    {
        let rejection = reject(body);
        assert_eq!(seed_pretty(&rejection.envelope()), MISSING_MANDATORY, "{body}");
        // The bytes on the wire are the page's JSON, compact, keys in the page's order.
        assert_eq!(rejection.to_json(), minified(MISSING_MANDATORY));
    }
}

#[test]
fn invalid_category_gives_the_seed_envelope() {
    let mut request = sample();
    request.business_category = Some("Cars".into());
    let rejection = validate(&request).unwrap_err();
    assert_eq!(seed_pretty(&rejection.envelope()), INVALID_CATEGORY);
    assert_eq!(rejection.to_json(), minified(INVALID_CATEGORY));
}

#[test]
fn empty_display_image_gives_the_bare_seed_envelope() {
    let mut request = sample();
    request.display_image = Some(String::new());
    let rejection = validate(&request).unwrap_err();
    assert_eq!(seed_pretty(&rejection.envelope()), EMPTY_DISPLAY_IMAGE);
    assert_eq!(rejection.to_json(), minified(EMPTY_DISPLAY_IMAGE));
    assert!(matches!(
        ErrorEnvelope::from_slice(rejection.to_json().as_bytes()),
        Ok(ErrorEnvelope::Bare(_))
    ));
}

#[test]
fn the_seed_sample_request_is_valid_and_normalizes_to_itself() {
    let valid = validate(&sample()).unwrap();
    assert_eq!(valid.to_json(), minified(SAMPLE_REQUEST));
    assert_eq!(valid.iso_code().as_deref(), Some("US"));
}

#[test]
fn every_problem_is_reported_in_one_pass() {
    let rejection = reject(
        r#"{"wa_number":"+1 323","business_category":"cars","contact_email":"nobody","display_image":""}"#,
    );
    let found: Vec<_> =
        rejection.problems().iter().map(|p| (p.field().unwrap(), p.kind())).collect();
    assert_eq!(
        found,
        [
            (Field::DisplayName, ProblemKind::Missing),
            (Field::WaNumber, ProblemKind::InvalidNumber),
            (Field::DisplayImage, ProblemKind::Empty),
            (Field::BusinessCategory, ProblemKind::InvalidCategory),
            (Field::ContactEmail, ProblemKind::InvalidEmail),
        ]
    );
    // The E962 problem waits behind the E413 ones: the API answers with one envelope.
    insta::assert_snapshot!("four_e413_problems_and_an_empty_image", rejection.to_json());
}

#[test]
fn our_own_rules_have_pinned_envelopes() {
    let cases: [(&str, Field, &str); 6] = [
        ("invalid_number", Field::WaNumber, "+1323655001"),
        ("invalid_email", Field::ContactEmail, "xyz@"),
        ("invalid_website", Field::Website, "www.kaleyra.com"),
        ("invalid_incoming_url", Field::IncomingUrl, "ftp://example.com/in"),
        ("invalid_display_image", Field::DisplayImage, "flower.jpg"),
        ("too_long_address", Field::Address, &"a".repeat(257)),
    ];
    for (name, field, value) in cases {
        let request = sample().with(field, value);
        let rejection = validate(&request).unwrap_err();
        assert_eq!(rejection.problems().len(), 1, "{name}");
        assert_eq!(rejection.problems()[0].field(), Some(field), "{name}");
        insta::assert_snapshot!(name, rejection.to_json());
    }
}

#[test]
fn whitespace_is_trimmed_and_blank_optionals_are_dropped() {
    let request = AddNumberRequest::new("  xyz\n", " +13236550017 ")
        .with(Field::Address, "   ")
        .with(Field::BusinessCategory, "  OTHER ")
        .with(Field::Website, "");
    let valid = validate(&request).unwrap();
    assert_eq!(
        valid.to_json(),
        r#"{"display_name":"xyz","wa_number":"+13236550017","business_category":"Other"}"#
    );
    // A blank display_image is still "present but empty".
    let blank_image = AddNumberRequest::new("xyz", "+13236550017").with(Field::DisplayImage, "  ");
    assert_eq!(validate(&blank_image).unwrap_err().problems()[0].kind(), ProblemKind::Empty);
}

#[test]
fn limits_count_characters_not_bytes() {
    let at_limit = sample().with(Field::Address, "é".repeat(256));
    assert!(validate(&at_limit).is_ok());
    let over = sample().with(Field::Address, "é".repeat(257));
    assert_eq!(
        validate(&over).unwrap_err().problems()[0].kind(),
        ProblemKind::TooLong { max: 256 }
    );
}

#[test]
fn seed_only_rules_skip_formats_and_lengths_but_not_the_seed() {
    let request = sample()
        .with(Field::ContactEmail, "nobody")
        .with(Field::Website, "kaleyra")
        .with(Field::Address, "a".repeat(5000));
    assert!(validate_with(&request, &Rules::seed_only()).is_ok());
    assert!(validate(&request).is_err());
    let mut still_bad = request.clone();
    still_bad.display_image = Some(String::new());
    assert!(validate_with(&still_bad, &Rules::seed_only()).is_err());
    let bad_number = request.with(Field::WaNumber, "12345");
    assert!(validate_with(&bad_number, &Rules::seed_only()).is_err());
}

#[test]
fn unknown_keys_are_not_sent() {
    let request: AddNumberRequest =
        serde_json::from_str(r#"{"display_name":"xyz","wa_number":"+13236550017","about":"hi"}"#)
            .unwrap();
    assert_eq!(
        validate(&request).unwrap().to_json(),
        r#"{"display_name":"xyz","wa_number":"+13236550017"}"#
    );
}

#[test]
fn an_invalid_number_says_which_case_it_is_beside_the_apis_one_sentence() {
    let hint = |number: &str| {
        let mut request = sample();
        request.set(Field::WaNumber, Some(number.to_owned()));
        let rejection = validate(&request).unwrap_err();
        let problem = &rejection.problems()[0];
        assert_eq!(
            (problem.field(), problem.kind()),
            (Some(Field::WaNumber), ProblemKind::InvalidNumber)
        );
        // The envelope stays the API's; the hint is ours, beside it.
        assert!(!rejection.to_json().contains(problem.hint().unwrap()), "{number}");
        problem.hint().unwrap().to_owned()
    };
    assert_eq!(hint("13236550017"), "not `+` followed by 2 to 15 digits");
    assert_eq!(hint("+2891234567"), "no country calling code starts it");
    assert!(hint("+2130983123456").contains("drop"), "{}", hint("+2130983123456"));
    assert_eq!(hint("+1323"), "not a valid number for country code +1");
    // Written for people: the E.164 form is named.
    assert_eq!(
        hint("+1 323-655-0017"),
        "not `+` followed by 2 to 15 digits; write it as +13236550017"
    );
    assert!(hint("0013236550017").ends_with("; write it as +13236550017"));
    // Every other problem has none.
    let mut request = sample();
    request.set(Field::ContactEmail, Some("nobody".to_owned()));
    assert_eq!(validate(&request).unwrap_err().problems()[0].hint(), None);
}
