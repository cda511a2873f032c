//! `cargo xtask deny`: licenses, sources and banned crates of the dependency tree, offline.
//!
//! What `cargo deny check licenses bans sources` would check, from `cargo metadata` alone, so it
//! needs neither a download of the tool nor the advisory database.

use std::process::Command;

/// Licenses every dependency may be used under (one of them suffices in an `OR`).
const ALLOWED: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "CC0-1.0",
    "BSL-1.0",
    "CDLA-Permissive-2.0",
];

/// Crates we chose not to depend on: OpenSSL (rustls instead) and aws-lc (a long C build; ring).
const BANNED: &[&str] = &["openssl", "openssl-sys", "native-tls", "aws-lc-rs", "aws-lc-sys"];

const CRATES_IO: &[&str] =
    &["registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"];

pub fn run(_args: &[String]) -> Result<(), String> {
    let root = crate::workspace_root()?;
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(&root)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
    let problems = check(&metadata);
    if problems.is_empty() {
        let count = metadata["packages"].as_array().map_or(0, Vec::len);
        println!("deny: {count} packages: licenses, sources and bans ok");
        Ok(())
    } else {
        Err(format!("deny:\n  {}", problems.join("\n  ")))
    }
}

fn check(metadata: &serde_json::Value) -> Vec<String> {
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .map(|m| m.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or("?");
        let version = package["version"].as_str().unwrap_or("?");
        let id = package["id"].as_str().unwrap_or_default();
        if BANNED.contains(&name) {
            problems.push(format!("{name} {version} is banned"));
        }
        let member = members.contains(&id);
        let publishable =
            package["publish"].as_array().is_none_or(|registries| !registries.is_empty());
        if member && !publishable {
            continue;
        }
        if !member {
            let source = package["source"].as_str().unwrap_or("a path or git");
            if !CRATES_IO.contains(&source) {
                problems.push(format!("{name} {version} comes from {source}, not crates.io"));
            }
        }
        match package["license"].as_str() {
            None => problems.push(format!("{name} {version} declares no license")),
            Some(expression) => match allowed(expression) {
                Ok(true) => {}
                Ok(false) => problems
                    .push(format!("{name} {version}: license `{expression}` is not allowed")),
                Err(error) => {
                    problems.push(format!("{name} {version}: cannot read `{expression}`: {error}"))
                }
            },
        }
    }
    problems
}

/// Whether an SPDX expression (with the old `/` for OR) can be satisfied by allowed licenses.
fn allowed(expression: &str) -> Result<bool, String> {
    let spaced = expression.replace('/', " OR ").replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut position = 0;
    let value = or_expression(&tokens, &mut position)?;
    if position != tokens.len() {
        return Err(format!("unexpected `{}`", tokens[position]));
    }
    Ok(value)
}

fn or_expression(tokens: &[&str], position: &mut usize) -> Result<bool, String> {
    let mut value = and_expression(tokens, position)?;
    while tokens.get(*position) == Some(&"OR") {
        *position += 1;
        value |= and_expression(tokens, position)?;
    }
    Ok(value)
}

fn and_expression(tokens: &[&str], position: &mut usize) -> Result<bool, String> {
    let mut value = license(tokens, position)?;
    while tokens.get(*position) == Some(&"AND") {
        *position += 1;
        value &= license(tokens, position)?;
    }
    Ok(value)
}

fn license(tokens: &[&str], position: &mut usize) -> Result<bool, String> {
    let token = *tokens.get(*position).ok_or("unexpected end")?;
    *position += 1;
    if token == "(" {
        let value = or_expression(tokens, position)?;
        if tokens.get(*position) != Some(&")") {
            return Err("missing `)`".to_owned());
        }
        *position += 1;
        return Ok(value);
    }
    if matches!(token, ")" | "AND" | "OR" | "WITH") {
        return Err(format!("unexpected `{token}`"));
    }
    // An exception only widens what the license allows.
    if tokens.get(*position) == Some(&"WITH") {
        *position += 2;
    }
    Ok(ALLOWED.contains(&token.trim_end_matches('+')))
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn spdx_expressions() {
        for ok in [
            "MIT",
            "MIT OR Apache-2.0",
            "MIT/Apache-2.0",
            "(MIT OR Apache-2.0) AND Unicode-3.0",
            "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT",
            "MIT OR Apache-2.0 OR LGPL-2.1-or-later",
        ] {
            assert_eq!(allowed(ok), Ok(true), "{ok}");
        }
        for not in ["GPL-3.0", "MIT AND GPL-3.0", "LGPL-2.1-or-later"] {
            assert_eq!(allowed(not), Ok(false), "{not}");
        }
        for broken in ["", "(MIT", "MIT OR", "MIT Apache-2.0"] {
            assert!(allowed(broken).is_err(), "{broken}");
        }
    }

    #[test]
    fn the_dependency_tree_passes() {
        super::run(&[]).unwrap();
    }
}
