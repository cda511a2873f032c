//! Reading rows from CSV or JSONL, one at a time.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use kaleyra_model::Field;

use crate::operation::{Operation, Request};

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A header row naming the API's fields, then one row per number.
    Csv,
    /// One JSON request body per line.
    Jsonl,
}

impl Format {
    /// The format a file name implies: `.csv`, or `.jsonl` / `.ndjson`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The format's name, as a file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// The file cannot be read as a whole (as opposed to one bad row).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Reading failed.
    #[error("cannot read the input: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV cannot be read from this line on (not UTF-8, say).
    #[error("line {line}: {message}")]
    Csv {
        /// The line, from 1.
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// The header lacks a mandatory field's column.
    #[error(
        "the header has no `{0}` column: it is mandatory (the header must name the API's fields)"
    )]
    MissingColumn(&'static str),
    /// The header names a column twice.
    #[error("the header names `{0}` twice")]
    DuplicateColumn(String),
    /// A CSV whose first line names no column, above rows.
    #[error("the first line names no column: the header must come first")]
    NoHeader,
    /// The header read as one column that is no field: its cells are likely separated by a
    /// delimiter that was not told.
    #[error(
        "the header is read as one column, `{column}`, separated by `{delimiter}`: name the delimiter its cells are separated by"
    )]
    OneColumn {
        /// The one column, as read.
        column: String,
        /// The delimiter it was read with.
        delimiter: char,
    },
}

/// One row of the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Position among the data rows, from 0; the journal's key for the row.
    pub index: u64,
    /// Line of the file where the row starts, from 1.
    pub line: u64,
    /// The request (of the reader's [`Operation`]), or why the row cannot be one.
    pub request: Result<Request, RowError>,
    /// The row as it was: CSV values in header order, or the JSONL line.
    pub original: Original,
}

/// Why a row cannot be a request. It is a problem of that row alone: reported with its line,
/// never sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowError {
    /// A JSONL line that is not a JSON object of strings.
    #[error("not a request object: {message} (column {column})")]
    NotAnObject {
        /// What is wrong.
        message: String,
        /// Where in the line, from 1.
        column: usize,
    },
    /// A CSV row with fewer or more cells than the header has columns: which value belongs to
    /// which field cannot be told.
    #[error("has {cells} cells, the header has {columns}")]
    Ragged {
        /// Cells in the row.
        cells: usize,
        /// Columns in the header.
        columns: usize,
    },
}

impl RowError {
    /// The code the reports give it (`rejected.csv`), recorded in `spec/kaleyra.toml`: `E900`
    /// for a line that is not a request object, `E920` for a ragged CSV row.
    pub fn code(&self) -> &'static str {
        match self {
            RowError::NotAnObject { .. } => crate::generated::E900,
            RowError::Ragged { .. } => crate::generated::E920,
        }
    }
}

/// The values of a row as they were read, for the reports. One buffer, not a string per value:
/// a large file is read at a million rows a second, and allocations showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original(csv::StringRecord);

impl Original {
    /// The values, in the order of the input's columns.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter()
    }

    /// How many values (cells) the row has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the row has no values at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Rows from a reader, in order, in bounded memory.
pub struct RowReader {
    inner: Inner,
    /// The row read into, reused.
    scratch: RawRow,
    next_index: u64,
    /// The column mapping, the operation and whether numbers are normalized.
    builder: RowBuilder,
}

/// How to read an input beyond its format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// The CSV delimiter, a byte of ASCII; `None` tells it from the header (a comma, else `;`
    /// or a tab when the header has those and no comma). JSONL has none.
    pub delimiter: Option<u8>,
    /// What the rows are for: the columns (or keys) they take and must have.
    pub operation: Operation,
}

impl ReadOptions {
    /// With the CSV delimiter `delimiter` (`None`: told from the header).
    #[must_use]
    pub fn delimiter(mut self, delimiter: Option<u8>) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// With rows for `operation`.
    #[must_use]
    pub fn operation(mut self, operation: Operation) -> Self {
        self.operation = operation;
        self
    }
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader").field("next_index", &self.next_index).finish_non_exhaustive()
    }
}

