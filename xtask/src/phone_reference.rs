//! `cargo xtask phone-reference [--python PATH] [--count N] [--seed N] [--write]`: kaleyra-phone's
//! verdicts against the reference itself, Google's libphonenumber as the PyPI package
//! `phonenumbers` has it, on every example number of the metadata and on mutations of them
//! (digits replaced, inserted, dropped, appended; a national prefix kept after the country code;
//! another country code in front). Fails on any disagreement in verdict or region; `--write`
//! records the figures in `docs/benchmarks.md`.
//!
//! Also `update_metadata`, behind `cargo xtask codegen --update-phone`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::doc_section::Section;
use crate::phone_tables::Metadata;

const METADATA: &str = "crates/kaleyra-phone/metadata.json";
/// This task's section of `docs/benchmarks.md`.
pub const SECTION: Section =
    Section { start: "<!-- phone-reference -->", end: "<!-- /phone-reference -->" };

pub fn run(args: &[String]) -> Result<(), String> {
    let root = crate::workspace_root()?;
    let mut python = root.join("target/ci-venv/bin/python").display().to_string();
    let mut count = 150_000usize;
    let mut seed = 20_261_205u64;
    let mut write = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--python" => python = value()?,
            "--count" => count = value()?.parse().map_err(|e| format!("--count: {e}"))?,
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--write" => write = true,
            other => return Err(format!("phone-reference: unknown argument `{other}`")),
        }
    }
    let metadata = Metadata::read(&root.join(METADATA))?;
    let script = root.join("xtask/phone/reference.py");
    let version = python_output(&python, &script, &["--version"], "")?;
    if version.trim() != metadata.version {
        return Err(format!(
            "{python} has phonenumbers {}, the tables are generated from {}: pip install phonenumbers=={}",
            version.trim(),
            metadata.version,
            metadata.version
        ));
    }

    let numbers = numbers(&metadata, count, seed);
    let input: String = numbers.iter().map(|n| format!("{n}\n")).collect();
    let output = python_output(&python, &script, &[], &input)?;
    let theirs: Vec<&str> = output.lines().collect();
    if theirs.len() != numbers.len() {
        return Err(format!("{} verdicts for {} numbers", theirs.len(), numbers.len()));
    }

    let mut report = Report::default();
    for (number, reference) in numbers.iter().zip(theirs) {
        let ours = match kaleyra_phone::check(number) {
            Ok(n) => n.region().unwrap_or("001"),
            Err(_) => "-",
        };
        report.count(number, ours, reference);
    }
    println!("{}", report.summary(&metadata.version));
    for line in report.disagreements.iter().take(30) {
        println!("  {line}");
    }
    if write {
        SECTION
            .write(&root.join("docs/benchmarks.md"), &report.section(&metadata.version, seed))?;
    }
    if report.disagreements.is_empty() {
        Ok(())
    } else {
        Err(format!("{} disagreements with the reference", report.disagreements.len()))
    }
}

#[derive(Default)]
struct Report {
    total: usize,
    valid: usize,
    /// Valid for the library alone, longer than E.164 allows.
    too_long: usize,
    disagreements: Vec<String>,
}

impl Report {
    fn count(&mut self, number: &str, ours: &str, reference: &str) {
        self.total += 1;
        let reference = match reference {
            "-15" => {
                self.too_long += 1;
                "-"
            }
            other => other,
        };
        if reference != "-" {
            self.valid += 1;
        }
        if ours != reference {
            self.disagreements.push(format!("{number}: ours {ours}, reference {reference}"));
        }
    }

    fn agreeing(&self) -> usize {
        self.total - self.disagreements.len()
    }

    fn summary(&self, version: &str) -> String {
        format!(
            "phonenumbers {version}: {} of {} numbers agree in verdict and region ({} valid; {} \
             valid for the library alone but longer than 15 digits)",
            self.agreeing(),
            self.total,
            self.valid,
            self.too_long
        )
    }

