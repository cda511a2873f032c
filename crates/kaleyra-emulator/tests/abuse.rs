//! The emulator under abuse: each attack gets a clear 4xx or a closed connection, and the server
//! keeps serving other clients throughout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use kaleyra_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use kaleyra_model::ApiKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SID: &str = "HX0ABUSE";
const KEY: &str = "abuse-key";

async fn start(config: EmulatorConfig) -> RunningEmulator {
    Emulator::new(config).bind("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn config() -> EmulatorConfig {
    let mut config = EmulatorConfig::new(SID, ApiKey::new(KEY));
    config.header_read_timeout = Duration::from_millis(500);
    config.body_read_timeout = Duration::from_millis(500);
    config
}

fn head(length: usize, extra: &str) -> String {
    format!(
        "POST /v1/{SID}/whatsapp/number HTTP/1.1\r\nhost: x\r\napi-key: {KEY}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\nconnection: close\r\n{extra}\r\n"
    )
}

/// Sends raw bytes, returns the status line's code (0 when the connection closed unanswered).
async fn exchange(emulator: &RunningEmulator, bytes: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    // The server may answer and close before everything is written: that is allowed.
    let _ = stream.write_all(bytes).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    (text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0), text)
}

/// A well-behaved client is still served.
async fn still_serving(emulator: &RunningEmulator, n: u32) {
    let body = format!(r#"{{"display_name":"ok","wa_number":"+1323655{n:04}"}}"#);
    let mut bytes = head(body.len(), "").into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    let (status, text) = exchange(emulator, &bytes).await;
    assert_eq!(status, 200, "{text}");
}

#[tokio::test]
async fn a_10_mb_body_gets_413() {
    let emulator = start(config()).await;
    let body = vec![b'a'; 10 * 1024 * 1024];
    let mut bytes = head(body.len(), "").into_bytes();
    bytes.extend_from_slice(&body);
    let (status, text) = exchange(&emulator, &bytes).await;
    assert_eq!(status, 413, "{}", &text[..text.len().min(300)]);
    still_serving(&emulator, 1).await;
}

#[tokio::test]
async fn invalid_utf8_deep_nesting_and_edge_values_get_400() {
    // Room for the 200 kB of brackets: the parser, not the size limit, must refuse them.
    let mut config = config();
    config.max_body_bytes = 1024 * 1024;
    let emulator = start(config).await;
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let bodies: Vec<Vec<u8>> = vec![
        b"{\"display_name\":\"\xff\xfe\",\"wa_number\":\"+13236550017\"}".to_vec(),
        deep.into_bytes(),
        format!("{{\"display_name\":{}}}", "{\"a\":".repeat(50_000)).into_bytes(),
        br#"{"display_name":1e999,"wa_number":"+13236550017"}"#.to_vec(),
        br#"{"display_name":18446744073709551616,"wa_number":"+13236550017"}"#.to_vec(),
        br#"{"display_name":"x","wa_number":"+13236550017","address":"\ud800"}"#.to_vec(),
        format!(r#"{{"display_name":"{}","wa_number":"+13236550017"}}"#, "x".repeat(60_000))
            .into_bytes(),
    ];
    for body in bodies {
        let mut bytes = head(body.len(), "").into_bytes();
        bytes.extend_from_slice(&body);
        let (status, text) = exchange(&emulator, &bytes).await;
        assert_eq!(status, 400, "{}", &text[..text.len().min(400)]);
        assert!(text.contains("\"code\":\"E9") || text.contains("\"code\":\"E947\""), "{text}");
    }
    still_serving(&emulator, 2).await;
}

#[tokio::test]
async fn ten_thousand_headers_are_refused() {
    let emulator = start(config()).await;
    let many: String = (0..10_000).map(|i| format!("x-h{i}: v\r\n")).collect();
    let (status, _) = exchange(&emulator, head(2, &many).as_bytes()).await;
    assert!(status == 431 || status == 0, "status {status}");
    still_serving(&emulator, 3).await;
}

#[tokio::test]
async fn slowloris_is_cut_off_while_others_are_served() {
    let emulator = start(config()).await;
    let mut slow = TcpStream::connect(emulator.local_addr()).await.unwrap();
    let request = head(2, "");
    let started = std::time::Instant::now();
    let (mut cut, mut served) = (false, false);
    // One byte every 100 ms: the head is never complete within the 500 ms allowed.
    for byte in request.as_bytes().iter().take(40) {
        if slow.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if !served && started.elapsed() > Duration::from_millis(300) {
            still_serving(&emulator, 4).await;
            served = true;
        }
        let mut probe = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            cut = true;
            break;
        }
    }
    assert!(cut, "the slow client was never cut off");
}

#[tokio::test]
async fn thousands_of_idle_connections_do_not_stop_the_service() {
    let emulator = start(config()).await;
    let mut idle = Vec::new();
    for _ in 0..2_000 {
        match TcpStream::connect(emulator.local_addr()).await {
            Ok(stream) => idle.push(stream),
            Err(_) => break, // out of file descriptors here: enough
        }
    }
    assert!(idle.len() >= 500, "only {} connections", idle.len());
    // Over the connection limit, new clients wait until idle ones time out, then are served.
    tokio::time::timeout(Duration::from_secs(15), still_serving(&emulator, 5)).await.unwrap();
    drop(idle);
    still_serving(&emulator, 6).await;
}

/// Writes `bytes`, closes the writing half, and reads until the server closes.
async fn send_then_half_close(emulator: &RunningEmulator, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    answer
}

#[tokio::test]
async fn half_closed_connections_are_answered_or_closed() {
    let emulator = start(config()).await;
    let body = r#"{"display_name":"half","wa_number":"+13236550077"}"#;
    let mut request = head(body.len(), "").into_bytes();
    request.extend_from_slice(body.as_bytes());
    let answer = send_then_half_close(&emulator, &request).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 200"), "{text}");
    let created = emulator.numbers().creations();
    // Half of a request, then half-closed: closed without an answer, nothing created.
    let answer = send_then_half_close(&emulator, &head(100, "").as_bytes()[..40]).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(emulator.numbers().creations(), created);
    still_serving(&emulator, 8).await;
}

/// HTTP/2 connections that open no stream but answer every ping (hyper's client does) would
/// keep their slots as long as they like: every slot taken, new clients are served once the
/// idle ones are let go, and idle ones go by themselves after the head's deadline.
#[tokio::test]
async fn idle_http2_connections_answering_pings_do_not_lock_clients_out() {
    let mut config = config();
    config.max_connections = 4;
    config.header_read_timeout = Duration::from_secs(2);
    let emulator = start(config).await;
    let mut drivers = Vec::new();
    for _ in 0..4 {
        let stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
        let (sender, connection) =
            hyper::client::conn::http2::handshake::<_, _, http_body_util::Empty<bytes::Bytes>>(
                hyper_util::rt::TokioExecutor::new(),
                hyper_util::rt::TokioIo::new(stream),
            )
            .await
            .unwrap();
        drivers.push((sender, tokio::spawn(connection)));
    }
    // Every slot is held by an idle connection: a new client is still served, at once.
    tokio::time::timeout(Duration::from_secs(1), still_serving(&emulator, 1)).await.unwrap();
    // And every idle connection ends by itself.
    for (_sender, driver) in drivers {
        let ended = tokio::time::timeout(Duration::from_secs(10), driver).await;
        assert!(ended.is_ok(), "an idle HTTP/2 connection was kept");
    }
}

/// A client that asks for a large answer and never reads it holds its slot only for a while.
#[tokio::test]
async fn a_client_that_stops_reading_its_answer_lets_go_of_its_slot() {
    let mut config = config();
    config.max_connections = 1;
    config.header_read_timeout = Duration::from_millis(500);
    config.reject_duplicates = false;
    let emulator = start(config).await;
    // Enough records for a listing (about 6 MB) far larger than the sockets' buffers.
    let (address, description) = ("a".repeat(250), "d".repeat(250));
    for n in 0..5_000 {
        let body = format!(
            r#"{{"display_name":"ok","wa_number":"+1323655{n:04}","address":"{address}","business_description":"{description}"}}"#
        );
        let mut bytes = head(body.len(), "").into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        assert_eq!(exchange(&emulator, &bytes).await.0, 200);
    }
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stuck = socket.connect(emulator.local_addr()).await.unwrap();
    stuck.write_all(b"GET /__emulator/numbers HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    // Never read: the answer fills both sockets' buffers and stops.
    tokio::time::sleep(Duration::from_millis(200)).await;
    tokio::time::timeout(Duration::from_secs(10), still_serving(&emulator, 9_999)).await.unwrap();
    drop(stuck);
}
