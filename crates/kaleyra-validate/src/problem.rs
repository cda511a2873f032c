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
}

/// A field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    field: Field,
    kind: ProblemKind,
    hint: Option<String>,
}

impl Problem {
    pub(crate) fn new(field: Field, kind: ProblemKind) -> Self {
        Problem { field, kind, hint: None }
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

    /// The field at fault.
    pub fn field(&self) -> Field {
        self.field
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
        let field = self.field.as_str();
        match self.kind {
            ProblemKind::Missing if self.field == Field::WaNumber => {
                messages::WA_NUMBER_REQUIRED.into()
            }
            ProblemKind::Missing if self.field == Field::DisplayName => {
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
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message())
    }
}
