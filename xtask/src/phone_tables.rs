//! The phone tables of `kaleyra-validate`: libphonenumber's metadata, as compiled into the
//! `phonenumber` crate, turned into one small DFA per region over the ten ASCII digits.
//!
//! The library walks these tables instead of asking the crate, which costs ~47 ms to load its
//! metadata and ~5 µs per number. Every regex the crate consults for a strict E.164 number
//! goes into the region's DFA as one pattern: the general descriptor, the ten type
//! descriptors `number_type` tries, the region's leading digits and its national prefix for
//! parsing. The crate matches each with `find(..).start() == 0`, so the DFA is anchored at the
//! start only, and reports (`MatchKind::All`) every pattern with a match ending anywhere.
//!
//! Layout of `tables.bin`: for each region in `REGIONS` order, its states, each 12 little-endian
//! `u16`: the next state for digits 0 to 9 (state 0 is dead), then the mask of patterns whose
//! match ends just before the last digit read, then the mask of those whose match ends at the end
//! of the input. The index (`tables.rs`) says where each region starts.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;

use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, MatchKind};

/// Bits of a pattern mask; must match `kaleyra-validate/src/phone/tables.rs`.
const GENERAL: usize = 0;
const LEADING_DIGITS: usize = 11;
const NATIONAL_PREFIX_FOR_PARSING: usize = 12;
const DESCRIPTORS: usize = 11;
const STATE_WORDS: usize = 12;

/// The generated index (Rust source, before rustfmt) and the state tables.
pub struct PhoneTables {
    pub index: String,
    pub states: Vec<u8>,
}

pub fn generate(header: &str) -> Result<PhoneTables, String> {
    // By code, not `DATABASE.iter()`: that walks a map by region id, where the non-geographic
    // entities all share the id "001" and only one of them survives.
    let codes: BTreeMap<u16, Vec<String>> = (1..1000u16)
        .filter_map(|code| {
            let regions = DATABASE.region(&code)?;
            Some((code, regions.into_iter().map(str::to_owned).collect()))
        })
        .collect();

    let mut index = String::from(header);
    let mut states = Vec::new();
    let mut regions_out = String::new();
    let mut codes_out = String::new();
    let mut by_code = vec![0u16; 1000];
    let mut region_count = 0usize;

    for (code_index, (code, regions)) in codes.iter().enumerate() {
        let non_geographic = regions.iter().any(|r| r == "001");
        if non_geographic && regions.len() != 1 {
            return Err(format!("code {code}: \"001\" shares its code with other regions"));
        }
        let mut members = Vec::new();
        for id in regions {
            if !non_geographic && id.parse::<phonenumber::country::Id>().is_err() {
                return Err(format!("region {id} is not a country id the crate knows"));
            }
            let meta = if non_geographic {
                DATABASE.by_code(code).and_then(|m| m.into_iter().next())
            } else {
                DATABASE.by_id(id.as_str())
            }
            .ok_or_else(|| format!("no metadata for region {id}"))?;
            // Each region belongs to one code, so every (code, region) pair comes once.
            let number = region_count;
            region_count += 1;
            let offset = states.len() / (2 * STATE_WORDS);
            let lengths =
                region(meta, &mut states).map_err(|e| format!("region {id} (+{code}): {e}"))?;
            let id_literal =
                if non_geographic { "None".to_owned() } else { format!("Some({id:?})") };
            let prefix = match meta.national_prefix() {
                Some(p) => format!("Some({p:?})"),
                None => "None".to_owned(),
            };
            let lengths: Vec<String> = lengths.iter().map(|m| format!("{m:#x}")).collect();
            let _ = writeln!(
                regions_out,
                "Region {{ id: {id_literal}, national_prefix: {prefix}, leading_digits: {}, prefix_for_parsing: {}, states: {offset}, lengths: [{}] }},",
                meta.leading_digits().is_some(),
                meta.national_prefix_for_parsing().is_some(),
                lengths.join(", ")
            );
            members.push(number);
        }
        by_code[usize::from(*code)] = u16::try_from(code_index + 1).map_err(|e| e.to_string())?;
        let _ = writeln!(codes_out, "&{members:?},");
    }

    let _ = writeln!(
        index,
        "//! Index of `tables.bin`, generated from the metadata of `phonenumber` {}.\n",
        phonenumber_version()
    );
    let _ = writeln!(index, "use super::tables::Region;\n");
    let _ = writeln!(
        index,
        "/// Each region, with where its states start in `tables.bin` (in states).\npub(super) static REGIONS: [Region; {}] = [\n{regions_out}];\n",
        region_count
    );
    let _ = writeln!(
        index,
        "/// For each country code, its regions in the order the crate tries them.\npub(super) static CODES: [&[u16]; {}] = [\n{codes_out}];\n",
        codes.len()
    );
    let _ = writeln!(
        index,
        "/// Country code (0 to 999) to 1 + its index in `CODES`, or 0 for none.\npub(super) static BY_CODE: [u16; 1000] = {by_code:?};"
    );
    Ok(PhoneTables { index, states })
}

