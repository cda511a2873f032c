//! Readers for the success envelope and its records, written by hand rather than derived with
//! `flatten`, which buffers the whole envelope and then each record again.
//! They keep the derived readers' rules: every key optional, duplicates of a known key refused,
//! `null` only where the field is an `Option` (and for `website`), unknown keys kept in `extra`,
//! anything but an object refused. A test compares them with derived readers on generated JSON.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::record_key::{RECORD_KEYS, RecordKey};
use super::{NumberRecord, SuccessEnvelope};

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
        let mut known = Known::new(&ENVELOPE_KEYS);
        let mut envelope = SuccessEnvelope::default();
        while let Some(key) = map.next_key::<String>()? {
            let e = &mut envelope;
            match known.index(&key)? {
                None => {
                    e.extra.insert(key, map.next_value()?);
                }
                Some(0) => e.code = map.next_value()?,
                Some(1) => e.message = map.next_value()?,
                Some(2) => e.data = map.next_value()?,
                Some(_) => e.error = map.next_value()?,
            }
        }
        Ok(envelope)
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
        let mut known = Known::new(&RECORD_KEYS);
        let mut record = NumberRecord::default();
        while let Some(key) = map.next_key::<String>()? {
            let Some(index) = known.index(&key)? else {
                record.extra.insert(key, map.next_value()?);
                continue;
            };
            let r = &mut record;
            match RecordKey::ALL[index] {
                RecordKey::CompanyId => r.company_id = map.next_value()?,
                RecordKey::PhoneNumber => r.phone_number = map.next_value()?,
                RecordKey::Country => r.country = map.next_value()?,
                RecordKey::IsoCode => r.iso_code = map.next_value()?,
                RecordKey::Status => r.status = map.next_value()?,
                RecordKey::Description => r.description = map.next_value()?,
                RecordKey::Address => r.address = map.next_value()?,
                RecordKey::Email => r.email = map.next_value()?,
                RecordKey::Name => r.name = map.next_value()?,
                RecordKey::Website => r.website = map.next_value::<Website>()?.0,
                RecordKey::IncomingUrl => r.incoming_url = map.next_value()?,
                RecordKey::Category => r.category = map.next_value()?,
                RecordKey::ProfileImage => r.profile_image = map.next_value()?,
                RecordKey::MetaValue => r.meta_value = map.next_value()?,
                RecordKey::CreatedBy => r.created_by = map.next_value()?,
                RecordKey::CreatedAt => r.created_at = map.next_value()?,
                RecordKey::Id => r.id = map.next_value()?,
                RecordKey::NotFirstRequest => r.not_first_request = map.next_value()?,
                RecordKey::About => r.about = map.next_value()?,
            }
        }
        Ok(record)
    }
}

/// The envelope's keys, in the order of its `match`.
pub(super) const ENVELOPE_KEYS: [&str; 4] = ["code", "message", "data", "error"];

/// An object's known keys, and which of them were read: a second one is refused, as derived
/// readers do.
struct Known {
    keys: &'static [&'static str],
    seen: u32,
}

impl Known {
    fn new(keys: &'static [&'static str]) -> Self {
        Known { keys, seen: 0 }
    }

    /// The position of `key` among the known keys, `None` for an unknown one.
    fn index<E: de::Error>(&mut self, key: &str) -> Result<Option<usize>, E> {
        let Some(index) = self.keys.iter().position(|known| *known == key) else {
            return Ok(None);
        };
        let bit = 1 << index;
        if self.seen & bit != 0 {
            return Err(E::duplicate_field(self.keys[index]));
        }
        self.seen |= bit;
        Ok(Some(index))
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
