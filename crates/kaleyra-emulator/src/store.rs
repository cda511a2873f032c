//! The in-memory store: per number, how many create requests came in, how many records were
//! created, and the records themselves as the JSON they were answered with.

use std::collections::BTreeMap;

use kaleyra_model::NumberRecord;

use crate::numbers_report::NumberEntry;
use crate::record::KeptRecord;

#[derive(Debug, Default)]
pub(crate) struct Store {
    numbers: BTreeMap<String, Entry>,
    next_id: u64,
    /// Whether any record exists (kept, not computed: a scan per request made a large import
    /// quadratic).
    created_any: bool,
    /// Records kept, all numbers together.
    records: usize,
}

#[derive(Debug, Default)]
struct Entry {
    requests: u64,
    creations: u64,
    updates: u64,
    /// Each record, as it was last answered.
    records: Vec<KeptRecord>,
}

/// What becomes of a valid create request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The number has a record and duplicates are refused.
    Duplicate,
    /// The store holds as many records as it may: nothing was kept or counted.
    Full,
    /// A record is to be made with this id; `not_first` tells whether this account created
    /// anything before.
    Create { id: u64, not_first: bool },
}

impl Store {
    /// Counts a valid, authenticated create request for `wa_number` and admits it, keeping its
    /// record (written up to its `id`, which is decided here): one lock for both, so a second
    /// request for the number is a duplicate as soon as the first one is admitted, and its
    /// record is listed from then on.
    /// Once `max_records` records are kept, a request for a new record is [`Admission::Full`].
    pub(crate) fn admit(
        &mut self,
        wa_number: &str,
        reject_duplicates: bool,
        max_records: usize,
        record_head: Box<[u8]>,
    ) -> Admission {
        let known = self.numbers.get(wa_number).is_some_and(|entry| entry.creations > 0);
        if self.records >= max_records && !(known && reject_duplicates) {
            return Admission::Full;
        }
        let entry = match self.numbers.get_mut(wa_number) {
            Some(entry) => entry,
            None => self.numbers.entry(wa_number.to_owned()).or_default(),
        };
        entry.requests += 1;
        if entry.creations > 0 && reject_duplicates {
            return Admission::Duplicate;
        }
        entry.creations += 1;
        self.records += 1;
        self.next_id += 1;
        let not_first = std::mem::replace(&mut self.created_any, true);
        entry.records.push(KeptRecord::Created { head: record_head, id: self.next_id, not_first });
        Admission::Create { id: self.next_id, not_first }
    }

    /// Applies `change` to the latest record of `wa_number` and keeps the result: the record's
    /// JSON as it is now, or `None` when the number has no record (nothing is counted then).
    pub(crate) fn update(
        &mut self,
        wa_number: &str,
        change: impl FnOnce(&mut NumberRecord),
    ) -> Option<Vec<u8>> {
        let entry = self.numbers.get_mut(wa_number)?;
        let kept = entry.records.last_mut()?;
        // Kept records are the model's own serialization (a test in `record` holds them to
        // it): reading one back cannot fail.
        let mut record: NumberRecord = serde_json::from_slice(&kept.json()).ok()?;
        change(&mut record);
        let json = serde_json::to_vec(&record).ok()?;
        *kept = KeptRecord::Updated(json.clone().into());
        entry.updates += 1;
        Some(json)
    }

    /// Every number, in order, with its records read back.
    pub(crate) fn entries(&self) -> Vec<NumberEntry> {
        self.page(0, usize::MAX)
    }

    /// Records created, all numbers together.
    pub(crate) fn records(&self) -> u64 {
        self.records as u64
    }

    /// Numbers in all.
    pub(crate) fn len(&self) -> usize {
        self.numbers.len()
    }