/// The version of `phonenumber` in Cargo.lock, which is the one compiled into xtask.
fn phonenumber_version() -> String {
    let lock = crate::workspace_root()
        .and_then(|root| {
            std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| e.to_string())
        })
        .unwrap_or_default();
    lock.split("[[package]]")
        .find(|p| p.contains("name = \"phonenumber\""))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_owned())
        .unwrap_or_else(|| "(unknown)".to_owned())
}

/// The descriptors `number_type` consults, in its order, general first: bit `i` is entry `i`.
fn descriptors(meta: &Metadata) -> [Option<&Descriptor>; DESCRIPTORS] {
    let d = meta.descriptors();
    [
        Some(d.general()),
        d.premium_rate(),
        d.toll_free(),
        d.shared_cost(),
        d.voip(),
        d.personal_number(),
        d.pager(),
        d.uan(),
        d.voicemail(),
        d.fixed_line(),
        d.mobile(),
    ]
}

/// Appends the region's states to `out`; returns its descriptors' possible lengths.
fn region(meta: &Metadata, out: &mut Vec<u8>) -> Result<[u32; DESCRIPTORS], String> {
    let mut patterns: Vec<String> = Vec::new();
    let mut bit_of: Vec<usize> = Vec::new();
    let mut lengths = [0u32; DESCRIPTORS];
    for (bit, descriptor) in descriptors(meta).into_iter().enumerate() {
        let Some(descriptor) = descriptor else { continue };
        lengths[bit] = length_mask(descriptor.possible_length())?;
        patterns.push(descriptor.national_number().as_str().to_owned());
        bit_of.push(bit);
    }
    if let Some(re) = meta.leading_digits() {
        patterns.push(re.as_str().to_owned());
        bit_of.push(LEADING_DIGITS);
    }
    if let Some(re) = meta.national_prefix_for_parsing() {
        patterns.push(re.as_str().to_owned());
        bit_of.push(NATIONAL_PREFIX_FOR_PARSING);
    }
    if bit_of.first() != Some(&GENERAL) {
        return Err("no general descriptor".to_owned());
    }

    // The crate compiles every pattern with `ignore_whitespace(true)` and otherwise the regex
    // crate's defaults (Unicode on): the same syntax here gives the same language.
    let dfa = dense::Builder::new()
        .syntax(syntax::Config::new().ignore_whitespace(true))
        .configure(dense::Config::new().match_kind(MatchKind::All).start_kind(StartKind::Anchored))
        .build_many(&patterns)
        .map_err(|e| e.to_string())?;
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::Yes))
        .map_err(|e| e.to_string())?;

    let mask = |state| -> u16 {
        let mut mask = 0u16;
        if dfa.is_match_state(state) {
            for i in 0..dfa.match_len(state) {
                mask |= 1 << bit_of[dfa.match_pattern(state, i).as_usize()];
            }
        }
        mask
    };

    // Only the states reachable on ASCII digits: the input never holds anything else. Rows are
    // numbered in discovery order from 1; row 0 is the dead state.
    let mut number = HashMap::from([(start, 1usize)]);
    let mut queue = VecDeque::from([start]);
    let mut rows: Vec<[u16; STATE_WORDS]> = vec![[0; STATE_WORDS]];
    while let Some(state) = queue.pop_front() {
        let mut row = [0u16; STATE_WORDS];
        for digit in 0..10u8 {
            let next = dfa.next_state(state, b'0' + digit);
            let target = if dfa.is_dead_state(next) {
                0
            } else if dfa.is_quit_state(next) {
                return Err("quit state on a digit".to_owned());
            } else {
                let len = number.len() + 1;
                *number.entry(next).or_insert_with(|| {
                    queue.push_back(next);
                    len
                })
            };
            row[usize::from(digit)] =
                u16::try_from(target).map_err(|_| "more than 65535 states".to_owned())?;
        }
        row[10] = mask(state);
        row[11] = mask(dfa.next_eoi_state(state));
        rows.push(row);
    }
    for row in rows {
        for word in row {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }
    Ok(lengths)
}

/// Possible lengths as a bit mask; the crate skips the length check when the list is empty.
fn length_mask(lengths: &[u16]) -> Result<u32, String> {
    if lengths.is_empty() {
        return Ok(u32::MAX);
    }
    lengths.iter().try_fold(0u32, |mask, &len| {
        1u32.checked_shl(u32::from(len))
            .map(|bit| mask | bit)
            .ok_or_else(|| format!("possible length {len} does not fit the mask"))
    })
}
