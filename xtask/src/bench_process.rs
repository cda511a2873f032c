//! Measuring a whole process: wall time and peak resident memory (VmHWM, polled from /proc).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Measured {
    pub wall: Duration,
    pub peak_kib: u64,
}

pub fn measure(command: &mut Command) -> Result<Measured, String> {
    let started = Instant::now();
    let mut child =
        command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().map_err(|e| e.to_string())?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            return Ok(Measured { wall: started.elapsed(), peak_kib });
        }
        let kib = std::fs::read_to_string(&status_path).ok().and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
        peak_kib = peak_kib.max(kib.unwrap_or(0));
        std::thread::sleep(Duration::from_millis(5));
    }
}
