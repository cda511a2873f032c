//! A rejected request: every problem found, and the one envelope the API answers with.

use std::fmt;

use kaleyra_model::{
    BareErrorEnvelope, Code, ErrorDetail, ErrorEnvelope, FAILED_MESSAGE, FullErrorEnvelope,
    VALIDATION_ERROR,
};

use crate::Problem;

/// Every problem of a request, in the vendor's field order (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    problems: Vec<Problem>,
    /// Of an update: its full envelope says so at the top level.
    update: bool,
}

impl Rejection {
    pub(crate) fn new(problems: Vec<Problem>) -> Self {
        debug_assert!(!problems.is_empty());
        Rejection { problems, update: false }
    }

    pub(crate) fn of_update(problems: Vec<Problem>) -> Self {
        debug_assert!(!problems.is_empty());
        Rejection { problems, update: true }
    }

    /// All problems, at most one per field.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The envelope the API answers with.
    ///
    /// The `E413` problems (missing fields, invalid values) come in one full `E947` envelope
    /// (`E948` for an update, ours), joined with `,` as the vendor shows. An empty `display_image` (`E962`) has its own bare
    /// envelope, which the API only reaches when nothing else is wrong: we assume the image is
    /// examined after the field validation passes (see `spec/`).
    pub fn envelope(&self) -> ErrorEnvelope {
        let mut parameter = String::new();
        let mut message = String::new();
        for problem in self.problems.iter().filter(|p| p.code() == Code::E413) {
            if !parameter.is_empty() {
                parameter.push(',');
                message.push(',');
            }
            parameter.push_str(problem.parameter());
            message.push_str(&problem.message());
        }
        if !parameter.is_empty() {
            let detail = ErrorDetail::new(Code::E413, VALIDATION_ERROR, parameter, message);
            let (code, top) = match self.update {
                false => (Code::E947, FAILED_MESSAGE),
                true => (Code::new(crate::UPDATE_FAILED.0), crate::UPDATE_FAILED.1),
            };
            return ErrorEnvelope::Full(FullErrorEnvelope::new(code, top, detail));
        }
        let (parameter, message) = self
            .problems
            .first()
            .map(|p| (p.parameter().to_owned(), p.message().into_owned()))
            .unwrap_or_default();
        let detail = ErrorDetail::new(Code::E962, VALIDATION_ERROR, parameter, message);
        ErrorEnvelope::Bare(BareErrorEnvelope::new(detail))
    }

    /// The envelope as the compact JSON the API sends.
    pub fn to_json(&self) -> String {
        self.envelope().to_json()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request rejected:")?;
        for problem in &self.problems {
            write!(f, " {problem};")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejection {}
