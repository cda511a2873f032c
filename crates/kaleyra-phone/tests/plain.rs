//! The tables against a plain implementation of the reference: the steps of Google's
//! libphonenumber (`parse`, `is_valid_number`, `format_number(.., E164)`) for a number written
//! in E.164, spelled out with the `regex` crate over the same metadata (`metadata.json`). Same
//! verdict, same region, same national-prefix rewrite, on a million generated numbers per run
//! (1,000 cases of 1,000), built from every region's example numbers and mutated the ways real
//! input goes wrong. CI also holds both to the reference itself (`cargo xtask phone-reference`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kaleyra_phone::Invalid;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use regex::Regex;
use serde::Deserialize;

#[derive(Deserialize)]
struct Metadata {
    codes: Vec<CountryCode>,
}

#[derive(Deserialize)]
struct CountryCode {
    code: u16,
    regions: Vec<RegionMetadata>,
}

#[derive(Deserialize)]
struct RegionMetadata {
    id: Option<String>,
    national_prefix: Option<String>,
    national_prefix_for_parsing: Option<String>,
    national_prefix_transform_rule: Option<String>,
    leading_digits: Option<String>,
    same_mobile_and_fixed_line_pattern: bool,
    descriptors: Vec<Option<DescriptorMetadata>>,
    other_examples: Vec<String>,
}

#[derive(Deserialize)]
struct DescriptorMetadata {
    pattern: String,
    example: Option<String>,
    lengths: Vec<usize>,
    local_lengths: Vec<usize>,
}

/// A region with its patterns compiled.
struct Region {
    id: Option<String>,
    national_prefix: Option<String>,
    /// Anchored at the start, as Python's `re.match`.
    prefix_for_parsing: Option<Regex>,
    transform_rule: Option<String>,
    leading_digits: Option<Regex>,
    same_mobile_and_fixed_line_pattern: bool,
    /// General first, then the types in the order the reference tries them.
    descriptors: Vec<Option<Descriptor>>,
    examples: Vec<String>,
}

struct Descriptor {
    /// Anchored at both ends, as Python's `fullmatch`.
    whole: Regex,
    lengths: Vec<usize>,
    local_lengths: Vec<usize>,
}

static CODES: LazyLock<BTreeMap<u16, Vec<Region>>> = LazyLock::new(|| {
    let metadata: Metadata = serde_json::from_str(include_str!("../metadata.json")).unwrap();
    let anchored = |p: &str, end: &str| Regex::new(&format!("^(?:{p}){end}")).unwrap();
    metadata
        .codes
        .into_iter()
        .map(|code| {
            let regions = code
                .regions
                .into_iter()
                .map(|r| Region {
                    examples: r
                        .descriptors
                        .iter()
                        .flatten()
                        .filter_map(|d| d.example.clone())
                        .chain(r.other_examples.iter().cloned())
                        .collect(),
                    id: r.id,
                    national_prefix: r.national_prefix,
                    prefix_for_parsing: r
                        .national_prefix_for_parsing
                        .filter(|p| !p.is_empty())
                        .map(|p| anchored(&p, "")),
                    transform_rule: r.national_prefix_transform_rule.filter(|t| !t.is_empty()),
                    leading_digits: r.leading_digits.map(|l| anchored(&l, "")),
                    same_mobile_and_fixed_line_pattern: r.same_mobile_and_fixed_line_pattern,
                    descriptors: r
                        .descriptors
                        .into_iter()
                        .map(|d| {
                            d.map(|d| Descriptor {
                                whole: anchored(&d.pattern, "$"),
                                lengths: d.lengths,
                                local_lengths: d.local_lengths,
                            })
                        })
                        .collect(),
                })
                .collect();
            (code.code, regions)
        })
        .collect()
});

impl Region {
    /// `_is_number_matching_desc`.
    fn matches(&self, index: usize, national: &str) -> bool {
        self.descriptors[index].as_ref().is_some_and(|d| {
            (d.lengths.is_empty() || d.lengths.contains(&national.len()))
                && d.whole.is_match(national)
        })
    }

