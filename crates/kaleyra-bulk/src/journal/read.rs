//! Reading one journal line. Entries are tagged by `kind` inside the object, and serde's derived
//! reader for that buffers the whole object first (most of a replay's time). The journal always
//! writes `kind` first, so a reader that takes the tag first and the fields straight after reads
//! it in one pass; whatever it does not take (another order, a type error, anything odd) goes to
//! the derived reader, whose verdict is the rule. A property test holds the two together.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::Entry;

/// The entry on `line` (its line end may still be there), as the derived reader reads it.
pub(super) fn entry(line: &[u8]) -> serde_json::Result<Entry> {
    match serde_json::from_slice::<KindFirst>(line) {
        Ok(KindFirst(entry)) => Ok(entry),
        Err(_) => serde_json::from_slice::<Entry>(line),
    }
}

/// An entry whose first key is `kind`.
struct KindFirst(Entry);

impl<'de> Deserialize<'de> for KindFirst {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(KindFirstVisitor)
    }
}

struct KindFirstVisitor;

/// Every field any entry has; each entry takes its own and ignores the rest, as derived.
#[derive(Default)]
struct Fields {
    version: Option<u32>,
    fingerprint: Option<String>,
    format: Option<String>,
    operation: Option<Option<String>>,
    delimiter: Option<Option<String>>,
    row: Option<u64>,
    id: Option<u64>,
    status: Option<i64>,
    http_status: Option<u16>,
    code: Option<String>,
    parameter: Option<String>,
    message: Option<String>,
    reason: Option<String>,
}

impl<'de> Visitor<'de> for KindFirstVisitor {
    type Value = KindFirst;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a journal entry with `kind` first")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KindFirst, A::Error> {
        if map.next_key::<&str>()? != Some("kind") {
            return Err(de::Error::custom("`kind` is not first"));
        }
        let kind: &str = map.next_value()?;
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "version" => once(&mut f.version, map.next_value()?)?,
                "fingerprint" => once(&mut f.fingerprint, map.next_value()?)?,
                "format" => once(&mut f.format, map.next_value()?)?,
                "operation" => once(&mut f.operation, map.next_value()?)?,
                "delimiter" => once(&mut f.delimiter, map.next_value()?)?,
                "row" => once(&mut f.row, map.next_value()?)?,
                "id" => once(&mut f.id, map.next_value()?)?,
                "status" => once(&mut f.status, map.next_value()?)?,
                "http_status" => once(&mut f.http_status, map.next_value()?)?,
                "code" => once(&mut f.code, map.next_value()?)?,
                "parameter" => once(&mut f.parameter, map.next_value()?)?,
                "message" => once(&mut f.message, map.next_value()?)?,
                "reason" => once(&mut f.reason, map.next_value()?)?,
                // A second tag is an error to the derived reader.
                "kind" => return Err(de::Error::custom("`kind` twice")),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let entry = match kind {
            "begin" => Entry::Begin {
                version: need(f.version)?,
                fingerprint: need(f.fingerprint)?,
                format: need(f.format)?,
                operation: f.operation.flatten(),
                delimiter: f.delimiter.flatten(),
            },
            "resume" => Entry::Resume { fingerprint: need(f.fingerprint)? },
            "intent" => Entry::Intent { row: need(f.row)? },
            "released" => Entry::Released { row: need(f.row)? },
            "created" => {
                Entry::Created { row: need(f.row)?, id: need(f.id)?, status: need(f.status)? }
            }
            "exists" => Entry::Exists { row: need(f.row)? },
            "rejected" => Entry::Rejected {
                row: need(f.row)?,
                http_status: need(f.http_status)?,
                code: need(f.code)?,
                parameter: need(f.parameter)?,
                message: need(f.message)?,
            },
            "unknown" => Entry::Unknown { row: need(f.row)?, reason: need(f.reason)? },
            "failed" => Entry::Failed { row: need(f.row)?, reason: need(f.reason)? },
            _ => return Err(de::Error::custom("unknown kind")),
        };
        Ok(KindFirst(entry))
    }
}

