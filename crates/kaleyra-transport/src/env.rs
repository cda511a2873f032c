//! `Client::from_env`: the account and the host from the environment, with the same variables
//! and the same precedence as the `kaleyra` command.

use std::path::PathBuf;

use kaleyra_model::ApiKey;

use crate::{ClientBuilder, ConfigError, Region};

/// Reads the environment through `var` (`std::env::var` outside tests).
pub(crate) fn builder(var: impl Fn(&str) -> Option<String>) -> Result<ClientBuilder, ConfigError> {
    let set = |name: &'static str| var(name).filter(|value| !value.is_empty());
    let sid = set("KALEYRA_SID").ok_or(ConfigError::MissingEnv("KALEYRA_SID"))?;
    let key = match (set("KALEYRA_API_KEY"), set("KALEYRA_API_KEY_FILE")) {
        (Some(key), _) => key,
        (None, Some(file)) => read_key(PathBuf::from(file))?,
        (None, None) => return Err(ConfigError::MissingEnv("KALEYRA_API_KEY")),
    };
    let builder = ClientBuilder::new(sid, ApiKey::new(key));
    match (set("KALEYRA_REGION"), set("KALEYRA_BASE_URL")) {
        (Some(_), Some(_)) => Err(ConfigError::Env {
            name: "KALEYRA_BASE_URL",
            reason: "KALEYRA_REGION is set too: set one of the two".to_owned(),
        }),
        (Some(region), None) => Ok(builder.region(region.parse::<Region>()?)),
        (None, Some(url)) => Ok(builder.base_url(url)),
        (None, None) => Ok(builder),
    }
}

/// The key in a file: its first line, without the line break (what `echo KEY > file` writes).
fn read_key(path: PathBuf) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(&path).map_err(|error| ConfigError::Env {
        name: "KALEYRA_API_KEY_FILE",
        reason: format!("{}: {error}", path.display()),
    })?;
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<ClientBuilder, ConfigError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        builder(|name| vars.get(name).cloned())
    }

    #[test]
    fn sid_and_key_are_needed() {
        assert!(matches!(from(&[]), Err(ConfigError::MissingEnv("KALEYRA_SID"))));
        let no_key = from(&[("KALEYRA_SID", "HX1")]);
        assert!(matches!(no_key, Err(ConfigError::MissingEnv("KALEYRA_API_KEY"))));
        let empty_key = from(&[("KALEYRA_SID", "HX1"), ("KALEYRA_API_KEY", "")]);
        assert!(matches!(empty_key, Err(ConfigError::MissingEnv("KALEYRA_API_KEY"))));
    }

    #[test]
    fn the_key_comes_from_the_variable_before_the_file() {
        let dir = std::env::temp_dir().join(format!("kaleyra-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "fr0m-f1le\n").unwrap();
        let file = file.to_str().unwrap();
        let both = from(&[
            ("KALEYRA_SID", "HX1"),
            ("KALEYRA_API_KEY", "fr0m-var"),
            ("KALEYRA_API_KEY_FILE", file),
        ])
        .unwrap();
        assert_eq!(both.api_key.expose_secret(), "fr0m-var");
        let only_file = from(&[("KALEYRA_SID", "HX1"), ("KALEYRA_API_KEY_FILE", file)]).unwrap();
        assert_eq!(only_file.api_key.expose_secret(), "fr0m-f1le");
        let missing = from(&[("KALEYRA_SID", "HX1"), ("KALEYRA_API_KEY_FILE", "/nonexistent/k")]);
        let message = missing.unwrap_err().to_string();
        assert!(message.starts_with("KALEYRA_API_KEY_FILE: /nonexistent/k"), "{message}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn region_or_base_url_never_both() {
        let key = [("KALEYRA_SID", "HX1"), ("KALEYRA_API_KEY", "k3y")];
        assert_eq!(from(&key).unwrap().base_url, crate::DEFAULT_BASE_URL);
        let eu = from(&[key[0], key[1], ("KALEYRA_REGION", "eu")]).unwrap();
        assert_eq!(eu.base_url, Region::Eu.base_url());
        let url = from(&[key[0], key[1], ("KALEYRA_BASE_URL", "http://127.0.0.1:9")]).unwrap();
        assert_eq!(url.base_url, "http://127.0.0.1:9");
        let both = from(&[key[0], key[1], ("KALEYRA_REGION", "eu"), ("KALEYRA_BASE_URL", "x")]);
        assert!(matches!(both, Err(ConfigError::Env { name: "KALEYRA_BASE_URL", .. })));
        let unknown = from(&[key[0], key[1], ("KALEYRA_REGION", "mars")]);
        assert!(matches!(unknown, Err(ConfigError::UnknownRegion(_))));
    }

    #[test]
    fn the_key_never_shows_in_errors_or_debug() {
        let built = from(&[("KALEYRA_SID", "HX1"), ("KALEYRA_API_KEY", "s3cr3t-k3y")]).unwrap();
        assert!(!format!("{built:?}").contains("s3cr3t"));
    }
}
