//! `kaleyra categories`: the accepted business categories.

use std::io::Write;

use kaleyra_model::Category;

use crate::cli::Output;
use crate::error::{CliError, Outcome};

pub fn run(output: Output) -> Result<Outcome, CliError> {
    let mut out = std::io::stdout().lock();
    match output {
        Output::Json => {
            let names: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
            writeln!(out, "{}", serde_json::to_string(&names).unwrap_or_default())?;
        }
        Output::Text => {
            for category in Category::ALL {
                writeln!(out, "{category}")?;
            }
        }
    }
    Ok(Outcome::Success)
}
