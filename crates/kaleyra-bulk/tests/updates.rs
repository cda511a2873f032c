//! An import of updates (`Operation::Update`): rows change the numbers' records, refusals and
//! unknown numbers land in rejected.csv, a journal says what it was for, and an update whose
//! outcome is unknown is sent again on resume (it is idempotent).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use kaleyra_bulk::import::{self, ImportError, ImportOptions, Silent, Summary};
use kaleyra_bulk::{Format, Operation, report};
use kaleyra_emulator::{Fault, FaultPlan, RunningEmulator};
use kaleyra_model::AddNumberRequest;
use kaleyra_transport::{Client, RetryPolicy};

const SID: &str = "HX0UPDATE";
const KEY: &str = "update-key-0123";

async fn run(client: &Client, options: ImportOptions) -> Result<Summary, ImportError> {
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    import::run(client.clone(), options, Arc::new(Silent), stopped).await
}

fn update_options(input: &Path) -> ImportOptions {
    let mut options = ImportOptions::new(input, Format::from_path(input).unwrap());
    options.operation = Operation::Update;
    options
}

/// A report's rows, each cell by its column's name.
fn report(dir: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(dir.join(name)).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    reader
        .records()
        .map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_owned)).collect())
        .collect()
}

async fn registered(numbers: &[&str]) -> (RunningEmulator, Client) {
    let emulator = common::emulator(SID, KEY).await;
    let client = common::client(&emulator, SID, KEY, RetryPolicy::default());
    for number in numbers {
        let add = kaleyra_validate::validate(&AddNumberRequest::new("Shop", *number)).unwrap();
        client.add_number(&add).await.unwrap();
    }
    (emulator, client)
}

#[tokio::test]
async fn rows_update_the_records_and_refusals_are_reported() {
    let (emulator, client) = registered(&["+13236550011", "+13236550012", "+13236550013"]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("updates.csv");
    std::fs::write(
        &input,
        "wa_number,about,business_category,display_name\n\
         +13236550011,Open 9 to 5,education,ignored\n\
         +13236550012,,OTHER,\n\
         +13236550099,Not ours,,\n\
         +13236550013,,,\n\
         +13236550013,Late,,\n",
    )
    .unwrap();
    let options = update_options(&input);
    let summary = run(&client, options.clone()).await.unwrap();
    assert_eq!((summary.counts.created, summary.counts.rejected), (3, 2), "{summary:?}");

    let dir = &options.report_dir;
    let updated = report(dir, report::UPDATED);
    let numbers: Vec<&str> = updated.iter().map(|row| row["wa_number"].as_str()).collect();
    assert_eq!(numbers, ["+13236550011", "+13236550012", "+13236550013"]);
    assert!(!dir.join(report::CREATED).exists(), "an update import writes no created.csv");
    let rejected = report(dir, report::REJECTED);
    // The API's 404 for a number it has no record of; ours for a row that changes nothing.
    let cells = |row: &BTreeMap<String, String>| {
        ["wa_number", "http_status", "code", "parameter", "line"].map(|c| row[c].clone())
    };
    assert_eq!(cells(&rejected[0]), ["+13236550099", "404", "E906", "wa_number", "4"]);
    assert_eq!(cells(&rejected[1]), ["+13236550013", "", "E413", "body", "5"]);

    let records = emulator.numbers();
    let record = |number: &str| records.get(number).unwrap().records[0].clone();
    assert_eq!(record("+13236550011").about.as_deref(), Some("Open 9 to 5"));
    assert_eq!(record("+13236550011").category.as_deref(), Some("Education"));
    assert_eq!(record("+13236550011").name, "Shop", "display_name is no column of an update");
    assert_eq!(record("+13236550012").category.as_deref(), Some("Other"));
    assert_eq!(record("+13236550013").about.as_deref(), Some("Late"));
    assert!(records.get("+13236550099").is_none());

    // The journal says it was an update: resuming it as an add is refused, nothing sent.
    let received = emulator.numbers().received;
    let mut as_add = update_options(&input);
    as_add.operation = Operation::Add;
    as_add.resume = true;
    let error = run(&client, as_add).await.unwrap_err();
    assert!(matches!(error, ImportError::OtherOperation { .. }), "{error}");
    assert!(error.to_string().contains("records an import to update, not to add"), "{error}");
    assert_eq!(emulator.numbers().received, received);
}

#[tokio::test]
async fn an_update_whose_outcome_is_unknown_is_sent_again_on_resume() {
    let (emulator, _) = registered(&["+13236550011", "+13236550012"]).await;
    // One attempt: the fault leaves the outcome unknown.
    let client = common::client(
        &emulator,
        SID,
        KEY,
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() },
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("updates.jsonl");
    std::fs::write(
        &input,
        "{\"wa_number\":\"+13236550011\",\"about\":\"first\"}\n\
         {\"wa_number\":\"+13236550012\",\"website\":\"https://example.com\"}\n",
    )
    .unwrap();
    let mut options = update_options(&input);
    options.concurrency = import::Concurrency::Fixed(1);
    emulator.set_faults(FaultPlan::once(Fault::ResetAfter));
    let summary = run(&client, options.clone()).await.unwrap();
    assert_eq!((summary.counts.created, summary.counts.unknown), (1, 1), "{summary:?}");

    options.resume = true;
    let summary = run(&client, options.clone()).await.unwrap();
    assert_eq!((summary.counts.created, summary.counts.skipped), (1, 1), "{summary:?}");
    let updated = report(&options.report_dir, report::UPDATED);
    assert_eq!(updated.len(), 2);
    let records = emulator.numbers();
    assert_eq!(records.get("+13236550011").unwrap().records[0].about.as_deref(), Some("first"));
    assert_eq!(
        records.get("+13236550012").unwrap().records[0].website,
        vec!["https://example.com".to_owned()]
    );
}
