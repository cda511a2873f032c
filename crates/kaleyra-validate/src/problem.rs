//! One problem with one field, and the code and message the API gives it.

use std::borrow::Cow;
use std::fmt;

use kaleyra_model::{Code, Field};

use crate::messages;

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A mandatory field is absent, empty or only white space.
    Missing,
    /// `display_image` is present but empty (the API's `E962`).
    Empty,
    /// `business_category` is none of the 17 values.
    InvalidCategory,
    /// `wa_number` is not a valid number in E.164.
    InvalidNumber,
    /// `contact_email` is not an e-mail address.
    InvalidEmail,
    /// A URL field is not an absolute http(s) URL.
    InvalidUrl,
    /// The value is longer than `max` characters.
    TooLong {
        /// The limit, in characters.
        max: usize,
    },
    /// An update names the number and changes nothing: it needs at least one other field.
    NothingToUpdate,
}

/// A field (or the body as a whole) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    field: Option<Field>,
    kind: ProblemKind,
    hint: Option<String>,
}

impl Problem {
    pub(crate) fn new(field: Field, kind: ProblemKind) -> Self {
        Problem { field: Some(field), kind, hint: None }
    }

    /// A problem of the body as a whole (an update that changes nothing).
    pub(crate) fn of_body(kind: ProblemKind) -> Self {
        Problem { field: None, kind, hint: None }
    }

    /// The problem with why in more detail than the API's message gives.
    pub(crate) fn with_hint(self, hint: Option<String>) -> Self {
        Problem { hint, ..self }
    }

    /// Why, in more detail than the API's message: for an invalid `wa_number`, what is wrong
    /// with it (a national prefix to drop, say, with the number to send instead). Not part of
    /// any envelope.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The field at fault; `None` for a problem of the body as a whole
    /// ([`ProblemKind::NothingToUpdate`]).
    pub fn field(&self) -> Option<Field> {
        self.field
    }

    /// What the envelope's `parameter` names: the field, or `body`.
    pub fn parameter(&self) -> &'static str {
        self.field.map_or("body", Field::as_str)
    }

    /// What is wrong with it.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// The inner error code the API gives this problem.
    pub fn code(&self) -> Code {
        match self.kind {
            ProblemKind::Empty => Code::E962,
            _ => Code::E413,
        }
    }

    /// The message the API gives this problem.
    pub fn message(&self) -> Cow<'static, str> {
        let field = self.parameter();
        match self.kind {
            ProblemKind::Missing if self.field == Some(Field::WaNumber) => {
                messages::WA_NUMBER_REQUIRED.into()
            }
            ProblemKind::Missing if self.field == Some(Field::DisplayName) => {
                messages::DISPLAY_NAME_REQUIRED.into()
            }
            // Only the two mandatory fields can be missing; this keeps the vendor's pattern.
            ProblemKind::Missing => format!("{field} is required and cannot be empty.").into(),
            ProblemKind::Empty => messages::DISPLAY_IMAGE_EMPTY.into(),
            ProblemKind::InvalidCategory => messages::CATEGORY_INVALID.into(),
            ProblemKind::InvalidNumber => messages::WA_NUMBER_INVALID.into(),
            ProblemKind::InvalidEmail => messages::CONTACT_EMAIL_INVALID.into(),
            ProblemKind::InvalidUrl => messages::url_invalid(field).into(),
            ProblemKind::TooLong { max } => messages::too_long(field, max).into(),
            ProblemKind::NothingToUpdate => messages::NOTHING_TO_UPDATE.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.parameter(), self.message())
    }
}
