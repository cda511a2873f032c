//! Readers for the success envelope and its records, written by hand to read in one pass.
//! They keep the derived readers' rules: every key optional, duplicates of a known key refused,
//! `null` only where the field is an `Option` (and for `website`), unknown keys kept in `extra`,
//! anything but an object refused. A test compares them with derived readers on generated JSON.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Map;

use super::{NumberRecord, SuccessEnvelope};

/// Reads the next value into `slot`, refusing a key seen before.
fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    key: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Deserialize<'de> for SuccessEnvelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = SuccessEnvelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a success envelope object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SuccessEnvelope, A::Error> {
        let (mut code, mut message, mut data, mut error) = (None, None, None, None);
        let mut extra = Map::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "code" => once(&mut map, &mut code, "code")?,
                "message" => once(&mut map, &mut message, "message")?,
                "data" => once(&mut map, &mut data, "data")?,
                "error" => once(&mut map, &mut error, "error")?,
                _ => {
                    extra.insert(key.into_owned(), map.next_value()?);
                }
            }
        }
        Ok(SuccessEnvelope {
            code: code.unwrap_or_default(),
            message: message.unwrap_or_default(),
            data: data.unwrap_or_default(),
            error: error.unwrap_or_default(),
            extra,
        })
    }
}

impl<'de> Deserialize<'de> for NumberRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = NumberRecord;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NumberRecord, A::Error> {
        let mut seen = Seen::default();
        let mut record = NumberRecord::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let Some(index) = KEYS.iter().position(|known| *known == key) else {
                record.extra.insert(key.into_owned(), map.next_value()?);
                continue;
            };
            seen.first(index, KEYS[index])?;
            let r = &mut record;
            match index {
                0 => r.company_id = map.next_value()?,
                1 => r.phone_number = map.next_value()?,
                2 => r.country = map.next_value()?,
                3 => r.iso_code = map.next_value()?,
                4 => r.status = map.next_value()?,
                5 => r.description = map.next_value()?,
                6 => r.address = map.next_value()?,
                7 => r.email = map.next_value()?,
                8 => r.name = map.next_value()?,
                9 => r.website = map.next_value::<Website>()?.0,
                10 => r.incoming_url = map.next_value()?,
                11 => r.category = map.next_value()?,
                12 => r.profile_image = map.next_value()?,
                13 => r.meta_value = map.next_value()?,
                14 => r.created_by = map.next_value()?,
                15 => r.created_at = map.next_value()?,
                16 => r.id = map.next_value()?,
                _ => r.not_first_request = map.next_value()?,
            }
        }
        Ok(record)
    }
}

/// A record's keys, in the order of the `match` above.
const KEYS: [&str; 18] = [
    "company_id",
    "phone_number",
    "country",
    "iso_code",
    "status",
    "description",
    "address",
    "email",
    "name",
    "website",
    "incoming_url",
    "category",
    "profile_image",
    "meta_value",
    "created_by",
    "created_at",
    "id",
    "notFirstRequest",
];

/// Which known keys were read.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn first<E: de::Error>(&mut self, index: usize, key: &'static str) -> Result<(), E> {
        let bit = 1 << index;
        if self.0 & bit != 0 {
            return Err(E::duplicate_field(key));
        }
        self.0 |= bit;
        Ok(())
    }
}

/// `website`: a list of strings, one string, or `null`.
struct Website(Vec<String>);

impl<'de> Deserialize<'de> for Website {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WebsiteVisitor)
    }
}

struct WebsiteVisitor;

impl<'de> Visitor<'de> for WebsiteVisitor {
    type Value = Website;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings, a string or null")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Website, E> {
        Ok(Website(vec![value.to_owned()]))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Website, E> {
        Ok(Website(vec![value]))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Website, E> {
        Ok(Website(Vec::new()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Website, E> {
        Ok(Website(Vec::new()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Website, A::Error> {
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(item) = seq.next_element::<String>()? {
            list.push(item);
        }
        Ok(Website(list))
    }
}
