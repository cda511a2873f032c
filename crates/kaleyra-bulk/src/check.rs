//! Offline validation of a whole file: every problem with its line, and numbers that appear
//! more than once (the API would reject the second as a duplicate).

use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::Scope;

use kaleyra_model::Field;
use kaleyra_validate::Rejection;

use crate::operation::Request;
use crate::rows::{InputError, RawRow, RowBuilder, RowError, RowReader};

/// A row that would not be created.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RowProblem {
    /// The line of the file where the row starts (1 is a CSV's header).
    pub line: u64,
    /// The row's number among the data rows, from 1.
    pub row: u64,
    /// What is wrong with it.
    pub kind: RowProblemKind,
}

/// What is wrong with a row.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RowProblemKind {
    /// The API would reject it with this envelope.
    Invalid(Rejection),
    /// Not a request at all: a JSONL line that is not an object of strings, or a CSV row whose
    /// cells do not match the header.
    Unreadable(RowError),
    /// A valid row whose number an earlier row already has.
    Duplicate {
        /// The number, as it would be sent.
        wa_number: String,
        /// The line of the first row with it.
        first_line: u64,
    },
}

/// Counts over the file; `valid` excludes duplicates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckSummary {
    /// Data rows read.
    pub rows: u64,
    /// Rows the API would accept, duplicates excluded.
    pub valid: u64,
    /// Rows the API would reject, or that are not requests at all.
    pub invalid: u64,
    /// Valid rows whose number an earlier row already has.
    pub duplicates: u64,
}

impl CheckSummary {
    /// No row is invalid or a duplicate.
    pub fn all_valid(&self) -> bool {
        self.invalid == 0 && self.duplicates == 0
    }
}

/// Validates every row, handing each problem to `on_problem` in file order as it is found (so
/// memory does not grow with the number of problems). Rows are validated on every core, in
/// chunks, while this thread reads the file and puts the verdicts back in order.
pub fn check<E: From<InputError>>(
    rows: RowReader,
    on_problem: impl FnMut(RowProblem) -> Result<(), E>,
) -> Result<CheckSummary, E> {
    let mut merge = Merge { summary: CheckSummary::default(), seen: HashMap::new(), on_problem };
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    std::thread::scope(|scope| match Pool::start(scope, workers, rows.builder()) {
        Some(pool) => pool.run(rows, &mut merge),
        None => rows.into_iter().try_for_each(|row| {
            let row = row?;
            merge.push(checked(row.line, row.index, &row.request))
        }),
    })?;
    Ok(merge.summary)
}

/// Rows per chunk handed to a worker: enough to make the hand-over cheap, small enough to keep
/// the chunks in flight at a few MiB.
const CHUNK: usize = 1024;

/// What became of one row, before duplicates are known.
#[derive(Debug)]
struct Checked {
    line: u64,
    row: u64,
    /// The number's digits (E.164 has at most 15: a `u64` holds it exactly), or the problem.
    verdict: Result<u64, RowProblemKind>,
}

fn checked(line: u64, row: u64, request: &Result<Request, RowError>) -> Checked {
    let verdict = match request {
        Err(message) => Err(RowProblemKind::Unreadable(message.clone())),
        Ok(request) => match request.check() {
            Err(rejection) => Err(RowProblemKind::Invalid(rejection)),
            // Valid: the trimmed number is `+` and at most 15 digits.
            Ok(()) => Ok(request
                .get(Field::WaNumber)
                .and_then(|n| n.trim().strip_prefix('+'))
                .and_then(|digits| digits.parse::<u64>().ok())
                .unwrap_or(u64::MAX)),
        },
    };
    Checked { line, row, verdict }
}

/// Verdicts in file order: counts, and the first line of every number seen.
struct Merge<F> {
    summary: CheckSummary,
    seen: HashMap<u64, u64>,
    on_problem: F,
}

