//! `cargo xtask bench-ceiling` (and the end of `cargo xtask bench`): the import against an
//! emulator that answers and throttles like a busy vendor, as a fraction of what the server
//! allows at most. Writes its own section of `docs/benchmarks.md` and `docs/ceiling.svg`.
//!
//! - A, the ceiling: `--rate-limit 400/s`, service time p50 300 ms / p99 1.5 s, on three seeds.
//!   The limit is (rows - the bucket's burst) / rate; the best possible adds the service times
//!   the seed gives the last requests, which no client escapes. Beside it, `--concurrency 8`
//!   and a plain Python asyncio + aiohttp script with a semaphore of 32, on fewer rows (at
//!   their pace all the rows would take a quarter of an hour).
//! - B, latency only: `--max-in-flight 64`, the same service time; the limit is Little's law,
//!   64 requests / the mean service time, and the best possible starts each request the
//!   moment a slot is free.
//! - C, the rate limit halved mid-run through the admin endpoint, then restored: how soon the
//!   import follows each way, and the rate over time as an SVG.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bench::{KEY, SID, Server, admin, parse_counts, settle, write_csv};
use crate::doc_section::Section;
use kaleyra_emulator::Latency;

/// This task's section of `docs/benchmarks.md`.
pub const SECTION: Section = Section { start: "<!-- ceiling -->", end: "<!-- /ceiling -->" };

const LATENCY: &str = "p50=300ms,p99=1.5s";
const RATE: f64 = 400.0;
/// The emulator's default bucket: one second's worth.
const BURST: f64 = 400.0;
const IN_FLIGHT: f64 = 64.0;
/// The seeds A runs with. A's time ends with the slowest of the last answers, so a single
/// seed's tail weighs as much as the import: a client that used every token the moment it came
/// would be at 0.94 of the limit with seed 1 and at 0.97 with seed 3.
const A_SEEDS: [u64; 3] = [1, 2, 3];

const USAGE: &str = "cargo xtask bench-ceiling [--rows N] [--baseline-rows N]";

/// What one import did.
struct Run {
    seed: u64,
    wall: Duration,
    created: u64,
    lost: u64,
    requests: u64,
    throttled: u64,
}

