//! `kaleyra validate`: one request body, or every row of a CSV or JSONL file, checked offline.

use std::io::{BufWriter, Write};

use kaleyra_bulk::check::{self, RowProblem, RowProblemKind};
use kaleyra_bulk::{Format, Operation, ReadOptions, RowReader};
use kaleyra_validate::validate;

use crate::cli::{FileFormat, Output, ValidateArgs};
use crate::error::{CliError, Outcome};
use crate::{input, render};

pub fn run(args: &ValidateArgs, output: Output) -> Result<Outcome, CliError> {
    if let Some(path) = &args.file {
        input::not_a_directory(path)?;
    }
    let format = match (args.format, args.file.as_deref()) {
        (Some(FileFormat::Json), _) | (None, None) => None,
        (Some(FileFormat::Csv), _) => Some(Format::Csv),
        (Some(FileFormat::Jsonl), _) => Some(Format::Jsonl),
        (None, Some(path)) => Format::from_path(path),
    };
    match format {
        None => one_body(args, output),
        Some(format) => file(args, format, output),
    }
}

fn one_body(args: &ValidateArgs, output: Output) -> Result<Outcome, CliError> {
    if args.update {
        return one_update(args, output);
    }
    let source = input::read(args.file.as_deref())?;
    let mut request = input::parse_request(&source)?;
    if args.normalize {
        kaleyra_validate::suggest::normalize_number(&mut request);
    }
    render::unknown_keys(&source.name, &request.extra, &kaleyra_model::Field::ADD)?;
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

fn one_update(args: &ValidateArgs, output: Output) -> Result<Outcome, CliError> {
    let source = input::read(args.file.as_deref())?;
    let mut request = input::parse_update(&source)?;
    if args.normalize
        && let Some(number) = request.wa_number.as_deref()
    {
        request.wa_number = Some(kaleyra_validate::suggest::e164_form(number));
    }
    render::unknown_keys(&source.name, &request.extra, &kaleyra_model::Field::UPDATE)?;
    let mut out = std::io::stdout().lock();
    match kaleyra_validate::validate_update(&request) {
        Ok(valid) => {
            render::valid_update(&mut out, &source.name, &valid, output)?;
            Ok(Outcome::Success)
        }
        Err(rejection) => {
            render::rejection(&mut out, &source.name, &rejection, output)?;
            Ok(Outcome::Rejected)
        }
    }
}

fn file(args: &ValidateArgs, format: Format, output: Output) -> Result<Outcome, CliError> {
    let path = args.file.clone().unwrap_or_else(|| "-".into());
    let name =
        if path.as_os_str() == "-" { "<stdin>".to_owned() } else { path.display().to_string() };
    let operation = if args.update { Operation::Update } else { Operation::Add };
    let read = ReadOptions::default().delimiter(args.delimiter).operation(operation);
    let rows = RowReader::open(&path, format, read)
        .map_err(|e| match e {
            kaleyra_bulk::InputError::OneColumn { .. } => {
                CliError::Usage(format!("{name}: {e} (--delimiter CHAR)"))
            }
            e => CliError::Usage(format!("{name}: {e}")),
        })?
        .normalize_numbers(args.normalize);
    render::csv_header(&name, &rows, args.delimiter, operation.fields())?;
    let mut out = BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let summary = check::check(rows, |problem| print_problem(&mut out, &name, &problem, output))
        .map_err(|e| match e {
            FileError::Input(e) => CliError::Usage(format!("{name}: {e}")),
            FileError::Write(e) => CliError::Write(e),
        })?;
    out.flush()?;
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "{name}: {} rows: {} valid, {} invalid, {} duplicate wa_number",
        summary.rows, summary.valid, summary.invalid, summary.duplicates
    )?;
    if summary.rows == 0 {
        writeln!(err, "warning: {name} has no rows")?;
    }
    Ok(if summary.all_valid() { Outcome::Success } else { Outcome::Rejected })
}

enum FileError {
    Input(kaleyra_bulk::InputError),
    Write(std::io::Error),
}

impl From<kaleyra_bulk::InputError> for FileError {
    fn from(error: kaleyra_bulk::InputError) -> Self {
        FileError::Input(error)
    }
}

fn print_problem(
    out: &mut impl Write,
    name: &str,
    problem: &RowProblem,
    output: Output,
) -> Result<(), FileError> {
    let (line, row) = (problem.line, problem.row);
    let written = match (&problem.kind, output) {
        (RowProblemKind::Invalid(rejection), Output::Json) => {
            let envelope = serde_json::to_string(&rejection.envelope()).unwrap_or_default();
            writeln!(out, r#"{{"line":{line},"row":{row},"envelope":{envelope}}}"#)
        }
        (RowProblemKind::Invalid(rejection), Output::Text) => {
            rejection.problems().iter().try_for_each(|p| {
                writeln!(out, "{name}:{line}: {}: {}", p.parameter(), render::described(p))
            })
        }
        (RowProblemKind::Unreadable(error), Output::Json) => writeln!(
            out,
            "{}",
            serde_json::json!({"line": line, "row": row, "code": error.code(), "error": error.to_string()})
        ),
        (RowProblemKind::Unreadable(message), Output::Text) => {
            writeln!(out, "{name}:{line}: {message}")
        }
        (RowProblemKind::Duplicate { wa_number, first_line }, Output::Json) => writeln!(
            out,
            "{}",
            serde_json::json!({"line": line, "row": row, "duplicate_of_line": first_line, "wa_number": wa_number})
        ),
        (RowProblemKind::Duplicate { wa_number, first_line }, Output::Text) => writeln!(
            out,
            "{name}:{line}: wa_number: {wa_number} is already on line {first_line} (the API would reject it as a duplicate)"
        ),
        // A kind of problem newer than this front-end: still one line, never silence.
        (_, Output::Json) => writeln!(out, r#"{{"line":{line},"row":{row},"error":"invalid"}}"#),
        (_, Output::Text) => writeln!(out, "{name}:{line}: row {row} is invalid"),
    };
    written.map_err(FileError::Write)
}