enum Inner {
    Csv {
        reader: csv::Reader<LineCounter>,
        lines: Arc<Mutex<Lines>>,
        header: Vec<String>,
        delimiter: u8,
    },
    Jsonl {
        reader: BufReader<Box<dyn Read + Send>>,
        line: u64,
        buffer: String,
    },
}

impl RowReader {
    /// Starts reading. For CSV the header is read and checked here, so a file missing a
    /// mandatory column is refused before anything is sent.
    pub fn new(input: Box<dyn Read + Send>, format: Format) -> Result<RowReader, InputError> {
        RowReader::with_options(input, format, ReadOptions::default())
    }

    /// [`RowReader::new`] with the delimiter and the operation of `options` (the defaults:
    /// the delimiter told from the header, rows to add).
    pub fn with_options(
        input: Box<dyn Read + Send>,
        format: Format,
        options: ReadOptions,
    ) -> Result<RowReader, InputError> {
        let ReadOptions { delimiter: given, operation } = options;
        let (inner, fields) = match format {
            Format::Csv => {
                let mut input = BufReader::with_capacity(64 * 1024, input);
                let delimiter = match given {
                    Some(delimiter) => delimiter,
                    None => self::delimiter(input.fill_buf()?),
                };
                let lines = Arc::new(Mutex::new(Lines::default()));
                let counted = LineCounter { inner: Box::new(input), lines: lines.clone() };
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .delimiter(delimiter)
                    .from_reader(counted);
                let header: Vec<String> = reader
                    .headers()
                    .map_err(csv_error)?
                    .iter()
                    .enumerate()
                    // A spreadsheet's UTF-8 byte order mark sticks to the first name.
                    .map(
                        |(i, name)| if i == 0 { name.trim_start_matches('\u{feff}') } else { name },
                    )
                    .map(|name| name.trim().to_owned())
                    .collect();
                let mut record = csv::StringRecord::new();
                if header.iter().all(String::is_empty) {
                    // Nothing at all is a file of no rows, like a header alone; a blank header
                    // above rows names no column.
                    if reader.read_record(&mut record).map_err(csv_error)? {
                        return Err(InputError::NoHeader);
                    }
                    let inner = Inner::Csv { reader, lines, header: Vec::new(), delimiter };
                    return Ok(RowReader::of(inner, Some(Vec::new()), operation));
                }
                let mut fields = Vec::with_capacity(header.len());
                for name in &header {
                    let field = Field::from_key(name).filter(|f| operation.fields().contains(f));
                    if field.is_some() && fields.contains(&field) {
                        return Err(InputError::DuplicateColumn(name.clone()));
                    }
                    fields.push(field);
                }
                if let ([column], [None]) = (header.as_slice(), fields.as_slice()) {
                    // Field names joined by something else: a delimiter not told.
                    let mut parts = column.split(|c: char| !(c.is_alphanumeric() || c == '_'));
                    if column.len() > 1 && parts.any(|part| Field::from_key(part).is_some()) {
                        let (column, delimiter) = (column.clone(), char::from(delimiter));
                        return Err(InputError::OneColumn { column, delimiter });
                    }
                }
                for &mandatory in operation.mandatory_columns() {
                    if !fields.contains(&Some(mandatory)) {
                        return Err(InputError::MissingColumn(mandatory.as_str()));
                    }
                }
                (Inner::Csv { reader, lines, header, delimiter }, Some(fields))
            }
            Format::Jsonl => {
                let reader = BufReader::new(input);
                (Inner::Jsonl { reader, line: 0, buffer: String::new() }, None)
            }
        };
        Ok(RowReader::of(inner, fields, operation))
    }

    fn of(inner: Inner, fields: Option<Vec<Option<Field>>>, operation: Operation) -> RowReader {
        let builder = RowBuilder { fields, normalize: false, operation };
        RowReader { inner, scratch: RawRow::default(), next_index: 0, builder }
    }

