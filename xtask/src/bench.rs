//! `cargo xtask bench`: whole-process measurements of the release binary on this machine.
//!
//! Figures are wall time and peak resident memory (VmHWM, polled from /proc every 5 ms) of the
//! `kaleyra` process alone; the emulator runs as a separate process.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SID: &str = "HXBENCH071US";
const KEY: &str = "bench-key-0123456789";

struct Measured {
    wall: Duration,
    peak_kib: u64,
    status: i32,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let rows = flag(args, "--rows").unwrap_or(100_000);
    let memory_rows = flag(args, "--memory-rows").unwrap_or(1_000_000);
    let root = crate::workspace_root()?;
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "kaleyra-cli"])
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err("cargo build --release failed".to_owned());
    }
    let binary = root.join("target/release/kaleyra");
    let work = root.join("target/bench");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;

    let small = work.join(format!("valid-{rows}.csv"));
    let large = work.join(format!("valid-{memory_rows}.csv"));
    write_csv(&small, rows, 0)?;
    write_csv(&large, memory_rows, 2_000_000)?;

    let validate = measure(Command::new(&binary).arg("validate").arg(&large))?;
    let mut emulator = Emulator::start(&binary)?;
    let import = import_run(&binary, &emulator.base_url, &small)?;
    let import_large = import_run(&binary, &emulator.base_url, &large)?;
    emulator.stop();

    let mut doc = String::new();
    let _ = writeln!(doc, "# Benchmarks\n");
    let _ = writeln!(
        doc,
        "Written by `cargo xtask bench --rows {rows} --memory-rows {memory_rows}`; whole processes of the"
    );
    let _ = writeln!(
        doc,
        "release binary, wall time and peak resident memory (VmHWM) of the `kaleyra` process alone.\n"
    );
    let _ = writeln!(doc, "Machine: {}, {} cores.\n", cpu_model(), cores());
    let _ = writeln!(doc, "| measurement | rows | wall | rows/s | peak RSS |");
    let _ = writeln!(doc, "| --- | ---: | ---: | ---: | ---: |");
    for (name, count, m) in [
        ("`kaleyra validate` (offline, CSV)", memory_rows, &validate),
        (
            "`kaleyra number import`, journal on, concurrency 32, against `kaleyra emulator`",
            rows,
            &import,
        ),
        ("the same, large file (memory bound)", memory_rows, &import_large),
    ] {
        let _ = writeln!(
            doc,
            "| {name} | {count} | {:.2} s | {:.0} | {:.1} MiB |{}",
            m.wall.as_secs_f64(),
            count as f64 / m.wall.as_secs_f64(),
            m.peak_kib as f64 / 1024.0,
            if m.status == 0 { "" } else { " (exit code not 0)" }
        );
    }
    let _ = writeln!(
        doc,
        "\nTargets (issues 5 and 8): import memory at most 64 MiB for 1,000,000 rows; offline"
    );
    let _ = writeln!(
        doc,
        "validation 1,000,000 rows/s on 2 cores. Baselines measured side by side come with issue 8."
    );
    let path = root.join("docs/benchmarks.md");
    std::fs::write(&path, &doc).map_err(|e| format!("{}: {e}", path.display()))?;
    print!("{doc}");
    Ok(())
}

fn import_run(binary: &Path, base_url: &str, input: &Path) -> Result<Measured, String> {
    let journal = input.with_extension("journal");
    let reports = input.with_extension("reports");
    let _ = std::fs::remove_file(&journal);
    let _ = std::fs::remove_dir_all(&reports);
    let mut command = Command::new(binary);
    command
        .args(["number", "import", "-q", "--concurrency", "32", "--journal"])
        .arg(&journal)
        .arg("--report-dir")
        .arg(&reports)
        .arg(input)
        .env("KALEYRA_SID", SID)
        .env("KALEYRA_API_KEY", KEY)
        .env("KALEYRA_BASE_URL", base_url);
    measure(&mut command)
}

fn measure(command: &mut Command) -> Result<Measured, String> {
    let started = Instant::now();
    let mut child =
        command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().map_err(|e| e.to_string())?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(Measured {
                wall: started.elapsed(),
                peak_kib,
                status: status.code().unwrap_or(-1),
            });
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

struct Emulator {
    child: Child,
    base_url: String,
}

impl Emulator {
    fn start(binary: &Path) -> Result<Emulator, String> {
        let mut child = Command::new(binary)
            .args(["emulator", "--listen", "127.0.0.1:0"])
            .env("KALEYRA_SID", SID)
            .env("KALEYRA_API_KEY", KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
        let base_url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or(format!("unexpected: {line}"))?
            .to_owned();
        Ok(Emulator { child, base_url })
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_csv(path: &Path, rows: u64, offset: u64) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    let write = |out: &mut std::io::BufWriter<std::fs::File>| -> std::io::Result<()> {
        writeln!(out, "display_name,wa_number,business_category,contact_email,website")?;
        for n in offset..offset + rows {
            // 323-5XX-XXXX and 323-6XX-XXXX are valid US numbers.
            writeln!(
                out,
                "\"Shop {n}, Inc.\",+1323{},education,shop{n}@example.com,https://example.com/{n}",
                5_000_000 + n
            )?;
        }
        out.flush()
    };
    write(&mut out).map_err(|e| format!("{}: {e}", path.display()))
}

fn flag(args: &[String], name: &str) -> Option<u64> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.replace('_', "").parse().ok()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
