//! `kaleyra validate`: one request body, checked offline.

use std::io::Write;

use kaleyra_model::Field;
use kaleyra_validate::{ProblemKind, validate};

use crate::cli::{Output, ValidateArgs};
use crate::error::{CliError, Outcome};
use crate::input;

pub fn run(args: &ValidateArgs, output: Output) -> Result<Outcome, CliError> {
    let source = input::read(args.file.as_deref())?;
    let request = input::parse_request(&source)?;
    let mut stderr = std::io::stderr().lock();
    for key in request.extra.keys() {
        writeln!(
            stderr,
            "warning: {}: `{key}` is not a field of the API and is not sent",
            source.name
        )?;
    }
    let mut out = std::io::stdout().lock();
    match validate(&request) {
        Ok(valid) => {
            match output {
                Output::Json => writeln!(out, "{}", valid.to_json())?,
                Output::Text => {
                    writeln!(out, "{}: valid", source.name)?;
                    for field in Field::ALL {
                        if let Some(value) = valid.get(field) {
                            writeln!(out, "  {field}: {value}")?;
                        }
                    }
                    if let Some(iso) = valid.iso_code() {
                        writeln!(out, "  (wa_number region: {iso})")?;
                    }
                }
            }
            Ok(Outcome::Success)
        }
        Err(rejection) => {
            match output {
                Output::Json => writeln!(out, "{}", rejection.to_json())?,
                Output::Text => {
                    let count = rejection.problems().len();
                    let plural = if count == 1 { "problem" } else { "problems" };
                    writeln!(out, "{}: invalid, {count} {plural}", source.name)?;
                    for problem in rejection.problems() {
                        writeln!(out, "  {}: {}", problem.field(), problem.message())?;
                    }
                    let hidden =
                        rejection.problems().iter().any(|p| p.kind() == ProblemKind::Empty)
                            && rejection.envelope().top_level_code().is_some();
                    if hidden {
                        writeln!(
                            out,
                            "  (the API reports the empty display_image only once the other problems are fixed)"
                        )?;
                    }
                }
            }
            Ok(Outcome::Rejected)
        }
    }
}
