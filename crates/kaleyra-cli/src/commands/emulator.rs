//! `kaleyra emulator`: the emulator as a long-running server.

use std::io::Write;

use kaleyra_emulator::{Emulator, EmulatorConfig, FaultPlan, SANDBOX_API_KEY, SANDBOX_SID};
use kaleyra_model::ApiKey;
use kaleyra_validate::Rules;

use crate::cli::EmulatorArgs;
use crate::error::{CliError, Outcome};
use crate::{credentials, runtime};

pub fn run(args: &EmulatorArgs) -> Result<Outcome, CliError> {
    runtime::build()?.block_on(serve(args))
}

async fn serve(args: &EmulatorArgs) -> Result<Outcome, CliError> {
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
    let emulator = Emulator::new(config).bind(args.listen).await.map_err(CliError::Emulator)?;
    if args.latency_ms > 0 {
        emulator
            .set_faults(FaultPlan::latency_only(std::time::Duration::from_millis(args.latency_ms)));
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", emulator.base_url())?;
        out.flush()?;
    }
    let mut err = std::io::stderr().lock();
    if key_is_sandbox {
        writeln!(err, "sandbox credentials: KALEYRA_SID={sid} KALEYRA_API_KEY={SANDBOX_API_KEY}")?;
    } else {
        writeln!(err, "accepting SID {sid} with the configured API key")?;
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