    /// `_number_type_helper(..) != UNKNOWN`.
    fn known_type(&self, national: &str) -> bool {
        const FIXED_LINE: usize = 9;
        const MOBILE: usize = 10;
        self.matches(0, national)
            && ((1..=FIXED_LINE).any(|i| self.matches(i, national))
                || (!self.same_mobile_and_fixed_line_pattern && self.matches(MOBILE, national)))
    }

    /// `_match_national_number` with the general descriptor.
    fn viable(&self, national: &str) -> bool {
        self.descriptors[0].as_ref().is_some_and(|d| d.whole.is_match(national))
    }

    /// `_test_number_length` with the general descriptor: not too short, not local only, not
    /// an invalid length.
    fn keeps_stripped(&self, national: &str) -> bool {
        let general = self.descriptors[0].as_ref().unwrap();
        let (len, lengths) = (national.len(), &general.lengths);
        if general.local_lengths.contains(&len) || len < lengths[0] {
            return false;
        }
        len > *lengths.last().unwrap() || lengths.contains(&len)
    }

    /// `_maybe_strip_national_prefix_carrier_code`, then the parser's length test: the national
    /// number the parser keeps when it is not `national`, and how many digits the prefix took.
    fn rewrite(&self, national: &str) -> Option<(String, usize)> {
        let found = self.prefix_for_parsing.as_ref()?.captures(national)?;
        let end = found.get(0).unwrap().end();
        let groups = found.len() - 1;
        let rewritten = match &self.transform_rule {
            Some(rule) if groups > 0 && found.get(groups).is_some() => {
                let mut out = String::new();
                found.expand(&rule.replace('\\', "$"), &mut out);
                out + &national[end..]
            }
            _ => national[end..].to_owned(),
        };
        if self.viable(national) && !self.viable(&rewritten) {
            return None;
        }
        (self.keeps_stripped(&rewritten) && rewritten != national).then_some((rewritten, end))
    }
}

/// `region_code_for_number` then `is_valid_number_for_region`.
fn valid_region<'a>(regions: &'a [Region], national: &str) -> Option<&'a Region> {
    let region = match regions {
        [only] => only,
        _ => regions.iter().find(|r| match &r.leading_digits {
            Some(leading) => leading.is_match(national),
            None => r.known_type(national),
        })?,
    };
    region.known_type(national).then_some(region)
}

/// The plain verdict: the region of a valid number ("001" for a non-geographic one), or why
/// it is not valid.
fn plain(value: &str) -> Result<String, Invalid> {
    let digits = value.strip_prefix('+').ok_or(Invalid::Format)?;
    if !(2..=15).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0')
    {
        return Err(Invalid::Format);
    }
    let (code, national) = (1..=3.min(digits.len()))
        .find_map(|n| {
            let code: u16 = digits[..n].parse().ok()?;
            CODES.contains_key(&code).then(|| (code, &digits[n..]))
        })
        .ok_or(Invalid::CountryCode)?;
    let regions = &CODES[&code];
    if digits.len() < 3 || national.len() < 2 {
        return Err(Invalid::Number { country_code: code });
    }
    if let Some((parsed, end)) = regions[0].rewrite(national) {
        let prefix = national[..end].to_owned();
        let e164 = (digits.len() - national.len() + parsed.len() <= 15
            && valid_region(regions, &parsed).is_some())
        .then(|| format!("+{code}{parsed}"));
        return Err(Invalid::NationalPrefix { country_code: code, prefix, e164 });
    }
    let region = valid_region(regions, national).ok_or(Invalid::Number { country_code: code })?;
    Ok(region.id.clone().unwrap_or_else(|| "001".to_owned()))
}

fn ours(value: &str) -> Result<String, Invalid> {
    kaleyra_phone::check(value).map(|n| n.region().unwrap_or("001").to_owned())
}

