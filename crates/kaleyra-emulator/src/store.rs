//! The in-memory store: per number, how many create requests came in, how many records were
//! created, and the records themselves as the JSON they were answered with.

use std::collections::BTreeMap;

use crate::admin::NumberEntry;

#[derive(Debug, Default)]
pub(crate) struct Store {
    numbers: BTreeMap<String, Entry>,
    next_id: u64,
    /// Whether any record exists (kept, not computed: a scan per request made a large import
    /// quadratic).
    created_any: bool,
}

#[derive(Debug, Default)]
struct Entry {
    requests: u64,
    creations: u64,
    /// Each record's JSON, as it was answered.
    records: Vec<Box<[u8]>>,
}

/// What becomes of a valid create request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The number has a record and duplicates are refused.
    Duplicate,
    /// A record is to be made with this id; `not_first` tells whether this account created
    /// anything before.
    Create { id: u64, not_first: bool },
}

impl Store {
    /// Counts a valid, authenticated create request for `wa_number` and admits it: the creation
    /// is counted here, so that a second request for the number is a duplicate even before the
    /// first one's record is kept (the record is written outside the lock).
    pub(crate) fn admit(&mut self, wa_number: &str, reject_duplicates: bool) -> Admission {
        let entry = match self.numbers.get_mut(wa_number) {
            Some(entry) => entry,
            None => self.numbers.entry(wa_number.to_owned()).or_default(),
        };
        entry.requests += 1;
        if entry.creations > 0 && reject_duplicates {
            return Admission::Duplicate;
        }
        entry.creations += 1;
        self.next_id += 1;
        let not_first = std::mem::replace(&mut self.created_any, true);
        Admission::Create { id: self.next_id, not_first }
    }

    /// Keeps the record of a creation [`Store::admit`] admitted.
    pub(crate) fn keep(&mut self, wa_number: &str, record: Box<[u8]>) {
        if let Some(entry) = self.numbers.get_mut(wa_number) {
            entry.records.push(record);
        }
    }

    /// Every number, in order, with its records read back.
    pub(crate) fn entries(&self) -> Vec<NumberEntry> {
        self.numbers
            .iter()
            .map(|(wa_number, entry)| NumberEntry {
                wa_number: wa_number.clone(),
                requests: entry.requests,
                creations: entry.creations,
                // Written from the model's own shape (a test in `record` holds them together),
                // so none is dropped here.
                records: entry
                    .records
                    .iter()
                    .filter_map(|json| serde_json::from_slice(json).ok())
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

    fn create(store: &mut Store, number: &str) -> Admission {
        let admission = store.admit(number, true);
        if let Admission::Create { id, not_first } = admission {
            let json = serde_json::json!({"id": id, "notFirstRequest": i64::from(not_first)});
            store.keep(number, json.to_string().into_bytes().into());
        }
        admission
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
            store.admit("+13236550017", false),
            Admission::Create { id: 3, not_first: true }
        );
        let entries = store.entries();
        assert_eq!((entries[0].requests, entries[0].creations), (3, 2));
        assert_eq!(entries[0].records.len(), 1, "the third record was never kept");
        assert_eq!(entries[0].records[0].id, 1);
        store.reset();
        assert_eq!(
            create(&mut store, "+13236550019"),
            Admission::Create { id: 1, not_first: false }
        );
        assert_eq!(store.entries()[0].records[0].not_first_request, 0);
    }

    #[test]
    fn a_creation_counts_before_its_record_is_kept() {
        let mut store = Store::default();
        assert!(matches!(store.admit("+13236550017", true), Admission::Create { .. }));
        assert_eq!(store.admit("+13236550017", true), Admission::Duplicate);
    }
}
