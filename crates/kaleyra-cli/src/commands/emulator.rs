//! `kaleyra emulator`: the emulator as a long-running server.

use std::io::Write;

use kaleyra_emulator::{Emulator, EmulatorConfig, SANDBOX_API_KEY, SANDBOX_SID};
use kaleyra_model::ApiKey;
use kaleyra_validate::Rules;

use crate::cli::{EmulatorArgs, Output, Preset};
use crate::error::{CliError, Outcome};
use crate::{credentials, runtime};

pub fn run(args: &EmulatorArgs, output: Output) -> Result<Outcome, CliError> {
    runtime::build()?.block_on(serve(args, output))
}

async fn serve(args: &EmulatorArgs, output: Output) -> Result<Outcome, CliError> {
    let sid = args.sid.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| SANDBOX_SID.to_owned());
    let (key, key_is_sandbox) = match credentials::api_key(args.api_key_file.as_deref())? {
        Some(key) => (key, false),
        None => (ApiKey::new(SANDBOX_API_KEY), true),
    };
    let mut config = EmulatorConfig::new(sid.clone(), key);
    config.reject_duplicates = !args.allow_duplicates;
    config.max_body_bytes = args.max_body_bytes;
    config.max_records = args.max_records;
    if args.seed_rules_only {
        config.rules = Rules::seed_only();
    }
    if args.preset == Some(Preset::Kaleyra) {
        config = config.kaleyra_preset();
    }
    if let Some(latency) = args.latency {
        config.latency = latency;
    }
    config.seed = args.seed;
    if let Some(rate_limit) = args.rate_limit {
        config.limits = config.limits.with_rate_limit(Some(rate_limit));
    }
    if let Some(burst) = args.burst {
        let Some(rate_limit) = config.limits.rate_limit else {
            return Err(CliError::Usage(
                "--burst needs a rate limit (--rate-limit or --preset kaleyra)".to_owned(),
            ));
        };
        config.limits = config.limits.with_rate_limit(Some(rate_limit.with_burst(burst)));
    }
    if let Some(max) = args.max_in_flight {
        config.limits = config.limits.with_max_in_flight(usize::try_from(max).ok());
    }
    let (latency, limits) = (config.latency, config.limits);
    let emulator = Emulator::new(config).bind(args.listen).await.map_err(CliError::Emulator)?;
    {
        let mut out = std::io::stdout().lock();
        match output {
            Output::Text => writeln!(out, "listening on {}", emulator.base_url())?,
            // One line a script reads whole; the sandbox key only when it is the sandbox's.
            Output::Json => {
                let banner = serde_json::json!({
                    "base_url": emulator.base_url(),
                    "admin": format!("{}/__emulator", emulator.base_url()),
                    "sid": sid,
                    "api_key": key_is_sandbox.then_some(SANDBOX_API_KEY),
                    "latency": (latency != kaleyra_emulator::Latency::None).then(|| latency.to_string()),
                    "rate_limit": limits.rate_limit.map(|limit| limit.to_string()),
                    "burst": limits.rate_limit.map(|limit| limit.burst()),
                    "max_in_flight": limits.max_in_flight,
                });
                writeln!(out, "{banner}")?;
            }
        }
        out.flush()?;
    }
    let mut err = std::io::stderr().lock();
    if key_is_sandbox {
        writeln!(err, "sandbox credentials: KALEYRA_SID={sid} KALEYRA_API_KEY={SANDBOX_API_KEY}")?;
    } else {
        writeln!(err, "accepting SID {sid} with the configured API key")?;
    }
    if latency != kaleyra_emulator::Latency::None {
        writeln!(err, "service time: {latency} (mean {} ms)", latency.mean().as_millis())?;
    }
    if let Some(rate_limit) = limits.rate_limit {
        writeln!(err, "rate limit: {rate_limit} (burst {})", rate_limit.burst())?;
    }
    if let Some(max) = limits.max_in_flight {
        writeln!(err, "requests in flight: at most {max}")?;
    }
    writeln!(err, "admin: {}/__emulator/numbers; stop with Ctrl-C", emulator.base_url())?;
    drop(err);
    shutdown_signal().await;
    emulator.shutdown().await;
    Ok(Outcome::Success)
}

/// Ctrl-C, or SIGTERM where there is such a thing.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
