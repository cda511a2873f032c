//! Smoke version of the `import_rows` fuzz target: any bytes, as a CSV or JSONL file, never
//! panic; rows are numbered in order and their lines never go backwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kaleyra_bulk::{Format, RowReader};
use proptest::prelude::*;

fn file_like() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![
        Just(String::new()),
        Just("\"a, \"\"quoted\"\" cell\"".to_owned()),
        Just("+13236550017".to_owned()),
        Just("\u{feff}".to_owned()),
        "[a-z ,\"]{0,10}",
        any::<String>(),
    ];
    let line = proptest::collection::vec(cell, 0..5).prop_map(|cells| cells.join(","));
    let ending = prop_oneof![Just("\n"), Just("\r\n"), Just("\r"), Just("")];
    proptest::collection::vec((line, ending), 0..12).prop_map(|lines| {
        let mut text = String::from("display_name,wa_number,extra\n");
        for (line, ending) in lines {
            text.push_str(&line);
            text.push_str(ending);
        }
        text.into_bytes()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_file_reads_without_panics(data in prop_oneof![file_like(), proptest::collection::vec(any::<u8>(), 0..512)]) {
        for format in [Format::Csv, Format::Jsonl] {
            let Ok(rows) = RowReader::new(Box::new(std::io::Cursor::new(data.clone())), format) else { continue };
            let mut last_line = 0;
            for (expected, row) in rows.enumerate() {
                let Ok(row) = row else { break };
                prop_assert_eq!(row.index, expected as u64);
                prop_assert!(row.line >= last_line);
                last_line = row.line;
                if let Ok(request) = &row.request {
                    let _ = kaleyra_validate::validate(request.as_add().unwrap());
                }
            }
        }
    }
}
