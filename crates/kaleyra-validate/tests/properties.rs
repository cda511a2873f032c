//! Property tests of the rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kaleyra_model::{AddNumberRequest, Category, ErrorEnvelope, Field};
use kaleyra_validate::{CATEGORY_INVALID, ProblemKind, validate};
use proptest::prelude::*;

fn base() -> AddNumberRequest {
    AddNumberRequest::new("xyz", "+13236550017")
}

/// The fixed-line and mobile example numbers of every region in libphonenumber's metadata (as
/// `kaleyra-phone` has it), in E.164.
fn example_numbers() -> Vec<(String, String)> {
    let metadata: serde_json::Value =
        serde_json::from_str(include_str!("../../kaleyra-phone/metadata.json")).unwrap();
    let mut numbers = Vec::new();
    for code in metadata["codes"].as_array().unwrap() {
        for region in code["regions"].as_array().unwrap() {
            let Some(id) = region["id"].as_str() else { continue };
            // General first, then the types; fixed line and mobile are the last two.
            for descriptor in &region["descriptors"].as_array().unwrap()[9..] {
                if let Some(example) = descriptor["example"].as_str() {
                    numbers.push((id.to_owned(), format!("+{}{example}", code["code"])));
                }
            }
        }
    }
    numbers
}

fn any_casing(text: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), text.len()).prop_map(move |upper| {
        text.chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect()
    })
}

fn optional_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        any::<String>().prop_map(Some),
        "[ +0-9a-zA-Z@:/.\\-]{0,40}".prop_map(Some),
    ]
}

