//! Printing a validation result, shared by `validate` and `number add` so both say the same.

use std::io::{self, Write};

use kaleyra_model::Field;
use kaleyra_validate::{ProblemKind, Rejection, ValidatedRequest};

use crate::cli::Output;

pub fn valid(
    out: &mut impl Write,
    name: &str,
    valid: &ValidatedRequest,
    output: Output,
) -> io::Result<()> {
    match output {
        Output::Json => writeln!(out, "{}", valid.to_json()),
        Output::Text => {
            writeln!(out, "{name}: valid")?;
            for field in Field::ALL {
                if let Some(value) = valid.get(field) {
                    writeln!(out, "  {field}: {value}")?;
                }
            }
            if let Some(iso) = valid.iso_code() {
                writeln!(out, "  (wa_number region: {iso})")?;
            }
            Ok(())
        }
    }
}

pub fn rejection(
    out: &mut impl Write,
    name: &str,
    rejection: &Rejection,
    output: Output,
) -> io::Result<()> {
    match output {
        Output::Json => writeln!(out, "{}", rejection.to_json()),
        Output::Text => {
            let count = rejection.problems().len();
            let plural = if count == 1 { "problem" } else { "problems" };
            writeln!(out, "{name}: invalid, {count} {plural}")?;
            for problem in rejection.problems() {
                writeln!(out, "  {}: {}", problem.field(), described(problem))?;
            }
            let hidden = rejection.problems().iter().any(|p| p.kind() == ProblemKind::Empty)
                && rejection.envelope().top_level_code().is_some();
            if hidden {
                writeln!(
                    out,
                    "  (the API reports the empty display_image only once the other problems are fixed)"
                )?;
            }
            Ok(())
        }
    }
}

/// Warns on stderr about keys that are not fields of the API.
pub fn unknown_keys(name: &str, request: &kaleyra_model::AddNumberRequest) -> io::Result<()> {
    let mut stderr = io::stderr().lock();
    for key in request.extra.keys() {
        writeln!(stderr, "warning: {name}: `{key}` is not a field of the API and is not sent")?;
    }
    Ok(())
}

/// A problem's message, with its hint (what exactly is wrong) when it has one.
pub fn described(problem: &kaleyra_validate::Problem) -> String {
    match problem.hint() {
        Some(hint) => format!("{} ({hint})", problem.message()),
        None => problem.message().into_owned(),
    }
}
