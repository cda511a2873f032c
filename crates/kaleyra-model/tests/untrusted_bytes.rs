//! Smoke version of the `envelopes` fuzz target: any bytes, as a response body, never panic, and
//! whatever parses serializes and parses back to the same value.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kaleyra_model::{ErrorEnvelope, SuccessEnvelope};
use proptest::prelude::*;

fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "[a-zA-Z0-9 _]{0,12}".prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("code".to_owned()),
                    Just("error".to_owned()),
                    Just("data".to_owned()),
                    Just("message".to_owned()),
                    Just("website".to_owned()),
                    "[a-z]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    });
    value.prop_map(|v| serde_json::to_vec(&v).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_body_parses_or_errors_and_round_trips(body in prop_oneof![json_like(), proptest::collection::vec(any::<u8>(), 0..256)]) {
        if let Ok(envelope) = ErrorEnvelope::from_slice(&body) {
            let again = ErrorEnvelope::from_slice(envelope.to_json().as_bytes()).unwrap();
            prop_assert_eq!(again, envelope);
        }
        if let Ok(success) = serde_json::from_slice::<SuccessEnvelope>(&body) {
            let text = serde_json::to_string(&success).unwrap();
            let _: SuccessEnvelope = serde_json::from_str(&text).unwrap();
        }
    }
}
