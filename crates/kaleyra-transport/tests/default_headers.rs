//! Default headers: on the wire with every request and in the dry run; never in place of the
//! headers the client sets itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kaleyra_model::AddNumberRequest;
use kaleyra_transport::{Client, ConfigError, RetryPolicy};
use kaleyra_validate::validate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SID: &str = "HX0TEST071US";
const KEY: &str = "hdr-secret-key-0123456789";

/// Accepts one connection, reads one request head and body, answers 409, returns the head.
async fn capture_one_request(listener: TcpListener) -> String {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buffer).await.unwrap();
        assert!(n > 0, "closed before the head");
        seen.extend_from_slice(&buffer[..n]);
    }
    let body = r#"{"error":{"message":"dup"},"code":"E409"}"#;
    let answer = format!(
        "HTTP/1.1 409 Conflict\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(answer.as_bytes()).await.unwrap();
    let text = String::from_utf8_lossy(&seen).into_owned();
    text.split("\r\n\r\n").next().unwrap().to_owned()
}

#[tokio::test]
async fn default_headers_go_with_every_request() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(capture_one_request(listener));
    let client = Client::builder(SID, KEY)
        .base_url(base)
        .retry_policy(RetryPolicy::never())
        .default_header("X-Tenant", "shop-42")
        .default_header("user-agent", "my-service/1.0")
        .build()
        .unwrap();
    let request = validate(&AddNumberRequest::new("Shop", "+13236550017")).unwrap();
    let _ = client.add_number(&request).await;
    let head = server.await.unwrap().to_ascii_lowercase();
    assert!(head.contains("\r\nx-tenant: shop-42"), "{head}");
    assert!(head.contains("\r\nuser-agent: my-service/1.0"), "{head}");
    assert_eq!(head.matches("user-agent:").count(), 1, "{head}");
    assert!(head.contains(&format!("\r\napi-key: {KEY}")), "{head}");
    // The dry run shows them too.
    let prepared = client.prepare(&request).to_string();
    assert!(prepared.contains("\nx-tenant: shop-42\n"), "{prepared}");
    assert_eq!(prepared.matches("host:").count(), 1, "{prepared}");
    assert!(!prepared.contains(KEY), "{prepared}");
}

#[test]
fn default_headers_may_not_replace_the_clients_own() {
    for (name, value, reason) in [
        ("api-key", "other", "the client sets it itself"),
        ("Content-Type", "text/plain", "the client sets it itself"),
        ("Host", "evil.example", "the client sets it itself"),
        ("bad header", "x", "not a header name"),
        ("x-ok", "line\nbreak", "not a header value"),
    ] {
        let error = Client::builder(SID, KEY).default_header(name, value).build().unwrap_err();
        let ConfigError::InvalidHeader { name: named, reason: said } = &error else {
            panic!("{error:?}")
        };
        assert_eq!((named.as_str(), *said), (name, reason));
        assert!(error.to_string().starts_with(&format!("header `{name}`")));
    }
}