    /// At most `limit` numbers from the `offset`-th, in order, with their records read back.
    pub(crate) fn page(&self, offset: usize, limit: usize) -> Vec<NumberEntry> {
        self.numbers
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(wa_number, entry)| NumberEntry {
                wa_number: wa_number.clone(),
                requests: entry.requests,
                creations: entry.creations,
                updates: entry.updates,
                // Written from the model's own shape (a test in `record` holds them together),
                // so none is dropped here.
                records: entry
                    .records
                    .iter()
                    .filter_map(|record| serde_json::from_slice(&record.json()).ok())
                    .collect(),
            })
            .collect()
    }

    pub(crate) fn reset(&mut self) {
        *self = Store::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record head as the service writes it: a record up to its `id`.
    fn head(name: &str) -> Box<[u8]> {
        format!("{{\"name\":\"{name}\",").into_bytes().into()
    }

    fn create(store: &mut Store, number: &str) -> Admission {
        store.admit(number, true, usize::MAX, head("x"))
    }

    #[test]
    fn not_first_turns_true_after_the_first_creation_on_any_number_and_back_on_reset() {
        let mut store = Store::default();
        let first = create(&mut store, "+13236550017");
        assert_eq!(first, Admission::Create { id: 1, not_first: false });
        assert_eq!(
            create(&mut store, "+13236550018"),
            Admission::Create { id: 2, not_first: true }
        );
        assert_eq!(create(&mut store, "+13236550017"), Admission::Duplicate);
        assert_eq!(
            store.admit("+13236550017", false, usize::MAX, head("again")),
            Admission::Create { id: 3, not_first: true }
        );
        let entries = store.entries();
        assert_eq!((entries[0].requests, entries[0].creations), (3, 2));
        let records: Vec<_> = entries[0]
            .records
            .iter()
            .map(|r| (r.id, r.name.as_str(), r.not_first_request))
            .collect();
        assert_eq!(records, [(1, "x", 0), (3, "again", 1)], "the duplicate was not kept");
        store.reset();
        assert_eq!(
            create(&mut store, "+13236550019"),
            Admission::Create { id: 1, not_first: false }
        );
        assert_eq!(store.entries()[0].records[0].not_first_request, 0);
    }

    #[test]
    fn a_full_store_keeps_nothing_more_but_still_knows_its_duplicates() {
        let mut store = Store::default();
        assert!(matches!(
            store.admit("+13236550017", true, 1, head("a")),
            Admission::Create { .. }
        ));
        assert_eq!(store.admit("+13236550018", true, 1, head("b")), Admission::Full);
        assert_eq!(store.admit("+13236550017", true, 1, head("a")), Admission::Duplicate);
        assert_eq!(store.admit("+13236550017", false, 1, head("a")), Admission::Full);
        assert_eq!(store.entries().len(), 1, "a refused number is not listed");
        store.reset();
        assert!(matches!(
            store.admit("+13236550018", true, 1, head("b")),
            Admission::Create { .. }
        ));
    }

    #[test]
    fn an_update_changes_the_latest_record_only_and_is_counted() {
        let mut store = Store::default();
        assert_eq!(store.update("+13236550017", |_| {}), None, "no record yet");
        assert!(matches!(create(&mut store, "+13236550017"), Admission::Create { .. }));
        assert!(matches!(
            store.admit("+13236550017", false, usize::MAX, head("second")),
            Admission::Create { .. }
        ));
        let json =
            store.update("+13236550017", |record| record.about = Some("Open".to_owned())).unwrap();
        let record: NumberRecord = serde_json::from_slice(&json).unwrap();
        assert_eq!((record.name.as_str(), record.about.as_deref()), ("second", Some("Open")));
        store.update("+13236550017", |record| record.address = Some("here".to_owned())).unwrap();
        let entry = &store.entries()[0];
        assert_eq!((entry.requests, entry.creations, entry.updates), (2, 2, 2));
        assert_eq!(entry.records[0].about, None, "the older record is left alone");
        let latest = &entry.records[1];
        assert_eq!(
            (latest.about.as_deref(), latest.address.as_deref()),
            (Some("Open"), Some("here"))
        );
        assert_eq!(store.entries().len(), 1, "an update of an unknown number lists nothing");
    }

    #[test]
    fn a_record_is_listed_from_its_admission() {
        let mut store = Store::default();
        assert!(matches!(create(&mut store, "+13236550017"), Admission::Create { .. }));
        assert_eq!(store.entries()[0].records.len(), 1);
        assert_eq!(create(&mut store, "+13236550017"), Admission::Duplicate);
    }
}
