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
}

impl Store {
    /// Counts a create request that reached the handler (before any fault or check).
    pub(crate) fn count_received(&mut self) {
        self.received += 1;
    }

    /// Counts a valid, authenticated create request for `wa_number`; tells whether the number
    /// already has a record.
    pub(crate) fn count_request(&mut self, wa_number: &str) -> bool {
        let entry = self.numbers.entry(wa_number.to_owned()).or_insert_with(|| NumberEntry {
            wa_number: wa_number.to_owned(),
            requests: 0,
            creations: 0,
            records: Vec::new(),
        });
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
        let not_first = self.numbers.values().any(|entry| entry.creations > 0);
        let record = make(self.next_id, not_first);
        if let Some(entry) = self.numbers.get_mut(wa_number) {
            entry.creations += 1;
            entry.records.push(record.clone());
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
