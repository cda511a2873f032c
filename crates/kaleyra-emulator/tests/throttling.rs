//! The emulator as a busy vendor: a rate limit and a cap on requests in flight answered 429 with
//! our envelope and `Retry-After`, service times, the admin endpoint that changes the limits
//! mid-run, and the throttled count in the listing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use kaleyra_emulator::{Emulator, EmulatorConfig, Latency, Limits, RateLimit, RunningEmulator};

const PATH: &str = "/v1/HXXXXXXX071US/whatsapp/number";

async fn start(config: EmulatorConfig) -> RunningEmulator {
    Emulator::new(config).bind("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

async fn send(emulator: &RunningEmulator, method: &str, path: &str, body: String) -> Answer {
    send_to(emulator.base_url(), method, path, body).await
}

async fn send_to(base_url: String, method: &str, path: &str, body: String) -> Answer {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{base_url}{path}"))
        .header("api-key", kaleyra_emulator::SANDBOX_API_KEY)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer { status, retry_after, body: String::from_utf8(body.to_vec()).unwrap() }
}

async fn create(emulator: &RunningEmulator, n: u32) -> Answer {
    create_at(emulator.base_url(), n).await
}

async fn create_at(base_url: String, n: u32) -> Answer {
    let body = format!(r#"{{"display_name":"Shop","wa_number":"+1323655{n:04}"}}"#);
    send_to(base_url, "POST", PATH, body).await
}

fn limits(rate: &str) -> Limits {
    Limits::none().with_rate_limit(Some(rate.parse().unwrap()))
}

#[tokio::test]
async fn over_the_rate_limit_the_answer_is_429_with_our_envelope_and_retry_after() {
    let mut config = EmulatorConfig::sandbox();
    let five_per_ten_seconds: RateLimit = "5/10s".parse().unwrap();
    config.limits = Limits::none().with_rate_limit(Some(five_per_ten_seconds.with_burst(5)));
    let emulator = start(config).await;
    let mut statuses = Vec::new();
    for n in 0..8 {
        statuses.push(create(&emulator, n).await);
    }
    assert_eq!(statuses.iter().filter(|a| a.status == 200).count(), 5);
    let throttled: Vec<_> = statuses.iter().filter(|a| a.status == 429).collect();
    assert_eq!(throttled.len(), 3);
    // One token every 2 s: the wait is rounded up to whole seconds.
    assert_eq!(throttled[0].retry_after.as_deref(), Some("2"));
    insta::assert_snapshot!(throttled[0].body, @r#"{"code":"E929","message":"Too many requests. Retry after 2 seconds.","data":[],"error":{"code":"E929","type":"RATE_LIMIT_ERROR","parameter":"","message":"Too many requests. Retry after 2 seconds.","reference":""}}"#);
    let report = emulator.numbers();
    assert_eq!((report.received, report.throttled, report.creations()), (8, 3, 5));
}

#[tokio::test]
async fn requests_in_flight_over_the_cap_are_throttled() {
    let mut config = EmulatorConfig::sandbox();
    config.latency = Latency::fixed(Duration::from_millis(300));
    config.limits = Limits::none().with_max_in_flight(Some(2));
    let emulator = start(config).await;
    let tasks: Vec<_> = (0..5).map(|n| tokio::spawn(create_at(emulator.base_url(), n))).collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap();
        if answer.status == 429 {
            assert_eq!(answer.retry_after.as_deref(), Some("1"));
        }
        statuses.push(answer.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 2, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3, "{statuses:?}");
    // Once they are answered, the slots are free again.
    assert_eq!(create(&emulator, 9).await.status, 200);
    assert_eq!(emulator.numbers().throttled, 3);
}

#[tokio::test]
async fn service_time_is_applied_before_the_answer() {
    let mut config = EmulatorConfig::sandbox();
    config.latency = Latency::fixed(Duration::from_millis(200));
    let emulator = start(config).await;
    let started = Instant::now();
    assert_eq!(create(&emulator, 1).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_throttled_request_takes_no_service_time_from_the_seed() {
    // A seed whose first service time is short, the second long, the third and fourth short:
    // if the two throttled requests drew, the next one let through would get the fourth.
    let latency = Latency::log_normal(Duration::from_millis(5), Duration::from_secs(2));
    let short = Duration::from_millis(20);
    let long = Duration::from_millis(400);
    let (seed, draws) = (0..10_000)
        .map(|seed| (seed, latency.service_times(seed).take(4).collect::<Vec<_>>()))
        .find(|(_, d)| {
            d[0] < short && d[1] >= long && d[1] < 2 * long && d[2] < short && d[3] < short
        })
        .unwrap();
    let mut config = EmulatorConfig::sandbox();
    config.latency = latency;
    config.seed = seed;
    config.limits = limits("1/10m");
    let emulator = start(config).await;

    assert_eq!(create(&emulator, 1).await.status, 200);
    assert_eq!(create(&emulator, 2).await.status, 429);
    assert_eq!(create(&emulator, 3).await.status, 429);
    emulator.set_limits(Limits::none());
    let started = Instant::now();
    assert_eq!(create(&emulator, 4).await.status, 200);
    // A lower bound only: a sleep never ends early, and the fourth draw is under 20 ms.
    assert!(started.elapsed() >= draws[1], "{:?} < {:?}", started.elapsed(), draws[1]);
}

#[tokio::test]
async fn the_admin_endpoint_reads_and_changes_the_limits_mid_run() {
    let emulator = start(EmulatorConfig::sandbox()).await;
    let shown = send(&emulator, "GET", "/__emulator/limits", String::new()).await;
    assert_eq!(
        (shown.status, shown.body.as_str()),
        (200, r#"{"rate_limit":null,"max_in_flight":null}"#)
    );

    let set = r#"{"rate_limit":"2/10s","max_in_flight":8}"#.to_owned();
    let answer = send(&emulator, "PUT", "/__emulator/limits", set).await;
    assert_eq!(answer.body, r#"{"rate_limit":"2/10s","burst":1,"max_in_flight":8}"#);
    let expected = RateLimit::new(2, Duration::from_secs(10)).with_burst(1);
    assert_eq!(emulator.limits(), limits("2/10s").with_max_in_flight(Some(8)));
    assert_eq!(emulator.limits().rate_limit, Some(expected));
    assert_eq!(create(&emulator, 1).await.status, 200);
    assert_eq!(create(&emulator, 2).await.status, 429);

    // Changed: a full bucket of the new size at once.
    let raised = r#"{"rate_limit":"3/10s","burst":3}"#.to_owned();
    send(&emulator, "PUT", "/__emulator/limits", raised).await;
    let mut statuses = Vec::new();
    for n in 3..7 {
        statuses.push(create(&emulator, n).await.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429]);

    let bad = send(&emulator, "PUT", "/__emulator/limits", r#"{"rate_limit":"fast"}"#.into()).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("expected REQUESTS/PERIOD"), "{}", bad.body);
    assert_eq!(send(&emulator, "POST", "/__emulator/limits", String::new()).await.status, 405);

    // Reset forgets the records and counts, not the limits.
    send(&emulator, "POST", "/__emulator/reset", String::new()).await;
    assert_eq!(emulator.numbers().throttled, 0);
    assert!(emulator.limits().rate_limit.is_some());
}

#[test]
fn the_kaleyra_preset_is_the_published_limit_and_the_assumed_latency() {
    let config = EmulatorConfig::sandbox().kaleyra_preset();
    assert_eq!(config.limits.rate_limit.unwrap().to_string(), "50000/5m");
    assert_eq!(config.latency.to_string(), "p50=300ms,p99=1500ms");
    assert!(config.limits.max_in_flight.is_none());
}
