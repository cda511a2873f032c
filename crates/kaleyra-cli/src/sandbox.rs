//! `--sandbox`: an emulator in this process on a free loopback port, and a client pointed at it.

use std::net::{Ipv4Addr, SocketAddr};

use kaleyra_emulator::{Emulator, EmulatorConfig, RunningEmulator, SANDBOX_API_KEY, SANDBOX_SID};
use kaleyra_model::ApiKey;
use kaleyra_transport::{Client, ClientBuilder};

use crate::cli::ConnectionArgs;
use crate::credentials;
use crate::error::CliError;

/// A client builder for the real API, or, with `sandbox`, for an emulator started here (which
/// the caller shuts down when done).
pub async fn or_account(
    sandbox: bool,
    args: &ConnectionArgs,
) -> Result<(ClientBuilder, Option<RunningEmulator>), CliError> {
    if sandbox {
        let (builder, emulator) = start(args).await?;
        Ok((builder, Some(emulator)))
    } else {
        Ok((credentials::client_builder(args)?, None))
    }
}

/// The emulator accepts the configured credentials if there are any (so a real SID and key in
/// the environment do no harm), else the sandbox's.
pub async fn start(args: &ConnectionArgs) -> Result<(ClientBuilder, RunningEmulator), CliError> {
    let sid = args.sid.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| SANDBOX_SID.to_owned());
    let key = credentials::api_key(args.api_key_file.as_deref())?
        .unwrap_or_else(|| ApiKey::new(SANDBOX_API_KEY));
    let mut config = EmulatorConfig::new(sid.clone(), key.clone());
    // It lives as long as this command, for the rows this command sends.
    config.max_records = usize::MAX;
    let emulator = Emulator::new(config)
        .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .map_err(CliError::Emulator)?;
    let builder =
        credentials::tune(Client::builder(sid, key), args, None)?.base_url(emulator.base_url());
    Ok((builder, emulator))
}
