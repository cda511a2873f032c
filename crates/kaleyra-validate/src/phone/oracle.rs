//! The `phonenumber` crate itself: the reference every verdict must agree with, and the answer
//! for the rare numbers the tables leave to it (see `fast.rs`).

use phonenumber::Mode;

/// The number, when the crate finds it valid and it reads back exactly as written (the parser
/// forgives things E.164 does not, such as a national prefix after the country code).
pub(super) fn parse(value: &str) -> Option<phonenumber::PhoneNumber> {
    let number = phonenumber::parse(None, value).ok()?;
    if !number.is_valid() || number.format().mode(Mode::E164).to_string() != value {
        return None;
    }
    Some(number)
}

pub(super) fn region(value: &str) -> Option<String> {
    let id = parse(value)?.country().id()?;
    let code: &str = id.as_ref();
    Some(code.to_owned())
}
