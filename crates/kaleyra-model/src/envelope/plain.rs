//! The common success envelope read in one pass: the API's own keys, each at most once, with
//! the values it answers (plain strings, `null`, small non-negative integers, an empty `error`
//! object, `website` as an array of strings). Anything else (an escape, an unknown key, a
//! negative or fractional number, a repeated key, a syntax error) goes to the serde readers in
//! `read.rs`, which decide it and say what is wrong; a property test holds the two together.

use super::read::{ENVELOPE_KEYS, RECORD_KEYS};
use super::{NumberRecord, SuccessEnvelope};
use crate::Code;
use crate::scan::{Reader, once};

/// The envelope in `body`, or `None` when serde must read it.
pub(super) fn read(body: &str) -> Option<SuccessEnvelope> {
    let mut reader = Reader::new(body);
    let mut envelope = SuccessEnvelope::default();
    let mut seen = [false; ENVELOPE_KEYS.len()];
    reader.object(|reader| {
        let index = reader.key(&ENVELOPE_KEYS, |key| key)?;
        once(&mut seen, index)?;
        reader.expect(b':')?;
        match index {
            0 => envelope.code = Code::new(reader.string()?),
            1 => envelope.message = reader.string()?.to_owned(),
            2 => envelope.data = reader.array(record)?,
            // Only the empty object the API answers.
            _ => reader.object(|_| None)?,
        }
        Some(())
    })?;
    reader.at_end().then_some(envelope)
}

fn record(reader: &mut Reader<'_>) -> Option<NumberRecord> {
    let mut record = NumberRecord::default();
    let mut seen = [false; RECORD_KEYS.len()];
    let mut last = RECORD_KEYS.len();
    reader.object(|reader| {
        let index = reader.key_after(&RECORD_KEYS, last, |key| key)?;
        last = index;
        once(&mut seen, index)?;
        reader.expect(b':')?;
        let r = &mut record;
        match index {
            0 => r.company_id = text(reader)?,
            1 => r.phone_number = text(reader)?,
            2 => r.country = text(reader)?,
            3 => r.iso_code = text(reader)?,
            4 => r.status = signed(reader)?,
            5 => r.description = optional(reader)?,
            6 => r.address = optional(reader)?,
            7 => r.email = optional(reader)?,
            8 => r.name = text(reader)?,
            // The array the API answers (a lone string or `null` is serde's).
            9 => r.website = reader.array(text)?,
            10 => r.incoming_url = optional(reader)?,
            11 => r.category = optional(reader)?,
            12 => r.profile_image = optional(reader)?,
            13 => reader.null()?,
            14 => r.created_by = text(reader)?,
            15 => r.created_at = signed(reader)?,
            16 => r.id = reader.small_integer()?,
            _ => r.not_first_request = signed(reader)?,
        }
        Some(())
    })?;
    Some(record)
}

fn text(reader: &mut Reader<'_>) -> Option<String> {
    reader.string().map(str::to_owned)
}

fn optional(reader: &mut Reader<'_>) -> Option<Option<String>> {
    if reader.next_is(b'"') { text(reader).map(Some) } else { reader.null().map(|()| None) }
}

fn signed(reader: &mut Reader<'_>) -> Option<i64> {
    reader.small_integer().and_then(|value| i64::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the emulator answers, and so the API's example.
    const COMMON: &str = r#"{"code":"I102","message":"Phone Number created successfully.","data":[{"company_id":"ZEMU932d","phone_number":"+13236550017","country":"US","iso_code":"US","status":2,"description":null,"address":"my address","email":"xyz@example.com","name":"xyz","website":["https://google.com/testing"],"incoming_url":null,"category":"Medical and Health","profile_image":null,"meta_value":null,"created_by":"HXBENCH071US","created_at":1795677444,"id":1,"notFirstRequest":0}],"error":{}}"#;

    fn serde(body: &str) -> Result<SuccessEnvelope, String> {
        crate::json::from_bytes::<SuccessEnvelope>(body.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_common_envelope_as_serde_does() {
        let fast = read(COMMON).unwrap();
        assert_eq!(Ok(fast.clone()), serde(COMMON));
        assert_eq!(fast.record().unwrap().id, 1);
        assert_eq!(SuccessEnvelope::from_slice(COMMON.as_bytes()).unwrap(), fast);
        for left in [
            r#"{"code":"I102","other":1}"#,
            r#"{"code":"I102","code":"I102"}"#,
            r#"{"data":[{"status":-1}]}"#,
            r#"{"data":[{"status":2.0}]}"#,
            r#"{"data":[{"id":0012}]}"#,
            r#"{"data":[{"website":"https://a.example"}]}"#,
            r#"{"error":{"a":1}}"#,
            r#"{"message":"a\"b"}"#,
            r#"{} x"#,
        ] {
            assert_eq!(read(left), None, "{left}");
        }
    }

    /// Members near the common ones: known and unknown keys, every kind of value, repeats.
    fn member(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
        let key = prop_oneof![
            8 => proptest::sample::select(keys).prop_map(str::to_owned),
            1 => proptest::sample::select(vec!["extra", "Id", "id ", "e\\u0078tra"]).prop_map(str::to_owned),
        ];
        let value = proptest::sample::select(vec![
            r#""abc""#,
            r#""US""#,
            r#""é€""#,
            r#""a\"b""#,
            r#""""#,
            "null",
            "0",
            "2",
            "007",
            "-1",
            "1.5",
            "1e3",
            "12345678901234567",
            "123456789012345678901",
            "[]",
            r#"["a"]"#,
            r#"["a","b"]"#,
            r#"["a",1]"#,
            "{}",
            r#"{"a":1}"#,
            "true",
            r#""I102""#,
        ]);
        let space = proptest::sample::select(vec!["", "", "", " ", "\n", "\u{a0}"]);
        (key, space.clone(), value, space).prop_map(|(k, s1, v, s2)| format!("\"{k}\"{s1}:{v}{s2}"))
    }

    fn object(members: Vec<String>) -> String {
        format!("{{{}}}", members.join(","))
    }

    fn body() -> impl Strategy<Value = String> {
        let record = proptest::collection::vec(member(&RECORD_KEYS), 0..22).prop_map(object);
        let data = proptest::collection::vec(record, 0..3)
            .prop_map(|records| format!("\"data\":[{}]", records.join(",")));
        let others = proptest::collection::vec(member(&ENVELOPE_KEYS), 0..4);
        let tail = proptest::sample::select(vec!["", "", "", " ", "x", ","]);
        (others, data, any::<bool>(), tail).prop_map(|(mut members, data, first, tail)| {
            if first {
                members.insert(0, data)
            } else {
                members.push(data)
            }
            format!("{}{tail}", object(members))
        })
    }

    /// Where this reader answers, serde answers the same; and it answers often enough to matter.
    #[test]
    fn answers_only_as_serde_would() {
        proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(20_000))
            .run(&body(), |body| {
                if let Some(ours) = read(&body) {
                    prop_assert_eq!(Ok(ours), serde(&body), "{:?}", body);
                }
                Ok(())
            })
            .unwrap();
        let (answered, serde_ok) = crate::scan::answer_counts(
            body(),
            |body| read(body).is_some(),
            |body| serde(body).is_ok(),
        );
        assert!(answered > 100 && serde_ok > answered, "{answered} of {serde_ok}");
    }
}
