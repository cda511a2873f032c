//! Offline validation of a whole file: every problem with its line, and numbers that appear
//! more than once (the API would reject the second as a duplicate).

use std::collections::HashMap;

use kaleyra_validate::{Rejection, validate};

use crate::rows::{InputError, RowReader};

/// A row that would not be created.
#[derive(Debug, Clone, PartialEq)]
pub struct RowProblem {
    pub line: u64,
    pub row: u64,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    /// The API would reject it with this envelope.
    Invalid(Rejection),
    /// Not a request at all (a JSONL line that is not an object of strings).
    Unreadable(String),
    /// A valid row whose number an earlier row already has.
    Duplicate { wa_number: String, first_line: u64 },
}

/// Counts over the file; `valid` excludes duplicates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckSummary {
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
    pub duplicates: u64,
}

impl CheckSummary {
    pub fn all_valid(&self) -> bool {
        self.invalid == 0 && self.duplicates == 0
    }
}

/// Validates every row, handing each problem to `on_problem` as it is found (so memory does
/// not grow with the number of problems).
pub fn check<E: From<InputError>>(
    rows: RowReader,
    mut on_problem: impl FnMut(RowProblem) -> Result<(), E>,
) -> Result<CheckSummary, E> {
    let mut summary = CheckSummary::default();
    // E.164 has at most 15 digits: the number itself is the key.
    let mut seen: HashMap<u64, u64> = HashMap::new();
    for row in rows {
        let row = row?;
        summary.rows += 1;
        let kind = match &row.request {
            Err(message) => Some(ProblemKind::Unreadable(message.clone())),
            Ok(request) => match validate(request) {
                Err(rejection) => Some(ProblemKind::Invalid(rejection)),
                Ok(valid) => {
                    let key = valid.wa_number()[1..].parse::<u64>().unwrap_or(u64::MAX);
                    match seen.get(&key) {
                        Some(first_line) => Some(ProblemKind::Duplicate {
                            wa_number: valid.wa_number().to_owned(),
                            first_line: *first_line,
                        }),
                        None => {
                            seen.insert(key, row.line);
                            None
                        }
                    }
                }
            },
        };
        match kind {
            None => summary.valid += 1,
            Some(kind) => {
                match kind {
                    ProblemKind::Duplicate { .. } => summary.duplicates += 1,
                    _ => summary.invalid += 1,
                }
                on_problem(RowProblem { line: row.line, row: row.index, kind })?;
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    #[test]
    fn counts_and_problems_with_lines() {
        let text = "display_name,wa_number,business_category\n\
                    a,+13236550017,Education\n\
                    ,+13236550018,\n\
                    c,+13236550017,\n\
                    d,+13236550019,Cars\n";
        let rows =
            RowReader::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), Format::Csv)
                .unwrap();
        let mut problems = Vec::new();
        let summary = check::<InputError>(rows, |p| {
            problems.push(p);
            Ok(())
        })
        .unwrap();
        assert_eq!(summary, CheckSummary { rows: 4, valid: 1, invalid: 2, duplicates: 1 });
        assert!(!summary.all_valid());
        let lines: Vec<_> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert_eq!(
            problems[1].kind,
            ProblemKind::Duplicate { wa_number: "+13236550017".into(), first_line: 2 }
        );
    }
}
