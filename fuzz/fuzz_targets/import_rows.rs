//! File bytes → import rows (CSV and JSONL): never a panic; rows are numbered 0, 1, 2, ... and
//! their lines never go backwards.
#![no_main]

use kaleyra_bulk::{Format, RowReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in [Format::Csv, Format::Jsonl] {
        let Ok(rows) = RowReader::new(Box::new(std::io::Cursor::new(data.to_vec())), format) else {
            continue;
        };
        let mut last_line = 0;
        for (expected, row) in rows.enumerate() {
            let Ok(row) = row else { break };
            assert_eq!(row.index, expected as u64);
            assert!(row.line >= last_line);
            last_line = row.line;
            if let Ok(request) = &row.request {
                let _ = kaleyra_validate::validate(request);
            }
        }
    }
});
