//! `cargo xtask release VERSION [--publish] [--no-verify]`: one version for every crate, the
//! changelog, packages in dependency order, and the artifacts an operator installs.
//!
//! It changes files but commits nothing: review the diff, commit, tag `vVERSION`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every workspace crate but the unpublished ones (`publish = false`).
const PUBLISHABLE: &[&str] =
    &["--workspace", "--exclude", "xtask", "--exclude", "kaleyra-seed", "--allow-dirty"];

pub fn run(args: &[String]) -> Result<(), String> {
    let version = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .ok_or("usage: cargo xtask release VERSION [--publish] [--no-verify]")?;
    if !is_version(version) {
        return Err(format!("`{version}` is not a version like 1.2.3"));
    }
    let publish = args.iter().any(|a| a == "--publish");
    let verify = !args.iter().any(|a| a == "--no-verify");
    let root = crate::workspace_root()?;

    // Everything that can be checked is checked before any file changes.
    let status = capture(&root, "git", &["status", "--porcelain"])?;
    if !status.trim().is_empty() {
        return Err(format!("the working tree is not clean; commit or stash first:\n{status}"));
    }
    let manifest_path = root.join("Cargo.toml");
    let changelog_path = root.join("CHANGELOG.md");
    let lock_path = root.join("Cargo.lock");
    let originals = [
        (manifest_path.clone(), read(&manifest_path)?),
        (changelog_path.clone(), read(&changelog_path)?),
        (lock_path.clone(), read(&lock_path)?),
    ];
    let old = current_version(&originals[0].1)?;
    let manifest = bump(&originals[0].1, &old, version)?;
    let changelog = release_changelog(&originals[1].1, version, &today())?;
    let target_dir = target_directory(&root)?;

    write(&manifest_path, &manifest)?;
    write(&changelog_path, &changelog)?;
    // Whatever fails from here on, the tree is put back as it was.
    let released = release(&root, &target_dir, publish, verify);
    if released.is_err() && !publish {
        for (path, text) in &originals {
            let _ = write(path, text);
        }
    }
    let dist = released?;
    println!(
        "released {version} (was {old}){}; artifacts in {}.\nNext: review `git diff`, commit, tag v{version}.",
        if publish { ", published" } else { " as a dry run (packages built, nothing published)" },
        dist.display()
    );
    Ok(())
}

/// The steps after the versions changed: lock file, packages, the binary and its companions
/// in `TARGET/dist`. Returns the dist directory.
fn release(root: &Path, target_dir: &Path, publish: bool, verify: bool) -> Result<PathBuf, String> {
    // Refresh the lock file for the new versions of our own crates.
    crate::cargo(root, &["update", "--workspace"])?;
    let mut package = [&["package"][..], PUBLISHABLE].concat();
    if !verify {
        package.push("--no-verify");
    }
    crate::cargo(root, &package)?;
    if publish {
        crate::cargo(root, &[&["publish"][..], PUBLISHABLE].concat())?;
    }

    // The binary where cargo says it built it (CARGO_TARGET_DIR, a config's build.target-dir),
    // never a guess that might find a stale one.
    let messages = capture(
        root,
        env!("CARGO"),
        &["build", "--release", "--locked", "-p", "kaleyra-cli", "--message-format=json"],
    )?;
    let binary = executable(&messages, "kaleyra")
        .ok_or("cargo reported no `kaleyra` executable for the release build")?;
    let dist = target_dir.join("dist");
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(dist.join("completions")).map_err(|e| e.to_string())?;
    std::fs::copy(&binary, dist.join("kaleyra"))
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    for (shell, file) in [
        ("bash", "kaleyra.bash"),
        ("zsh", "_kaleyra"),
        ("fish", "kaleyra.fish"),
        ("powershell", "_kaleyra.ps1"),
    ] {
        let text = capture(root, binary.to_str().unwrap_or("kaleyra"), &["completions", shell])?;
        write(&dist.join("completions").join(file), &text)?;
    }
    let man = dist.join("man");
    let status =
        Command::new(&binary).arg("manpages").arg(&man).status().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("kaleyra manpages failed".to_owned());
    }
    Ok(dist)
}

/// The target directory cargo uses, whatever sets it.
fn target_directory(root: &Path) -> Result<PathBuf, String> {
    let metadata =
        capture(root, env!("CARGO"), &["metadata", "--format-version", "1", "--no-deps"])?;
    let value: serde_json::Value = serde_json::from_str(&metadata).map_err(|e| e.to_string())?;
    value["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata gave no target_directory".to_owned())
}