fn any_request() -> impl Strategy<Value = AddNumberRequest> {
    proptest::collection::vec(optional_text(), 9).prop_map(|values| {
        let mut request = AddNumberRequest::default();
        for (field, value) in Field::ALL.into_iter().zip(values) {
            request.set(field, value);
        }
        request
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_casing_of_any_category_is_accepted_and_canonicalized(
        category in proptest::sample::select(Category::ALL.to_vec()),
        seed in any::<u64>(),
        pad in "[ \t]{0,3}",
    ) {
        let cased: String = category
            .as_str()
            .chars()
            .enumerate()
            .map(|(i, c)| if seed >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        let request = base().with(Field::BusinessCategory, format!("{pad}{cased}{pad}"));
        let valid = validate(&request).unwrap();
        prop_assert_eq!(valid.business_category(), Some(category));
        prop_assert_eq!(valid.get(Field::BusinessCategory), Some(category.as_str()));
    }

    #[test]
    fn every_casing_strategy_agrees(cased in any_casing("Beauty, Spa, and Salon")) {
        prop_assert_eq!(Category::parse(&cased), Some(Category::BeautySpaAndSalon));
    }

    #[test]
    fn any_other_string_is_rejected_with_the_exact_message(value in any::<String>()) {
        let trimmed = value.trim();
        prop_assume!(!trimmed.is_empty() && Category::parse(trimmed).is_none());
        let rejection = validate(&base().with(Field::BusinessCategory, value.clone())).unwrap_err();
        prop_assert_eq!(rejection.problems().len(), 1);
        let envelope = rejection.envelope();
        prop_assert_eq!(envelope.detail().parameter.as_str(), "business_category");
        prop_assert_eq!(envelope.detail().message.as_str(), CATEGORY_INVALID);
    }

    #[test]
    fn valid_numbers_of_many_regions_are_accepted(
        (region, number) in proptest::sample::select(example_numbers()),
    ) {
        let request = base().with(Field::WaNumber, format!(" {number}"));
        let valid = validate(&request).unwrap();
        prop_assert_eq!(valid.wa_number(), number.as_str());
        // The region found while validating is the one looked up afterwards.
        let view = kaleyra_validate::validate_ref_with(&request, &Default::default()).unwrap();
        let iso_code = valid.iso_code();
        prop_assert_eq!(view.iso_code(), iso_code.as_deref());
        if let Some(iso) = valid.iso_code() {
            prop_assert_eq!(iso.len(), 2, "{} {}", region, number);
        }
    }

    #[test]
    fn arbitrary_requests_never_panic_and_rejections_parse_back(request in any_request()) {
        // The copy-free verdict is the same verdict.
        prop_assert_eq!(kaleyra_validate::check(&request), validate(&request).map(|_| ()));
        match validate(&request) {
            Ok(valid) => {
                // The borrowed view holds the same values.
                let view = kaleyra_validate::validate_ref_with(&request, &Default::default()).unwrap();
                for field in Field::ALL {
                    prop_assert_eq!(view.get(field), valid.get(field));
                }
                let iso_code = valid.iso_code();
                prop_assert_eq!(view.iso_code(), iso_code.as_deref());
                // What is sent validates again to the same thing.
                let again: AddNumberRequest = serde_json::from_str(&valid.to_json()).unwrap();
                prop_assert_eq!(validate(&again).unwrap(), valid);
            }
            Err(rejection) => {
                let json = rejection.to_json();
                let parsed = ErrorEnvelope::from_slice(json.as_bytes()).unwrap();
                prop_assert_eq!(&parsed, &rejection.envelope());
                let params = parsed.detail().parameter.split(',').count();
                let e413 = rejection.problems().iter().filter(|p| p.kind() != ProblemKind::Empty).count();
                prop_assert_eq!(params, e413.max(1));
            }
        }
    }
}

#[test]
fn the_example_numbers_cover_many_regions() {
    let numbers = example_numbers();
    let regions: std::collections::BTreeSet<_> = numbers.iter().map(|(r, _)| r.as_str()).collect();
    assert!(regions.len() > 200, "{}", regions.len());
    let rejected: Vec<_> = numbers
        .iter()
        .filter(|(_, n)| validate(&base().with(Field::WaNumber, n.as_str())).is_err())
        .collect();
    assert!(rejected.is_empty(), "{rejected:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Smoke version of the `request_validation` fuzz target: raw JSON bytes.
    #[test]
    fn raw_json_bodies_never_panic(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        proptest::collection::btree_map("[a-z_]{1,20}", any::<String>(), 0..10)
            .prop_map(|map| serde_json::to_vec(&map).unwrap()),
    ]) {
        if let Ok(request) = serde_json::from_slice::<AddNumberRequest>(&body) {
            match validate(&request) {
                Ok(valid) => {
                    let again: AddNumberRequest = serde_json::from_str(&valid.to_json()).unwrap();
                    prop_assert_eq!(validate(&again).unwrap(), valid);
                }
                Err(rejection) => {
                    let parsed = ErrorEnvelope::from_slice(rejection.to_json().as_bytes()).unwrap();
                    prop_assert_eq!(parsed, rejection.envelope());
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// The body a validated request is sent as is its `Serialize` output, byte for byte, whatever
    /// its text holds (quotes, backslashes, control characters, non-ASCII) and whichever
    /// optional fields are present.
    #[test]
    fn the_body_sent_is_the_serialized_request(
        name in "[a-z \"\\\\\u{1}-\u{1f}\u{7f}é€😀]{1,20}",
        address in proptest::option::of("[a-z \"\\\\\u{1}\u{7f}é]{0,20}"),
        description in proptest::option::of("[a-z \"\\\\\n\t€]{0,20}"),
        category in proptest::option::of(Just("medical AND health")),
        email in proptest::option::of(Just("a@example.com")),
        website in proptest::option::of(Just("https://example.com/a")),
        incoming_url in proptest::option::of(Just("https://example.com/in")),
        display_image in proptest::option::of(Just("https://example.com/i.png")),
    ) {
        let mut request = base().with(Field::DisplayName, format!("x{name}x"));
        request.set(Field::Address, address);
        request.set(Field::BusinessDescription, description);
        request.set(Field::BusinessCategory, category.map(str::to_owned));
        request.set(Field::ContactEmail, email.map(str::to_owned));
        request.set(Field::Website, website.map(str::to_owned));
        request.set(Field::IncomingUrl, incoming_url.map(str::to_owned));
        request.set(Field::DisplayImage, display_image.map(str::to_owned));
        let valid = validate(&request).unwrap();
        prop_assert_eq!(valid.to_json(), serde_json::to_string(&valid).unwrap());
    }
}