/// Keys given twice are an error to the derived reader (but only for the entry's own fields: a
/// repeated foreign key ends up here too, and the derived reader decides).
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    match slot.replace(value) {
        None => Ok(()),
        Some(_) => Err(E::custom("repeated key")),
    }
}

fn need<T, E: de::Error>(value: Option<T>) -> Result<T, E> {
    value.ok_or_else(|| E::custom("missing field"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn an_entry() -> impl Strategy<Value = Entry> {
        let text = "[a-z \"\\\\é]{0,8}";
        prop_oneof![
            (any::<u32>(), text, text, proptest::option::of(text), proptest::option::of(text))
                .prop_map(|(version, fingerprint, format, operation, delimiter)| {
                    Entry::Begin { version, fingerprint, format, operation, delimiter }
                }),
            text.prop_map(|fingerprint| Entry::Resume { fingerprint }),
            any::<u64>().prop_map(|row| Entry::Intent { row }),
            any::<u64>().prop_map(|row| Entry::Released { row }),
            (any::<u64>(), any::<u64>(), any::<i64>())
                .prop_map(|(row, id, status)| Entry::Created { row, id, status }),
            any::<u64>().prop_map(|row| Entry::Exists { row }),
            (any::<u64>(), any::<u16>(), text, text, text).prop_map(
                |(row, http_status, code, parameter, message)| Entry::Rejected {
                    row,
                    http_status,
                    code,
                    parameter,
                    message
                }
            ),
            (any::<u64>(), text).prop_map(|(row, reason)| Entry::Unknown { row, reason }),
            (any::<u64>(), text).prop_map(|(row, reason)| Entry::Failed { row, reason }),
        ]
    }

    /// A line as the journal writes it, or changed the ways a foreign or damaged line might be:
    /// keys moved, dropped, repeated or added, values of another type.
    fn a_line() -> impl Strategy<Value = String> {
        let extra = prop_oneof![
            Just(r#""kind":"intent""#),
            Just(r#""row":"7""#),
            Just(r#""row":-1"#),
            Just(r#""id":1.5"#),
            Just(r#""status":9223372036854775808"#),
            Just(r#""version":4294967296"#),
            Just(r#""http_status":70000"#),
            Just(r#""other":[1,{"a":null}]"#),
            Just(r#""reason":null"#),
        ];
        (an_entry(), 0..5u8, any::<prop::sample::Index>(), extra).prop_map(
            |(entry, change, at, extra)| {
                let json = serde_json::to_string(&entry).unwrap();
                let inner = &json[1..json.len() - 1];
                let mut parts: Vec<String> = split_members(inner);
                match change {
                    0 => {}
                    1 => parts.rotate_left(1),
                    2 => drop(parts.remove(at.index(parts.len()))),
                    3 => parts.insert(at.index(parts.len() + 1), extra.to_owned()),
                    _ => parts.push(parts[at.index(parts.len())].clone()),
                }
                format!("{{{}}}", parts.join(","))
            },
        )
    }

    /// The members of a JSON object's inside, as written by serde_json (no nested objects).
    fn split_members(inner: &str) -> Vec<String> {
        let value: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&format!("{{{inner}}}")).unwrap();
        let mut keys: Vec<&String> = value.keys().collect();
        // serde_json's map is sorted; put the members back in the order they were written.
        keys.sort_by_key(|key| inner.find(&format!("\"{key}\":")));
        keys.iter().map(|key| format!("\"{key}\":{}", value[*key])).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// Whatever the line, the verdict is the derived reader's.
        #[test]
        fn reads_every_line_as_the_derived_reader(line in a_line()) {
            let derived = serde_json::from_str::<Entry>(&line).map_err(|e| e.to_string());
            let ours = entry(line.as_bytes()).map_err(|e| e.to_string());
            prop_assert_eq!(ours, derived, "{}", line);
        }

        /// Lines as the journal writes them take the one-pass reader.
        #[test]
        fn written_lines_take_the_one_pass_reader(written in an_entry()) {
            let line = serde_json::to_string(&written).unwrap();
            let KindFirst(read) = serde_json::from_str::<KindFirst>(&line).unwrap();
            prop_assert_eq!(read, written);
        }
    }
}
