//! Named profiles in a config file, as the AWS CLI and gh keep them: where the file is, reading
//! a profile, and changing one without losing the file's comments.
//!
//! ```toml
//! [profiles.default]
//! sid = "HXXXXXXX071US"
//! region = "eu"                                # or base_url = "https://…"
//! api_key_command = "pass show kaleyra/prod"  # or api_key_file = "~/.config/kaleyra/key"
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kaleyra_model::ApiKey;
use toml_edit::{DocumentMut, Item, Table};

use crate::error::CliError;

/// Overrides where the file is.
pub const CONFIG_ENV: &str = "KALEYRA_CONFIG";
/// The profile used when neither `--profile` nor `KALEYRA_PROFILE` names one.
pub const DEFAULT_PROFILE: &str = "default";

/// The keys a profile may hold: the names of the flags and environment variables.
pub const KEYS: [&str; 5] = ["sid", "region", "base_url", "api_key_file", "api_key_command"];
/// A key inline, accepted only from a file nobody else may read.
const INLINE_KEY: &str = "api_key";

/// One profile as the file holds it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// The file it came from, for messages.
    pub path: PathBuf,
    pub sid: Option<String>,
    pub region: Option<String>,
    pub base_url: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub api_key_command: Option<String>,
    /// Read only from a file of mode 0600 (or stricter).
    pub api_key: Option<String>,
}

/// Where the config file is: `KALEYRA_CONFIG`, else `$XDG_CONFIG_HOME/kaleyra/config.toml`, else
/// `~/.config/kaleyra/config.toml`; `None` when none of them can be told.
pub fn config_path() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
    if let Some(path) = var(CONFIG_ENV) {
        return Some(path);
    }
    let base = var("XDG_CONFIG_HOME").or_else(|| var("HOME").map(|home| home.join(".config")))?;
    Some(base.join("kaleyra").join("config.toml"))
}

/// The file, parsed; an empty document when it does not exist.
fn read(path: &Path) -> Result<DocumentMut, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(DocumentMut::new()),
        Err(source) => return Err(CliError::Read { name: path.display().to_string(), source }),
    };
    text.parse::<DocumentMut>().map_err(|error| {
        CliError::Usage(format!("{}: {}", path.display(), error.to_string().trim_end()))
    })
}

/// The `[profiles]` table, if the file has one.
fn profiles<'a>(doc: &'a DocumentMut, path: &Path) -> Result<Option<&'a Table>, CliError> {
    match doc.get("profiles") {
        None => Ok(None),
        Some(item) => item.as_table().map(Some).ok_or_else(|| {
            CliError::Usage(format!(
                "{}: `profiles` must be a table ([profiles.NAME])",
                path.display()
            ))
        }),
    }
}

/// Every profile's name, in the file's order.
pub fn names(path: &Path) -> Result<Vec<String>, CliError> {
    let doc = read(path)?;
    Ok(profiles(&doc, path)?
        .map(|t| t.iter().map(|(name, _)| name.to_owned()).collect())
        .unwrap_or_default())
}

/// The profile to use: the one `name` gives (from `--profile` or `KALEYRA_PROFILE`), which must
/// exist; else `default` if the file has it; else none.
pub fn selected(name: Option<&str>) -> Result<Option<Profile>, CliError> {
    let Some(path) = config_path() else {
        return match name {
            Some(name) => Err(CliError::Usage(format!(
                "profile `{name}`: no config file (set {CONFIG_ENV}, XDG_CONFIG_HOME or HOME)"
            ))),
            None => Ok(None),
        };
    };
    let doc = read(&path)?;
    let table = profiles(&doc, &path)?;
    let wanted = name.unwrap_or(DEFAULT_PROFILE);
    match table.and_then(|t| t.get(wanted)) {
        Some(item) => parse(wanted, item, &path).map(Some),
        None if name.is_none() => Ok(None),
        None => {
            let known: Vec<&str> =
                table.map(|t| t.iter().map(|(n, _)| n).collect()).unwrap_or_default();
            let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            Err(CliError::Usage(format!(
                "profile `{wanted}` is not in {} (profiles: {known}); create it with `kaleyra config set --profile {wanted} sid VALUE`",
                path.display()
            )))
        }
    }
}

