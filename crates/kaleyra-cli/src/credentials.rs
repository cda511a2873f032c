//! Where the SID, the key and the base URL come from: flags, environment, a key file, never the
//! key itself on the command line.

use std::path::Path;

use kaleyra_model::ApiKey;
use kaleyra_transport::{Client, ClientBuilder, Region, RetryPolicy};

use crate::cli::ConnectionArgs;
use crate::error::CliError;

pub const API_KEY_ENV: &str = "KALEYRA_API_KEY";

/// The API key from `KALEYRA_API_KEY`, else from the key file; `None` when neither is set.
pub fn api_key(file: Option<&Path>) -> Result<Option<ApiKey>, CliError> {
    if let Some(key) = std::env::var_os(API_KEY_ENV) {
        let key = key
            .into_string()
            .map_err(|_| CliError::Usage(format!("{API_KEY_ENV} is not valid UTF-8")))?;
        if !key.is_empty() {
            return Ok(Some(ApiKey::new(key)));
        }
    }
    let Some(path) = file else { return Ok(None) };
    let text = std::fs::read_to_string(path)
        .map_err(|source| CliError::Read { name: path.display().to_string(), source })?;
    let key = text.trim();
    if key.is_empty() {
        return Err(CliError::Usage(format!("the API key file {} is empty", path.display())));
    }
    Ok(Some(ApiKey::new(key)))
}

/// A client builder for the account the flags and environment name.
pub fn client_builder(args: &ConnectionArgs) -> Result<ClientBuilder, CliError> {
    let sid = args.sid.clone().filter(|sid| !sid.is_empty()).ok_or_else(|| {
        CliError::Usage(
            "no account SID: set KALEYRA_SID or pass --sid (or use --sandbox)".to_owned(),
        )
    })?;
    let key = api_key(args.api_key_file.as_deref())?.ok_or_else(|| {
        CliError::Usage(format!(
            "no API key: set {API_KEY_ENV} or KALEYRA_API_KEY_FILE (or use --sandbox)"
        ))
    })?;
    tune(Client::builder(sid, key), args)
}

/// Applies base URL or region, timeouts and retries.
pub fn tune(mut builder: ClientBuilder, args: &ConnectionArgs) -> Result<ClientBuilder, CliError> {
    if let Some(url) = &args.base_url {
        builder = builder.base_url(url.clone());
    } else if let Some(region) = &args.region {
        builder = builder.region(region.parse::<Region>()?);
    }
    Ok(builder
        .request_timeout(std::time::Duration::from_secs(args.timeout.max(1)))
        .retry_policy(RetryPolicy { max_attempts: args.max_attempts, ..RetryPolicy::default() })
        .allow_insecure_http(args.allow_insecure_http))
}
