//! Marked sections of a generated document (`<!-- NAME -->` to `<!-- /NAME -->`), each written
//! by its own task and carried over when another task rewrites the rest.

use std::path::Path;

/// A section's markers.
#[derive(Clone, Copy)]
pub struct Section {
    pub start: &'static str,
    pub end: &'static str,
}

impl Section {
    /// `text` with this section replaced by `section` (appended when there is none).
    pub fn replace(&self, text: &str, section: &str) -> String {
        match (text.find(self.start), text.find(self.end)) {
            (Some(start), Some(end)) if start < end => {
                let after = &text[end + self.end.len()..];
                format!("{}{section}{}", &text[..start], after.strip_prefix('\n').unwrap_or(after))
            }
            _ => format!("{}\n{section}", text.trim_end_matches('\n').to_owned() + "\n"),
        }
    }

    /// This section of `text`, if any.
    pub fn of<'t>(&self, text: &'t str) -> Option<&'t str> {
        let start = text.find(self.start)?;
        let end = text.find(self.end)? + self.end.len();
        text.get(start..end)
    }

    /// Replaces this section of the file at `path` (or appends it).
    pub fn write(&self, path: &Path, section: &str) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::write(path, self.replace(&text, section))
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: Section = Section { start: "<!-- t -->", end: "<!-- /t -->" };

    #[test]
    fn sections_are_replaced_or_appended() {
        let section = "<!-- t -->\nnew\n<!-- /t -->\n";
        let appended = TEST.replace("# Benchmarks\n\ntable\n", section);
        assert_eq!(appended, format!("# Benchmarks\n\ntable\n\n{section}"));
        let old = "head\n<!-- t -->\nold\n<!-- /t -->\ntail\n";
        assert_eq!(TEST.replace(old, section), format!("head\n{section}tail\n"));
        assert_eq!(TEST.of(old), Some("<!-- t -->\nold\n<!-- /t -->"));
    }
}
