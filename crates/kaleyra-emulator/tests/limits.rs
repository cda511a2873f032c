//! The emulator's limits: slow clients are cut off, connections are bounded, and no body, however
//! odd, gets anything but an envelope.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use kaleyra_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use kaleyra_model::{ApiKey, ErrorEnvelope, SuccessEnvelope};
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SID: &str = "HX0LIMITS";
const KEY: &str = "limits-key";

async fn start(config: EmulatorConfig) -> RunningEmulator {
    Emulator::new(config).bind("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn config() -> EmulatorConfig {
    EmulatorConfig::new(SID, ApiKey::new(KEY))
}

/// The head of a create request: `framing` says how the body is delimited, then `connection`.
fn head(framing: &str, connection: &str) -> String {
    format!(
        "POST /v1/{SID}/whatsapp/number HTTP/1.1\r\nhost: x\r\napi-key: {KEY}\r\ncontent-type: application/json\r\n{framing}\r\nconnection: {connection}\r\n\r\n"
    )
}

/// One raw HTTP/1.1 exchange; returns the status and body.
async fn post(emulator: &RunningEmulator, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    let head = head(&format!("content-length: {}", body.len()), "close");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body_at = text.find("\r\n\r\n").map_or(answer.len(), |i| i + 4);
    (status, answer[body_at..].to_vec())
}

#[tokio::test]
async fn a_client_that_never_finishes_its_head_is_cut_off_while_others_are_served() {
    let mut config = config();
    config.header_read_timeout = Duration::from_millis(200);
    let emulator = start(config).await;
    let mut slow = TcpStream::connect(emulator.local_addr()).await.unwrap();
    slow.write_all(b"POST /v1/HX0LIMITS/whatsapp/number HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    // Meanwhile another client is served.
    let (status, _) = post(&emulator, br#"{"display_name":"a","wa_number":"+13236550017"}"#).await;
    assert_eq!(status, 200);
    let mut buffer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buffer)).await;
    assert!(closed.is_ok(), "the slow connection was never closed");
}

#[tokio::test]
async fn connections_are_bounded() {
    let mut config = config();
    config.max_connections = 2;
    let emulator = start(config).await;
    let idle_one = TcpStream::connect(emulator.local_addr()).await.unwrap();
    let idle_two = TcpStream::connect(emulator.local_addr()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let body = br#"{"display_name":"a","wa_number":"+13236550017"}"#;
    let waiting = tokio::time::timeout(Duration::from_millis(300), post(&emulator, body)).await;
    assert!(waiting.is_err(), "a third connection was served beyond the limit");
    drop((idle_one, idle_two));
    // (The waiting request is still queued in the backlog and will be served too.)
    let other = br#"{"display_name":"a","wa_number":"+13236550018"}"#;
    let (status, _) =
        tokio::time::timeout(Duration::from_secs(5), post(&emulator, other)).await.unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_even_without_a_content_length() {
    let emulator = start(config()).await;
    let big = vec![b' '; 70_000];
    let (status, body) = post(&emulator, &big).await;
    assert_eq!(status, 413);
    assert!(ErrorEnvelope::from_slice(&body).is_ok());

    // Declared too large: answered from the head, without waiting for a body that never comes.
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stream.write_all(head("content-length: 10000000", "close").as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer));
    read.await.expect("answered from the head alone").unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 413"));

    // Chunked: the limit is enforced while reading.
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stream.write_all(head("transfer-encoding: chunked", "close").as_bytes()).await.unwrap();
    for _ in 0..20 {
        if stream
            .write_all(format!("{:x}\r\n{}\r\n", 8192, " ".repeat(8192)).as_bytes())
            .await
            .is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test]
async fn a_body_that_arrives_in_pieces_is_read_whole() {
    let emulator = start(config()).await;
    for (chunked, number) in [(false, "+13236550017"), (true, "+13236550018")] {
        let body = format!(
            r#"{{"display_name":"xyz","wa_number":"{number}","contact_email":"xyz@example.com"}}"#
        );
        let body = body.as_bytes();
        let pieces = [&body[..10], &body[10..40], &body[40..]];
        let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
        let framing = if chunked {
            "transfer-encoding: chunked".to_owned()
        } else {
            format!("content-length: {}", body.len())
        };
        stream.write_all(head(&framing, "close").as_bytes()).await.unwrap();
        for piece in pieces {
            // Apart in time, so that each is a frame of its own.
            tokio::time::sleep(Duration::from_millis(20)).await;
            if chunked {
                stream.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await.unwrap();
                stream.write_all(piece).await.unwrap();
                stream.write_all(b"\r\n").await.unwrap();
            } else {
                stream.write_all(piece).await.unwrap();
            }
        }
        if chunked {
            stream.write_all(b"0\r\n\r\n").await.unwrap();
        }
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        let at = text.find("\r\n\r\n").unwrap() + 4;
        let envelope: SuccessEnvelope = serde_json::from_slice(&answer[at..]).unwrap();
        assert_eq!(envelope.data[0].email.as_deref(), Some("xyz@example.com"));
        assert_eq!(emulator.numbers().get(number).unwrap().creations, 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_body_gets_an_envelope(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        any::<String>().prop_map(String::into_bytes),
        proptest::collection::btree_map("[a-z_]{1,14}", any::<String>(), 0..6)
            .prop_map(|map| serde_json::to_vec(&map).unwrap()),
    ]) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let emulator = start(config()).await;
            let (status, answer) = post(&emulator, &body).await;
            match status {
                200 => assert!(serde_json::from_slice::<SuccessEnvelope>(&answer).is_ok()),
                400 => assert!(ErrorEnvelope::from_slice(&answer).is_ok(), "{}", String::from_utf8_lossy(&answer)),
                other => panic!("status {other} for {body:?}"),
            }
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Smoke version of the `emulator_request` fuzz target: raw bytes on the socket.
    #[test]
    fn any_bytes_on_the_socket_get_an_answer_or_a_close(data in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        "(GET|POST|PUT) /[a-z_/]{0,20} HTTP/1\\.[01]\r\n([a-z-]{1,10}: [ -~]{0,20}\r\n){0,5}\r\n[ -~]{0,40}".prop_map(String::into_bytes),
    ]) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut config = config();
            config.header_read_timeout = Duration::from_millis(300);
            config.body_read_timeout = Duration::from_millis(300);
            let emulator = start(config).await;
            let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
            let _ = stream.write_all(&data).await;
            let _ = stream.shutdown().await;
            let mut answer = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
            assert!(read.is_ok(), "no answer and no close for {data:?}");
            let (status, _) = post(&emulator, br#"{"display_name":"a","wa_number":"+13236550017"}"#).await;
            assert_eq!(status, 200);
        });
    }
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish_and_closes_idle_connections() {
    let emulator = start(config()).await;
    emulator.set_faults(kaleyra_emulator::FaultPlan::latency_only(
        std::time::Duration::from_millis(300),
    ));
    let addr = emulator.local_addr();
    // An idle keep-alive connection, and one with a request in flight.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let body = br#"{"display_name":"xyz","wa_number":"+13236550017"}"#;
    let in_flight = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let head = head(&format!("content-length: {}", body.len()), "keep-alive");
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        answer
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    emulator.shutdown().await;
    let answer = String::from_utf8_lossy(&in_flight.await.unwrap()).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    // The idle connection was closed, and nothing listens any more.
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(2), idle.read(&mut buffer)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_body_under_the_limit_in_pieces_is_not_too_large() {
    let emulator = start(config()).await;
    // 60 KiB of the 64 KiB allowed, in three frames.
    let filler = "a".repeat(60 * 1024 - 80);
    let body = format!(r#"{{"display_name":"xyz","wa_number":"+13236550017","note":"{filler}"}}"#);
    let body = body.as_bytes();
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    let head = head(&format!("content-length: {}", body.len()), "close");
    stream.write_all(head.as_bytes()).await.unwrap();
    for piece in body.chunks(body.len() / 3 + 1) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        stream.write_all(piece).await.unwrap();
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{}", &text[..text.len().min(400)]);
}

#[tokio::test]
async fn a_full_store_answers_507_keeps_nothing_and_reset_empties_it() {
    let mut config = config();
    config.max_records = 2;
    let emulator = start(config).await;
    let body = |n: u32| format!(r#"{{"display_name":"a","wa_number":"+1323655{n:04}"}}"#);
    assert_eq!(post(&emulator, body(1).as_bytes()).await.0, 200);
    assert_eq!(post(&emulator, body(2).as_bytes()).await.0, 200);
    let (status, answer) = post(&emulator, body(3).as_bytes()).await;
    assert_eq!(status, 507);
    let envelope = ErrorEnvelope::from_slice(&answer).unwrap();
    assert_eq!(envelope.detail().code.as_str(), "E907");
    assert!(envelope.detail().message.contains("--max-records"), "{envelope:?}");
    // A duplicate is still told apart from a full store.
    assert_eq!(post(&emulator, body(1).as_bytes()).await.0, 409);
    assert_eq!(emulator.numbers().creations(), 2);
    assert!(emulator.numbers().get("+13236550003").is_none());
    emulator.reset();
    assert_eq!(post(&emulator, body(3).as_bytes()).await.0, 200);
}