    /// Opens a file, or stdin for `-`; `options` as in [`RowReader::with_options`].
    pub fn open(
        path: &Path,
        format: Format,
        options: ReadOptions,
    ) -> Result<RowReader, InputError> {
        let input: Box<dyn Read + Send> = if path == Path::new("-") {
            Box::new(std::io::stdin())
        } else {
            Box::new(std::fs::File::open(path)?)
        };
        RowReader::with_options(input, format, options)
    }

    /// What the rows are for.
    pub fn operation(&self) -> Operation {
        self.builder.operation
    }

    /// The CSV header (the original column names), or `["request"]` for JSONL.
    pub fn header(&self) -> Vec<String> {
        match &self.inner {
            Inner::Csv { header, .. } => header.clone(),
            Inner::Jsonl { .. } => vec!["request".to_owned()],
        }
    }

    /// What separates a CSV's cells: `,`, or `;` or a tab when the header has no comma and
    /// one of those (as spreadsheets set to some locales write). None for JSONL.
    pub fn delimiter(&self) -> Option<char> {
        match &self.inner {
            Inner::Csv { delimiter, .. } => Some(char::from(*delimiter)),
            Inner::Jsonl { .. } => None,
        }
    }

    /// The CSV columns that name no field of the API: they are not sent (the reports keep
    /// them). None for JSONL, whose unknown keys are told per row.
    pub fn unknown_columns(&self) -> Vec<&str> {
        match (&self.inner, &self.builder.fields) {
            (Inner::Csv { header, .. }, Some(fields)) => header
                .iter()
                .zip(fields)
                .filter(|(_, field)| field.is_none())
                .map(|(name, _)| name.as_str())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The next row; `Ok(None)` at the end.
    pub fn next_row(&mut self) -> Result<Option<Row>, InputError> {
        self.next_with(|builder, raw| builder.build(raw.clone()))
    }

    /// The next row's key and request, its values not kept: what an import sends.
    pub(crate) fn next_request(&mut self) -> Result<Option<KeyedRequest>, InputError> {
        self.next_with(|builder, raw| (raw.index, builder.request(raw)))
    }

    /// Reads the next row into the reader's own buffers and makes `T` of it: a row copied out
    /// is copied at its size, where a fresh record would grow to fit, reallocating.
    fn next_with<T>(
        &mut self,
        make: impl FnOnce(&RowBuilder, &RawRow) -> T,
    ) -> Result<Option<T>, InputError> {
        let mut raw = std::mem::take(&mut self.scratch);
        let read = self.read_raw(&mut raw);
        let made = match read {
            Ok(true) => Ok(Some(make(&self.builder, &raw))),
            Ok(false) => Ok(None),
            Err(error) => Err(error),
        };
        self.scratch = raw;
        made
    }

    /// Writes each `wa_number` in its E.164 form (spaces, dashes, dots and parentheses out, a
    /// leading `00` made `+`; see `kaleyra_validate::suggest::e164_form`), in the request and
    /// in a CSV row's cell, so that the reports show the value sent. Off by default.
    #[must_use]
    pub fn normalize_numbers(mut self, normalize: bool) -> RowReader {
        self.builder.normalize = normalize;
        self
    }

    /// What turns this input's raw rows into rows (the CSV column mapping).
    pub(crate) fn builder(&self) -> RowBuilder {
        self.builder.clone()
    }

    /// Reads the next row into `raw`, its request not built yet, reusing `raw`'s buffers: the
    /// reading is serial, the building need not be (see `check`), and a reader that recycles
    /// its rows allocates nothing per row. `Ok(false)` at the end.
    pub(crate) fn read_raw(&mut self, raw: &mut RawRow) -> Result<bool, InputError> {
        let line = match &mut self.inner {
            Inner::Csv { reader, lines, .. } => {
                let record = &mut raw.original.0;
                loop {
                    if !reader.read_record(record).map_err(csv_error)? {
                        return Ok(false);
                    }
                    // A line of only commas is as blank as an empty one.
                    if !record.iter().all(|value| value.trim().is_empty()) {
                        break;
                    }
                }
                let byte = record.position().map_or(0, |p| p.byte());
                let line = lines.lock().unwrap_or_else(PoisonError::into_inner).line_at(byte);
                if let (true, Some(fields)) = (self.builder.normalize, &self.builder.fields) {
                    normalize_cell(fields, &mut raw.original);
                }
                line
            }
            Inner::Jsonl { reader, line, buffer } => loop {
                buffer.clear();
                if reader.read_line(buffer)? == 0 {
                    return Ok(false);
                }
                *line += 1;
                let text = buffer.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() {
                    continue;
                }
                raw.original.0.clear();
                raw.original.0.push_field(text);
                break *line;
            },
        };
        raw.index = self.next_index;
        raw.line = line;
        self.next_index += 1;
        Ok(true)
    }
}

/// A row's key (its index) and its request, or why it is none.
pub(crate) type KeyedRequest = (u64, Result<Request, RowError>);

/// A row as read: position, line and values, before they are made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawRow {
    pub(crate) index: u64,
    pub(crate) line: u64,
    pub(crate) original: Original,
}

impl Default for RawRow {
    fn default() -> Self {
        RawRow { index: 0, line: 0, original: Original(csv::StringRecord::new()) }
    }
}

/// Builds rows from raw rows: maps CSV columns to fields, parses JSONL lines.
#[derive(Debug, Clone)]
pub(crate) struct RowBuilder {
    /// For each CSV column, the API field it fills; `None` for JSONL.
    fields: Option<Vec<Option<Field>>>,
    /// See [`RowReader::normalize_numbers`].
    normalize: bool,
    operation: Operation,
}

impl RowBuilder {
    fn build(&self, raw: RawRow) -> Row {
        let request = self.request(&raw);
        Row { index: raw.index, line: raw.line, request, original: raw.original }
    }

