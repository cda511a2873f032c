//! Request bytes → the emulator, over loopback: never a panic, never a hang, and the emulator
//! keeps answering.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Target {
    runtime: tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let emulator = runtime.block_on(async {
            kaleyra_emulator::Emulator::new(kaleyra_emulator::EmulatorConfig::sandbox())
                .bind("127.0.0.1:0".parse().unwrap())
                .await
                .unwrap()
        });
        let addr = emulator.local_addr();
        std::mem::forget(emulator); // serve for the whole fuzzing run
        Target { runtime, addr }
    })
}

fuzz_target!(|data: &[u8]| {
    let target = target();
    target.runtime.block_on(async {
        let mut stream = tokio::net::TcpStream::connect(target.addr).await.unwrap();
        let _ = stream.write_all(data).await;
        let _ = stream.shutdown().await;
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the emulator hung on {data:?}");
        // And a well-formed request is still answered.
        let mut probe = tokio::net::TcpStream::connect(target.addr).await.unwrap();
        probe
            .write_all(b"GET /__emulator/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut health = Vec::new();
        probe.read_to_end(&mut health).await.unwrap();
        assert!(health.starts_with(b"HTTP/1.1 200"));
    });
});