/// The path of the executable `name` among cargo's JSON build messages.
fn executable(messages: &str, name: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact" && message["target"]["name"] == name
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
}

fn is_version(text: &str) -> bool {
    let core = text.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<_> = core.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn current_version(manifest: &str) -> Result<String, String> {
    let section = manifest
        .split("[workspace.package]")
        .nth(1)
        .ok_or("no [workspace.package] in Cargo.toml")?;
    section
        .lines()
        .find_map(|line| line.trim().strip_prefix("version = \"").and_then(|v| v.strip_suffix('"')))
        .map(str::to_owned)
        .ok_or_else(|| "no version in [workspace.package]".to_owned())
}

/// The workspace version and the version of every path dependency on our own crates.
fn bump(manifest: &str, old: &str, new: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut in_package = false;
    let mut changed = 0;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_package = line.trim() == "[workspace.package]";
        }
        let own_dependency = line.starts_with("kaleyra-") && line.contains("path = \"crates/");
        let package_version = in_package && line.trim() == format!("version = \"{old}\"");
        if own_dependency || package_version {
            let replaced =
                line.replace(&format!("version = \"{old}\""), &format!("version = \"{new}\""));
            changed += usize::from(replaced != line);
            out.push_str(&replaced);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if changed == 0 {
        return Err(format!("found no version {old} to change"));
    }
    Ok(out)
}

/// Moves the Unreleased section's entries under a heading for the version.
fn release_changelog(changelog: &str, version: &str, date: &str) -> Result<String, String> {
    const UNRELEASED: &str = "## Unreleased";
    let at = changelog.find(UNRELEASED).ok_or("CHANGELOG.md has no `## Unreleased` section")?;
    let (head, tail) = changelog.split_at(at + UNRELEASED.len());
    Ok(format!("{head}\n\n## {version} - {date}{tail}"))
}

/// Today's date (UTC), from the system clock.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn capture(root: &Path, program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{program} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| e.to_string())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "[workspace.package]\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace.dependencies]\nkaleyra-model = { path = \"crates/kaleyra-model\", version = \"0.1.0\" }\nserde = { version = \"0.1.0\" }\n";

    #[test]
    fn bumps_only_our_versions() {
        assert_eq!(current_version(MANIFEST).unwrap(), "0.1.0");
        let bumped = bump(MANIFEST, "0.1.0", "0.2.0").unwrap();
        assert!(bumped.contains("[workspace.package]\nversion = \"0.2.0\""));
        assert!(
            bumped.contains(
                "kaleyra-model = { path = \"crates/kaleyra-model\", version = \"0.2.0\" }"
            )
        );
        assert!(
            bumped.contains("serde = { version = \"0.1.0\" }"),
            "a third-party version changed"
        );
        assert!(bump(MANIFEST, "9.9.9", "1.0.0").is_err());
    }

    #[test]
    fn changelog_moves_unreleased_under_the_version() {
        let before = "# Changelog\n\n## Unreleased\n\n- New thing.\n\n## 0.1.0 - 2026-01-01\n";
        let after = release_changelog(before, "0.2.0", "2026-11-25").unwrap();
        assert_eq!(
            after,
            "# Changelog\n\n## Unreleased\n\n## 0.2.0 - 2026-11-25\n\n- New thing.\n\n## 0.1.0 - 2026-01-01\n"
        );
        assert!(release_changelog("# Changelog\n", "1.0.0", "x").is_err());
    }

    #[test]
    fn the_binary_is_where_cargo_says() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"kaleyra_bulk"},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"name":"kaleyra"},"executable":"/elsewhere/release/kaleyra"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            executable(messages, "kaleyra"),
            Some(PathBuf::from("/elsewhere/release/kaleyra"))
        );
        assert_eq!(executable("", "kaleyra"), None);
    }

    #[test]
    fn versions_and_dates() {
        assert!(is_version("1.2.3") && is_version("0.2.0-rc.1"));
        assert!(!is_version("1.2") && !is_version("v1.2.3") && !is_version("1.x.3"));
        let date = today();
        assert_eq!(date.len(), 10);
        assert!(date.as_str() > "2024-01-01");
    }
}
