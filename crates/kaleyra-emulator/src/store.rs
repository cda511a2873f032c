//! The in-memory store: created records and, per number, how many create requests came in and
//! how many records were created.

use std::collections::BTreeMap;

use kaleyra_model::NumberRecord;

use crate::admin::{NumberEntry, NumbersReport};

#[derive(Debug, Default)]
pub(crate) struct Store {
    numbers: BTreeMap<String, NumberEntry>,
    next_id: u64,
    received: u64,
    /// Whether any record exists (kept, not computed: a scan per request made a large import
    /// quadratic).
    created_any: bool,
}

impl Store {
    /// Counts a create request that reached the handler (before any fault or check).
    pub(crate) fn count_received(&mut self) {
        self.received += 1;
    }

    /// Counts a valid, authenticated create request for `wa_number`; tells whether the number
    /// already has a record.
    pub(crate) fn count_request(&mut self, wa_number: &str) -> bool {
        let entry = match self.numbers.get_mut(wa_number) {
            Some(entry) => entry,
            None => self.numbers.entry(wa_number.to_owned()).or_insert_with(|| NumberEntry {
                wa_number: wa_number.to_owned(),
                requests: 0,
                creations: 0,
                records: Vec::new(),
            }),
        };
        entry.requests += 1;
        entry.creations > 0
    }

    /// Stores a record made by `make` from the next id; `not_first` tells `make` whether this
    /// account created anything before.
    pub(crate) fn create(
        &mut self,
        wa_number: &str,
        make: impl FnOnce(u64, bool) -> NumberRecord,
    ) -> NumberRecord {
        self.next_id += 1;
        let record = make(self.next_id, self.created_any);
        if let Some(entry) = self.numbers.get_mut(wa_number) {
            entry.creations += 1;
            entry.records.push(record.clone());
            self.created_any = true;
        }
        record
    }

    pub(crate) fn report(&self) -> NumbersReport {
        NumbersReport { received: self.received, numbers: self.numbers.values().cloned().collect() }
    }

    pub(crate) fn reset(&mut self) {
        *self = Store::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, not_first: bool) -> NumberRecord {
        serde_json::from_value(
            serde_json::json!({"id": id, "notFirstRequest": i64::from(not_first)}),
        )
        .unwrap()
    }

    #[test]
    fn not_first_turns_true_after_the_first_creation_on_any_number_and_back_on_reset() {
        let mut store = Store::default();
        let mut make = |number: &str| {
            store.count_request(number);
            store.create(number, record)
        };
        assert_eq!(make("+13236550017").not_first_request, 0);
        assert_eq!(make("+13236550018").not_first_request, 1);
        assert_eq!(make("+13236550017").not_first_request, 1);
        store.reset();
        store.count_request("+13236550019");
        assert_eq!(store.create("+13236550019", record).not_first_request, 0);
        assert_eq!(store.report().numbers[0].requests, 1);
    }
}
