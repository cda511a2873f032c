//! The account's credentials: the SID (not secret) and the API key (secret).

use std::fmt;

/// An API key. `Debug` and `Display` never show it; it has no `Serialize`, so it cannot end up
/// in a report or a journal by accident. Read it with [`ApiKey::expose_secret`] only where it
/// goes on the wire or is compared.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The key with everything but its last four characters hidden, for `--dry-run` output.
    /// Keys of eight characters or fewer are hidden whole.
    pub fn masked(&self) -> String {
        let count = self.0.chars().count();
        if count <= 8 {
            return "*".repeat(count.max(4));
        }
        let tail: String = self.0.chars().skip(count - 4).collect();
        format!("{}{tail}", "*".repeat(count - 4))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey(key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let key = ApiKey::new("Ac4f00dcafe21f");
        assert_eq!(format!("{key:?}"), "ApiKey([REDACTED])");
        assert_eq!(format!("{key}"), "[REDACTED]");
        assert_eq!(format!("{:?}", Some(&key)), "Some(ApiKey([REDACTED]))");
        assert_eq!(key.expose_secret(), "Ac4f00dcafe21f");
    }

    #[test]
    fn masked_keeps_only_the_last_four() {
        assert_eq!(ApiKey::new("Ac4f00dcafe21f").masked(), "**********e21f");
        assert_eq!(ApiKey::new("short").masked(), "*****");
        assert_eq!(ApiKey::new("").masked(), "****");
    }
}
