//! Walking the generated phone tables (`index.rs`, `tables.bin`; see `xtask/src/phone_tables.rs`
//! for how they are made and laid out). Static data: nothing is loaded or built at run time, and
//! only the pages of the regions in use are ever read.

use super::index::{BY_CODE, CODES, REGIONS};

/// Bits of a scan's mask. Descriptors come first, in the order the crate's `number_type` tries
/// them: general, premium rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail,
/// fixed line, mobile.
const GENERAL: usize = 0;
const DESCRIPTORS: usize = 11;
const LEADING_DIGITS: usize = 11;
const PREFIX_FOR_PARSING: usize = 12;

const STATE_BYTES: usize = 24;

static STATES: &[u8] = include_bytes!("tables.bin");

/// One region of libphonenumber's metadata (or the non-geographic entity of a country code).
#[derive(Debug)]
pub(super) struct Region {
    /// ISO 3166-1 alpha-2, `None` for a non-geographic code ("001" in the metadata).
    pub(super) id: Option<&'static str>,
    pub(super) national_prefix: Option<&'static str>,
    /// Whether the metadata gives leading digits (which then decide the region alone).
    pub(super) leading_digits: bool,
    /// Whether the metadata gives a national prefix for parsing.
    pub(super) prefix_for_parsing: bool,
    /// First state of this region in `tables.bin`.
    pub(super) states: u32,
    /// Possible lengths of each descriptor as a bit mask (all ones: not checked).
    pub(super) lengths: [u32; DESCRIPTORS],
}

/// Which of a region's patterns match at the start of some digits.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scan {
    region: &'static Region,
    mask: u16,
    len: usize,
}

impl Region {
    /// Runs the region's DFA over ASCII `digits`.
    pub(super) fn scan(&'static self, digits: &[u8]) -> Scan {
        let rows = STATES.as_chunks::<STATE_BYTES>().0;
        let states = rows.get(self.states as usize..).unwrap_or_default();
        // The current state's row: its transitions and its pattern bits.
        let mut row = states.get(1);
        let mut mask = 0;
        for &digit in digits {
            // Callers pass ASCII digits; anything else ends in the dead state, not in another
            // state's words.
            let column = usize::from(digit.wrapping_sub(b'0'));
            let next = match row {
                Some(words) if column < 10 => usize::from(word(words, column)),
                _ => 0,
            };
            if next == 0 {
                return Scan { region: self, mask, len: digits.len() };
            }
            row = states.get(next);
            mask |= row.map_or(0, |words| word(words, 10));
        }
        mask |= row.map_or(0, |words| word(words, 11));
        Scan { region: self, mask, len: digits.len() }
    }
}

impl Scan {
    fn pattern(&self, bit: usize) -> bool {
        self.mask & (1 << bit) != 0
    }

    /// The crate's `Descriptor::is_match`: a possible length, and a match at the start.
    fn descriptor(&self, bit: usize) -> bool {
        // The pattern first: one bit to test, and most descriptors fail it.
        self.pattern(bit) && {
            let lengths = self.region.lengths[bit];
            lengths == u32::MAX
                || u32::try_from(self.len)
                    .ok()
                    .and_then(|len| lengths.checked_shr(len))
                    .is_some_and(|m| m & 1 == 1)
        }
    }

    /// The crate's `number_type(..) != Type::Unknown`.
    pub(super) fn known_type(&self) -> bool {
        self.descriptor(GENERAL) && (GENERAL + 1..DESCRIPTORS).any(|bit| self.descriptor(bit))
    }

    pub(super) fn leading_digits(&self) -> bool {
        self.pattern(LEADING_DIGITS)
    }

    pub(super) fn prefix_for_parsing(&self) -> bool {
        self.pattern(PREFIX_FOR_PARSING)
    }
}

/// One little-endian word of a state (its row of `tables.bin`); out of range reads as the dead
/// state.
fn word(state: &[u8; STATE_BYTES], index: usize) -> u16 {
    match state.get(index * 2..index * 2 + 2) {
        Some(&[low, high]) => u16::from_le_bytes([low, high]),
        _ => 0,
    }
}

/// The regions of a country code, in the order the crate tries them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Code {
    regions: &'static [u16],
}

impl Code {
    /// The crate's search for a country code: the first of the 1 to 3 leading digits it knows.
    pub(super) fn split(digits: &[u8]) -> Option<(Code, &[u8])> {
        (1..=3.min(digits.len())).find_map(|len| {
            let value = digits[..len]
                .iter()
                .fold(0usize, |v, d| v * 10 + usize::from(d.wrapping_sub(b'0')));
            let index = usize::from(*BY_CODE.get(value)?);
            let regions = CODES.get(index.checked_sub(1)?)?;
            Some((Code { regions }, &digits[len..]))
        })
    }

    /// The crate's `source_for`: the region whose metadata applies to a national number, with
    /// its scan of `national` when choosing it took one.
    pub(super) fn region_for(self, national: &[u8]) -> Option<(&'static Region, Option<Scan>)> {
        let mut regions = self.regions.iter().filter_map(|&i| REGIONS.get(usize::from(i)));
        if self.regions.len() == 1 {
            return regions.next().map(|region| (region, None));
        }
        regions.find_map(|region| {
            let scan = region.scan(national);
            let found =
                if region.leading_digits { scan.leading_digits() } else { scan.known_type() };
            found.then_some((region, Some(scan)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ISO 3166-1 alpha-2, as the API's `iso_code` is: the emulator writes them into JSON
    /// without looking for characters to escape.
    #[test]
    fn every_region_is_two_capital_letters() {
        let ids: Vec<_> = REGIONS.iter().filter_map(|r| r.id).collect();
        assert!(ids.len() > 200, "{} regions", ids.len());
        for id in ids {
            assert!(id.len() == 2 && id.bytes().all(|b| b.is_ascii_uppercase()), "{id:?}");
        }
    }

    #[test]
    fn a_non_digit_is_a_dead_end_not_a_jump_into_other_words() {
        let (code, national) = Code::split(b"13236550017").unwrap();
        let (region, scan) = code.region_for(national).unwrap();
        assert!(scan.unwrap().known_type());
        assert!(region.scan(national).known_type());
        assert!(!region.scan(b"323655001x").known_type());
        assert!(!region.scan(b"323\xff550017").known_type());
    }
}
