//! Reading a request body from a file or stdin, with errors that name the file, line, column
//! and field.

use std::io::Read;
use std::path::Path;

use kaleyra_model::{AddNumberRequest, RequestParseError, UpdateNumberRequest};

use crate::error::CliError;

/// A request body and the name to use for it in messages.
pub struct Source {
    pub name: String,
    pub text: String,
}

/// Refuses a directory by name, before anything tries to read it or tell its format.
pub fn not_a_directory(path: &Path) -> Result<(), CliError> {
    if path.is_dir() {
        return Err(CliError::Usage(format!("{}: is a directory, not a file", path.display())));
    }
    Ok(())
}

/// Reads `path`, or stdin when it is `None` or `-`.
pub fn read(path: Option<&Path>) -> Result<Source, CliError> {
    match path {
        None => read_stdin(),
        Some(path) if path == Path::new("-") => read_stdin(),
        Some(path) => {
            not_a_directory(path)?;
            let name = path.display().to_string();
            let bytes = std::fs::read(path)
                .map_err(|source| CliError::Read { name: name.clone(), source })?;
            let text = String::from_utf8(bytes).map_err(|e| CliError::Read {
                name: name.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
            })?;
            Ok(Source { name, text })
        }
    }
}

fn read_stdin() -> Result<Source, CliError> {
    let name = "<stdin>".to_owned();
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| CliError::Read { name: name.clone(), source })?;
    Ok(Source { name, text })
}

/// Parses the body as one add request.
pub fn parse_request(source: &Source) -> Result<AddNumberRequest, CliError> {
    AddNumberRequest::from_json(source.text.as_bytes()).map_err(|error| malformed(source, &error))
}

/// Parses the body as one update request.
pub fn parse_update(source: &Source) -> Result<UpdateNumberRequest, CliError> {
    UpdateNumberRequest::from_json(source.text.as_bytes())
        .map_err(|error| malformed(source, &error))
}

fn malformed(source: &Source, error: &RequestParseError) -> CliError {
    CliError::Malformed {
        name: source.name.clone(),
        line: error.line,
        column: error.column,
        message: error.to_string(),
    }
}