impl<F> Merge<F> {
    fn push<E>(&mut self, checked: Checked) -> Result<(), E>
    where
        F: FnMut(RowProblem) -> Result<(), E>,
    {
        self.summary.rows += 1;
        let kind = match checked.verdict {
            Err(kind) => kind,
            Ok(key) => match self.seen.get(&key) {
                Some(&first_line) => {
                    RowProblemKind::Duplicate { wa_number: format!("+{key}"), first_line }
                }
                None => {
                    self.seen.insert(key, checked.line);
                    self.summary.valid += 1;
                    return Ok(());
                }
            },
        };
        match kind {
            RowProblemKind::Duplicate { .. } => self.summary.duplicates += 1,
            _ => self.summary.invalid += 1,
        }
        (self.on_problem)(RowProblem { line: checked.line, row: checked.row, kind })
    }
}

/// A chunk of rows on its way to a worker and back: the rows come back with their verdicts, and
/// are read into again, so that neither reading nor validating allocates per row, and no row
/// is freed on another thread than the one that made it (with glibc's allocator, those frees
/// and the reader's allocations fought over one lock: a third of the time of a large file).
struct Chunk {
    seq: u64,
    rows: Vec<RawRow>,
    verdicts: Vec<Checked>,
}

/// Worker threads validating chunks of rows.
struct Pool {
    work: SyncSender<Chunk>,
    done: Receiver<Chunk>,
    workers: usize,
}

