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
        writeln!(
            stderr,
            "warning: {name}: `{key}` is not a field of the API and is not sent{}",
            did_you_mean(key)
        )?;
    }
    Ok(())
}

/// Says what a CSV header means: a delimiter other than the comma, and each column that is no
/// field of the API (passed through, never sent).
pub fn csv_header(name: &str, rows: &kaleyra_bulk::RowReader) -> io::Result<()> {
    let mut stderr = io::stderr().lock();
    match rows.delimiter() {
        Some('\t') => writeln!(stderr, "note: {name}: cells are separated by tabs")?,
        Some(delimiter) if delimiter != ',' => {
            writeln!(stderr, "note: {name}: cells are separated by `{delimiter}`")?;
        }
        _ => {}
    }
    for column in rows.unknown_columns() {
        // A column that resembles a field is likely a typo that drops the field: a warning.
        // Others (an id of the caller's) pass through to the reports on purpose: a note.
        match kaleyra_validate::suggest::field(column) {
            Some(field) => writeln!(
                stderr,
                "warning: {name}: column `{column}` is not a field of the API and is not sent \
                 (did you mean `{}`?)",
                field.as_str()
            )?,
            None => writeln!(
                stderr,
                "note: {name}: column `{column}` is not a field of the API: the reports keep it, \
                 it is not sent"
            )?,
        }
    }
    Ok(())
}

/// ` (did you mean `FIELD`?)` when `name` looks like a misspelt field, else nothing.
pub fn did_you_mean(name: &str) -> String {
    kaleyra_validate::suggest::field(name)
        .map(|field| format!(" (did you mean `{}`?)", field.as_str()))
        .unwrap_or_default()
}

/// A problem's message, with its hint (what exactly is wrong) when it has one.
pub fn described(problem: &kaleyra_validate::Problem) -> String {
    match problem.hint() {
        Some(hint) => format!("{} ({hint})", problem.message()),
        None => problem.message().into_owned(),
    }
}
