//! Every JSON example of the vendor's page parses and serializes back to the same JSON, and the
//! error envelopes render byte-for-byte as the page prints them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kaleyra_model::{AddNumberRequest, Code, ErrorEnvelope, SuccessEnvelope};
use kaleyra_seed::{
    EMPTY_DISPLAY_IMAGE, INVALID_CATEGORY, MISSING_MANDATORY, SAMPLE_REQUEST, SUCCESS, seed_pretty,
};
use serde_json::Value;

fn same_json(left: &str, right: &str) {
    let left: Value = serde_json::from_str(left).unwrap();
    let right: Value = serde_json::from_str(right).unwrap();
    assert_eq!(left, right);
}

#[test]
fn success_envelope_round_trips() {
    let envelope: SuccessEnvelope = serde_json::from_str(SUCCESS).unwrap();
    assert_eq!(envelope.code, Code::I102);
    let record = envelope.record().unwrap();
    assert_eq!(record.website, ["https://google.com/testing"]);
    assert_eq!(record.created_at, 1_620_385_490);
    assert_eq!(record.meta_value, None);
    assert_eq!(record.not_first_request, 1);
    assert!(record.extra.is_empty());
    same_json(&serde_json::to_string(&envelope).unwrap(), SUCCESS);
    assert_eq!(seed_pretty(&envelope), SUCCESS);
}

#[test]
fn full_error_envelopes_round_trip_byte_for_byte() {
    for text in [MISSING_MANDATORY, INVALID_CATEGORY] {
        let envelope = ErrorEnvelope::from_slice(text.as_bytes()).unwrap();
        assert!(matches!(envelope, ErrorEnvelope::Full(_)));
        assert_eq!(envelope.top_level_code(), Some(&Code::E947));
        assert_eq!(envelope.detail().code, Code::E413);
        assert_eq!(seed_pretty(&envelope), text);
        same_json(&envelope.to_json(), text);
    }
}

#[test]
fn bare_error_envelope_round_trips_byte_for_byte() {
    let envelope = ErrorEnvelope::from_slice(EMPTY_DISPLAY_IMAGE.as_bytes()).unwrap();
    assert!(matches!(envelope, ErrorEnvelope::Bare(_)));
    assert_eq!(envelope.top_level_code(), None);
    assert_eq!(envelope.detail().code, Code::E962);
    assert_eq!(envelope.detail().message, "display_image cannot be empty");
    assert_eq!(seed_pretty(&envelope), EMPTY_DISPLAY_IMAGE);
}

#[test]
fn sample_request_round_trips() {
    let request: AddNumberRequest = serde_json::from_str(SAMPLE_REQUEST).unwrap();
    assert_eq!(request.business_category.as_deref(), Some("Medical and Health"));
    assert!(request.extra.is_empty());
    same_json(&serde_json::to_string(&request).unwrap(), SAMPLE_REQUEST);
}

#[test]
fn tolerant_reader_keeps_unknown_fields_and_codes() {
    let body = r#"{"code":"E999","message":"new","data":[],"error":{"code":"X1","type":"T","parameter":"p","message":"m","reference":"r","hint":"h"},"trace":"abc"}"#;
    let envelope = ErrorEnvelope::from_slice(body.as_bytes()).unwrap();
    assert_eq!(envelope.top_level_code(), Some(&Code::Unknown("E999".into())));
    assert_eq!(envelope.detail().extra["hint"], "h");
    same_json(&envelope.to_json(), body);

    let success =
        r#"{"code":"I102","data":[{"id":7,"website":"https://one.example","new_field":[1]}]}"#;
    let envelope: SuccessEnvelope = serde_json::from_str(success).unwrap();
    let record = envelope.record().unwrap();
    assert_eq!(record.id, 7);
    assert_eq!(record.website, ["https://one.example"]);
    assert_eq!(record.extra["new_field"], serde_json::json!([1]));
}

#[test]
fn bodies_that_are_no_envelope_are_errors_not_panics() {
    for body in ["", "[]", "{}", "null", r#"{"error":5}"#, r#"{"code":"E947","error":"x"}"#] {
        assert!(ErrorEnvelope::from_slice(body.as_bytes()).is_err(), "{body}");
    }
}
