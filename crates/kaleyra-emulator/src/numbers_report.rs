//! What `GET /__emulator/numbers` answers: what was created, a page at a time.

use serde::{Deserialize, Serialize};

use kaleyra_model::NumberRecord;

/// `GET /__emulator/numbers`, a page at a time (`?offset=N&limit=M`, 1,000 numbers by default,
/// 10,000 at most), or all of it through [`crate::RunningEmulator::numbers`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NumbersReport {
    /// Create and update requests that reached the handler, whatever became of them.
    pub received: u64,
    /// Of those, how many the limits answered 429 (rate limit or requests in flight); injected
    /// faults are not counted here.
    #[serde(default)]
    pub throttled: u64,
    /// Records created, every page together (the same on every page, as `received` is).
    #[serde(default)]
    pub created: u64,
    /// One entry per `wa_number` that came in a valid, authenticated request (this page's).
    pub numbers: Vec<NumberEntry>,
    /// Numbers in all, every page together.
    #[serde(default)]
    pub total_numbers: u64,
    /// The `offset` of the next page, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u64>,
}

/// One number: how often it was asked for, how often it was created, and the records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NumberEntry {
    /// The number.
    pub wa_number: String,
    /// Valid, authenticated create requests for it.
    pub requests: u64,
    /// How many of them created a record.
    pub creations: u64,
    /// Valid, authenticated update requests that changed its latest record.
    #[serde(default)]
    pub updates: u64,
    /// The records, oldest first (an update changes the latest).
    pub records: Vec<NumberRecord>,
}

impl NumbersReport {
    /// The entry of `wa_number`.
    pub fn get(&self, wa_number: &str) -> Option<&NumberEntry> {
        self.numbers.iter().find(|entry| entry.wa_number == wa_number)
    }

    /// Records created, the numbers of this report together: of this page only, for a page
    /// (see [`NumbersReport::created`] for every page).
    pub fn creations(&self) -> u64 {
        self.numbers.iter().map(|entry| entry.creations).sum()
    }
}
