//! The import against a busy emulator: it backs off when throttled and still settles every row
//! exactly once, never exceeds a hard `rate_per_second`, grows when the server takes more, and
//! keeps a pinned concurrency pinned. Behaviour only: no figure of speed is asserted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use kaleyra_bulk::import::{Concurrency, Import, Summary};
use kaleyra_emulator::{
    Emulator, EmulatorConfig, Latency, Limits, RateLimit, RunningEmulator, SANDBOX_API_KEY,
    SANDBOX_SID,
};
use kaleyra_transport::RetryPolicy;

async fn emulator(latency: Duration, limits: Limits) -> RunningEmulator {
    let mut config = EmulatorConfig::sandbox();
    config.latency = Latency::fixed(latency);
    config.limits = limits;
    Emulator::new(config).bind("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn write_csv(path: &Path, rows: u32) {
    let mut text = String::from("display_name,wa_number\n");
    for n in 0..rows {
        text.push_str(&format!("Shop,+1323{:07}\n", 5_550_000 + n));
    }
    std::fs::write(path, text).unwrap();
}

async fn import(
    emulator: &RunningEmulator,
    input: &Path,
    set: impl FnOnce(Import) -> Import,
) -> Summary {
    let client = common::client(emulator, SANDBOX_SID, SANDBOX_API_KEY, RetryPolicy::never());
    set(Import::new(client, input).unwrap()).run().await.unwrap()
}

/// Every row created once, none lost, the server's and the importer's counts agreeing.
fn assert_settled_once(summary: &Summary, emulator: &RunningEmulator, rows: u64) {
    assert_eq!(summary.reports.created, rows);
    assert_eq!(summary.reports.unknown + summary.reports.failed, 0);
    let seen = emulator.numbers();
    assert_eq!(seen.creations(), rows);
    assert!(seen.numbers.iter().all(|entry| entry.creations == 1));
    assert_eq!(summary.pace.throttled, seen.throttled);
    assert_eq!(summary.pace.requests, seen.received);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_by_a_rate_limit_it_backs_off_and_settles_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 400);
    let limit: RateLimit = "200/s".parse().unwrap();
    let server = emulator(
        Duration::from_millis(20),
        Limits::none().with_rate_limit(Some(limit.with_burst(20))),
    )
    .await;
    let summary = import(&server, &input, |import| import).await;
    assert_settled_once(&summary, &server, 400);
    // It was throttled, and learnt a rate from it.
    assert!(summary.pace.throttled > 0);
    assert!(summary.pace.learnt_rate.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_cap_on_requests_in_flight_it_settles_near_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 600);
    let server =
        emulator(Duration::from_millis(50), Limits::none().with_max_in_flight(Some(16))).await;
    let summary = import(&server, &input, |import| import).await;
    assert_settled_once(&summary, &server, 600);
    // It ran into the cap, and backed off: the 429s are a few per cent of the requests (about
    // the 16 its first 32 requests drew), not the half a client holding 32 in flight would
    // draw, nor a cascade of throttled slots handed to requests throttled in turn.
    assert!(summary.pace.throttled > 0);
    assert!(summary.pace.throttled < 60, "{:?}", summary.pace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_room_to_spare_it_grows_past_where_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 600);
    let server = emulator(Duration::from_millis(20), Limits::none()).await;
    let summary = import(&server, &input, |import| import.max_concurrency(64)).await;
    assert_settled_once(&summary, &server, 600);
    assert_eq!(summary.pace.throttled, 0);
    // It starts at 32 requests in flight.
    assert!(summary.pace.concurrency > 32, "{:?}", summary.pace);
    assert!(summary.pace.concurrency <= 64, "{:?}", summary.pace);
    assert_eq!(summary.pace.learnt_rate, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_rate_is_never_exceeded() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 40);
    // The server allows 25/s with a burst of 5: a client keeping to 20/s is never throttled.
    let limit: RateLimit = "25/s".parse().unwrap();
    let server =
        emulator(Duration::ZERO, Limits::none().with_rate_limit(Some(limit.with_burst(5)))).await;
    let summary = import(&server, &input, |import| import.rate_per_second(20.0)).await;
    assert_settled_once(&summary, &server, 40);
    assert_eq!(summary.pace.throttled, 0);
    // 40 requests at 20/s: the first at once, the last 1.95 s later.
    assert!(summary.pace.elapsed >= Duration::from_millis(1900), "{:?}", summary.pace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_does_not_wait_for_the_turns_of_a_slow_rate() {
    // One request every 100 s, 16 slots: the turns taken reach 25 minutes ahead.
    let server = emulator(Duration::ZERO, Limits::none()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 40);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let client = common::client(&server, SANDBOX_SID, SANDBOX_API_KEY, RetryPolicy::never());
    let import = Import::new(client, &input)
        .unwrap()
        .rate_per_second(0.01)
        .concurrency(16)
        .stop_when(stopped);
    let running = tokio::spawn(import.run());
    while server.numbers().received == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(true).unwrap();
    // Not a measure of speed: without the stop being heard it would run for an hour.
    let summary = tokio::time::timeout(Duration::from_secs(60), running)
        .await
        .expect("the stop waited for the rate's turns")
        .unwrap()
        .unwrap();
    assert!(summary.interrupted);
    assert_eq!(summary.reports.created, 1);
    assert_eq!(server.numbers().received, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_concurrency_stays_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    write_csv(&input, 200);
    let server =
        emulator(Duration::from_millis(10), Limits::none().with_max_in_flight(Some(3))).await;
    let summary = import(&server, &input, |import| import.concurrency(3)).await;
    assert_settled_once(&summary, &server, 200);
    assert_eq!(summary.pace.throttled, 0);
    assert_eq!(summary.pace.concurrency, 3);
    assert!(matches!(
        Import::new(
            common::client(&server, SANDBOX_SID, SANDBOX_API_KEY, RetryPolicy::never()),
            &input
        )
        .unwrap()
        .concurrency(3)
        .options()
        .concurrency,
        Concurrency::Fixed(3)
    ));
}
