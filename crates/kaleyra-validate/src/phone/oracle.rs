//! The `phonenumber` crate itself: the reference every verdict must agree with, and the answer
//! for the rare numbers the tables leave to it (see `fast.rs`).

use phonenumber::Mode;

use super::fast::Answer;

/// The number, when the crate finds it valid and it reads back exactly as written (the parser
/// forgives things E.164 does not, such as a national prefix after the country code).
pub(super) fn parse(value: &str) -> Option<phonenumber::PhoneNumber> {
    let number = phonenumber::parse(None, value).ok()?;
    if !number.is_valid() || number.format().mode(Mode::E164).to_string() != value {
        return None;
    }
    Some(number)
}

/// The crate's verdict, in the tables' terms.
pub(super) fn check(value: &str) -> Answer {
    match parse(value) {
        None => Answer::Invalid,
        Some(number) => {
            Answer::Valid(number.country().id().and_then(|id| static_region(id.as_ref())))
        }
    }
}

/// A region id of the crate as the tables hold it, `&'static str`. The tables are generated
/// from the crate's metadata, so every id is there (`codegen --check` fails when they differ).
fn static_region(id: &str) -> Option<&'static str> {
    super::index::REGIONS.iter().filter_map(|r| r.id).find(|r| *r == id)
}
