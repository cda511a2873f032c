#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod index;
mod prefix;
mod tables;

use std::fmt;

use tables::Code;

/// The version of the PyPI package `phonenumbers` (Google's libphonenumber, ported) whose
/// metadata the verdicts follow.
pub const METADATA_VERSION: &str = index::METADATA_VERSION;

/// The most digits an E.164 number has (ITU-T E.164, section 6.1), country code included.
pub const MAX_DIGITS: usize = 15;

/// A valid number in strict E.164.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    country_code: u16,
    region: Option<&'static str>,
}

impl Number {
    /// The country calling code, e.g. `1` for `+13236550017`.
    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    /// The ISO 3166-1 alpha-2 region of the number, e.g. `"US"`; `None` for a non-geographic
    /// code such as `+800`.
    pub fn region(&self) -> Option<&'static str> {
        self.region
    }
}

/// Why a value is not a valid number in strict E.164.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Invalid {
    /// Not `+` followed by 2 to 15 ASCII digits, the first not `0` (spaces, dashes, a missing
    /// `+`, letters and other digits included).
    #[error("not `+` followed by 2 to 15 digits")]
    Format,
    /// The leading digits are no country calling code.
    #[error("no country calling code starts it")]
    CountryCode,
    /// A national (trunk) prefix follows the country code, which E.164 leaves out.
    #[error("{}", national_prefix_message(prefix, *country_code, e164.as_deref()))]
    NationalPrefix {
        /// The country calling code.
        country_code: u16,
        /// The digits after the country code that are the national prefix, e.g. `"0"`.
        prefix: String,
        /// The number in E.164 without it, when that is valid.
        e164: Option<String>,
    },
    /// Not a valid number for its country calling code: a wrong length, or no number range
    /// of the code starts that way.
    #[error("not a valid number for country code +{country_code}")]
    Number {
        /// The country calling code.
        country_code: u16,
    },
}

fn national_prefix_message(prefix: &str, code: u16, e164: Option<&str>) -> String {
    let drop =
        format!("the national prefix {prefix} after +{code} is dialled only inside the country");
    match e164 {
        Some(e164) => format!("{drop}: drop it, {e164}"),
        None => format!("{drop}, and the number is not valid without it either"),
    }
}

/// The verdict on `value` as a number in strict E.164: Google's libphonenumber (as the PyPI
/// package `phonenumbers` [`METADATA_VERSION`] has it) parses it, finds it valid and formats it
/// back in E.164 to exactly `value`, and it has at most [`MAX_DIGITS`] digits.
///
/// ```
/// let number = kaleyra_phone::check("+13236550017")?;
/// assert_eq!((number.country_code(), number.region()), (1, Some("US")));
///
/// // Russia's toll-free range.
/// assert_eq!(kaleyra_phone::check("+78001234567")?.region(), Some("RU"));
///
/// // Algeria's national prefix 0 kept after the country code.
/// let invalid = kaleyra_phone::check("+2130983123456").unwrap_err();
/// assert_eq!(
///     invalid.to_string(),
///     "the national prefix 0 after +213 is dialled only inside the country: drop it, +213983123456"
/// );
/// # Ok::<(), kaleyra_phone::Invalid>(())
/// ```
pub fn check(value: &str) -> Result<Number, Invalid> {
    let digits = e164_digits(value).ok_or(Invalid::Format)?;
    let (code, national) = Code::split(digits).ok_or(Invalid::CountryCode)?;
    let country_code = code.value;
    // The reference's parser refuses fewer than three digits after `+`, and national numbers
    // shorter than two.
    if digits.len() < 3 || national.len() < 2 {
        return Err(Invalid::Number { country_code });
    }
    let main = code.main(national);
    if let Some(rewrite) = main.and_then(|(region, scan)| prefix::rewrite(region, &scan, national))
    {
        let e164 = (country_code_digits(digits, national).len() + rewrite.national.len()
            <= MAX_DIGITS
            && valid_region(code, &rewrite.national, None).is_some())
        .then(|| {
            let mut e164 = format!("+{country_code}");
            e164.extend(rewrite.national.iter().map(|&d| char::from(d)));
            e164
        });
        let prefix = national.get(..rewrite.prefix_len).unwrap_or_default();
        return Err(Invalid::NationalPrefix {
            country_code,
            prefix: prefix.iter().map(|&d| char::from(d)).collect(),
            e164,
        });
    }
    let region = valid_region(code, national, main).ok_or(Invalid::Number { country_code })?;
    Ok(Number { country_code, region })
}

/// The reference's `is_valid_number` for a national number of `code`: the region it belongs
/// to (`Some(None)` for a non-geographic code), or `None` when it is not valid. `main` is the
/// code's main region with its scan of `national`, when taken already.
fn valid_region(
    code: Code,
    national: &[u8],
    main: Option<(&'static tables::Region, tables::Scan)>,
) -> Option<Option<&'static str>> {
    let (region, scan) = code.region_for(national, main)?;
    scan.known_type().then_some(region.id)
}

fn country_code_digits<'a>(digits: &'a [u8], national: &[u8]) -> &'a [u8] {
    digits.get(..digits.len() - national.len()).unwrap_or_default()
}

/// The digits after `+` when `value` has the shape of E.164.
fn e164_digits(value: &str) -> Option<&[u8]> {
    let digits = value.strip_prefix('+')?.as_bytes();
    let well_formed = (2..=MAX_DIGITS).contains(&digits.len())
        && digits.iter().all(u8::is_ascii_digit)
        && digits.first() != Some(&b'0');
    well_formed.then_some(digits)
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.region {
            Some(region) => write!(f, "+{} ({region})", self.country_code),
            None => write!(f, "+{} (non-geographic)", self.country_code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(value: &str) -> Option<&'static str> {
        check(value).ok().and_then(|n| n.region())
    }

    #[test]
    fn valid_numbers_and_their_regions() {
        assert_eq!(region("+13236550017"), Some("US"));
        assert_eq!(region("+919876543210"), Some("IN"));
        assert_eq!(region("+442079460958"), Some("GB"));
        assert_eq!(region("+393471234567"), Some("IT"));
        assert_eq!(region("+6591234567"), Some("SG"));
        assert_eq!(region("+5491123456789"), Some("AR"));
        assert_eq!(check("+80012345678").map(|n| n.region()), Ok(None));
    }

    #[test]
    fn toll_free_numbers_whose_first_digit_is_a_national_prefix() {
        assert_eq!(region("+78001234567"), Some("RU"));
        assert_eq!(region("+37080012345"), Some("LT"));
    }

    #[test]
    fn why_a_number_is_invalid() {
        assert_eq!(check("+1 323 655 0017"), Err(Invalid::Format));
        assert_eq!(check("13236550017"), Err(Invalid::Format));
        assert_eq!(check("+0123456789"), Err(Invalid::Format));
        assert_eq!(check("+1323655001712345"), Err(Invalid::Format));
        assert_eq!(check("+１３２３６５５００１７"), Err(Invalid::Format));
        assert_eq!(check("+2812345678"), Err(Invalid::CountryCode));
        assert_eq!(check("+11111111111"), Err(Invalid::Number { country_code: 1 }));
        assert_eq!(
            check("+4402079460958"),
            Err(Invalid::NationalPrefix {
                country_code: 44,
                prefix: "0".into(),
                e164: Some("+442079460958".into())
            })
        );
    }

    /// E.164 ends at 15 digits; the reference alone would take longer German numbers.
    #[test]
    fn at_most_fifteen_digits() {
        assert_eq!(check("+4930123456789012"), Err(Invalid::Format));
    }
}
