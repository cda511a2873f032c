//! The in-memory store: per number, how many create requests came in, how many records were
//! created, and the records themselves as the JSON they were answered with.

use std::collections::BTreeMap;
use std::ops::Range;

use bytes::Bytes;

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
    /// Each record's JSON: a slice of the response that carried it.
    records: Vec<Bytes>,
}

impl Store {
    /// Counts a valid, authenticated create request for `wa_number`; tells whether the number
    /// already has a record.
    pub(crate) fn count_request(&mut self, wa_number: &str) -> bool {
        let entry = match self.numbers.get_mut(wa_number) {
            Some(entry) => entry,
            None => self.numbers.entry(wa_number.to_owned()).or_default(),
        };
        entry.requests += 1;
        !entry.records.is_empty()
    }

    /// Creates a record for a number [`Store::count_request`] counted: `make` writes the
    /// response from the next id and whether this account created anything before, and says
    /// where in it the record is. Returns the response.
    pub(crate) fn create(
        &mut self,
        wa_number: &str,
        make: impl FnOnce(u64, bool) -> (Bytes, Range<usize>),
    ) -> Bytes {
        self.next_id += 1;
        let (response, record) = make(self.next_id, self.created_any);
        if let Some(entry) = self.numbers.get_mut(wa_number) {
            entry.records.push(response.slice(record));
            self.created_any = true;
        }
        response
    }

    /// Every number, in order, with its records read back.
    pub(crate) fn entries(&self) -> Vec<NumberEntry> {
        self.numbers
            .iter()
            .map(|(wa_number, entry)| NumberEntry {
                wa_number: wa_number.clone(),
                requests: entry.requests,
                creations: entry.records.len() as u64,
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

    fn record(id: u64, not_first: bool) -> (Bytes, Range<usize>) {
        let json = format!(
            r#"{{"data":[{}]}}"#,
            serde_json::json!({"id": id, "notFirstRequest": i64::from(not_first)})
        );
        let range = 9..json.len() - 2;
        (Bytes::from(json), range)
    }

    #[test]
    fn not_first_turns_true_after_the_first_creation_on_any_number_and_back_on_reset() {
        let mut store = Store::default();
        let mut make = |number: &str| {
            store.count_request(number);
            store.create(number, record);
            store.entries()
        };
        let not_first = |entries: Vec<NumberEntry>, number: &str| {
            let entry = entries.into_iter().find(|e| e.wa_number == number).unwrap();
            entry.records.last().unwrap().not_first_request
        };
        assert_eq!(not_first(make("+13236550017"), "+13236550017"), 0);
        assert_eq!(not_first(make("+13236550018"), "+13236550018"), 1);
        let entries = make("+13236550017");
        assert_eq!(not_first(entries.clone(), "+13236550017"), 1);
        assert_eq!(entries[0].creations, 2);
        assert_eq!(entries[0].records[0].id, 1);
        store.reset();
        store.count_request("+13236550019");
        store.create("+13236550019", record);
        let entries = store.entries();
        assert_eq!(entries[0].records[0].not_first_request, 0);
        assert_eq!(entries[0].requests, 1);
    }
}