fn parse(name: &str, item: &Item, path: &Path) -> Result<Profile, CliError> {
    let here = || format!("{}: [profiles.{name}]", path.display());
    let table = item
        .as_table_like()
        .ok_or_else(|| CliError::Usage(format!("{}: must be a table", here())))?;
    let mut profile =
        Profile { name: name.to_owned(), path: path.to_owned(), ..Profile::default() };
    for (key, value) in table.iter() {
        let text = value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| CliError::Usage(format!("{}: `{key}` must be a string", here())))?;
        let text = Some(text).filter(|text| !text.trim().is_empty());
        match key {
            "sid" => profile.sid = text,
            "region" => profile.region = text,
            "base_url" => profile.base_url = text,
            "api_key_file" => profile.api_key_file = text.map(|t| expand_home(&t)),
            "api_key_command" => profile.api_key_command = text,
            INLINE_KEY => profile.api_key = text,
            other => {
                return Err(CliError::Usage(format!(
                    "{}: unknown key `{other}` (known: {})",
                    here(),
                    KEYS.join(", ")
                )));
            }
        }
    }
    if profile.region.is_some() && profile.base_url.is_some() {
        return Err(CliError::Usage(format!("{}: set region or base_url, not both", here())));
    }
    let sources = [
        profile.api_key_file.is_some(),
        profile.api_key_command.is_some(),
        profile.api_key.is_some(),
    ];
    if sources.into_iter().filter(|set| *set).count() > 1 {
        return Err(CliError::Usage(format!(
            "{}: set one of api_key_file, api_key_command and api_key",
            here()
        )));
    }
    if profile.api_key.is_some() {
        refuse_readable_by_others(path)?;
    }
    Ok(profile)
}