    /// The request of a raw row, or why it cannot be one.
    pub(crate) fn request(&self, raw: &RawRow) -> Result<Request, RowError> {
        let original = &raw.original;
        let mut request = match self.fields.as_deref() {
            Some(fields) if original.len() != fields.len() => {
                Err(RowError::Ragged { cells: original.len(), columns: fields.len() })
            }
            Some(fields) => {
                let mut request = self.operation.request();
                for (value, field) in original.iter().zip(fields.iter()) {
                    // An empty cell is an absent key, not an empty value.
                    if let (Some(field), false) = (field, value.is_empty()) {
                        request.set(*field, Some(value.to_owned()));
                    }
                }
                Ok(request)
            }
            // The error's column is within the line; the line is the row's.
            None => self
                .operation
                .parse(original.iter().next().unwrap_or_default().as_bytes())
                .map_err(|e| RowError::NotAnObject { message: e.message, column: e.column }),
        };
        if let (true, Ok(request)) = (self.normalize, &mut request) {
            request.normalize_number();
        }
        request
    }
}

/// A CSV row's `wa_number` cell in its E.164 form, so that the reports (written from the rows
/// as read) show the value sent.
fn normalize_cell(fields: &[Option<Field>], original: &mut Original) {
    let column = fields.iter().position(|field| *field == Some(Field::WaNumber));
    if let Some(cell) = column.and_then(|column| original.0.get(column)) {
        let e164 = kaleyra_validate::suggest::e164_form(cell);
        if e164 != cell {
            let cells = original.0.iter().enumerate();
            let cells =
                cells.map(|(i, value)| if Some(i) == column { e164.as_str() } else { value });
            *original = Original(cells.collect());
        }
    }
}

/// Line terminators the CSV reader has read ahead, so a record's byte offset can be turned into
/// its line. (The csv crate's own line numbers are off after CRLF and blank lines, and its byte
/// offsets point at the terminator before a record.) Holds only the read-ahead window.
#[derive(Debug, Default)]
struct Lines {
    terminators: VecDeque<(u64, u8)>,
    newlines_passed: u64,
    offset: u64,
}

impl Lines {
    fn saw(&mut self, chunk: &[u8]) {
        for (i, byte) in chunk.iter().enumerate() {
            if matches!(byte, b'\n' | b'\r') {
                self.terminators.push_back((self.offset + i as u64, *byte));
            }
        }
        self.offset += chunk.len() as u64;
    }

