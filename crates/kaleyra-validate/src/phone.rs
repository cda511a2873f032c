//! `wa_number`: strict E.164 (`+`, then 2 to 15 digits, no separators) and a valid number for
//! its country according to libphonenumber's metadata (the `phonenumber` crate).

use phonenumber::Mode;

/// Whether `value` is a valid number in strict E.164.
pub(crate) fn is_valid_e164(value: &str) -> bool {
    parse_e164(value).is_some()
}

/// ISO 3166-1 alpha-2 region of a valid number, when the metadata names one. Computed only when
/// asked: the lookup costs as much again as the validation (measured in docs/benchmarks.md).
pub(crate) fn region(value: &str) -> Option<String> {
    let number = parse_e164(value)?;
    let id = number.country().id()?;
    let code: &str = id.as_ref();
    Some(code.to_owned())
}

fn parse_e164(value: &str) -> Option<phonenumber::PhoneNumber> {
    let digits = value.strip_prefix('+')?;
    let well_formed = (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !well_formed {
        return None;
    }
    let number = phonenumber::parse(None, value).ok()?;
    // The parser forgives things E.164 does not (a national prefix after the country code):
    // insist that the number reads back exactly as written.
    if !number.is_valid() || number.format().mode(Mode::E164).to_string() != value {
        return None;
    }
    Some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(value: &str) -> Option<String> {
        region(value)
    }

    #[test]
    fn valid_numbers_and_their_regions() {
        assert_eq!(iso("+13236550017").as_deref(), Some("US"));
        assert_eq!(iso("+919876543210").as_deref(), Some("IN"));
        assert_eq!(iso("+442079460958").as_deref(), Some("GB"));
        assert_eq!(iso("+393471234567").as_deref(), Some("IT"));
        assert_eq!(iso("+6591234567").as_deref(), Some("SG"));
    }

    #[test]
    fn malformed_or_invalid_numbers() {
        for bad in [
            "13236550017",
            "+1 323 655 0017",
            "+1-323-655-0017",
            "+(1)3236550017",
            "+",
            "+1",
            "+0123456789",
            "+1323655001712345",
            "+11111111111",
            "+4402079460958",
            "+13236xxxxx7",
            "+１３２３６５５００１７",
        ] {
            assert!(!is_valid_e164(bad), "{bad}");
            assert_eq!(region(bad), None);
        }
    }
}
