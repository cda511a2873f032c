//! `kaleyra completions` and the hidden `kaleyra manpages`: the CLI describing itself.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{CliError, Outcome};

pub fn completions(shell: clap_complete::Shell) -> Result<Outcome, CliError> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "kaleyra", &mut std::io::stdout().lock());
    Ok(Outcome::Success)
}

/// `kaleyra.1`, and `kaleyra-SUB.1` for every visible subcommand (nested ones too).
pub fn manpages(dir: &Path) -> Result<Outcome, CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| CliError::Read { name: dir.display().to_string(), source })?;
    let mut command = Cli::command();
    command.build();
    write_pages(dir, &command, "kaleyra")?;
    Ok(Outcome::Success)
}

fn write_pages(dir: &Path, command: &clap::Command, name: &str) -> Result<(), CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).title(name.to_owned()).render(&mut page)?;
    std::fs::write(dir.join(format!("{name}.1")), page)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        write_pages(dir, sub, &format!("{name}-{}", sub.get_name()))?;
    }
    Ok(())
}
