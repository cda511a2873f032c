//! The borrowing reader against the owned one: the same verdict on any body, the same values
//! when it is a request, the same error (field, line, column, message) when it is not.

use kaleyra_model::{AddNumberRequest, Field, RequestFields};

use super::BorrowedRequest;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(Field::ALL.to_vec()).prop_map(|f| format!("\"{}\"", f.as_str())),
        Just(r#""wa\u005fnumber""#.to_owned()),
        Just(r#""extra""#.to_owned()),
        Just(r#""other""#.to_owned()),
        Just(r#""ex\u0074ra""#.to_owned()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "[a-z +@.:/é]{0,12}".prop_map(|s| format!("\"{s}\"")),
        2 => Just(r#""a\"b\\c\n\u00e9""#.to_owned()),
        2 => Just("null".to_owned()),
        1 => Just("12".to_owned()),
        1 => Just("true".to_owned()),
        1 => Just(r#"["x",{"y":null}]"#.to_owned()),
        1 => Just(r#"{"display_name":1}"#.to_owned()),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let entries = proptest::collection::vec((key(), value()), 0..5);
    let object = entries.prop_map(|entries| {
        let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        format!("{{\n{}\n}}", inner.join(","))
    });
    (object, 0..10u8, any::<usize>()).prop_map(|(object, damage, at)| {
        let mut body = object.into_bytes();
        let at = at % (body.len() + 1);
        match damage {
            0 => body.extend_from_slice(b" {}"),
            1 => body.insert(at, 0xff),
            2 => body.truncate(at),
            3 => body = b"[]".to_vec(),
            _ => {}
        }
        body
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    #[test]
    fn the_borrowing_reader_reads_as_the_owned_one(body in body()) {
        let owned = AddNumberRequest::from_json(&body);
        let borrowed = BorrowedRequest::from_json(&body);
        match (owned, borrowed) {
            (Ok(owned), Ok(borrowed)) => {
                for field in Field::ALL {
                    prop_assert_eq!(owned.field(field), borrowed.field(field), "{:?}", field);
                }
            }
            (Err(owned), Err(borrowed)) => prop_assert_eq!(owned, borrowed),
            (owned, borrowed) => {
                prop_assert!(false, "{:?} against {:?} for {}", owned, borrowed, String::from_utf8_lossy(&body));
            }
        }
    }
}

#[test]
fn both_verdicts_occur_in_the_generated_bodies() {
    // The property above means little if nearly every body failed (or none did).
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut ok, mut err) = (0, 0);
    for _ in 0..2_000 {
        let body = body().new_tree(&mut runner).unwrap().current();
        match BorrowedRequest::from_json(&body) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    assert!(ok > 200 && err > 200, "{ok} requests, {err} errors");
}

#[test]
fn invalid_utf8_in_a_skipped_value_is_still_an_error() {
    // Found by the property: skipping an unknown key's value does not check its strings.
    let body = b"{\"extra\":{\"\xffa\":1}}";
    let owned = AddNumberRequest::from_json(body).unwrap_err();
    assert_eq!(BorrowedRequest::from_json(body).unwrap_err(), owned);
    assert_eq!(owned.message, "invalid unicode code point");
}
