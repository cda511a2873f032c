#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod format;
mod generated;
mod messages;
mod problem;
mod rejection;
mod rules;
pub mod suggest;
mod validated;

pub use messages::*;
pub use problem::{Problem, ProblemKind};
pub use rejection::Rejection;
pub use rules::{Limits, Rules};
pub use validated::{ValidatedRef, ValidatedRequest, ValidatedUpdate};

use kaleyra_model::{AddNumberRequest, Category, Field, RequestFields, UpdateNumberRequest};

/// Validates `request` with the default [`Rules`].
pub fn validate(request: &AddNumberRequest) -> Result<ValidatedRequest, Rejection> {
    validate_with(request, &Rules::default())
}

/// Validates `request`: every field is checked, and every problem is reported (at most one per
/// field: the first rule that field fails), in the vendor's field order.
pub fn validate_with(
    request: &AddNumberRequest,
    rules: &Rules,
) -> Result<ValidatedRequest, Rejection> {
    validate_ref_with(request, rules).map(ValidatedRequest::from)
}

/// [`validate_with`] without copying the values: they stay borrowed from `request`, which may
/// be an [`AddNumberRequest`] or any [`RequestFields`] (the emulator reads its bodies into its own,
/// borrowing the values from the body).
pub fn validate_ref_with<'a, R: RequestFields + ?Sized>(
    request: &'a R,
    rules: &Rules,
) -> Result<ValidatedRef<'a>, Rejection> {
    let mut valid = ValidatedRef::default();
    let problems = check_fields(request, &Field::ADD, rules, |field, accepted| {
        valid.accept(field, accepted);
    });
    if problems.is_empty() { Ok(valid) } else { Err(Rejection::new(problems)) }
}

/// The verdict of [`validate`] without the validated copy: for counting a file's rows, where
/// the copy would be made only to be dropped.
pub fn check(request: &AddNumberRequest) -> Result<(), Rejection> {
    let problems = check_fields(request, &Field::ADD, &Rules::default(), |_, _| ());
    if problems.is_empty() { Ok(()) } else { Err(Rejection::new(problems)) }
}

/// Validates an update with the default [`Rules`].
pub fn validate_update(request: &UpdateNumberRequest) -> Result<ValidatedUpdate, Rejection> {
    validate_update_with(request, &Rules::default())
}

/// Validates an update: `wa_number` as in an add, every other field it carries with the add's
/// rules (`about` has a length limit only), and at least one of them present
/// ([`ProblemKind::NothingToUpdate`] otherwise). A blank value counts as absent, except an
/// empty `display_image`, which is refused as in an add.
pub fn validate_update_with(
    request: &UpdateNumberRequest,
    rules: &Rules,
) -> Result<ValidatedUpdate, Rejection> {
    let mut valid = ValidatedUpdate::default();
    let mut problems = check_fields(request, &Field::UPDATE, rules, |field, accepted| {
        valid.accept(field, accepted);
    });
    let changes_something = Field::UPDATE.into_iter().filter(|f| *f != Field::WaNumber).any(|f| {
        request.get(f).is_some_and(|value| f == Field::DisplayImage || !trim(value).is_empty())
    });
    if !changes_something {
        problems.push(Problem::of_body(ProblemKind::NothingToUpdate));
    }
    if problems.is_empty() { Ok(valid) } else { Err(Rejection::of_update(problems)) }
}

/// Every field of `fields` in order; each accepted value goes to `accept`, each problem to the
/// list returned.
fn check_fields<'a, R: RequestFields + ?Sized>(
    request: &'a R,
    fields: &[Field],
    rules: &Rules,
    mut accept: impl FnMut(Field, Accepted<'a>),
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for &field in fields {
        let value = request.field(field).map(trim);
        match check_field(field, value, rules) {
            Ok(Some(accepted)) => accept(field, accepted),
            Ok(None) => {}
            Err(Refused { kind, hint }) => problems.push(Problem::new(field, kind).with_hint(hint)),
        }
    }
    problems
}