impl Pool {
    /// `None` on one core, or when no thread could be started.
    fn start<'scope>(
        scope: &'scope Scope<'scope, '_>,
        workers: usize,
        builder: RowBuilder,
    ) -> Option<Pool> {
        if workers < 2 {
            return None;
        }
        let (work, work_queue) = sync_channel::<Chunk>(workers);
        let work_queue = Arc::new(Mutex::new(work_queue));
        let (done_sender, done) = channel();
        let mut started = 0;
        for _ in 0..workers {
            let queue = Arc::clone(&work_queue);
            let done_sender = done_sender.clone();
            let builder = builder.clone();
            let spawned = std::thread::Builder::new()
                .name("kaleyra-check".to_owned())
                .spawn_scoped(scope, move || {
                    // The lock is held only to take a chunk; a poisoned lock ends the worker.
                    while let Some(mut chunk) = queue.lock().ok().and_then(|q| q.recv().ok()) {
                        // Building the request here, not on the reading thread, which is the
                        // serial part. The verdicts come empty: merging drained them.
                        let Chunk { rows, verdicts, .. } = &mut chunk;
                        verdicts.extend(
                            rows.iter()
                                .map(|raw| checked(raw.line, raw.index, &builder.request(raw))),
                        );
                        if done_sender.send(chunk).is_err() {
                            break;
                        }
                    }
                });
            started += usize::from(spawned.is_ok());
        }
        (started > 0).then_some(Pool { work, done, workers: started })
    }

    /// Reads chunks ahead while verdicts come back, and merges them in file order. A read error
    /// is returned after every row before it has been merged, as the sequential loop would.
    fn run<E, F>(self, mut rows: RowReader, merge: &mut Merge<F>) -> Result<(), E>
    where
        E: From<InputError>,
        F: FnMut(RowProblem) -> Result<(), E>,
    {
        let ahead = 2 * self.workers as u64 + 2;
        let (mut sent, mut merged) = (0u64, 0u64);
        let mut waiting = BTreeMap::new();
        let mut spare = Vec::new();
        let mut read_error = None;
        let mut end = false;
        loop {
            while !end && sent - merged < ahead {
                let mut chunk: Chunk = spare.pop().unwrap_or_else(|| Chunk {
                    seq: 0,
                    rows: Vec::with_capacity(CHUNK),
                    verdicts: Vec::with_capacity(CHUNK),
                });
                chunk.seq = sent;
                let mut filled = 0;
                while filled < CHUNK {
                    if filled == chunk.rows.len() {
                        chunk.rows.push(RawRow::default());
                    }
                    match rows.read_raw(&mut chunk.rows[filled]) {
                        Ok(true) => filled += 1,
                        Err(error) => {
                            read_error = Some(error);
                            end = true;
                            break;
                        }
                        Ok(false) => {
                            end = true;
                            break;
                        }
                    }
                }
                chunk.rows.truncate(filled);
                if filled == 0 || self.work.send(chunk).is_err() {
                    break;
                }
                sent += 1;
            }
            if merged == sent {
                break;
            }
            // Fails only if every worker died, which the scope then reports.
            let Ok(chunk) = self.done.recv() else { break };
            waiting.insert(chunk.seq, chunk);
            while let Some(mut chunk) = waiting.remove(&merged) {
                chunk.verdicts.drain(..).try_for_each(|checked| merge.push(checked))?;
                merged += 1;
                spare.push(chunk);
            }
        }
        match read_error {
            Some(error) => Err(error.into()),
            None => Ok(()),
        }
    }
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
        let (problems, summary) = problems_of(rows);
        let summary = summary.unwrap();
        assert_eq!(summary, CheckSummary { rows: 4, valid: 1, invalid: 2, duplicates: 1 });
        assert!(!summary.all_valid());
        let lines: Vec<_> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert_eq!(
            problems[1].kind,
            RowProblemKind::Duplicate { wa_number: "+13236550017".into(), first_line: 2 }
        );
    }

    /// Runs `check`, keeping every problem.
    fn problems_of(rows: RowReader) -> (Vec<RowProblem>, Result<CheckSummary, InputError>) {
        let mut problems = Vec::new();
        let summary = check::<InputError>(rows, |p| {
            problems.push(p);
            Ok(())
        });
        (problems, summary)
    }

    fn rows_of(text: Vec<u8>) -> RowReader {
        RowReader::new(Box::new(std::io::Cursor::new(text)), Format::Csv).unwrap()
    }

    /// A file of many chunks: every 7th row invalid, every 11th a duplicate of an earlier row,
    /// and rows of every width (ragged, long, multi-line values) to read into records read into
    /// before.
    fn many_rows(count: u64) -> Vec<u8> {
        let mut text = String::from("display_name,wa_number\n");
        for n in 0..count {
            let name = match n % 7 {
                3 => String::new(),
                4 => format!("\"Shop {n},\nsecond line\""),
                5 => format!("Shop {n} {}", "long ".repeat((n % 40) as usize)),
                _ => format!("Shop {n}"),
            };
            let number = if n % 11 == 5 { 5_000_000 + n / 2 } else { 5_000_000 + n };
            match n % 13 {
                2 => text.push_str(&format!("{name}\n")),
                9 => text.push_str(&format!("{name},+1323{number},extra,cells\n")),
                _ => text.push_str(&format!("{name},+1323{number}\n")),
            }
        }
        text.into_bytes()
    }

    /// The same file, one row at a time on this thread: what the chunks must add up to.
    fn one_by_one(text: Vec<u8>) -> (Vec<RowProblem>, CheckSummary) {
        let mut problems = Vec::new();
        let mut merge = Merge {
            summary: CheckSummary::default(),
            seen: HashMap::new(),
            on_problem: |p| {
                problems.push(p);
                Ok::<(), InputError>(())
            },
        };
        for row in rows_of(text) {
            let row = row.unwrap();
            merge.push(checked(row.line, row.index, &row.request)).unwrap();
        }
        let summary = merge.summary;
        drop(merge);
        (problems, summary)
    }

    #[test]
    fn chunks_on_every_core_give_the_problems_of_one_by_one_in_file_order() {
        let text = many_rows(10 * CHUNK as u64 + 17);
        let (expected, expected_summary) = one_by_one(text.clone());
        let (problems, summary) = problems_of(rows_of(text));
        let summary = summary.unwrap();
        assert_eq!(summary, expected_summary);
        assert!(summary.invalid > 2000 && summary.duplicates > 400, "{summary:?}");
        assert_eq!(problems, expected);
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "problems out of file order");
    }

    fn any_rows() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let cell = prop_oneof![
            Just(String::new()),
            Just("\"a,\nmulti-line \"\"quoted\"\" cell\"".to_owned()),
            Just("+13236550017".to_owned()),
            Just("https://example.com".to_owned()),
            "[a-z +0-9]{0,80}",
            any::<String>().prop_map(|s| s.replace('"', "")),
        ];
        let line = proptest::collection::vec(cell, 0..6).prop_map(|cells| cells.join(","));
        // Enough rows for chunks to come back and be read into again.
        (proptest::collection::vec(line, 1..30), 8 * CHUNK..10 * CHUNK).prop_map(|(lines, n)| {
            let mut text = String::from("display_name,wa_number,website\n");
            for line in lines.iter().cycle().take(n) {
                text.push_str(line);
                text.push('\n');
            }
            text.into_bytes()
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
        #[test]
        fn recycled_chunks_agree_with_one_by_one_on_any_rows(text in any_rows()) {
            let (expected, expected_summary) = one_by_one(text.clone());
            let (problems, summary) = problems_of(rows_of(text));
            proptest::prop_assert_eq!(summary.unwrap(), expected_summary);
            proptest::prop_assert_eq!(problems, expected);
        }
    }

    #[test]
    fn a_read_error_comes_after_the_problems_of_every_row_before_it() {
        let mut text = many_rows(3 * CHUNK as u64);
        text.extend_from_slice(b"bad,\xff\xfe\n");
        text.extend_from_slice(&many_rows(CHUNK as u64)[23..]);
        let (problems, error) = problems_of(rows_of(text.clone()));
        let error = error.unwrap_err();
        let before = many_rows(3 * CHUNK as u64);
        let bad_line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        assert!(matches!(error, InputError::Csv { line, .. } if line == bad_line), "{error}");
        let (expected, _) = one_by_one(before);
        assert_eq!(problems, expected);
    }

    #[test]
    fn ragged_rows_are_problems_with_their_lines() {
        let text = b"display_name,wa_number\na,+13236550017\nb\nc,+13236550018,x\n".to_vec();
        let (problems, summary) = problems_of(rows_of(text));
        assert_eq!(summary.unwrap(), CheckSummary { rows: 3, valid: 1, invalid: 2, duplicates: 0 });
        let found: Vec<_> = problems.iter().map(|p| (p.line, p.kind.clone())).collect();
        assert_eq!(
            found,
            [
                (3, RowProblemKind::Unreadable(RowError::Ragged { cells: 1, columns: 2 })),
                (4, RowProblemKind::Unreadable(RowError::Ragged { cells: 3, columns: 2 })),
            ]
        );
    }

    #[test]
    fn a_failing_consumer_stops_the_check_with_its_error() {
        let mut seen = 0;
        let error = check::<InputError>(rows_of(many_rows(20 * CHUNK as u64)), |_| {
            seen += 1;
            if seen == 100 { Err(InputError::NoHeader) } else { Ok(()) }
        })
        .unwrap_err();
        assert!(matches!(error, InputError::NoHeader));
        assert_eq!(seen, 100);
    }

    #[test]
    fn jsonl_lines_are_parsed_on_the_workers_with_their_line_numbers() {
        let mut text = String::new();
        for n in 0..3 * CHUNK {
            match n % 500 {
                7 => text.push_str("[1, 2]\n"),
                8 => text.push('\n'),
                _ => text.push_str(&format!(
                    "{{\"display_name\":\"Shop {n}\",\"wa_number\":\"+1323{}\"}}\n",
                    5_000_000 + n
                )),
            }
        }
        let rows = RowReader::new(Box::new(std::io::Cursor::new(text.into_bytes())), Format::Jsonl)
            .unwrap();
        let (problems, summary) = problems_of(rows);
        let summary = summary.unwrap();
        assert_eq!(summary.invalid, 7);
        assert_eq!(summary.rows, 3 * CHUNK as u64 - 7);
        assert_eq!(problems[1].line, 508);
        assert!(
            matches!(&problems[1].kind, RowProblemKind::Unreadable(RowError::NotAnObject { .. })),
            "{:?}",
            problems[1]
        );
    }
}
