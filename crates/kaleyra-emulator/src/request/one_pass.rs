//! The common request body read in one pass over its bytes: one object whose keys are the API's
//! own and whose values are strings without escapes or `null`, as clients write them. Anything
//! else (an escape, a number, an unknown or repeated key, a syntax error) is left to serde, which
//! decides it and says what is wrong; so this reader answers only where serde would agree, and
//! a property test holds the two together.

use std::borrow::Cow;

use kaleyra_model::Field;

use super::BorrowedRequest;
use super::scan::{Reader, once};

/// The request in `body`, or `None` when serde must read it.
pub(super) fn read(body: &str) -> Option<BorrowedRequest<'_>> {
    let mut reader = Reader::new(body);
    let mut request = BorrowedRequest::default();
    let mut seen = [false; Field::ALL.len()];
    reader.object(|reader| {
        let field = Field::ADD[reader.key(&Field::ADD, Field::as_str)?];
        once(&mut seen, field as usize)?;
        reader.expect(b':')?;
        request.values[field as usize] = if reader.next_is(b'"') {
            Some(Cow::Borrowed(reader.string()?))
        } else {
            reader.null().map(|()| None)?
        };
        Some(())
    })?;
    // Every value was ended by its quote, found by `unescaped_len`.
    request.unescaped = true;
    reader.at_end().then_some(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_common_body_and_leaves_the_rest() {
        let body =
            " {\"display_name\" : \"xyz\",\n\t\"wa_number\":\"+13236550017\",\"address\":null\r}\n";
        let request = read(body).unwrap();
        assert_eq!(request.get(Field::DisplayName), Some("xyz"));
        assert_eq!(request.get(Field::WaNumber), Some("+13236550017"));
        assert_eq!(request.get(Field::Address), None);
        assert_eq!(read("{}"), Some(BorrowedRequest::default()));
        assert_eq!(read("{\"address\":\"\"}").unwrap().get(Field::Address), Some(""));
        for left in [
            "",
            "{",
            "{,}",
            "{\"address\":\"a\",}",
            "{\"address\":\"a\"} x",
            "{\"address\":\"a\"}{}",
            "{\"address\":\"a\\\"b\"}",
            "{\"address\":\"a\u{1}b\"}",
            "{\"address\":\"a\",\"address\":\"b\"}",
            "{\"other\":\"a\"}",
            "{\"address\":1}",
            "{\"address\":nul}",
            "{\"address\":nullx}",
            "{\"address\" \"a\"}",
            "{\"address\":\"a\" \"wa_number\":\"b\"}",
            "\u{feff}{}",
            "{}\u{a0}",
            "[]",
        ] {
            assert_eq!(read(left), None, "{left:?}");
        }
    }

    /// Bodies near the common one: the API's keys (and others), plain and escaped strings,
    /// `null`, other values, JSON whitespace and bytes that only look like it, then damage.
    fn body() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let space = proptest::collection::vec(
            proptest::sample::select(vec!["", " ", "\n", "\t", "\r", "\u{b}", "\u{c}", "\u{a0}"]),
            0..2,
        )
        .prop_map(|s| s.concat());
        let key = prop_oneof![
            6 => proptest::sample::select(Field::ALL.to_vec()).prop_map(|f| f.as_str().to_owned()),
            1 => Just("other".to_owned()),
            1 => Just("wa\\u005fnumber".to_owned()),
            1 => Just("Address".to_owned()),
        ];
        let value = prop_oneof![
            8 => "[a-z +@.:/é\u{7f}]{0,10}".prop_map(|s| format!("\"{s}\"")),
            1 => "[a-z\"\\\\\u{0}-\u{1f}]{0,4}".prop_map(|s| format!("\"{s}\"")),
            2 => Just("null".to_owned()),
            1 => proptest::sample::select(vec!["1", "true", "[]", "{}", "nul", "\"a\\nb\""])
                .prop_map(str::to_owned),
        ];
        let entry = (space.clone(), key, space.clone(), space.clone(), value, space.clone())
            .prop_map(|(a, k, b, c, v, d)| format!("{a}\"{k}\"{b}:{c}{v}{d}"));
        let object = (space.clone(), proptest::collection::vec(entry, 0..6), space)
            .prop_map(|(a, entries, b)| format!("{a}{{{}}}{b}", entries.join(",")));
        (object, 0..12u8, any::<usize>()).prop_map(|(object, damage, at)| {
            let mut body = object.into_bytes();
            let at = at % (body.len() + 1);
            match damage {
                0 => body.insert(at, b','),
                1 => body.insert(at, b'"'),
                2 => body.truncate(at),
                3 => body.extend_from_slice(b"x"),
                _ => {}
            }
            String::from_utf8(body).unwrap_or_default()
        })
    }

    /// Where this reader answers, serde answers the same, with values that need no escaping; and
    /// it answers for most bodies a client would write (else it would be correct and useless).
    #[test]
    fn answers_only_as_serde_would() {
        use proptest::prelude::*;
        proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(20_000))
            .run(&body(), |body| {
                if let Some(ours) = read(&body) {
                    // What it promises a writer holds for every value.
                    prop_assert!(ours.values_need_no_escaping());
                    for value in ours.values.iter().flatten() {
                        let plain = crate::json_text::unescaped_len(value.as_bytes());
                        prop_assert_eq!(plain, value.len(), "{:?}", body);
                    }
                    let serde = serde_json::from_str::<BorrowedRequest<'_>>(&body);
                    prop_assert_eq!(Ok(ours), serde.map_err(|e| e.to_string()), "{:?}", body);
                }
                Ok(())
            })
            .unwrap();
        let (answered, serde_ok) = crate::request::scan::answer_counts(
            body(),
            |body| read(body).is_some(),
            |body| serde_json::from_str::<BorrowedRequest<'_>>(body).is_ok(),
        );
        assert!(answered > 500 && serde_ok > answered, "{answered} of {serde_ok}");
    }
}
