//! `wa_number`: strict E.164 (`+`, then 2 to 15 digits, no separators) and a valid number for
//! its country according to libphonenumber's metadata as the `phonenumber` crate has it.
//!
//! The verdict is the crate's, but comes from tables generated from the crate's metadata
//! (`fast.rs`), which cost nothing to load and a few dozen nanoseconds per number; the few
//! numbers the tables leave open go to the crate itself (`oracle.rs`).

mod fast;
mod index;
mod oracle;
mod tables;

#[cfg(test)]
mod differential;

pub(crate) use fast::Answer;

/// The verdict on `value` as a number in strict E.164: valid, with its ISO 3166-1 alpha-2
/// region when the metadata names one, or not.
pub(crate) fn check(value: &str) -> Answer {
    let Some(digits) = e164_digits(value) else { return Answer::Invalid };
    fast::check(digits).unwrap_or_else(|| oracle::check(value))
}

/// Whether `value` is a valid number in strict E.164.
#[cfg(test)]
fn is_valid_e164(value: &str) -> bool {
    check(value) != Answer::Invalid
}

/// ISO 3166-1 alpha-2 region of a valid number, when the metadata names one.
pub(crate) fn region(value: &str) -> Option<String> {
    match check(value) {
        Answer::Valid(region) => region.map(str::to_owned),
        Answer::Invalid => None,
    }
}

/// The digits after `+` when `value` has the shape of E.164.
fn e164_digits(value: &str) -> Option<&[u8]> {
    let digits = value.strip_prefix('+')?.as_bytes();
    let well_formed = (2..=15).contains(&digits.len())
        && digits.iter().all(u8::is_ascii_digit)
        && digits.first() != Some(&b'0');
    well_formed.then_some(digits)
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
