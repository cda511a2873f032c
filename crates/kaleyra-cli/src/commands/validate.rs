//! `kaleyra validate`: one request body, checked offline.

use kaleyra_validate::validate;

use crate::cli::{Output, ValidateArgs};
use crate::error::{CliError, Outcome};
use crate::{input, render};

pub fn run(args: &ValidateArgs, output: Output) -> Result<Outcome, CliError> {
    let source = input::read(args.file.as_deref())?;
    let request = input::parse_request(&source)?;
    render::unknown_keys(&source.name, &request)?;
    let mut out = std::io::stdout().lock();
    match validate(&request) {
        Ok(valid) => {
            render::valid(&mut out, &source.name, &valid, output)?;
            Ok(Outcome::Success)
        }
        Err(rejection) => {
            render::rejection(&mut out, &source.name, &rejection, output)?;
            Ok(Outcome::Rejected)
        }
    }
}
