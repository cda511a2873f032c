//! The emulator over real HTTP: the vendor's envelopes byte-for-byte, our own answers pinned by
//! snapshots, the admin endpoints and per-request faults.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use kaleyra_emulator::{Emulator, EmulatorConfig, NumbersReport, RunningEmulator};
use kaleyra_model::ApiKey;
use kaleyra_seed::{
    EMPTY_DISPLAY_IMAGE, INVALID_CATEGORY, MISSING_MANDATORY, NOTHING_TO_UPDATE, SAMPLE_REQUEST,
    SUCCESS, UPDATE_REQUEST, UPDATED, minified,
};

const SID: &str = "HX0TEST071US";
const KEY: &str = "emulator-test-key";
const PATH: &str = "/v1/HX0TEST071US/whatsapp/number";

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

async fn start() -> RunningEmulator {
    let config = EmulatorConfig::new(SID, ApiKey::new(KEY));
    Emulator::new(config).bind("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

async fn send(
    emulator: &RunningEmulator,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut request =
        http::Request::builder().method(method).uri(format!("{}{path}", emulator.base_url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body.to_owned()))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer { status, headers, body: String::from_utf8(body.to_vec()).unwrap() }
}

async fn create(emulator: &RunningEmulator, body: &str) -> Answer {
    send(emulator, "POST", PATH, &[("api-key", KEY), ("Content-Type", "application/json")], body)
        .await
}

async fn update(emulator: &RunningEmulator, body: &str) -> Answer {
    send(emulator, "PUT", PATH, &[("api-key", KEY), ("Content-Type", "application/json")], body)
        .await
}

/// `created_at` is the clock's: masked for snapshots.
fn mask_created_at(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\"created_at\":") {
        let (head, tail) = rest.split_at(at + "\"created_at\":".len());
        out.push_str(head);
        out.push_str("[NOW]");
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out + rest
}

fn keys(json: &serde_json::Value) -> Vec<String> {
    json.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn the_seed_sample_request_gets_the_seed_success_shape() {
    let emulator = start().await;
    let answer = create(&emulator, SAMPLE_REQUEST).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/json");
    // Key order as on the page (serde_json here keeps insertion order only for our types, so
    // compare the raw text's key sequence).
    let ours: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    let seed: serde_json::Value = serde_json::from_str(SUCCESS).unwrap();
    assert_eq!(ours["code"], "I102");
    assert_eq!(ours["message"], "Phone Number created successfully.");
    assert_eq!(ours["error"], serde_json::json!({}));
    let record = &ours["data"][0];
    let seed_record = &seed["data"][0];
    let mut ours_keys = keys(record);
    let mut seed_keys = keys(seed_record);
    ours_keys.sort();
    seed_keys.sort();
    assert_eq!(ours_keys, seed_keys);
    let order: Vec<_> = answer.body.match_indices("\":").map(|(i, _)| i).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    assert!(
        answer.body.find("\"company_id\"").unwrap()
            < answer.body.find("\"notFirstRequest\"").unwrap()
    );
    for field in [
        "phone_number",
        "description",
        "address",
        "email",
        "name",
        "website",
        "incoming_url",
        "category",
        "profile_image",
        "meta_value",
    ] {
        assert_eq!(record[field], seed_record[field], "{field}");
    }
    assert_eq!(record["iso_code"], "US");
    assert_eq!(record["status"], 2);
    assert_eq!(record["id"], 1);
    assert_eq!(record["notFirstRequest"], 0);
}

#[tokio::test]
async fn the_seed_rejections_byte_for_byte() {
    let emulator = start().await;
    let cases = [
        ("{}", MISSING_MANDATORY),
        (
            r#"{"display_name":"xyz","wa_number":"+13236550017","business_category":"Cars"}"#,
            INVALID_CATEGORY,
        ),
        (
            r#"{"display_name":"xyz","wa_number":"+13236550017","display_image":""}"#,
            EMPTY_DISPLAY_IMAGE,
        ),
    ];
    for (body, expected) in cases {
        let answer = create(&emulator, body).await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body, minified(expected));
    }
    assert_eq!(emulator.numbers().creations(), 0);
}

#[tokio::test]
async fn our_own_answers_are_pinned() {
    let emulator = start().await;
    let valid = r#"{"display_name":"xyz","wa_number":"+13236550017"}"#;
    let json = ("Content-Type", "application/json");
    let mut seen = Vec::new();
    let mut record = |name: &str, answer: Answer| {
        let retry = answer
            .headers
            .get("retry-after")
            .map(|v| format!(" retry-after={}", v.to_str().unwrap()))
            .unwrap_or_default();
        seen.push(format!("{name}: {}{retry} {}", answer.status, answer.body));
    };
    record("wrong key", send(&emulator, "POST", PATH, &[("api-key", "nope"), json], valid).await);
    record("no key", send(&emulator, "POST", PATH, &[json], valid).await);
    record(
        "wrong sid",
        send(&emulator, "POST", "/v1/OTHER/whatsapp/number", &[("api-key", KEY), json], valid)
            .await,
    );
    record(
        "not json",
        send(&emulator, "POST", PATH, &[("api-key", KEY), ("Content-Type", "text/plain")], valid)
            .await,
    );
    record("malformed", create(&emulator, "{\"display_name\": ").await);
    record(
        "wrong type",
        create(&emulator, r#"{"display_name": 5, "wa_number": "+13236550017"}"#).await,
    );
    record(
        "too large",
        create(&emulator, &format!(r#"{{"address":"{}"}}"#, "a".repeat(70_000))).await,
    );
    record("created", create(&emulator, valid).await);
    record("duplicate", create(&emulator, valid).await);
    record("no route", send(&emulator, "POST", "/v1/whatsapp", &[], "").await);
    record("wrong method", send(&emulator, "GET", PATH, &[], "").await);
    record(
        "injected 503",
        send(
            &emulator,
            "POST",
            PATH,
            &[("api-key", KEY), json, ("x-emulator-fault", "status=503, retry-after=2")],
            valid,
        )
        .await,
    );
    record(
        "injected 429",
        send(&emulator, "POST", PATH, &[("x-emulator-fault", "rate-limit")], valid).await,
    );
    record(
        "bad fault header",
        send(&emulator, "POST", PATH, &[("x-emulator-fault", "explode")], valid).await,
    );
    insta::assert_snapshot!(mask_created_at(&seen.join("\n")));
}

#[tokio::test]
async fn admin_endpoints() {
    let emulator = start().await;
    let valid = r#"{"display_name":"xyz","wa_number":"+13236550017"}"#;
    create(&emulator, valid).await;
    create(&emulator, valid).await;
    let answer = send(&emulator, "GET", "/__emulator/numbers", &[], "").await;
    assert_eq!(answer.status, 200);
    let report: NumbersReport = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(report, emulator.numbers());
    let entry = report.get("+13236550017").unwrap();
    assert_eq!((report.received, entry.requests, entry.creations), (2, 2, 1));

    let plan = r#"{"latency_ms":0,"rules":[{"kind":"status","status":500,"times":1}]}"#;
    let answer = send(&emulator, "PUT", "/__emulator/faults", &[], plan).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, plan));
    assert_eq!(send(&emulator, "GET", "/__emulator/faults", &[], "").await.body, plan);
    assert_eq!(create(&emulator, valid).await.status, 500);
    assert_eq!(create(&emulator, valid).await.status, 409);
    let bad =
        send(&emulator, "PUT", "/__emulator/faults", &[], r#"{"rules":[{"kind":"meteor"}]}"#).await;
    assert_eq!(bad.status, 400);

    let answer = send(&emulator, "POST", "/__emulator/reset", &[], "").await;
    assert_eq!(answer.status, 200);
    assert_eq!(emulator.numbers(), NumbersReport::default());
    assert_eq!(create(&emulator, valid).await.status, 200);
    // Every 405 names the methods the route takes (RFC 9110, section 15.5.6).
    for (method, path, allow) in [
        ("DELETE", "/__emulator/numbers", "GET"),
        ("POST", "/__emulator/health", "GET"),
        ("GET", "/__emulator/reset", "POST"),
        ("POST", "/__emulator/faults", "GET, PUT"),
        ("GET", "/v1/HX071US/whatsapp/number", "POST, PUT"),
    ] {
        let answer = send(&emulator, method, path, &[], "").await;
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(answer.headers["allow"], allow, "{method} {path}");
    }
    assert_eq!(send(&emulator, "GET", "/__emulator/nothing", &[], "").await.status, 404);
    assert_eq!(
        send(&emulator, "GET", "/__emulator/health", &[], "").await.body,
        r#"{"status":"ok"}"#
    );
}

#[tokio::test]
async fn duplicates_can_be_allowed() {
    let mut config = EmulatorConfig::new(SID, ApiKey::new(KEY));
    config.reject_duplicates = false;
    let emulator = Emulator::new(config).bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let valid = r#"{"display_name":"xyz","wa_number":"+13236550017"}"#;
    assert_eq!(create(&emulator, valid).await.status, 200);
    let second: serde_json::Value =
        serde_json::from_str(&create(&emulator, valid).await.body).unwrap();
    assert_eq!(second["data"][0]["id"], 2);
    assert_eq!(second["data"][0]["notFirstRequest"], 1);
    assert_eq!(emulator.numbers().get("+13236550017").unwrap().creations, 2);
}

/// `slow-body`: the head at once, then the whole success envelope in small pieces, paused
/// between; the record exists before the last byte is sent.
#[tokio::test]
async fn a_slow_body_comes_whole_in_pieces() {
    let emulator = start().await;
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("{}{PATH}", emulator.base_url()))
        .header("api-key", KEY)
        .header("Content-Type", "application/json")
        .header("x-emulator-fault", "slow-body=15")
        .body(Full::new(Bytes::from(minified(SAMPLE_REQUEST))))
        .unwrap();
    let started = std::time::Instant::now();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let length: usize = response.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert_eq!(emulator.numbers().creations(), 1, "created before the body is sent");
    let mut body = response.into_body();
    let (mut reads, mut bytes) = (0, Vec::new());
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            reads += 1;
            bytes.extend_from_slice(&data);
        }
    }
    assert_eq!(bytes.len(), length);
    let envelope: kaleyra_model::SuccessEnvelope = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(envelope.code, kaleyra_model::Code::I102);
    // Sent as 16-byte pieces with a pause between every two (a timer only ever waits longer;
    // a busy client may read two pieces at once, so the reads are not counted exactly).
    let pieces = length.div_ceil(16) as u64;
    let least = std::time::Duration::from_millis(15 * (pieces - 1));
    assert!(started.elapsed() >= least, "{:?} for {pieces} pieces", started.elapsed());
    assert!(reads > 1, "the body came in one read");
}

#[tokio::test]
async fn the_admin_listing_comes_in_pages() {
    let emulator = start().await;
    for n in 0..5 {
        let body = format!(r#"{{"display_name":"x","wa_number":"+1323655{n:04}"}}"#);
        assert_eq!(create(&emulator, &body).await.status, 200);
    }
    let page = |query: &str| {
        let emulator = &emulator;
        let path = format!("/__emulator/numbers{query}");
        async move {
            let answer = send(emulator, "GET", &path, &[], "").await;
            (answer.status, serde_json::from_str::<serde_json::Value>(&answer.body).unwrap())
        }
    };
    let (status, first) = page("?limit=2").await;
    assert_eq!(status, 200);
    let numbers = |page: &serde_json::Value| -> Vec<String> {
        page["numbers"].as_array().unwrap().iter().map(|n| n["wa_number"].to_string()).collect()
    };
    assert_eq!(numbers(&first), ["\"+13236550000\"", "\"+13236550001\""]);
    assert_eq!(
        (first["total_numbers"].as_u64(), first["next_offset"].as_u64()),
        (Some(5), Some(2))
    );
    let (_, last) = page("?offset=4&limit=2").await;
    assert_eq!(numbers(&last), ["\"+13236550004\""]);
    // The totals are every page's, on every page.
    for page in [&first, &last] {
        assert_eq!((page["created"].as_u64(), page["received"].as_u64()), (Some(5), Some(5)));
    }
    assert!(last.get("next_offset").is_none(), "{last}");
    let (_, all) = page("").await;
    assert_eq!(numbers(&all).len(), 5);
    for bad in ["?limit=0", "?limit=10001", "?offset=x", "?page=2"] {
        let (status, envelope) = page(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(envelope["error"]["parameter"], "query", "{bad}");
    }
}

/// The update (PUT): the examples in `spec/examples/` are what it answers, it changes the
/// latest record and nothing else, and it refuses what an update may not be.
#[tokio::test]
async fn an_update_changes_the_record_and_answers_the_spec_examples() {
    let emulator = start().await;
    let not_registered = update(&emulator, UPDATE_REQUEST).await;
    assert_eq!(not_registered.status, 404);
    assert_eq!(
        not_registered.body,
        r#"{"code":"E948","message":"Failed to update WA number.","data":[],"error":{"code":"E906","type":"REQUEST_ERROR","parameter":"wa_number","message":"wa_number is not registered.","reference":""}}"#
    );
    assert!(emulator.numbers().numbers.is_empty(), "an unknown number is not listed");

    assert_eq!(create(&emulator, SAMPLE_REQUEST).await.status, 200);
    let updated = update(&emulator, UPDATE_REQUEST).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    // The example, with what depends on the account and the clock taken from the answer.
    let answer: serde_json::Value = serde_json::from_str(&updated.body).unwrap();
    let mut expected: serde_json::Value = serde_json::from_str(UPDATED).unwrap();
    for key in ["company_id", "created_by", "created_at"] {
        expected["data"][0][key] = answer["data"][0][key].clone();
    }
    assert_eq!(answer, expected);
    assert!(
        updated.body.ends_with(
            r#""notFirstRequest":0,"about":"Open 9 to 5, Monday to Friday"}],"error":{}}"#
        )
    );

    let listed = emulator.numbers();
    let entry = listed.get("+13236550017").unwrap();
    assert_eq!((entry.requests, entry.creations, entry.updates), (1, 1, 1));
    assert_eq!(serde_json::to_value(&entry.records[0]).unwrap(), answer["data"][0]);
    assert_eq!(listed.received, 3, "every request on the route is received");

    // The same update again: the same record (an update is idempotent).
    let again = update(&emulator, UPDATE_REQUEST).await;
    assert_eq!(again.body, updated.body);

    let nothing = update(&emulator, r#"{"wa_number":"+13236550017","address":"  "}"#).await;
    assert_eq!(
        (nothing.status, nothing.body.as_str()),
        (400, minified(NOTHING_TO_UPDATE).as_str())
    );
    let empty_image = update(&emulator, r#"{"wa_number":"+13236550017","display_image":""}"#).await;
    assert_eq!(
        (empty_image.status, empty_image.body.as_str()),
        (400, minified(EMPTY_DISPLAY_IMAGE).as_str())
    );
    let invalid = update(
        &emulator,
        r#"{"wa_number":"+13236550017","business_category":"cars","display_name":"new"}"#,
    )
    .await;
    assert_eq!(invalid.status, 400);
    assert!(
        invalid.body.starts_with(r#"{"code":"E948","message":"Failed to update WA number.","data":[],"error":{"code":"E413","type":"VALIDATION_ERROR","parameter":"business_category","#),
        "{}",
        invalid.body
    );
    let wrong_key = send(&emulator, "PUT", PATH, &[("api-key", "nope")], UPDATE_REQUEST).await;
    assert_eq!(wrong_key.status, 401);
    let not_json = update(&emulator, r#"{"wa_number":5}"#).await;
    assert_eq!(not_json.status, 400);
    assert!(not_json.body.contains(r#""code":"E900""#), "{}", not_json.body);

    let entry = emulator.numbers();
    let entry = entry.get("+13236550017").unwrap();
    assert_eq!(entry.updates, 2, "refused updates change nothing");
    assert_eq!(entry.records[0].name, "xyz", "an update takes no display name");
}
