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
            for field in Field::ADD {
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

pub fn valid_update(
    out: &mut impl Write,
    name: &str,
    valid: &kaleyra_validate::ValidatedUpdate,
    output: Output,
) -> io::Result<()> {
    match output {
        Output::Json => writeln!(out, "{}", valid.to_json()),
        Output::Text => {
            writeln!(out, "{name}: valid update of {}", valid.wa_number())?;
            for (field, value) in valid.changes() {
                writeln!(out, "  {field}: {value}")?;
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
                writeln!(out, "  {}: {}", problem.parameter(), described(problem))?;
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

/// Warns on stderr about keys (`extra`, of a request whose fields are `fields`) that are not
/// fields of the request.
pub fn unknown_keys(
    name: &str,
    extra: &serde_json::Map<String, serde_json::Value>,
    fields: &[Field],
) -> io::Result<()> {
    let mut stderr = io::stderr().lock();
    let request = if fields.contains(&Field::DisplayName) { "an add" } else { "an update" };
    for key in extra.keys() {
        if Field::from_key(key).is_some() {
            // A field of the other request (`about` in an add, `display_name` in an update).
            writeln!(
                stderr,
                "warning: {name}: `{key}` is not a field of {request} and is not sent"
            )?;
        } else {
            writeln!(
                stderr,
                "warning: {name}: `{key}` is not a field of the API and is not sent{}",
                did_you_mean(key, fields)
            )?;
        }
    }
    Ok(())
}

/// Says what a CSV header means: a delimiter other than the comma that the header told (not
/// one given with `--delimiter`), and each column that is no field of the API (passed through,
/// never sent).
pub fn csv_header(
    name: &str,
    rows: &kaleyra_bulk::RowReader,
    given: Option<u8>,
    fields: &[Field],
) -> io::Result<()> {
    let mut stderr = io::stderr().lock();
    match rows.delimiter().filter(|_| given.is_none()) {
        Some('\t') => writeln!(stderr, "note: {name}: cells are separated by tabs")?,
        Some(delimiter) if delimiter != ',' => {
            writeln!(stderr, "note: {name}: cells are separated by `{delimiter}`")?;
        }
        _ => {}
    }
    for column in rows.unknown_columns() {
        // A column that resembles a field is likely a typo that drops the field: a warning.
        // Others (an id of the caller's) pass through to the reports on purpose: a note.
        let other = if fields.contains(&Field::DisplayName) { "an add" } else { "an update" };
        match (Field::from_key(column), kaleyra_validate::suggest::field(column, fields)) {
            // A field of the other request (`display_name` in an update): not sent either.
            (Some(_), _) => writeln!(
                stderr,
                "note: {name}: column `{column}` is not a field of {other}: the reports keep it, \
                 it is not sent"
            )?,
            (None, Some(field)) => writeln!(
                stderr,
                "warning: {name}: column `{column}` is not a field of the API and is not sent \
                 (did you mean `{}`?)",
                field.as_str()
            )?,
            (None, None) => writeln!(
                stderr,
                "note: {name}: column `{column}` is not a field of the API: the reports keep it, \
                 it is not sent"
            )?,
        }
    }
    Ok(())
}

/// ` (did you mean `FIELD`?)` when `name` looks like a misspelt field, else nothing.
pub fn did_you_mean(name: &str, fields: &[Field]) -> String {
    kaleyra_validate::suggest::field(name, fields)
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

/// Epoch seconds as RFC 3339 in UTC (`2021-05-07T09:38:54Z`), for people; out of range (before
/// year 0 or after 9999) the number itself.
pub fn rfc3339(epoch: i64) -> String {
    let (days, seconds) = (epoch.div_euclid(86_400), epoch.rem_euclid(86_400));
    // Days to a civil date: Howard Hinnant's algorithm (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return epoch.to_string();
    }
    let (hour, minute, second) = (seconds / 3_600, seconds % 3_600 / 60, seconds % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn epoch_seconds_read_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        // The vendor page's example record.
        assert_eq!(rfc3339(1_620_380_334), "2021-05-07T09:38:54Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_800), "253402300800");
        assert_eq!(rfc3339(i64::MIN), i64::MIN.to_string());
        assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string());
    }
}
