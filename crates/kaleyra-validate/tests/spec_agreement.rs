//! The code agrees with `spec/kaleyra.toml`, the one source of truth for the contract: fields,
//! their order and limits, categories and messages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kaleyra_model::{Category, Field};
use kaleyra_validate::{Limits, messages_for_spec};

const SPEC: &str = include_str!("../../../spec/kaleyra.toml");

fn spec() -> toml::Table {
    SPEC.parse().unwrap()
}

#[test]
fn fields_order_mandatory_and_limits() {
    let spec = spec();
    let fields = spec["fields"].as_array().unwrap();
    assert_eq!(fields.len(), Field::ALL.len());
    let limits = Limits::default();
    for (entry, field) in fields.iter().zip(Field::ALL) {
        assert_eq!(entry["name"].as_str(), Some(field.as_str()));
        let mandatory = entry.get("mandatory").and_then(|m| m.as_bool()).unwrap_or(false);
        assert_eq!(mandatory, field.is_mandatory(), "{field}");
        let max = entry.get("max_chars").and_then(|m| m.as_integer()).map(|m| m as usize);
        assert_eq!(max, limits.max_chars(field), "{field}");
    }
}

#[test]
fn categories_in_order() {
    let spec = spec();
    let values: Vec<_> = spec["categories"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let ours: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(values, ours);
}

#[test]
fn messages_word_for_word() {
    let spec = spec();
    let messages = spec["messages"].as_table().unwrap();
    let ours = messages_for_spec();
    assert_eq!(messages.len(), ours.len());
    for (id, text) in ours {
        assert_eq!(messages[id]["text"].as_str(), Some(text), "{id}");
    }
}
