//! Walking the generated tables (`index.rs`, `tables.bin`; see `xtask/src/phone_tables.rs` for
//! how they are made and laid out). Static data: nothing is loaded or built at run time, and
//! only the pages of the regions in use are ever read.

use crate::index::{BY_CODE, CODES, REGIONS};
use crate::prefix::NationalPrefix;

/// Bits of a scan's masks. Descriptors come first, in the order the reference's
/// `_number_type_helper` tries them: general, premium rate, toll free, shared cost, VoIP,
/// personal, pager, UAN, voicemail, fixed line, mobile.
const GENERAL: usize = 0;
const DESCRIPTORS: usize = 11;
const LEADING_DIGITS: usize = 11;
const NATIONAL_PREFIX_FOR_PARSING: usize = 12;

const STATE_BYTES: usize = 24;

static STATES: &[u8] = include_bytes!("tables.bin");

/// One region of libphonenumber's metadata (or the non-geographic entity of a country code).
#[derive(Debug)]
pub(crate) struct Region {
    /// ISO 3166-1 alpha-2, `None` for a non-geographic code ("001" in the metadata).
    pub(crate) id: Option<&'static str>,
    /// Whether the metadata gives leading digits (which then decide the region alone).
    pub(crate) leading_digits: bool,
    /// The national prefix the parser strips, when the region has one.
    pub(crate) national_prefix: Option<&'static NationalPrefix>,
    /// First state of this region in `tables.bin`.
    pub(crate) states: u32,
    /// Possible lengths of the general descriptor, as the parser checks them.
    pub(crate) general: Lengths,
    /// Possible lengths of each descriptor as a bit mask (all ones: not checked).
    pub(crate) lengths: [u32; DESCRIPTORS],
}

/// Possible lengths of national numbers, bit `n` for length `n`.
#[derive(Debug)]
pub(crate) struct Lengths {
    pub(crate) possible: u32,
    /// Lengths only diallable inside the region.
    pub(crate) local_only: u32,
}

impl Lengths {
    /// The reference's `_test_number_length` for the general descriptor, answering whether the
    /// parser keeps a national number of `len` digits after stripping a prefix: a possible
    /// length, or longer than any (too long still strips), but not too short or local only.
    pub(crate) fn keeps_stripped(&self, len: usize) -> bool {
        let bit = |mask: u32| u32::try_from(len).ok().and_then(|l| mask.checked_shr(l));
        if bit(self.local_only).is_some_and(|m| m & 1 == 1) {
            return false;
        }
        let min = self.possible.trailing_zeros() as usize;
        let max = 31usize.saturating_sub(self.possible.leading_zeros() as usize);
        len >= min && (len > max || bit(self.possible).is_some_and(|m| m & 1 == 1))
    }
}

/// Which of a region's patterns match some digits: whole, or at their start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scan {
    region: &'static Region,
    /// Patterns with a match from the start to the end.
    whole: u16,
    /// Patterns with a match from the start to anywhere.
    start: u16,
    len: usize,
}

impl Region {
    /// Runs the region's DFA over ASCII `digits`.
    pub(crate) fn scan(&'static self, digits: &[u8]) -> Scan {
        let rows = STATES.as_chunks::<STATE_BYTES>().0;
        let states = rows.get(self.states as usize..).unwrap_or_default();
        // The current state's row: its transitions and its pattern bits.
        let mut row = states.get(1);
        let mut start = 0;
        for &digit in digits {
            // Callers pass ASCII digits; anything else ends in the dead state, not in another
            // state's words.
            let column = usize::from(digit.wrapping_sub(b'0'));
            let next = match row {
                Some(words) if column < 10 => usize::from(word(words, column)),
                _ => 0,
            };
            if next == 0 {
                return Scan { region: self, whole: 0, start, len: digits.len() };
            }
            row = states.get(next);
            start |= row.map_or(0, |words| word(words, 10));
        }
        let whole = row.map_or(0, |words| word(words, 11));
        Scan { region: self, whole, start: start | whole, len: digits.len() }
    }
}

