//! The hand-written readers of the success envelope and its records agree with derived readers
//! (the definitions they replaced, kept here) on generated JSON: the same values, or both refuse.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kaleyra_model::{Code, SuccessEnvelope};
use proptest::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

#[derive(Serialize, Deserialize)]
struct DerivedEnvelope {
    #[serde(default)]
    code: Code,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Vec<DerivedRecord>,
    #[serde(default)]
    error: Map<String, Value>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(default)]
#[derive(Default)]
struct DerivedRecord {
    company_id: String,
    phone_number: String,
    country: String,
    iso_code: String,
    status: i64,
    description: Option<String>,
    address: Option<String>,
    email: Option<String>,
    name: String,
    #[serde(deserialize_with = "string_or_list")]
    website: Vec<String>,
    incoming_url: Option<String>,
    category: Option<String>,
    profile_image: Option<String>,
    meta_value: Option<Value>,
    created_by: String,
    created_at: i64,
    id: u64,
    #[serde(rename = "notFirstRequest")]
    not_first_request: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    about: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

fn string_or_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
        Nothing(()),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
        OneOrMany::Nothing(()) => Vec::new(),
    })
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("0".to_owned()),
        Just("2".to_owned()),
        Just("-7".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("2.5".to_owned()),
        Just("\"\"".to_owned()),
        Just("\"I102\"".to_owned()),
        Just("\"https://x\"".to_owned()),
        Just("\"\\u00e9\\n\"".to_owned()),
        Just("[]".to_owned()),
        Just("[\"a\",\"b\"]".to_owned()),
        Just("[1]".to_owned()),
        Just("{}".to_owned()),
        Just("{\"a\":[1,{}]}".to_owned()),
    ]
}

/// Every key of a record, and two that are not (one is the struct field's own name).
fn record_keys() -> Vec<&'static str> {
    let mut keys: Vec<_> = kaleyra_model::RecordKey::ALL.iter().map(|k| k.as_str()).collect();
    keys.extend(["not_first_request", "unknown"]);
    keys
}

/// A JSON object written as text (so that keys can repeat), from `keys` and `values`.
fn object(
    keys: impl Strategy<Value = String>,
    values: impl Strategy<Value = String>,
    most: usize,
) -> impl Strategy<Value = String> {
    proptest::collection::vec((keys, values), 0..most).prop_map(|pairs| {
        let members: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", members.join(","))
    })
}

fn record() -> impl Strategy<Value = String> {
    let key = prop::sample::select(record_keys()).prop_map(str::to_owned);
    prop_oneof![4 => object(key, value(), 8), 1 => value()]
}

fn envelope() -> impl Strategy<Value = String> {
    let records = proptest::collection::vec(record(), 0..3)
        .prop_map(|records| format!("[{}]", records.join(",")));
    let member = prop_oneof![
        (Just("data".to_owned()), records),
        (Just("data".to_owned()), value()),
        (
            prop::sample::select(vec!["code", "message", "error", "extra", "x"])
                .prop_map(str::to_owned),
            value()
        ),
    ];
    prop_oneof![
        8 => proptest::collection::vec(member, 0..6).prop_map(|pairs| {
            let members: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", members.join(","))
        }),
        1 => value(),
    ]
}

fn agree(json: &str) -> Result<(), TestCaseError> {
    let ours = serde_json::from_str::<SuccessEnvelope>(json);
    let derived = serde_json::from_str::<DerivedEnvelope>(json);
    match (ours, derived) {
        (Ok(ours), Ok(derived)) => prop_assert_eq!(
            serde_json::to_value(&ours).unwrap(),
            serde_json::to_value(&derived).unwrap(),
            "{}",
            json
        ),
        (Err(_), Err(_)) => {}
        (ours, derived) => {
            prop_assert!(
                false,
                "{json}: ours {:?}, derived ok: {}",
                ours.map(|_| ()),
                derived.is_ok()
            )
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn the_readers_agree_with_derived_ones(json in envelope()) {
        agree(&json)?;
    }
}

#[test]
fn the_seed_shape_and_its_variants() {
    let record = r#"{"company_id":"c","website":["https://a"],"notFirstRequest":1,"meta_value":null,"more":{"x":1}}"#;
    for json in [
        format!(r#"{{"code":"I102","message":"m","data":[{record}],"error":{{}}}}"#),
        format!(r#"{{"data":[{record},{{}}],"later":true}}"#),
        r#"{"data":[{"website":"https://one"}]}"#.to_owned(),
        r#"{"data":[{"website":null,"id":3}]}"#.to_owned(),
        r#"{"code":"I102","code":"I102"}"#.to_owned(),
        r#"{"data":[{"id":1,"id":2}]}"#.to_owned(),
        r#"{"data":[{"name":null}]}"#.to_owned(),
        r#"[]"#.to_owned(),
    ] {
        agree(&json).unwrap();
    }
}