/// `str::trim` (Unicode white space), without its two character decodings when the value
/// starts and ends with printable ASCII, as nearly every value does.
fn trim(value: &str) -> &str {
    let plain = |byte: Option<&u8>| byte.is_some_and(|&b| b > b' ' && b.is_ascii());
    let bytes = value.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) { value } else { value.trim() }
}

/// A value that passed its field's rules.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Accepted<'a> {
    Text(&'a str),
    Category(Category),
    /// A valid `wa_number`, with the region its validation found (none for a non-geographic
    /// code).
    Number {
        value: &'a str,
        region: Option<&'static str>,
    },
}

/// Why a value was refused, and for a number which of the cases the API's one sentence covers.
struct Refused {
    kind: ProblemKind,
    hint: Option<String>,
}

impl From<ProblemKind> for Refused {
    fn from(kind: ProblemKind) -> Self {
        Refused { kind, hint: None }
    }
}

/// Checks one trimmed value: `None` when it is absent (and may be).
#[inline]
fn check_field<'a>(
    field: Field,
    value: Option<&'a str>,
    rules: &Rules,
) -> Result<Option<Accepted<'a>>, Refused> {
    let value = match value {
        Some("") if field == Field::DisplayImage => return Err(ProblemKind::Empty.into()),
        None | Some("") if field.is_mandatory() => return Err(ProblemKind::Missing.into()),
        // An empty optional field is as good as absent (a blank spreadsheet cell).
        None | Some("") => return Ok(None),
        Some(value) => value,
    };
    if let Some(max) = rules.limits.max_chars(field) {
        // Byte length bounds the character count from above: skip the count for short values.
        if value.len() > max && value.chars().count() > max {
            return Err(ProblemKind::TooLong { max }.into());
        }
    }
    let valid = match field {
        Field::DisplayName | Field::Address | Field::BusinessDescription | Field::About => true,
        Field::WaNumber => {
            return match kaleyra_phone::check(value) {
                Ok(number) => Ok(Some(Accepted::Number { value, region: number.region() })),
                Err(why) => {
                    // Written for people (`+1 (323) 655-0017`, `0044...`): name the E.164 form.
                    let hint = match suggest::number(value) {
                        Some(e164) => format!("{why}; write it as {e164}"),
                        None => why.to_string(),
                    };
                    Err(Refused { kind: ProblemKind::InvalidNumber, hint: Some(hint) })
                }
            };
        }
        Field::BusinessCategory => {
            let category = Category::parse(value).ok_or_else(|| Refused {
                kind: ProblemKind::InvalidCategory,
                hint: suggest::category(value)
                    .map(|category| format!("did you mean `{category}`?")),
            })?;
            return Ok(Some(Accepted::Category(category)));
        }
        Field::ContactEmail => !rules.check_formats || format::is_email(value),
        Field::IncomingUrl | Field::DisplayImage | Field::Website => {
            !rules.check_formats || format::is_http_url(value)
        }
    };
    match (valid, field) {
        (true, _) => Ok(Some(Accepted::Text(value))),
        (false, Field::ContactEmail) => Err(ProblemKind::InvalidEmail.into()),
        (false, _) => Err(ProblemKind::InvalidUrl.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_is_str_trim() {
        use proptest::prelude::*;
        let edge = "[ a~\t\n\u{b}\u{c}\r\u{7f}\u{85}\u{a0}\u{2028}\u{3000}é]";
        let text =
            proptest::string::string_regex(&format!("{edge}{{0,3}}[a-z]{{0,3}}{edge}{{0,3}}"))
                .unwrap();
        proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(5_000))
            .run(&text, |text| {
                prop_assert_eq!(trim(&text), text.trim());
                Ok(())
            })
            .unwrap();
    }
}
