//! Offline validation of **Add WhatsApp Number** requests.
//!
//! [`validate`] checks every field of an [`AddNumberRequest`] in one pass and returns either a
//! [`ValidatedRequest`] (trimmed, category in its canonical spelling, ready to send) or a
//! [`Rejection`] listing every problem, which renders the exact envelope the API returns.
//! No network, no key, no async: the same rules serve the CLI, the bulk importer and the
//! emulator, so the three can never disagree.
//!
//! ```
//! use kaleyra_model::AddNumberRequest;
//!
//! let request: AddNumberRequest = serde_json::from_str(r#"{"business_category":"Cars"}"#).unwrap();
//! let rejection = kaleyra_validate::validate(&request).unwrap_err();
//! assert_eq!(rejection.problems().len(), 3);
//! let envelope = rejection.to_json();
//! assert!(envelope.starts_with(r#"{"code":"E947","message":"Failed to create new WA number.""#));
//!
//! let ok = AddNumberRequest::new(" xyz ", "+13236550017").with(
//!     kaleyra_model::Field::BusinessCategory,
//!     "medical and health",
//! );
//! let valid = kaleyra_validate::validate(&ok).unwrap();
//! assert_eq!(valid.display_name(), "xyz");
//! assert_eq!(valid.iso_code().as_deref(), Some("US"));
//! assert_eq!(
//!     valid.to_json(),
//!     r#"{"display_name":"xyz","wa_number":"+13236550017","business_category":"Medical and Health"}"#
//! );
//! ```
//!
//! Where the vendor's page is silent (whitespace, formats, lengths, precedence), the choices are
//! written down in `spec/` and `docs/decisions.md`; [`Rules`] switches the ones that could be
//! wrong.

mod format;
mod generated;
mod messages;
mod phone;
mod problem;
mod rejection;
mod rules;
mod validated;

pub use messages::*;
pub use problem::{Problem, ProblemKind};
pub use rejection::Rejection;
pub use rules::{Limits, Rules};
pub use validated::ValidatedRequest;

use kaleyra_model::{AddNumberRequest, Category, Field};

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
    let mut problems = Vec::new();
    let mut valid = ValidatedRequest::default();

    for field in Field::ALL {
        let value = request.get(field).map(str::trim);
        match check_field(field, value, rules, &mut valid) {
            Ok(()) => {}
            Err(kind) => problems.push(Problem::new(field, kind)),
        }
    }

    if problems.is_empty() { Ok(valid) } else { Err(Rejection::new(problems)) }
}

/// Checks one trimmed value and, when it passes, stores it in `valid`.
fn check_field(
    field: Field,
    value: Option<&str>,
    rules: &Rules,
    valid: &mut ValidatedRequest,
) -> Result<(), ProblemKind> {
    let value = match value {
        Some("") if field == Field::DisplayImage => return Err(ProblemKind::Empty),
        None | Some("") if field.is_mandatory() => return Err(ProblemKind::Missing),
        // An empty optional field is as good as absent (a blank spreadsheet cell).
        None | Some("") => return Ok(()),
        Some(value) => value,
    };
    if let Some(max) = rules.limits.max_chars(field) {
        // Byte length bounds the character count from above: skip the count for short values.
        if value.len() > max && value.chars().count() > max {
            return Err(ProblemKind::TooLong { max });
        }
    }
    match field {
        Field::DisplayName => valid.display_name = value.to_owned(),
        Field::WaNumber => {
            if !phone::is_valid_e164(value) {
                return Err(ProblemKind::InvalidNumber);
            }
            valid.wa_number = value.to_owned();
        }
        Field::Address => valid.address = Some(value.to_owned()),
        Field::BusinessDescription => valid.business_description = Some(value.to_owned()),
        Field::BusinessCategory => {
            valid.business_category =
                Some(Category::parse(value).ok_or(ProblemKind::InvalidCategory)?);
        }
        Field::ContactEmail => {
            if rules.check_formats && !format::is_email(value) {
                return Err(ProblemKind::InvalidEmail);
            }
            valid.contact_email = Some(value.to_owned());
        }
        Field::IncomingUrl | Field::DisplayImage | Field::Website => {
            if rules.check_formats && !format::is_http_url(value) {
                return Err(ProblemKind::InvalidUrl);
            }
            let slot = match field {
                Field::IncomingUrl => &mut valid.incoming_url,
                Field::DisplayImage => &mut valid.display_image,
                _ => &mut valid.website,
            };
            *slot = Some(value.to_owned());
        }
    }
    Ok(())
}
