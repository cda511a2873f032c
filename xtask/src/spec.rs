//! `spec/kaleyra.toml`, read.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Spec {
    pub endpoint: Endpoint,
    pub fields: Vec<FieldSpec>,
    pub categories: Categories,
    pub codes: BTreeMap<String, CodeSpec>,
    pub messages: BTreeMap<String, MessageSpec>,
    pub assumptions: Vec<Assumption>,
}

#[derive(Debug, Deserialize)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
    pub default_base: String,
    pub regions: BTreeMap<String, String>,
    pub update: Update,
}

/// The update of a number: its method (on the same path) and the fields it takes.
#[derive(Debug, Deserialize)]
pub struct Update {
    pub method: String,
    pub fields: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    pub description: String,
    pub example: String,
    #[serde(default)]
    pub mandatory: bool,
    /// Whether the add request takes the field (`about` is the update's alone).
    #[serde(default = "yes")]
    pub add: bool,
    pub max_chars: Option<usize>,
    pub rule: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Categories {
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct CodeSpec {
    pub source: String,
    /// `None` for codes no HTTP answer carries (the importer's own).
    pub http_status: Option<u16>,
    pub meaning: String,
    /// The envelope's `error.type`, for the emulator's own codes.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The envelope's `error.parameter`, for the emulator's own codes.
    pub parameter: Option<String>,
    /// The envelope's message (a template: `{name}` is filled in), for the emulator's own.
    pub message: Option<String>,
    /// Which crates answer with the code: `emulator`, `importer`.
    #[serde(default)]
    pub used_by: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct MessageSpec {
    pub source: String,
    pub text: String,
}

#[derive(Debug, Deserialize)]
pub struct Assumption {
    pub id: String,
    pub decision: String,
    pub why: String,
    pub switch: Option<String>,
}

fn yes() -> bool {
    true
}

impl Spec {
    pub fn read(path: &std::path::Path) -> Result<Spec, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// `Beauty, Spa, and Salon` → `BeautySpaAndSalon`; `display_name` → `DisplayName`.
pub fn variant_name(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn variant_names() {
        assert_eq!(super::variant_name("Beauty, Spa, and Salon"), "BeautySpaAndSalon");
        assert_eq!(super::variant_name("Non-profit"), "NonProfit");
        assert_eq!(super::variant_name("display_name"), "DisplayName");
    }
}
