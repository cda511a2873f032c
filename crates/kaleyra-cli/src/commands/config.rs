//! `kaleyra config list|show|set`: the profiles of the config file, read and changed without
//! an editor.

use std::io::Write;

use kaleyra_model::ApiKey;

use crate::cli::{ConfigCommand, Output};
use crate::error::{CliError, Outcome};
use crate::printable::printable;
use crate::profiles::{self, DEFAULT_PROFILE};

pub fn run(command: &ConfigCommand, output: Output) -> Result<Outcome, CliError> {
    let path = profiles::config_path().ok_or_else(|| {
        CliError::Usage(format!(
            "cannot tell where the config file is: set {}, XDG_CONFIG_HOME or HOME",
            profiles::CONFIG_ENV
        ))
    })?;
    let mut out = std::io::stdout().lock();
    match command {
        ConfigCommand::List => {
            if !path.exists() {
                writeln!(
                    std::io::stderr().lock(),
                    "note: no config file at {} yet (`kaleyra config set` creates it)",
                    path.display()
                )?;
            }
            let names = profiles::names(&path)?;
            match output {
                Output::Json => writeln!(out, "{}", serde_json::json!(names))?,
                Output::Text => {
                    for name in names {
                        writeln!(out, "{}", printable(&name))?;
                    }
                }
            }
        }
        ConfigCommand::Show { profile } => {
            let name = profile.as_deref().filter(|n| !n.is_empty()).unwrap_or(DEFAULT_PROFILE);
            let Some(profile) = profiles::selected(Some(name))? else {
                return Err(CliError::Usage(format!("profile `{name}` not found")));
            };
            let settings = [
                ("sid", profile.sid.clone()),
                ("region", profile.region.clone()),
                ("base_url", profile.base_url.clone()),
                ("api_key_file", profile.api_key_file.as_ref().map(|p| p.display().to_string())),
                ("api_key_command", profile.api_key_command.clone()),
                ("api_key", profile.api_key.as_ref().map(|key| ApiKey::new(key.as_str()).masked())),
            ];
            let settings: Vec<_> =
                settings.into_iter().filter_map(|(key, value)| Some((key, value?))).collect();
            match output {
                Output::Json => {
                    let values: serde_json::Map<_, _> = settings
                        .iter()
                        .map(|(key, value)| ((*key).to_owned(), serde_json::json!(value)))
                        .collect();
                    let json = serde_json::json!({
                        "profile": name,
                        "file": path.display().to_string(),
                        "settings": values,
                    });
                    writeln!(out, "{json}")?;
                }
                Output::Text => {
                    writeln!(out, "profile {} ({})", printable(name), path.display())?;
                    for (key, value) in settings {
                        writeln!(out, "  {key}: {}", printable(&value))?;
                    }
                }
            }
        }
        ConfigCommand::Set { profile, key, value } => {
            let name = profile.as_deref().filter(|n| !n.is_empty()).unwrap_or(DEFAULT_PROFILE);
            profiles::set(&path, name, key, value)?;
            writeln!(
                std::io::stderr().lock(),
                "set {key} of profile {} in {}",
                printable(name),
                path.display()
            )?;
        }
    }
    Ok(Outcome::Success)
}
