//! The tables against the crate they were generated from: same verdict, same region, for every
//! number the tables answer. A million generated numbers per run (1,000 cases of 1,000), built
//! from every region's example numbers and mutated the ways real input goes wrong.

use std::sync::LazyLock;

use phonenumber::metadata::DATABASE;
use proptest::prelude::*;
use proptest::sample::{Index, select};

use super::fast::{self, Answer};
use super::{e164_digits, oracle};

/// Every example number of the metadata, as `+` country code and national number, with the
/// region's national prefix.
static EXAMPLES: LazyLock<Vec<Example>> = LazyLock::new(|| {
    let mut examples = Vec::new();
    // By code: `DATABASE.iter()` keeps only one of the non-geographic entities (all are "001").
    let metadata = (1..1000u16).filter_map(|code| DATABASE.by_code(&code)).flatten();
    for meta in metadata {
        let d = meta.descriptors();
        let descriptors = [
            Some(d.general()),
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.shared_cost(),
            d.personal_number(),
            d.voip(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.emergency(),
            d.short_code(),
            d.no_international(),
        ];
        for example in descriptors.into_iter().flatten().filter_map(|d| d.example()) {
            examples.push((
                format!("+{}{example}", meta.country_code()),
                meta.national_prefix().map(str::to_owned),
            ));
        }
    }
    examples.sort();
    examples.dedup();
    examples
});

type Example = (String, Option<String>);

static EXAMPLES_BY_CODE: LazyLock<Vec<(u16, Vec<Example>)>> = LazyLock::new(|| {
    CODES
        .iter()
        .map(|&code| {
            let prefix = format!("+{code}");
            let of_code =
                EXAMPLES.iter().filter(|(n, _)| n.starts_with(&prefix)).cloned().collect();
            (code, of_code)
        })
        .filter(|(_, examples): &(u16, Vec<Example>)| !examples.is_empty())
        .collect()
});

static CODES: LazyLock<Vec<u16>> =
    LazyLock::new(|| (1..1000u16).filter(|code| DATABASE.region(code).is_some()).collect());

/// What the crate says: valid or not, and the region.
fn oracle(value: &str) -> Answer {
    if e164_digits(value).is_none() {
        return Answer::Invalid;
    }
    oracle::check(value)
}

/// The tables' answer; `None` when they leave the number to the crate.
fn tables(value: &str) -> Option<Answer> {
    match e164_digits(value) {
        None => Some(Answer::Invalid),
        Some(digits) => fast::check(digits),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    None,
    Replace(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
    Append(String),
    /// After the country code: the national prefix, a zero, a one, ...
    NationalPrefix(String),
    /// Another country code in front of the same national number.
    Recode(u16),
}

/// Ways to change an example; `Recode` (which leaves the example's region) only with `recode`.
fn mutation(recode: bool) -> impl Strategy<Value = Mutation> {
    let recode_weight = if recode { 1 } else { 0 };
    prop_oneof![
        3 => Just(Mutation::None),
        2 => (any::<Index>(), 0u8..10).prop_map(|(i, d)| Mutation::Replace(i, d)),
        1 => (any::<Index>(), 0u8..10).prop_map(|(i, d)| Mutation::Insert(i, d)),
        1 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => "[0-9]{1,4}".prop_map(Mutation::Append),
        1 => prop_oneof![Just("0"), Just("00"), Just("1"), Just("8"), Just("9"), Just("")]
            .prop_map(|p| Mutation::NationalPrefix(p.to_owned())),
        recode_weight => select(CODES.clone()).prop_map(Mutation::Recode),
    ]
}

/// How many leading digits are the country code (1 when none is known).
fn code_len(digits: &[u8]) -> usize {
    (1..=3)
        .find(|&n| {
            std::str::from_utf8(&digits[..n.min(digits.len())])
                .ok()
                .and_then(|c| c.parse::<u16>().ok())
                .is_some_and(|c| CODES.binary_search(&c).is_ok())
        })
        .unwrap_or(1)
}

fn mutate((number, prefix): &Example, mutation: &Mutation) -> String {
    let mut digits: Vec<u8> = number.bytes().skip(1).collect();
    // Positions after the first digit, so that most mutants keep their country code.
    let at = |i: &Index, len: usize| 1 + i.index(len.max(2) - 1);
    match mutation {
        Mutation::None => {}
        Mutation::Replace(i, d) => {
            let at = at(i, digits.len()).min(digits.len() - 1);
            digits[at] = b'0' + d;
        }
        Mutation::Insert(i, d) => digits.insert(at(i, digits.len()), b'0' + d),
        Mutation::Delete(i) => {
            digits.remove(at(i, digits.len()).min(digits.len() - 1));
        }
        Mutation::Truncate(i) => digits.truncate(at(i, digits.len())),
        Mutation::Append(more) => digits.extend(more.bytes()),
        Mutation::NationalPrefix(p) => {
            let p = if p.is_empty() { prefix.as_deref().unwrap_or("0") } else { p };
            let code_len = code_len(&digits);
            digits.splice(code_len..code_len, p.bytes());
        }
        Mutation::Recode(code) => {
            let code_len = code_len(&digits);
            digits.splice(..code_len, code.to_string().bytes());
        }
    }
    format!("+{}", String::from_utf8(digits).unwrap_or_default())
}

/// A thousand numbers around one country code: its examples changed in every way but the code,
/// and the code followed by random digits. One region per batch because the crate keeps only
/// 100 compiled regexes (a region needs about 15): hopping between regions would spend the run
/// recompiling them. `anywhere` covers the hops.
fn batch_of_one_code() -> impl Strategy<Value = Vec<String>> {
    select(EXAMPLES_BY_CODE.clone()).prop_flat_map(|(code, examples)| {
        let number = prop_oneof![
            4 => (select(examples), mutation(false)).prop_map(|(e, m)| mutate(&e, &m)),
            1 => "[0-9]{0,14}".prop_map(move |n| format!("+{code}{n}")),
        ];
        proptest::collection::vec(number, 1000)
    })
}

/// Any example under any mutation, including another country code; random digit strings.
fn anywhere() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (select(EXAMPLES.clone()), mutation(true)).prop_map(|(e, m)| mutate(&e, &m)),
        1 => (select(CODES.clone()), "[0-9]{0,14}").prop_map(|(c, n)| format!("+{c}{n}")),
        1 => "[1-9][0-9]{1,15}".prop_map(|d| format!("+{d}")),
    ]
}

fn assert_agrees(value: &str) -> Result<bool, TestCaseError> {
    let Some(answer) = tables(value) else { return Ok(false) };
    prop_assert_eq!(answer, oracle(value), "{}", value);
    Ok(true)
}

proptest! {
    // 1,000 cases of 1,000 numbers: a million per run.
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn tables_agree_with_the_crate(numbers in batch_of_one_code()) {
        for value in &numbers {
            assert_agrees(value)?;
        }
    }
}

proptest! {
    // 20,000 more, each in a region of its own (slow: the crate recompiles its regexes).
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn tables_agree_with_the_crate_across_regions(numbers in proptest::collection::vec(anywhere(), 200)) {
        for value in &numbers {
            assert_agrees(value)?;
        }
    }
}

/// Every example, as given and with its national prefix inserted, is answered the crate's way,
/// and the tables answer nearly all of them themselves (a test that left everything to the
/// crate would prove nothing).
#[test]
fn every_example_agrees_and_most_are_answered_by_the_tables() {
    let mut answered = 0;
    let mut valid = 0;
    for example in EXAMPLES.iter() {
        let value = mutate(example, &Mutation::None);
        if assert_agrees(&value).unwrap_or_else(|e| panic!("{e}")) {
            answered += 1;
        }
        if oracle(&value) != Answer::Invalid {
            valid += 1;
        }
        // Mostly left to the crate (a prefix it would strip), but never answered differently.
        assert_agrees(&mutate(example, &Mutation::NationalPrefix(String::new())))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let total = EXAMPLES.len();
    assert!(valid * 10 > total * 9, "{valid} of {total} valid: the examples are not numbers");
    assert!(answered * 100 >= total * 98, "the tables answered only {answered} of {total}");
}

#[test]
fn non_geographic_codes_have_no_region() {
    let value = "+80012345678";
    assert_eq!(oracle(value), Answer::Valid(None));
    assert_eq!(tables(value), Some(Answer::Valid(None)));
}