    /// The line (from 1) of the first byte at or after `byte` that is not a line terminator.
    /// Offsets must come in increasing order.
    fn line_at(&mut self, mut byte: u64) -> u64 {
        while let Some(&(at, kind)) = self.terminators.front() {
            if at > byte {
                break;
            }
            if at == byte {
                byte += 1;
            }
            self.newlines_passed += u64::from(kind == b'\n');
            self.terminators.pop_front();
        }
        self.newlines_passed + 1
    }
}

/// The delimiter the header line (the start of `head`) uses: a comma unless it has none and has
/// semicolons or tabs, then the more frequent of those.
fn delimiter(head: &[u8]) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |delimiter: u8| line.iter().filter(|&&b| b == delimiter).count();
    match (count(b','), count(b';'), count(b'\t')) {
        (0, semicolons, tabs) if semicolons > 0 || tabs > 0 => {
            if semicolons >= tabs {
                b';'
            } else {
                b'\t'
            }
        }
        _ => b',',
    }
}

struct LineCounter {
    inner: Box<dyn Read + Send>,
    lines: Arc<Mutex<Lines>>,
}

impl Read for LineCounter {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.lines.lock().unwrap_or_else(PoisonError::into_inner).saw(&buffer[..read]);
        Ok(read)
    }
}

fn csv_error(error: csv::Error) -> InputError {
    let line = error.position().map_or(0, |p| p.line());
    match error.into_kind() {
        csv::ErrorKind::Io(io) => InputError::Io(io),
        csv::ErrorKind::Utf8 { err, .. } => {
            InputError::Csv { line, message: format!("not valid UTF-8: {err}") }
        }
        other => InputError::Csv { line, message: format!("{other:?}") },
    }
}

