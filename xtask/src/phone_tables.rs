//! The phone tables of `kaleyra-phone`: Google's libphonenumber metadata, as the PyPI package
//! `phonenumbers` carries it (dumped to `crates/kaleyra-phone/metadata.json` by
//! `cargo xtask codegen --update-phone`), turned into one small DFA per region over the ten
//! ASCII digits, and one backtracking program per national prefix for parsing.
//!
//! Every pattern the reference consults for a strict E.164 number goes into the region's DFA:
//! the general descriptor and the ten type descriptors `_number_type_helper` tries (which the
//! reference matches whole), the leading digits and the national prefix for parsing (matched
//! at the start). The DFA is anchored at the start only and reports (`MatchKind::All`) every
//! pattern with a match ending anywhere, so one walk answers both kinds of question.
//!
//! The national prefix for parsing also needs where its match ends and what its groups
//! captured (the reference rewrites the number with them), which a DFA cannot say; it becomes
//! a program for the library's small backtracking matcher (`crate::phone_program`).
//!
//! Layout of `tables.bin`: for each region in `REGIONS` order, its states, each 12 little-endian
//! `u16`: the next state for digits 0 to 9 (state 0 is dead), then the mask of patterns whose
//! match ends just before the last digit read, then the mask of those whose match ends at the end
//! of the input. The index (`index.rs`) says where each region starts.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::Path;

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use serde::Deserialize;

/// Bits of a pattern mask; must match `kaleyra-phone/src/tables.rs`.
const GENERAL: usize = 0;
const DESCRIPTORS: usize = 11;
const LEADING_DIGITS: usize = 11;
const NATIONAL_PREFIX_FOR_PARSING: usize = 12;
const STATE_WORDS: usize = 12;

/// `metadata.json`, as `xtask/phone/dump_metadata.py` writes it.
#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub version: String,
    pub codes: Vec<CountryCode>,
}

#[derive(Debug, Deserialize)]
pub struct CountryCode {
    pub code: u16,
    pub regions: Vec<RegionMetadata>,
}

#[derive(Debug, Deserialize)]
pub struct RegionMetadata {
    pub id: Option<String>,
    pub national_prefix: Option<String>,
    /// Example numbers (national) of other kinds: short codes, emergency numbers...
    pub other_examples: Vec<String>,
    pub national_prefix_for_parsing: Option<String>,
    pub national_prefix_transform_rule: Option<String>,
    pub leading_digits: Option<String>,
    pub same_mobile_and_fixed_line_pattern: bool,
    /// General first, then the types in the order `_number_type_helper` tries them.
    pub descriptors: Vec<Option<Descriptor>>,
}

#[derive(Debug, Deserialize)]
pub struct Descriptor {
    pub pattern: String,
    pub example: Option<String>,
    pub lengths: Vec<i32>,
    pub local_lengths: Vec<i32>,
}

impl RegionMetadata {
    /// Every example number of the region (national), descriptors' first.
    pub fn examples(&self) -> impl Iterator<Item = &str> {
        let descriptors = self.descriptors.iter().flatten().filter_map(|d| d.example.as_deref());
        descriptors.chain(self.other_examples.iter().map(String::as_str))
    }
}