/// Every example number: country code, national number, the region's national prefix.
static EXAMPLES: LazyLock<Vec<(u16, String, Option<String>)>> = LazyLock::new(|| {
    let mut examples = Vec::new();
    for (&code, regions) in CODES.iter() {
        for region in regions {
            for example in &region.examples {
                examples.push((code, example.clone(), region.national_prefix.clone()));
            }
        }
    }
    examples
});

static ALL_CODES: LazyLock<Vec<u16>> = LazyLock::new(|| CODES.keys().copied().collect());

#[derive(Debug, Clone)]
enum Mutation {
    None,
    Replace(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
    Append(String),
    /// After the country code: the region's national prefix, a zero, a one, ...
    NationalPrefix(Index),
    /// Another country code in front of the same national number.
    Recode(u16),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::None),
        2 => (any::<Index>(), 0u8..10).prop_map(|(i, d)| Mutation::Replace(i, d)),
        1 => (any::<Index>(), 0u8..10).prop_map(|(i, d)| Mutation::Insert(i, d)),
        1 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => "[0-9]{1,4}".prop_map(Mutation::Append),
        2 => any::<Index>().prop_map(Mutation::NationalPrefix),
        1 => select(ALL_CODES.clone()).prop_map(Mutation::Recode),
    ]
}

fn apply(example: &(u16, String, Option<String>), mutation: &Mutation) -> String {
    let (mut code, national, prefix) = example.clone();
    let mut digits = national.into_bytes();
    let at = |i: &Index, len: usize| i.index(len + 1).min(len);
    match mutation {
        Mutation::None => {}
        Mutation::Replace(i, d) if !digits.is_empty() => {
            let i = i.index(digits.len());
            digits[i] = b'0' + d;
        }
        Mutation::Replace(..) => {}
        Mutation::Insert(i, d) => digits.insert(at(i, digits.len()), b'0' + d),
        Mutation::Delete(i) if !digits.is_empty() => {
            digits.remove(i.index(digits.len()));
        }
        Mutation::Delete(_) => {}
        Mutation::Truncate(i) => digits.truncate(at(i, digits.len())),
        Mutation::Append(more) => digits.extend_from_slice(more.as_bytes()),
        Mutation::NationalPrefix(i) => {
            let own = prefix.unwrap_or_default();
            let choices = [own.as_str(), "0", "00", "1", "8", "9", "90", "15"];
            let choice = choices[i.index(choices.len())];
            digits.splice(0..0, choice.bytes());
        }
        Mutation::Recode(other) => code = *other,
    }
    format!("+{code}{}", String::from_utf8(digits).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn the_tables_give_the_plain_verdict(
        numbers in proptest::collection::vec(
            (select(EXAMPLES.clone()), mutation()).prop_map(|(e, m)| apply(&e, &m)),
            1_000,
        )
    ) {
        for number in &numbers {
            prop_assert_eq!(ours(number), plain(number), "{}", number);
        }
    }
}

#[test]
fn every_example_and_every_national_prefix_before_it() {
    let mut valid = 0;
    for example in EXAMPLES.iter() {
        let own = example.2.clone().unwrap_or_default();
        let prefixes = [String::new(), own, "0".into(), "8".into(), "1".into()];
        for prefix in prefixes {
            let number = format!("+{}{prefix}{}", example.0, example.1);
            let verdict = ours(&number);
            assert_eq!(verdict, plain(&number), "{number}");
            valid += usize::from(verdict.is_ok());
        }
    }
    // Every example is a valid number as it is: the comparison is not between two "invalid"s.
    assert!(valid >= EXAMPLES.len(), "{valid} valid of {}", EXAMPLES.len() * 5);
}

#[test]
fn the_plain_version_knows_the_cases_that_matter() {
    assert_eq!(plain("+78001234567").as_deref(), Ok("RU"));
    assert_eq!(plain("+5491123456789").as_deref(), Ok("AR"));
    assert_eq!(
        plain("+2130983123456"),
        Err(Invalid::NationalPrefix {
            country_code: 213,
            prefix: "0".into(),
            e164: Some("+213983123456".into())
        })
    );
}
