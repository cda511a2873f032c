//! `kaleyra emulator` as a process: the throttling and service-time flags take effect and are
//! announced; flags it cannot use are usage errors naming the flag.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn kaleyra() -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("kaleyra"));
    command.env_clear();
    command
}

/// Starts the emulator; returns the process, its address and the banner on stderr.
fn start(flags: &[&str]) -> (Child, String, String) {
    let mut child = kaleyra()
        .args(["emulator", "--listen", "127.0.0.1:0"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let authority = line.trim().trim_start_matches("listening on http://").to_owned();
    let mut banner = String::new();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    while !banner.contains("admin:") {
        if stderr.read_line(&mut banner).unwrap() == 0 {
            break;
        }
    }
    (child, authority, banner)
}

fn exchange(authority: &str, head: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(authority).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "{head}host: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn create(authority: &str, n: u32) -> String {
    let head = "POST /v1/HXXXXXXX071US/whatsapp/number HTTP/1.1\r\napi-key: Ac4XXXXX21f\r\ncontent-type: application/json\r\n";
    exchange(authority, head, &format!(r#"{{"display_name":"Shop","wa_number":"+1323655{n:04}"}}"#))
}

#[test]
fn rate_limit_burst_and_latency_flags_take_effect() {
    let (mut child, authority, banner) = start(&[
        "--rate-limit",
        "2/10s",
        "--burst",
        "2",
        "--latency",
        "20ms",
        "--max-in-flight",
        "8",
    ]);
    assert!(banner.contains("service time: 20ms (mean 20 ms)"), "{banner}");
    assert!(banner.contains("rate limit: 2/10s (burst 2)"), "{banner}");
    assert!(banner.contains("requests in flight: at most 8"), "{banner}");
    assert!(create(&authority, 1).starts_with("HTTP/1.1 200"));
    assert!(create(&authority, 2).starts_with("HTTP/1.1 200"));
    let throttled = create(&authority, 3);
    assert!(throttled.starts_with("HTTP/1.1 429"), "{throttled}");
    assert!(throttled.to_ascii_lowercase().contains("\r\nretry-after: 5\r\n"), "{throttled}");
    let limits = exchange(&authority, "GET /__emulator/limits HTTP/1.1\r\n", "");
    assert!(limits.ends_with(r#"{"rate_limit":"2/10s","burst":2,"max_in_flight":8}"#), "{limits}");
    let numbers = exchange(&authority, "GET /__emulator/numbers HTTP/1.1\r\n", "");
    assert!(numbers.contains(r#""received":3,"throttled":1,"#), "{numbers}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_kaleyra_preset_is_announced_and_flags_override_it() {
    let (mut child, _, banner) = start(&["--preset", "kaleyra", "--latency", "0"]);
    assert!(banner.contains("rate limit: 50000/5m (burst 167)"), "{banner}");
    assert!(!banner.contains("service time"), "{banner}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn unusable_throttling_flags_are_usage_errors() {
    for (flags, says) in [
        (&["--burst", "5"][..], "--burst needs a rate limit"),
        (&["--rate-limit", "fast"][..], "--rate-limit"),
        (&["--rate-limit", "0/s"][..], "--rate-limit"),
        (&["--latency", "p50=2s,p99=1s"][..], "--latency"),
        (&["--latency", "300"][..], "needs a unit"),
        (&["--max-in-flight", "0"][..], "--max-in-flight"),
        (&["--preset", "aws"][..], "--preset"),
    ] {
        let output =
            kaleyra().args(["emulator", "--listen", "127.0.0.1:0"]).args(flags).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
    }
}

#[test]
fn the_banner_is_one_json_line_with_o_json() {
    let mut child = kaleyra()
        .args(["emulator", "-o", "json", "--listen", "127.0.0.1:0", "--rate-limit", "50/s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let banner: serde_json::Value = serde_json::from_str(&line).unwrap();
    let base_url = banner["base_url"].as_str().unwrap().to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{banner}");
    assert_eq!(banner["admin"], format!("{base_url}/__emulator"));
    assert_eq!(banner["sid"], "HXXXXXXX071US");
    assert_eq!(banner["api_key"], "Ac4XXXXX21f", "the sandbox's key is public");
    assert_eq!((banner["rate_limit"].as_str(), banner["burst"].as_u64()), (Some("50/s"), Some(50)));
    assert!(banner["latency"].is_null() && banner["max_in_flight"].is_null(), "{banner}");
    // The address it names is the one it serves.
    let answer = create(base_url.trim_start_matches("http://"), 1);
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    child.kill().unwrap();
    child.wait().unwrap();
}