impl Iterator for RowReader {
    type Item = Result<Row, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, format: Format) -> Result<Vec<Row>, InputError> {
        RowReader::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), format)?.collect()
    }

    #[test]
    fn csv_with_bom_crlf_quotes_blank_lines_and_extra_columns() {
        let text = "\u{feff}display_name,wa_number,business_category,crm_id\r\n\
                    \"Acme, Inc.\",+13236550017,Education,42\r\n\
                    \r\n\
                    ,,,\r\n\
                    \"Say \"\"hi\"\"\",+13236550018,,43\r\n";
        let rows = rows(text, Format::Csv).unwrap();
        assert_eq!(rows.len(), 2);
        let first = rows[0].request.as_ref().unwrap().as_add().unwrap();
        assert_eq!(first.display_name.as_deref(), Some("Acme, Inc."));
        assert_eq!(first.business_category.as_deref(), Some("Education"));
        assert!(first.extra.is_empty(), "extra columns are not request fields");
        let original: Vec<&str> = rows[0].original.iter().collect();
        assert_eq!(original, ["Acme, Inc.", "+13236550017", "Education", "42"]);
        assert_eq!((rows[0].index, rows[0].line), (0, 2));
        let second = rows[1].request.as_ref().unwrap().as_add().unwrap();
        assert_eq!(second.display_name.as_deref(), Some("Say \"hi\""));
        assert_eq!(second.business_category, None, "an empty cell is absent");
        assert_eq!((rows[1].index, rows[1].line), (1, 5));
    }

    #[test]
    fn a_delimiter_given_is_used_whatever_the_header_looks_like() {
        // A header with one column has nothing to tell the delimiter from.
        let text = "wa_number|display_name\n+13236550017|a,b\n";
        let rows: Vec<Row> = RowReader::with_options(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            Format::Csv,
            ReadOptions::default().delimiter(Some(b'|')),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
        let request = rows[0].request.as_ref().unwrap().as_add().unwrap();
        assert_eq!(request.get(Field::DisplayName), Some("a,b"));
        let semicolons = "display_name;wa_number\nx;+13236550017\n";
        let reader = RowReader::with_options(
            Box::new(std::io::Cursor::new(semicolons.as_bytes().to_vec())),
            Format::Csv,
            ReadOptions::default().delimiter(Some(b',')),
        );
        let Err(InputError::OneColumn { column, delimiter: ',' }) = reader else {
            panic!("a comma finds one column")
        };
        assert_eq!(column, "display_name;wa_number");
        // One column that names no field is a missing column, not a delimiter.
        let phone =
            RowReader::new(Box::new(std::io::Cursor::new(b"phone\n1\n".to_vec())), Format::Csv);
        assert!(matches!(phone, Err(InputError::MissingColumn("display_name"))));
    }

    #[test]
    fn semicolons_or_tabs_in_a_header_without_commas_are_the_delimiter() {
        let reader = |text: &str| {
            RowReader::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), Format::Csv)
                .unwrap()
        };
        for (text, delimiter) in [
            ("display_name,wa_number\nShop; Inc.,+13236550017\n", ','),
            ("display_name;wa_number\n\"Shop, Inc.\";+13236550017\n", ';'),
            ("display_name\twa_number\nShop\t+13236550017\n", '\t'),
            // A comma in the header wins over any semicolon.
            ("display_name,wa_number,note;x\n", ','),
        ] {
            assert_eq!(reader(text).delimiter(), Some(delimiter), "{text:?}");
        }
        let read =
            rows("display_name;wa_number;crm_id\n\"Shop, Inc.\";+13236550017;7\n", Format::Csv)
                .unwrap();
        let request = read[0].request.as_ref().unwrap().as_add().unwrap();
        assert_eq!(request.display_name.as_deref(), Some("Shop, Inc."));
        assert_eq!(request.wa_number.as_deref(), Some("+13236550017"));
        assert_eq!(reader("display_name;wa_number;crm_id\n").unknown_columns(), ["crm_id"]);
    }

    #[test]
    fn normalized_numbers_reach_the_request_and_a_csv_cell() {
        let read = |text: &str, format| {
            RowReader::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), format)
                .unwrap()
                .normalize_numbers(true)
                .collect::<Result<Vec<Row>, _>>()
                .unwrap()
        };
        let csv = read(
            "display_name,wa_number\nShop,+1 (323) 655-0017\nShop,00 44 20 7946 0958\n",
            Format::Csv,
        );
        let numbers: Vec<_> = csv
            .iter()
            .map(|row| row.request.as_ref().unwrap().as_add().unwrap().wa_number.clone())
            .collect();
        assert_eq!(numbers, [Some("+13236550017".into()), Some("+442079460958".into())]);
        assert_eq!(csv[0].original.iter().collect::<Vec<_>>(), ["Shop", "+13236550017"]);
        let line = r#"{"display_name":"Shop","wa_number":"+1.323.655.0017"}"#;
        let jsonl = read(line, Format::Jsonl);
        assert_eq!(
            jsonl[0].request.as_ref().unwrap().as_add().unwrap().wa_number.as_deref(),
            Some("+13236550017")
        );
        assert_eq!(jsonl[0].original.iter().next(), Some(line), "a JSONL line stays as it was");
        // Off by default.
        let plain = rows("display_name,wa_number\nShop,+1 323\n", Format::Csv).unwrap();
        assert_eq!(
            plain[0].request.as_ref().unwrap().as_add().unwrap().wa_number.as_deref(),
            Some("+1 323")
        );
    }

    #[test]
    fn an_empty_csv_is_a_file_of_no_rows_like_a_header_alone() {
        assert!(rows("", Format::Csv).unwrap().is_empty());
        assert!(rows("display_name,wa_number\n", Format::Csv).unwrap().is_empty());
        // A first line of empty names above rows names no column: an error, not an empty file.
        assert!(matches!(rows(",\nShop,+13236550017\n", Format::Csv), Err(InputError::NoHeader)));
    }

    #[test]
    fn a_ragged_row_is_a_problem_of_that_row() {
        let text = "display_name,wa_number,crm_id\n\
                    a,+13236550017,1\n\
                    b,+13236550018\n\
                    c,+13236550019,3,extra\n\
                    d,+13236550020,4\n";
        let rows = rows(text, Format::Csv).unwrap();
        assert_eq!(rows.len(), 4);
        assert!(rows[0].request.is_ok() && rows[3].request.is_ok());
        assert_eq!(rows[1].request, Err(RowError::Ragged { cells: 2, columns: 3 }));
        assert_eq!(rows[2].request, Err(RowError::Ragged { cells: 4, columns: 3 }));
        let error = rows[1].request.as_ref().unwrap_err();
        assert_eq!(
            (error.to_string().as_str(), error.code()),
            ("has 2 cells, the header has 3", "E920")
        );
        assert_eq!((rows[1].line, rows[2].line), (3, 4));
    }

    #[test]
    fn row_error_codes_are_recorded_in_the_spec() {
        let spec = include_str!("../../../spec/kaleyra.toml");
        let errors = [
            RowError::NotAnObject { message: String::new(), column: 1 },
            RowError::Ragged { cells: 1, columns: 2 },
        ];
        for error in errors {
            assert!(spec.contains(&format!("\n{} = {{", error.code())), "{}", error.code());
        }
    }

    #[test]
    fn line_numbers_survive_blank_lines_crlf_and_multi_line_values() {
        for newline in ["\n", "\r\n"] {
            let text =
                ["display_name,wa_number", "a,+1", "", "", "b,+2", "\"multi", "line\",+3", "c,+4"]
                    .join(newline);
            let lines: Vec<_> = rows(&text, Format::Csv).unwrap().iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 5, 6, 8], "{newline:?}");
        }
    }

    #[test]
    fn csv_header_problems_are_refused_up_front() {
        assert!(matches!(
            rows("display_name,address\nx,y\n", Format::Csv),
            Err(InputError::MissingColumn("wa_number"))
        ));
        assert!(matches!(
            rows("wa_number,display_name,wa_number\n", Format::Csv),
            Err(InputError::DuplicateColumn(_))
        ));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let bytes = b"display_name,wa_number\nx,+13236550017\ny,\xff\n".to_vec();
        let mut reader =
            RowReader::new(Box::new(std::io::Cursor::new(bytes)), Format::Csv).unwrap();
        assert!(reader.next_row().unwrap().is_some());
        let error = reader.next_row().unwrap_err();
        assert!(matches!(error, InputError::Csv { line: 3, .. }), "{error:?}");
        assert!(error.to_string().starts_with("line 3: not valid UTF-8"), "{error}");
    }

    #[test]
    fn jsonl_rows_and_bad_lines() {
        let text = "{\"display_name\":\"a\",\"wa_number\":\"+13236550017\"}\n\n[1]\r\n{\"display_name\":\"b\"}";
        let rows = rows(text, Format::Jsonl).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[1].index, rows[1].line), (1, 3));
        let error = rows[1].request.as_ref().unwrap_err();
        assert!(error.to_string().starts_with("not a request object"), "{error}");
        assert_eq!(error.code(), "E900");
        assert_eq!(
            rows[2].request.as_ref().unwrap().as_add().unwrap().display_name.as_deref(),
            Some("b")
        );
        assert_eq!(rows[2].line, 4);
    }

    #[test]
    fn formats_from_extensions() {
        assert_eq!(Format::from_path(Path::new("a.CSV")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("a.ndjson")), Some(Format::Jsonl));
        assert_eq!(Format::from_path(Path::new("a.json")), None);
    }
}
