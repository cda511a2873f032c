//! Where the SID, the key and the base URL come from: flags, then the environment, then the
//! profile of the config file, then the defaults; never the key itself on the command line.

use std::path::Path;

use kaleyra_model::ApiKey;
use kaleyra_transport::{Client, ClientBuilder, Region, RetryPolicy};

use crate::cli::ConnectionArgs;
use crate::error::CliError;
use crate::profiles::{self, Profile};

pub const API_KEY_ENV: &str = "KALEYRA_API_KEY";
const API_KEY_FILE_ENV: &str = "KALEYRA_API_KEY_FILE";
const BASE_URL_ENV: &str = "KALEYRA_BASE_URL";
const REGION_ENV: &str = "KALEYRA_REGION";

/// A non-empty environment variable, as UTF-8.
fn env(name: &str) -> Result<Option<String>, CliError> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(value) => {
            let value = value
                .into_string()
                .map_err(|_| CliError::Usage(format!("{name} is not valid UTF-8")))?;
            Ok(Some(value).filter(|value| !value.is_empty()))
        }
    }
}

/// The API key: from the file `--api-key-file` names, else `KALEYRA_API_KEY`, else the file
/// `KALEYRA_API_KEY_FILE` names (a flag beats the environment); `None` when none is set.
pub fn api_key(flag: Option<&Path>) -> Result<Option<ApiKey>, CliError> {
    if let Some(path) = flag {
        return key_file(path).map(Some);
    }
    if let Some(key) = env(API_KEY_ENV)? {
        return Ok(Some(ApiKey::new(key)));
    }
    match env(API_KEY_FILE_ENV)? {
        Some(path) => key_file(Path::new(&path)).map(Some),
        None => Ok(None),
    }
}

pub fn key_file(path: &Path) -> Result<ApiKey, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| CliError::Read { name: path.display().to_string(), source })?;
    let key = text.trim();
    if key.is_empty() {
        return Err(CliError::Usage(format!("the API key file {} is empty", path.display())));
    }
    Ok(ApiKey::new(key))
}

/// A client builder for the account the flags, the environment and the profile name.
pub fn client_builder(args: &ConnectionArgs) -> Result<ClientBuilder, CliError> {
    // An empty KALEYRA_PROFILE names no profile, as empty variables name nothing here.
    let named = args.profile.as_deref().filter(|name| !name.is_empty());
    let sid = args.sid.clone().filter(|sid| !sid.is_empty());
    let key = api_key(args.api_key_file.as_deref())?;
    // With the SID, the key and the host all given, no profile is asked for: the config file
    // is not read, so a broken one does not stop a command that needs nothing of it.
    let whole = sid.is_some() && key.is_some() && given_destination(args)?.is_some();
    let profile = if named.is_none() && whole { None } else { profiles::selected(named)? };
    let sid = match sid {
        Some(sid) => Some(sid),
        None => profile.as_ref().and_then(|p| p.sid.clone()),
    };
    let sid = sid.ok_or_else(|| {
        CliError::Usage(
            "no account SID: set KALEYRA_SID, pass --sid, or set a profile's sid with \
             `kaleyra config set sid VALUE` (or use --sandbox)"
                .to_owned(),
        )
    })?;
    let key = match key {
        Some(key) => Some(key),
        None => match &profile {
            Some(profile) => profile.api_key()?,
            None => None,
        },
    };
    let key = key.ok_or_else(|| {
        CliError::Usage(format!(
            "no API key: set {API_KEY_ENV} or KALEYRA_API_KEY_FILE, or a profile's api_key_file \
             or api_key_command (or use --sandbox)"
        ))
    })?;
    tune(Client::builder(sid, key), args, profile.as_ref())
}

/// Where requests go, by precedence: `--base-url` or `--region` (not both), else
/// `KALEYRA_BASE_URL` or `KALEYRA_REGION` (not both), else the profile's `base_url` or `region`,
/// else the default host.
enum Destination {
    BaseUrl(String),
    Region(String),
    Default,
}

fn destination(args: &ConnectionArgs, profile: Option<&Profile>) -> Result<Destination, CliError> {
    Ok(match given_destination(args)? {
        Some(given) => given,
        None => match profile {
            Some(Profile { base_url: Some(url), .. }) => Destination::BaseUrl(url.clone()),
            Some(Profile { region: Some(region), .. }) => Destination::Region(region.clone()),
            _ => Destination::Default,
        },
    })
}

/// The destination the flags or else the environment give, if any.
fn given_destination(args: &ConnectionArgs) -> Result<Option<Destination>, CliError> {
    match (&args.base_url, &args.region) {
        (Some(url), _) => return Ok(Some(Destination::BaseUrl(url.clone()))),
        (None, Some(region)) => return Ok(Some(Destination::Region(region.clone()))),
        (None, None) => {}
    }
    match (env(BASE_URL_ENV)?, env(REGION_ENV)?) {
        (Some(_), Some(_)) => Err(CliError::Usage(format!(
            "both {BASE_URL_ENV} and {REGION_ENV} are set: unset one, or pass --base-url or --region"
        ))),
        (Some(url), None) => Ok(Some(Destination::BaseUrl(url))),
        (None, Some(region)) => Ok(Some(Destination::Region(region))),
        (None, None) => Ok(None),
    }
}

/// Applies base URL or region, timeouts and retries.
pub fn tune(
    mut builder: ClientBuilder,
    args: &ConnectionArgs,
    profile: Option<&Profile>,
) -> Result<ClientBuilder, CliError> {
    match destination(args, profile)? {
        Destination::BaseUrl(url) => builder = builder.base_url(url),
        Destination::Region(region) => builder = builder.region(region.parse::<Region>()?),
        Destination::Default => {}
    }
    Ok(builder
        .request_timeout(std::time::Duration::from_secs(args.timeout.max(1)))
        .retry_policy(retry_policy(args))
        .allow_insecure_http(args.allow_insecure_http))
}

/// The retries the flags ask for.
pub fn retry_policy(args: &ConnectionArgs) -> RetryPolicy {
    RetryPolicy {
        max_attempts: args.max_attempts,
        max_retry_after: std::time::Duration::from_secs(args.max_retry_wait),
        ..RetryPolicy::default()
    }
}