impl Scan {
    /// The reference's `_is_number_matching_desc`: a possible length, and a whole match.
    fn descriptor(&self, bit: usize) -> bool {
        // The pattern first: one bit to test, and most descriptors fail it.
        self.whole & (1 << bit) != 0 && {
            let lengths = self.region.lengths[bit];
            lengths == u32::MAX
                || u32::try_from(self.len)
                    .ok()
                    .and_then(|len| lengths.checked_shr(len))
                    .is_some_and(|m| m & 1 == 1)
        }
    }

    /// The reference's `_number_type_helper(..) != UNKNOWN`.
    pub(crate) fn known_type(&self) -> bool {
        self.descriptor(GENERAL) && (GENERAL + 1..DESCRIPTORS).any(|bit| self.descriptor(bit))
    }

    /// The general pattern matches the whole number, whatever its length (the parser's test
    /// of a number's viability).
    pub(crate) fn viable(&self) -> bool {
        self.whole & (1 << GENERAL) != 0
    }

    /// The region's leading digits match at the start.
    pub(crate) fn leading_digits(&self) -> bool {
        self.start & (1 << LEADING_DIGITS) != 0
    }

    /// The national prefix for parsing matches at the start.
    pub(crate) fn national_prefix(&self) -> bool {
        self.start & (1 << NATIONAL_PREFIX_FOR_PARSING) != 0
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

/// The regions of a country code, in the order the reference tries them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Code {
    pub(crate) value: u16,
    regions: &'static [u16],
}

impl Code {
    /// The reference's `_extract_country_code`: the first of the 1 to 3 leading digits it
    /// knows as a country code, and the national number after it.
    pub(crate) fn split(digits: &[u8]) -> Option<(Code, &[u8])> {
        (1..=3.min(digits.len())).find_map(|len| {
            let value =
                digits[..len].iter().fold(0u16, |v, d| v * 10 + u16::from(d.wrapping_sub(b'0')));
            let index = usize::from(*BY_CODE.get(usize::from(value))?);
            let regions = CODES.get(index.checked_sub(1)?)?;
            Some((Code { value, regions }, &digits[len..]))
        })
    }

    /// The code's main region (the one whose metadata the parser uses) and its scan of
    /// `national`.
    pub(crate) fn main(self, national: &[u8]) -> Option<(&'static Region, Scan)> {
        let main = self.regions.first().and_then(|&i| REGIONS.get(usize::from(i)))?;
        Some((main, main.scan(national)))
    }

    /// The reference's `region_code_for_number`: the region whose metadata applies to a
    /// national number, with its scan of it. `main` is [`Code::main`]'s answer, reused: most
    /// codes have one region, and most numbers belong to the first.
    pub(crate) fn region_for(
        self,
        national: &[u8],
        main: Option<(&'static Region, Scan)>,
    ) -> Option<(&'static Region, Scan)> {
        let mut regions = self.regions.iter().filter_map(|&i| REGIONS.get(usize::from(i)));
        let scan_of = |region: &'static Region| match main {
            Some((first, scan)) if std::ptr::eq(first, region) => scan,
            _ => region.scan(national),
        };
        if self.regions.len() == 1 {
            return regions.next().map(|region| (region, scan_of(region)));
        }
        regions.find_map(|region| {
            let scan = scan_of(region);
            let found =
                if region.leading_digits { scan.leading_digits() } else { scan.known_type() };
            found.then_some((region, scan))
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
        let (region, scan) = code.region_for(national, None).unwrap();
        assert!(scan.known_type());
        assert!(!region.scan(b"323655001x").known_type());
        assert!(!region.scan(b"323\xff550017").known_type());
    }

    #[test]
    fn lengths_kept_after_stripping() {
        // Possible 7, 9 and 10; local only 4, 5, 6 and 8 (Great Britain's general lengths).
        let gb = Lengths { possible: 1 << 7 | 1 << 9 | 1 << 10, local_only: 0b1_0111_0000 };
        let kept: Vec<usize> = (0..20).filter(|&n| gb.keeps_stripped(n)).collect();
        assert_eq!(kept, [7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    }
}
