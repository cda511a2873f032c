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
}

impl Rejection {
    pub(crate) fn new(problems: Vec<Problem>) -> Self {
        debug_assert!(!problems.is_empty());
        Rejection { problems }
    }

    /// All problems, at most one per field.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The envelope the API answers with.
    ///
    /// The `E413` problems (missing fields, invalid values) come in one full `E947` envelope,
    /// joined with `,` as the vendor shows. An empty `display_image` (`E962`) has its own bare
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
            parameter.push_str(problem.field().as_str());
            message.push_str(&problem.message());
        }
        if !parameter.is_empty() {
            let detail = ErrorDetail::new(Code::E413, VALIDATION_ERROR, parameter, message);
            return ErrorEnvelope::Full(FullErrorEnvelope::new(Code::E947, FAILED_MESSAGE, detail));
        }
        let (parameter, message) = self
            .problems
            .first()
            .map(|p| (p.field().as_str().to_owned(), p.message().into_owned()))
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