/// `~/x` → `$HOME/x`, as a shell would in a config file people write by hand.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(unix)]
fn refuse_readable_by_others(path: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|source| CliError::Read { name: path.display().to_string(), source })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(CliError::Usage(format!(
            "{path} holds an API key inline but others may read it (mode {:o}): run `chmod 600 {path}`, \
             or keep the key elsewhere (api_key_file, api_key_command)",
            mode & 0o777,
            path = path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_readable_by_others(path: &Path) -> Result<(), CliError> {
    Err(CliError::Usage(format!(
        "{}: an inline api_key is accepted only where the file's mode can be checked; use api_key_file or api_key_command",
        path.display()
    )))
}

impl Profile {
    /// The key this profile names: the first line of its file, what its command prints, or the
    /// inline one; `None` when it names none.
    pub fn api_key(&self) -> Result<Option<ApiKey>, CliError> {
        if let Some(path) = &self.api_key_file {
            return crate::credentials::key_file(path).map(Some);
        }
        if let Some(command) = &self.api_key_command {
            return self.run_key_command(command).map(Some);
        }
        Ok(self.api_key.clone().map(ApiKey::new))
    }

    /// Runs `command` with `sh -c` (as git's credential helpers and AWS's `credential_process`
    /// run theirs); its stdout, trimmed, is the key. Its stderr goes to ours.
    fn run_key_command(&self, command: &str) -> Result<ApiKey, CliError> {
        let failed = |why: String| {
            CliError::Usage(format!(
                "{}: [profiles.{}] api_key_command `{command}` {why}",
                self.path.display(),
                self.name
            ))
        };
        let output = Command::new("sh")
            .args(["-c", command])
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|error| failed(format!("could not start: {error}")))?;
        if !output.status.success() {
            return Err(failed(format!("failed ({})", output.status)));
        }
        let key = String::from_utf8(output.stdout)
            .map_err(|_| failed("printed something that is not UTF-8".to_owned()))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(failed("printed no key".to_owned()));
        }
        Ok(ApiKey::new(key))
    }
}

/// Sets `key` of profile `name` to `value` in the file at `path` (created, mode 0600, with its
/// directory, when missing), keeping everything else in the file as it was: comments, order,
/// other profiles. The file is replaced whole (written beside it, then renamed), so a reader
/// sees the old file or the new one, never half of one.
pub fn set(path: &Path, name: &str, key: &str, value: &str) -> Result<(), CliError> {
    if !KEYS.contains(&key) {
        let hint = if key == INLINE_KEY {
            " (a key on the command line would stay in the shell's history: put it in a file and set api_key_file)"
        } else {
            ""
        };
        return Err(CliError::Usage(format!(
            "unknown key `{key}`: known are {}{hint}",
            KEYS.join(", ")
        )));
    }
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(CliError::Usage(format!(
            "`{name}` is not a profile name: letters, digits, `-` and `_`"
        )));
    }
    if key == "region" && !["in", "ap", "eu", "na"].contains(&value) {
        return Err(CliError::Usage(format!("region `{value}`: one of in, ap, eu, na")));
    }
    // Before the lock: a lock file beside a directory would be left behind for nothing.
    crate::input::not_a_directory(path)?;
    let _lock = lock_beside(path)?;
    let mut doc = read(path)?;
    let profiles = doc.entry("profiles").or_insert_with(|| {
        let mut table = Table::new();
        table.set_implicit(true);
        Item::Table(table)
    });
    let profiles = profiles.as_table_mut().ok_or_else(|| {
        CliError::Usage(format!("{}: `profiles` must be a table ([profiles.NAME])", path.display()))
    })?;
    let profile = profiles.entry(name).or_insert_with(|| Item::Table(Table::new()));
    let profile = profile.as_table_like_mut().ok_or_else(|| {
        CliError::Usage(format!("{}: [profiles.{name}] must be a table", path.display()))
    })?;
    // One destination and one key source: setting one clears the others.
    let exclusive: &[&str] = match key {
        "region" => &["base_url"],
        "base_url" => &["region"],
        "api_key_file" => &["api_key_command", INLINE_KEY],
        "api_key_command" => &["api_key_file", INLINE_KEY],
        _ => &[],
    };
    for other in exclusive {
        profile.remove(other);
    }
    profile.insert(key, toml_edit::value(value));
    replace(path, doc.to_string().as_bytes())
}

/// The folder `path` is in, and the hidden file `.NAME{suffix}` in that folder.
fn beside<'a>(path: &'a Path, suffix: &str) -> (&'a Path, PathBuf) {
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    (dir, dir.join(format!(".{file_name}{suffix}")))
}

/// Holds an OS lock on `.NAME.lock` beside `path` (made with its directory) until dropped, so
/// that two `config set` at once each keep the other's change instead of the last rename
/// winning. The OS lets go when the process ends, however it ends; the file stays, because a
/// lock file removed while another process waits on it would let a third one in.
fn lock_beside(path: &Path) -> Result<std::fs::File, CliError> {
    let (dir, lock) = beside(path, ".lock");
    let error = |source| CliError::Read { name: lock.display().to_string(), source };
    create_private_dir(dir).map_err(error)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    private(&mut options);
    let file = options.open(&lock).map_err(error)?;
    file.lock().map_err(error)?;
    Ok(file)
}

/// Writes `bytes` beside `path` and renames it over: never half a file.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let error = |source| CliError::Read { name: path.display().to_string(), source };
    let (dir, temporary) = beside(path, &format!(".{}.tmp", std::process::id()));
    create_private_dir(dir).map_err(error)?;
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        private(&mut options);
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        if let Ok(metadata) = std::fs::metadata(path) {
            // An existing file keeps its mode.
            file.set_permissions(metadata.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(error)
}

/// A new file only its owner may read: it may hold a key.
#[cfg(unix)]
fn private(options: &mut std::fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600);
}

#[cfg(not(unix))]
fn private(_: &mut std::fs::OpenOptions) {}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}