    fn section(&self, version: &str, seed: u64) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", SECTION.start);
        let _ = writeln!(
            out,
            "## Phone verdicts against the reference\n\nWritten by `cargo xtask phone-reference --write` \
             (seed {seed}): `kaleyra-phone` against Google's libphonenumber as the PyPI package \
             `phonenumbers` {version} has it, on every example number of the metadata and mutations \
             of them.\n\n| numbers | same verdict and region | valid | valid for the library alone, \
             longer than 15 digits |\n| ---: | ---: | ---: | ---: |\n| {} | {} ({:.3} %) | {} | {} |",
            self.total,
            self.agreeing(),
            100.0 * self.agreeing() as f64 / self.total.max(1) as f64,
            self.valid,
            self.too_long
        );
        let _ = writeln!(out, "{}", SECTION.end);
        out
    }
}

fn python_output(
    python: &str,
    script: &Path,
    args: &[&str],
    input: &str,
) -> Result<String, String> {
    let mut child = Command::new(python)
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{python}: {e} (the CI venv: python3 -m venv target/ci-venv)"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    writer.join().map_err(|_| "writer panicked")?.map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("{python} {}: {}", script.display(), output.status));
    }
    String::from_utf8(output.stdout).map_err(|e| e.to_string())
}

/// Every example as it is and with each national prefix kept after the country code, then
/// random mutations of examples up to `count` numbers in all, the same for the same seed.
fn numbers(metadata: &Metadata, count: usize, seed: u64) -> Vec<String> {
    let mut examples = Vec::new();
    for code in &metadata.codes {
        for region in &code.regions {
            for example in region.examples() {
                examples.push((code.code, example.to_owned(), region.national_prefix.clone()));
            }
        }
    }
    let codes: Vec<u16> = metadata.codes.iter().map(|c| c.code).collect();
    let mut out = Vec::with_capacity(count);
    for (code, example, national_prefix) in &examples {
        out.push(format!("+{code}{example}"));
        for prefix in national_prefix.iter().map(String::as_str).chain(["0", "8", "1"]) {
            out.push(format!("+{code}{prefix}{example}"));
        }
    }
    let mut rng = SplitMix(seed);
    while out.len() < count {
        let (code, example, national_prefix) = &examples[rng.below(examples.len())];
        let mut national: Vec<u8> = example.bytes().collect();
        let mut code = *code;
        let digit = |rng: &mut SplitMix| b'0' + rng.below(10) as u8;
        match rng.below(10) {
            0 | 1 => {}
            2 | 3 => {
                let i = rng.below(national.len().max(1));
                if let Some(d) = national.get_mut(i) {
                    *d = digit(&mut rng);
                }
            }
            4 => {
                let i = rng.below(national.len() + 1);
                national.insert(i, digit(&mut rng));
            }
            5 if !national.is_empty() => {
                national.remove(rng.below(national.len()));
            }
            6 => national.truncate(rng.below(national.len() + 1)),
            7 => {
                for _ in 0..=rng.below(3) {
                    national.push(digit(&mut rng));
                }
            }
            8 => {
                let prefixes = ["0", "00", "1", "8", "9", national_prefix.as_deref().unwrap_or("")];
                let prefix = prefixes[rng.below(prefixes.len())];
                national.splice(0..0, prefix.bytes());
            }
            _ => code = codes[rng.below(codes.len())],
        }
        out.push(format!("+{code}{}", String::from_utf8_lossy(&national)));
    }
    out
}

/// A small, seeded generator (SplitMix64): the same numbers on every machine.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Installs the newest `phonenumbers` in `target/phone-venv` and dumps its metadata to `out`.
pub fn update_metadata(root: &Path, out: &Path) -> Result<(), String> {
    let venv = root.join("target/phone-venv");
    let run = |program: &Path, args: &[&str]| -> Result<(), String> {
        let status = Command::new(program)
            .args(args)
            .status()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{} {} failed", program.display(), args.join(" ")))
        }
    };
    let venv_arg = venv.display().to_string();
    run(Path::new("python3"), &["-m", "venv", &venv_arg])?;
    run(&venv.join("bin/pip"), &["install", "--quiet", "--upgrade", "phonenumbers"])?;
    let script = root.join("xtask/phone/dump_metadata.py").display().to_string();
    let out_arg = out.display().to_string();
    run(&venv.join("bin/python"), &[&script, &out_arg])?;
    let metadata = Metadata::read(out)?;
    eprintln!("{}: phonenumbers {}", out.display(), metadata.version);
    Ok(())
}