impl Metadata {
    pub fn read(path: &Path) -> Result<Metadata, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The generated index (Rust source, before rustfmt) and the state tables.
pub struct PhoneTables {
    pub index: String,
    pub states: Vec<u8>,
}

pub fn generate(header: &str, metadata: &Metadata) -> Result<PhoneTables, String> {
    let mut states = Vec::new();
    let mut regions_out = String::new();
    let mut codes_out = String::new();
    let mut by_code = vec![0u16; 1000];
    let mut region_count = 0usize;

    for (code_index, code) in metadata.codes.iter().enumerate() {
        let number = code.code;
        if !(1..1000).contains(&number) || by_code[usize::from(number)] != 0 {
            return Err(format!("country code {number} out of range or listed twice"));
        }
        let non_geographic = code.regions.iter().any(|r| r.id.is_none());
        if non_geographic && code.regions.len() != 1 {
            return Err(format!("+{number}: a non-geographic entity shares its code"));
        }
        let mut members = Vec::new();
        for meta in &code.regions {
            let name = meta.id.as_deref().unwrap_or("001");
            let context = |e: String| format!("region {name} (+{number}): {e}");
            let offset = states.len() / (2 * STATE_WORDS);
            region_states(meta, &mut states).map_err(context)?;
            let fields = region_fields(meta, offset).map_err(context)?;
            let _ = writeln!(regions_out, "Region {{ {fields} }},");
            members.push(region_count);
            region_count += 1;
        }
        by_code[usize::from(number)] = u16::try_from(code_index + 1).map_err(|e| e.to_string())?;
        let _ = writeln!(codes_out, "&{members:?},");
    }

    let mut index = String::from(header);
    let _ = writeln!(
        index,
        "//! Index of `tables.bin`, generated from the metadata of libphonenumber as the PyPI package \
         `phonenumbers` {} carries it.\n",
        metadata.version
    );
    let _ = writeln!(
        index,
        "use crate::prefix::Inst::*;\nuse crate::prefix::NationalPrefix;\nuse crate::tables::{{Lengths, Region}};\n"
    );
    let _ = writeln!(
        index,
        "/// The version of `phonenumbers` whose metadata the tables hold.\npub(crate) const METADATA_VERSION: &str = {:?};\n",
        metadata.version
    );
    let _ = writeln!(
        index,
        "/// Each region, with where its states start in `tables.bin` (in states).\npub(crate) static REGIONS: [Region; {region_count}] = [\n{regions_out}];\n"
    );
    let _ = writeln!(
        index,
        "/// For each country code, its regions in the order the reference tries them (the first is the \
         one whose national prefix the parser strips).\npub(crate) static CODES: [&[u16]; {}] = [\n{codes_out}];\n",
        metadata.codes.len()
    );
    let _ = writeln!(
        index,
        "/// Country code (0 to 999) to 1 + its index in `CODES`, or 0 for none.\npub(crate) static BY_CODE: [u16; 1000] = {by_code:?};"
    );
    Ok(PhoneTables { index, states })
}

/// The fields of one `Region` literal.
fn region_fields(meta: &RegionMetadata, states: usize) -> Result<String, String> {
    let general = general(meta)?;
    let id = match &meta.id {
        Some(id) if id.len() == 2 && id.bytes().all(|b| b.is_ascii_uppercase()) => {
            format!("Some({id:?})")
        }
        Some(id) => return Err(format!("region id {id:?} is not ISO 3166-1 alpha-2")),
        None => "None".to_owned(),
    };
    let mut lengths = [0u32; DESCRIPTORS];
    for (bit, descriptor) in descriptors(meta)?.iter().enumerate() {
        if let Some(descriptor) = descriptor {
            lengths[bit] = length_mask(&descriptor.lengths)?;
        }
    }
    let lengths: Vec<String> = lengths.iter().map(|m| format!("{m:#x}")).collect();
    let national_prefix = match &meta.national_prefix_for_parsing {
        Some(pattern) if !pattern.is_empty() => {
            let program = crate::phone_program::compile(pattern)?;
            let rule = meta.national_prefix_transform_rule.as_deref().unwrap_or("");
            check_transform_rule(rule, program.groups)?;
            format!(
                "Some(&NationalPrefix {{ pattern: {pattern:?}, groups: {}, transform: {rule:?}, program: &[{}] }})",
                program.groups,
                program.insts.join(", ")
            )
        }
        _ => "None".to_owned(),
    };
    Ok(format!(
        "id: {id}, leading_digits: {}, national_prefix: {national_prefix}, states: {states}, \
         general: Lengths {{ possible: {:#x}, local_only: {:#x} }}, lengths: [{}]",
        meta.leading_digits.as_deref().is_some_and(|l| !l.is_empty()),
        length_mask(&general.lengths)?,
        length_bits(&general.local_lengths)?,
        lengths.join(", ")
    ))
}

fn general(meta: &RegionMetadata) -> Result<&Descriptor, String> {
    let general = meta.descriptors.first().and_then(Option::as_ref);
    let general = general.ok_or("no general descriptor")?;
    let sorted = general.lengths.windows(2).all(|w| w[0] < w[1]);
    if general.lengths.is_empty() || !sorted {
        return Err(format!("general possible lengths {:?} not sorted or empty", general.lengths));
    }
    Ok(general)
}

/// The descriptors a number's type is decided on, general first. A mobile pattern equal to the
/// fixed-line one is never consulted by the reference (a fixed-line match decides first), so
/// it is left out.
fn descriptors(meta: &RegionMetadata) -> Result<[Option<&Descriptor>; DESCRIPTORS], String> {
    if meta.descriptors.len() != DESCRIPTORS {
        return Err(format!("{} descriptors, expected {DESCRIPTORS}", meta.descriptors.len()));
    }
    let mut out = [None; DESCRIPTORS];
    for (slot, descriptor) in out.iter_mut().zip(&meta.descriptors) {
        *slot = descriptor.as_ref().filter(|d| !d.pattern.is_empty());
    }
    if meta.same_mobile_and_fixed_line_pattern {
        out[DESCRIPTORS - 1] = None;
    }
    Ok(out)
}

/// The rule is digits and `\N` group references to groups the pattern has.
fn check_transform_rule(rule: &str, groups: usize) -> Result<(), String> {
    let mut chars = rule.chars();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => {}
            '\\' => match chars.next().and_then(|g| g.to_digit(10)) {
                Some(g) if (1..=groups).contains(&(g as usize)) => {}
                _ => return Err(format!("transform rule {rule:?}: a bad group reference")),
            },
            _ => return Err(format!("transform rule {rule:?}: unexpected {c:?}")),
        }
    }
    Ok(())
}

