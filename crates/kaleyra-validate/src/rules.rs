//! The switches for the rules the vendor's page does not state.

use kaleyra_model::Field;

/// Which of our own rules apply on top of the vendor's (mandatory fields, E.164 number,
/// category list, non-empty `display_image`, which always apply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Check `contact_email` is an e-mail address and the URL fields are http(s) URLs.
    pub check_formats: bool,
    /// Length limits, in characters after trimming.
    pub limits: Limits,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { check_formats: true, limits: Limits::default() }
    }
}

impl Rules {
    /// Only what the vendor's page states: no format checks, no length limits.
    pub fn seed_only() -> Self {
        Rules { check_formats: false, limits: Limits::none() }
    }
}

/// Maximum length of each field in characters; `None` means unlimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    max: [Option<usize>; Field::ALL.len()],
}

impl Default for Limits {
    /// WhatsApp Business profile limits where Meta documents one (address 256, description
    /// 512, e-mail 128, website 256), generous caps elsewhere. Assumptions, from `spec/`.
    fn default() -> Self {
        crate::generated::DEFAULT_LIMITS
            .into_iter()
            .fold(Limits::none(), |limits, (field, max)| limits.with(field, Some(max)))
    }
}

impl Limits {
    /// No limits at all.
    pub fn none() -> Self {
        Limits { max: [None; Field::ALL.len()] }
    }

    /// Sets the limit of one field.
    #[must_use]
    pub fn with(mut self, field: Field, max: Option<usize>) -> Self {
        self.max[field as usize] = max;
        self
    }

    /// The limit of `field`.
    pub fn max_chars(&self, field: Field) -> Option<usize> {
        self.max[field as usize]
    }
}