impl Run {
    fn throttled_share(&self) -> f64 {
        if self.requests == 0 { 0.0 } else { self.throttled as f64 / self.requests as f64 }
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let (mut rows, mut baseline_rows) = (20_000u64, 2_000u64);
    if args.iter().any(|arg| arg == "-h" || arg == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    parse_counts(
        args,
        &mut [("--rows", &mut rows), ("--baseline-rows", &mut baseline_rows)],
        USAGE,
    )?;
    let root = crate::workspace_root()?;
    crate::cargo(&root, &["build", "--release", "-p", "kaleyra-cli"])?;
    let binary = root.join("target/release/kaleyra");
    let python = bench_venv(&root)?;
    let section = measure(&root, &binary, &python, rows, baseline_rows)?;
    SECTION.write(&root.join("docs/benchmarks.md"), &section)?;
    print!("{section}");
    Ok(())
}

/// Runs the three scenarios; returns the section for `docs/benchmarks.md`.
pub fn measure(
    root: &Path,
    binary: &Path,
    python: &Path,
    rows: u64,
    baseline_rows: u64,
) -> Result<String, String> {
    let work = root.join("target/bench");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let input = work.join(format!("ceiling-{rows}.csv"));
    let small = work.join(format!("ceiling-{baseline_rows}.csv"));
    write_csv(&input, rows, 3_000_000)?;
    write_csv(&small, baseline_rows, 3_500_000)?;
    let script = work.join("aiohttp_import.py");
    std::fs::write(&script, AIOHTTP_SCRIPT).map_err(|e| e.to_string())?;
    settle()?;

    let latency: Latency = LATENCY.parse()?;
    let mean_latency = latency.mean().as_secs_f64();
    let rate_limited = |seed: u64| {
        ["--rate-limit", "400/s", "--latency", LATENCY, "--seed", &seed.to_string()]
            .map(str::to_owned)
    };
    let limit_a = |rows: u64| Duration::from_secs_f64((rows as f64 - BURST).max(0.0) / RATE);
    let mut adaptive = Vec::new();
    for seed in A_SEEDS {
        let flags = rate_limited(seed);
        adaptive.push(with_emulator(binary, &flags, |url| import(binary, url, &input, &[], seed))?);
    }
    let seed_one = rate_limited(1);
    let fixed = with_emulator(binary, &seed_one, |url| {
        import(binary, url, &small, &["--concurrency", "8"], 1)
    })?;
    let aiohttp =
        with_emulator(binary, &seed_one, |url| python_import(python, &script, url, &small, 1))?;

    let latency_only =
        ["--max-in-flight", "64", "--latency", LATENCY, "--seed", "2"].map(str::to_owned);
    let limit_b = |rows: u64| Duration::from_secs_f64(rows as f64 * mean_latency / IN_FLIGHT);
    let b_rows = rows / 2;
    let input_b = work.join(format!("ceiling-{b_rows}.csv"));
    write_csv(&input_b, b_rows, 4_000_000)?;
    let latency_run =
        with_emulator(binary, &latency_only, |url| import(binary, url, &input_b, &[], 2))?;

    let (changes, samples, run_c) = scenario_c(binary, &work, &input)?;
    let svg = rate_svg(&samples, &changes);
    std::fs::write(root.join("docs/ceiling.svg"), svg).map_err(|e| e.to_string())?;
    let (lowered, raised) = follow_times(&samples, &changes);

    let best_a = |rows: u64, seed: u64| best_under_rate(&latency, rows, seed);
    let best_b = best_in_flight(&latency, b_rows, 2);
    let mut doc = String::new();
    let _ = writeln!(doc, "{}", SECTION.start);
    let _ = writeln!(doc, "## At the vendor's ceiling\n");
    let _ = writeln!(
        doc,
        "Written by `cargo xtask bench-ceiling --rows {rows} --baseline-rows {baseline_rows}` (also run by `cargo xtask bench`): the release `kaleyra` against `kaleyra emulator` with a service time of {LATENCY} (log-normal, mean {:.0} ms), drawn from the seed. \"Of the limit\" is the issue's measure: the time the server's limit leaves (A: (rows - burst) / rate; B: Little's law, 64 / the mean service time) divided by the time taken. \"Of the best possible\" divides by the least time any client can take against this seed's service times: the n-th request processed starts no sooner than the bucket allows and takes the seed's n-th service time, so the slowest of the last answers is in it.\n",
        mean_latency * 1000.0
    );
    let _ = writeln!(
        doc,
        "| scenario | client | seed | rows | time | of the limit | of the best possible | throttled | created | unknown or failed |"
    );
    let _ = writeln!(doc, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut line = |scenario: &str,
                    client: &str,
                    rows: u64,
                    run: &Run,
                    limit: Duration,
                    best: Option<Duration>| {
        let wall = run.wall.as_secs_f64();
        let best =
            best.map_or_else(|| "-".to_owned(), |best| format!("{:.3}", best.as_secs_f64() / wall));
        let _ = writeln!(
            doc,
            "| {scenario} | {client} | {} | {rows} | {wall:.1} s | {:.3} | {best} | {:.1} % | {} | {} |",
            run.seed,
            limit.as_secs_f64() / wall,
            100.0 * run.throttled_share(),
            run.created,
            run.lost
        );
    };
    // Each A run's best possible, worked out once for the table and the summary.
    let a_best: Vec<Duration> = adaptive.iter().map(|run| best_a(rows, run.seed)).collect();
    for (n, (run, best)) in adaptive.iter().zip(&a_best).enumerate() {
        let scenario = if n == 0 { "A: 400/s, burst 400" } else { "A" };
        line(scenario, "`kaleyra number import` (adaptive)", rows, run, limit_a(rows), Some(*best));
    }
    let best = best_a(baseline_rows, 1);
    line("A", "`--concurrency 8`", baseline_rows, &fixed, limit_a(baseline_rows), Some(best));
    line(
        "A",
        "Python asyncio + aiohttp, semaphore 32",
        baseline_rows,
        &aiohttp,
        limit_a(baseline_rows),
        Some(best),
    );
    line(
        "B: 64 in flight",
        "`kaleyra number import` (adaptive)",
        b_rows,
        &latency_run,
        limit_b(b_rows),
        Some(best_b),
    );
    let c_limit = Duration::from_secs_f64(
        (rows as f64 - BURST - C_LOW_AT * RATE - (C_HIGH_AT - C_LOW_AT) * RATE / 2.0) / RATE
            + C_HIGH_AT,
    );
    line(
        "C: 400/s, 200/s at 15 s, 400/s at 35 s",
        "`kaleyra number import` (adaptive)",
        rows,
        &run_c,
        c_limit,
        None,
    );
    let of_limit: Vec<f64> =
        adaptive.iter().map(|run| limit_a(rows).as_secs_f64() / run.wall.as_secs_f64()).collect();
    let of_best: Vec<f64> = adaptive
        .iter()
        .zip(&a_best)
        .map(|(run, best)| best.as_secs_f64() / run.wall.as_secs_f64())
        .collect();
    let best_of_limit: Vec<f64> =
        a_best.iter().map(|best| limit_a(rows).as_secs_f64() / best.as_secs_f64()).collect();
    let _ = writeln!(
        doc,
        "\nA over its seeds: the import at {} of the limit (median) and {} of the best possible (median; lowest {}). The best possible itself is at {} of the limit for seeds {}: what the seed's last service times take, no client gets back.\n",
        format_args!("{:.3}", median(&of_limit)),
        format_args!("{:.3}", median(&of_best)),
        format_args!("{:.3}", of_best.iter().copied().fold(f64::INFINITY, f64::min)),
        best_of_limit.iter().map(|f| format!("{f:.3}")).collect::<Vec<_>>().join(", "),
        A_SEEDS.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
    );
    // Computed, not run: how the best possible spreads over many seeds' service times.
    let mut spread: Vec<f64> = (1..=100)
        .map(|seed| limit_a(rows).as_secs_f64() / best_a(rows, seed).as_secs_f64())
        .collect();
    spread.sort_by(f64::total_cmp);
    let _ = writeln!(
        doc,
        "Over seeds 1 to 100 (computed from their service times, not run), the best possible is at {:.3} of the limit (median), from {:.3} to {:.3}.\n",
        median(&spread),
        spread.first().copied().unwrap_or(f64::NAN),
        spread.last().copied().unwrap_or(f64::NAN),
    );
    let _ = writeln!(
        doc,
        "B's best possible (every request started the moment a slot is free) is at {:.3} of Little's law on its seed: the service times of the last requests again.\n",
        limit_b(b_rows).as_secs_f64() / best_b.as_secs_f64(),
    );
    let _ = writeln!(
        doc,
        "Targets: A at least 0.95 of the limit with at most 2 % throttled and nothing lost; B at least 0.90. In C the import's rate (created per second, over 1 s) came within 10 % of the new limit {} after it was halved (down to 110 %) and {} after it was restored (up to 90 %):\n\n![created per second over time, and the limit](ceiling.svg)\n",
        seconds_or_never(lowered),
        seconds_or_never(raised)
    );
    let _ = writeln!(
        doc,
        "Published and assumed: the 50,000 requests per 5 minutes of `--preset kaleyra` is Kaleyra's published figure (about 167/s); 400/s here is faster so that a run is short. The service time and the bucket's size are assumptions (`spec/kaleyra.toml`, `vendor-pace`)."
    );
    let _ = writeln!(doc, "{}", SECTION.end);
    Ok(doc)
}

/// The least time any client can take for `rows` requests against scenario A's bucket: the
/// n-th request processed (from 0) starts no sooner than the bucket holds n + 1 tokens, and the
/// emulator gives it the seed's n-th service time.
fn best_under_rate(latency: &Latency, rows: u64, seed: u64) -> Duration {
    let rows = usize::try_from(rows).unwrap_or(usize::MAX);
    let end = latency
        .service_times(seed)
        .take(rows)
        .enumerate()
        .map(|(n, service)| (n as f64 + 1.0 - BURST).max(0.0) / RATE + service.as_secs_f64())
        .fold(0.0, f64::max);
    Duration::from_secs_f64(end)
}

/// The least time any client can take for `rows` requests against scenario B's cap: each
/// request starts as soon as fewer than [`IN_FLIGHT`] are in flight (no start can be earlier,
/// and an earlier start never delays a later one) and takes the seed's next service time.
fn best_in_flight(latency: &Latency, rows: u64, seed: u64) -> Duration {
    let slots = IN_FLIGHT as usize;
    // When each slot is next free, in nanoseconds: a min-heap of them.
    let mut free = std::collections::BinaryHeap::from(vec![std::cmp::Reverse(0u128); slots]);
    let mut end = 0;
    let rows = usize::try_from(rows).unwrap_or(usize::MAX);
    for service in latency.service_times(seed).take(rows) {
        let std::cmp::Reverse(start) = free.pop().unwrap_or(std::cmp::Reverse(0));
        let done = start + service.as_nanos();
        end = end.max(done);
        free.push(std::cmp::Reverse(done));
    }
    Duration::from_nanos(u64::try_from(end).unwrap_or(u64::MAX))
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn seconds_or_never(time: Option<Duration>) -> String {
    time.map_or_else(|| "not within the run".to_owned(), |t| format!("{:.1} s", t.as_secs_f64()))
}

/// An emulator with `flags` for the length of `work`.
fn with_emulator<T>(
    binary: &Path,
    flags: &[impl AsRef<std::ffi::OsStr>],
    work: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
    let mut server = Server::start(
        Command::new(binary).args(["emulator", "--listen", "127.0.0.1:0"]).args(flags),
    )?;
    let result = work(&server.url.clone());
    server.stop();
    result
}

fn import(
    binary: &Path,
    url: &str,
    input: &Path,
    flags: &[&str],
    seed: u64,
) -> Result<Run, String> {
    let (journal, reports) = (input.with_extension("journal"), input.with_extension("reports"));
    let _ = std::fs::remove_file(&journal);
    let _ = std::fs::remove_dir_all(&reports);
    let started = Instant::now();
    let output = Command::new(binary)
        .args(["number", "import", "-q", "-o", "json"])
        .args(flags)
        .arg("--journal")
        .arg(&journal)
        .arg("--report-dir")
        .arg(&reports)
        .arg(input)
        .env("KALEYRA_SID", SID)
        .env("KALEYRA_API_KEY", KEY)
        .env("KALEYRA_BASE_URL", url)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| e.to_string())?;
    let wall = started.elapsed();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("import output: {e}: {}", String::from_utf8_lossy(&output.stdout)))?;
    let number = |path: &[&str]| {
        path.iter().try_fold(&json, |value, key| value.get(key)).and_then(|v| v.as_u64())
    };
    Ok(Run {
        seed,
        wall,
        created: number(&["reports", "created"]).unwrap_or(0),
        lost: number(&["reports", "unknown"]).unwrap_or(0)
            + number(&["reports", "failed"]).unwrap_or(0),
        requests: number(&["pace", "requests"]).unwrap_or(0),
        throttled: number(&["pace", "throttled"]).unwrap_or(0),
    })
}

fn python_import(
    python: &Path,
    script: &Path,
    url: &str,
    input: &Path,
    seed: u64,
) -> Result<Run, String> {
    let started = Instant::now();
    let output = Command::new(python)
        .arg(script)
        .args([url, &input.display().to_string(), SID, KEY, "32"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    let wall = started.elapsed();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("aiohttp script: {e}: {}", String::from_utf8_lossy(&output.stdout)))?;
    let number = |key: &str| json.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
    Ok(Run {
        seed,
        wall,
        created: number("created"),
        lost: number("failed"),
        requests: number("requests"),
        throttled: number("throttled"),
    })
}

/// Scenario C's limit changes, seconds from the start of the import.
const C_LOW_AT: f64 = 15.0;
const C_HIGH_AT: f64 = 35.0;

/// One reading of the emulator's listing: seconds since the start, numbers created.
type Sample = (f64, u64);
/// When the limit changed (seconds since the start) and to what (requests per second).
type Change = (f64, f64);

/// Scenario C: the import while the limit goes 400/s → 200/s → 400/s. Returns the changes
/// (time, new limit), the readings, and the run.
fn scenario_c(
    binary: &Path,
    work: &Path,
    source: &Path,
) -> Result<(Vec<Change>, Vec<Sample>, Run), String> {
    // A copy: its journal and reports are its own.
    let input = work.join("ceiling-c.csv");
    std::fs::copy(source, &input).map_err(|e| e.to_string())?;
    let flags = ["--rate-limit", "400/s", "--latency", LATENCY, "--seed", "3"];
    with_emulator(binary, &flags, |url| {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let done = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let sampler = {
            let (samples, done, url) = (samples.clone(), done.clone(), url.to_owned());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    if let Ok(created) = created_so_far(&url) {
                        let mut samples = samples.lock().unwrap_or_else(|e| e.into_inner());
                        samples.push((started.elapsed().as_secs_f64(), created));
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
            })
        };
        let changer = {
            let (done, url) = (done.clone(), url.to_owned());
            std::thread::spawn(move || {
                let mut changes = Vec::new();
                for (at, limit) in [(C_LOW_AT, 200.0), (C_HIGH_AT, 400.0)] {
                    while started.elapsed().as_secs_f64() < at {
                        if done.load(Ordering::Relaxed) {
                            return changes;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    let body = format!(r#"{{"rate_limit":"{limit}/s"}}"#);
                    if admin(&url, "PUT", "/__emulator/limits", &body).is_ok() {
                        changes.push((started.elapsed().as_secs_f64(), limit));
                    }
                }
                changes
            })
        };
        let run = import(binary, url, &input, &[], 3);
        done.store(true, Ordering::Relaxed);
        let _ = sampler.join();
        let changes = changer.join().map_err(|_| "the limit changer panicked")?;
        let samples = samples.lock().map_err(|_| "samples poisoned")?.clone();
        Ok((changes, samples, run?))
    })
}

fn created_so_far(url: &str) -> Result<u64, String> {
    let body = admin(url, "GET", "/__emulator/numbers?limit=1", "")?;
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    json.get("total_numbers").and_then(|v| v.as_u64()).ok_or("no total_numbers".to_owned())
}

/// Created per second over the second ending at each reading.
fn rates(samples: &[Sample]) -> Vec<(f64, f64)> {
    samples
        .iter()
        .filter_map(|&(t, created)| {
            let earlier = samples.iter().rev().find(|(s, _)| *s <= t - 1.0)?;
            Some((t, (created - earlier.1) as f64 / (t - earlier.0)))
        })
        .collect()
}

/// How long after each change the rate came within 10 % of the new limit: down to 110 % of
/// a lowered one, up to 90 % of a raised one. A rate may cross the band between two readings
/// (a raised limit starts with a full bucket, which the import may spend above the limit).
fn follow_times(samples: &[Sample], changes: &[Change]) -> (Option<Duration>, Option<Duration>) {
    let rates = rates(samples);
    let follow = |index: usize| {
        let &(at, limit) = changes.get(index)?;
        let before = index.checked_sub(1).and_then(|i| changes.get(i)).map_or(RATE, |c| c.1);
        let until = changes.get(index + 1).map_or(f64::INFINITY, |c| c.0);
        let reached = |rate: f64| {
            if limit < before { rate <= 1.1 * limit } else { rate >= 0.9 * limit }
        };
        rates
            .iter()
            .find(|(t, rate)| *t > at && *t < until && reached(*rate))
            .map(|(t, _)| Duration::from_secs_f64(t - at))
    };
    (follow(0), follow(1))
}

/// The rate over time and the limit, as a small SVG.
fn rate_svg(samples: &[Sample], changes: &[Change]) -> String {
    let rates = rates(samples);
    let end = rates.last().map_or(60.0, |r| r.0).max(1.0);
    let (width, height, left, bottom, top) = (640.0, 240.0, 48.0, 28.0, 12.0);
    let x = |t: f64| left + (width - left - 10.0) * t / end;
    let y = |rate: f64| height - bottom - (height - bottom - top) * rate / 500.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for rate in [0.0, 100.0, 200.0, 300.0, 400.0, 500.0] {
        let (right, level, label_x) = (width - 10.0, y(rate), left - 4.0);
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{right}\" y1=\"{level:.1}\" y2=\"{level:.1}\" stroke=\"#ddd\"/><text x=\"{label_x}\" y=\"{:.1}\" text-anchor=\"end\">{rate}</text>",
            level + 4.0
        );
    }
    let mut t = 0.0;
    while t <= end {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{t:.0} s</text>",
            x(t),
            height - 10.0
        );
        t += 10.0;
    }
    // The limit, a step line.
    let mut limit_points = format!("{:.1},{:.1}", x(0.0), y(RATE));
    let mut current = RATE;
    for &(at, limit) in changes {
        let _ =
            write!(limit_points, " {:.1},{:.1} {:.1},{:.1}", x(at), y(current), x(at), y(limit));
        current = limit;
    }
    let _ = write!(limit_points, " {:.1},{:.1}", x(end), y(current));
    let _ = writeln!(
        svg,
        "<polyline points=\"{limit_points}\" fill=\"none\" stroke=\"#d62728\" stroke-dasharray=\"5,3\"/>"
    );
    let points: Vec<String> =
        rates.iter().map(|(t, r)| format!("{:.1},{:.1}", x(*t), y(*r))).collect();
    let _ = writeln!(
        svg,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>",
        points.join(" ")
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\">created per second (blue), the emulator's limit (red)</text>",
        left + 6.0,
        top + 10.0
    );
    svg.push_str("</svg>\n");
    svg
}

/// A venv under `target/` with aiohttp, for the Python baseline.
pub fn bench_venv(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join("target/bench-venv");
    let python = venv.join("bin/python");
    let has_aiohttp = |python: &Path| {
        Command::new(python)
            .args(["-c", "import aiohttp"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has_aiohttp(&python) {
        run_tool(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run_tool(Command::new(&python).args(["-m", "pip", "install", "-q", "aiohttp"]))?;
    }
    Ok(python)
}

fn run_tool(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("{command:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{command:?} failed")) }
}

/// What a user would write instead of the importer: every row at once behind a semaphore,
/// each 429 waited out (its `Retry-After`) and sent again.
const AIOHTTP_SCRIPT: &str = r#"import asyncio, csv, json, sys, time
import aiohttp

async def main(url, path, sid, key, concurrency):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    semaphore = asyncio.Semaphore(concurrency)
    stats = {"created": 0, "failed": 0, "throttled": 0, "requests": 0}
    endpoint = f"{url}/v1/{sid}/whatsapp/number"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def send(row):
            body = {k: v for k, v in row.items() if v}
            async with semaphore:
                while True:
                    stats["requests"] += 1
                    async with session.post(endpoint, json=body, headers={"api-key": key}) as response:
                        await response.read()
                        if response.status == 429:
                            stats["throttled"] += 1
                            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                            continue
                        stats["created" if response.status == 200 else "failed"] += 1
                        return
        await asyncio.gather(*(send(row) for row in rows))
    print(json.dumps(stats))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_possible_is_the_limit_plus_what_the_last_requests_take() {
        let rows = 2_000;
        let limit = (rows as f64 - BURST) / RATE;
        let none = best_under_rate(&Latency::None, rows, 1).as_secs_f64();
        assert!((none - limit).abs() < 1e-9, "{none} != {limit}");
        let fixed = Latency::fixed(Duration::from_millis(300));
        let fixed = best_under_rate(&fixed, rows, 1).as_secs_f64();
        assert!((fixed - limit - 0.3).abs() < 1e-9, "{fixed}");
        // Log-normal: at least the last request's own service time on top of the limit, and
        // the seed decides how much.
        let latency: Latency = LATENCY.parse().unwrap();
        let last = latency.service_times(1).nth(rows as usize - 1).unwrap().as_secs_f64();
        assert!(best_under_rate(&latency, rows, 1).as_secs_f64() >= limit + last);
    }

    #[test]
    fn the_best_possible_under_a_cap_is_little_s_law_plus_the_tail() {
        // A fixed service time: full rounds of 64, each 300 ms.
        let fixed = Latency::fixed(Duration::from_millis(300));
        assert_eq!(best_in_flight(&fixed, 640, 1), Duration::from_millis(3000));
        assert_eq!(best_in_flight(&fixed, 641, 1), Duration::from_millis(3300));
        // Log-normal: never under Little's law for the draws themselves.
        let latency: Latency = LATENCY.parse().unwrap();
        let total: Duration = latency.service_times(2).take(10_000).sum();
        assert!(best_in_flight(&latency, 10_000, 2) >= total / 64);
    }

    #[test]
    fn following_a_change_is_reaching_the_new_limit_from_the_side_it_was_on() {
        // 400/s, halved at 2 s, restored at 6 s; readings every half second of the count
        // created so far: 210/s from 4.5 s, then over the band in one reading (225, then
        // 470/s, as a full bucket allows).
        let mut samples = Vec::new();
        let mut created = 0;
        for step in 0..20u64 {
            let t = step as f64 * 0.5;
            samples.push((t, created));
            created += match t {
                t if t < 3.5 => 200,
                t if t < 6.5 => 105,
                t if t < 7.0 => 120,
                _ => 350,
            };
        }
        let changes = [(2.0, 200.0), (6.0, 400.0)];
        let (down, up) = follow_times(&samples, &changes);
        assert_eq!(down, Some(Duration::from_secs_f64(2.5)));
        assert_eq!(up, Some(Duration::from_secs_f64(1.5)));
    }

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