/// Appends the region's states to `out`.
fn region_states(meta: &RegionMetadata, out: &mut Vec<u8>) -> Result<(), String> {
    let mut patterns: Vec<&str> = Vec::new();
    let mut bit_of: Vec<usize> = Vec::new();
    for (bit, descriptor) in descriptors(meta)?.into_iter().enumerate() {
        if let Some(descriptor) = descriptor {
            patterns.push(&descriptor.pattern);
            bit_of.push(bit);
        }
    }
    if bit_of.first() != Some(&GENERAL) {
        return Err("no general descriptor".to_owned());
    }
    if let Some(re) = meta.leading_digits.as_deref().filter(|l| !l.is_empty()) {
        patterns.push(re);
        bit_of.push(LEADING_DIGITS);
    }
    if let Some(re) = meta.national_prefix_for_parsing.as_deref().filter(|p| !p.is_empty()) {
        patterns.push(re);
        bit_of.push(NATIONAL_PREFIX_FOR_PARSING);
    }

    // Python's `re` and the regex crate read these patterns (digits, classes, groups,
    // alternations, repetitions, `$`) the same way; on ASCII digits `\d` means the same too.
    let dfa = dense::Builder::new()
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
    Ok(())
}

/// Possible lengths as a bit mask (the reference skips the length check when the list is
/// empty: all ones).
fn length_mask(lengths: &[i32]) -> Result<u32, String> {
    if lengths.is_empty() { Ok(u32::MAX) } else { length_bits(lengths) }
}

/// Lengths as a bit mask, bit `n` for length `n`.
fn length_bits(lengths: &[i32]) -> Result<u32, String> {
    lengths.iter().try_fold(0u32, |mask, &len| {
        u32::try_from(len)
            .ok()
            .filter(|&len| len < 31)
            .map(|len| mask | (1 << len))
            .ok_or_else(|| format!("possible length {len} does not fit the mask"))
    })
}
