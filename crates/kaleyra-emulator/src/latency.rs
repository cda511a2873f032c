//! Service time: how long the emulator takes to answer a create request, drawn per request from
//! a fixed value or a log-normal distribution, from a seeded generator so that runs repeat.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Longest service time drawn: a log-normal tail is unbounded.
const MAX_LATENCY: Duration = Duration::from_secs(60);

/// The 0.99 quantile of the standard normal distribution.
const Z_99: f64 = 2.326_347_874_040_841;

/// Per-request service time, applied after the request is read and before it is answered.
///
/// Written as `0` (none), `300ms` or `1.5s` (fixed), or `p50=300ms,p99=1.5s` (log-normal with
/// that median and 99th percentile):
///
/// ```
/// use std::time::Duration;
/// use kaleyra_emulator::Latency;
///
/// let latency: Latency = "p50=300ms,p99=1.5s".parse().unwrap();
/// assert_eq!(latency, Latency::log_normal(Duration::from_millis(300), Duration::from_millis(1500)));
/// assert_eq!(latency.to_string(), "p50=300ms,p99=1500ms");
/// assert_eq!("250ms".parse::<Latency>().unwrap(), Latency::fixed(Duration::from_millis(250)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Latency {
    /// Answer as soon as the request is processed.
    #[default]
    None,
    /// The same service time for every request.
    Fixed(Duration),
    /// Log-normal service times with this median and 99th percentile (capped at 60 s).
    LogNormal {
        /// The median.
        p50: Duration,
        /// The 99th percentile, at least the median.
        p99: Duration,
    },
}

impl Latency {
    /// The same service time for every request.
    pub fn fixed(latency: Duration) -> Latency {
        if latency.is_zero() { Latency::None } else { Latency::Fixed(latency) }
    }

    /// Log-normal service times with this median and 99th percentile (`p99` below `p50` is
    /// taken as `p50`).
    pub fn log_normal(p50: Duration, p99: Duration) -> Latency {
        Latency::LogNormal { p50, p99: p99.max(p50) }
    }

    /// The mean service time (of the uncapped distribution).
    pub fn mean(&self) -> Duration {
        match *self {
            Latency::None => Duration::ZERO,
            Latency::Fixed(latency) => latency,
            Latency::LogNormal { p50, p99 } => {
                let sigma = log_normal_sigma(p50, p99);
                p50.mul_f64((sigma * sigma / 2.0).exp()).min(MAX_LATENCY)
            }
        }
    }

    /// The service times an emulator with this latency and `seed` gives the requests it
    /// processes, in the order it takes them. A throttled request takes none, so the sequence
    /// does not depend on the client: it bounds what any client can do in a run.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kaleyra_emulator::Latency;
    ///
    /// let latency: Latency = "p50=300ms,p99=1.5s".parse().unwrap();
    /// let first: Vec<Duration> = latency.service_times(7).take(3).collect();
    /// assert_eq!(first, latency.service_times(7).take(3).collect::<Vec<_>>());
    /// assert_ne!(first, latency.service_times(8).take(3).collect::<Vec<_>>());
    /// ```
    pub fn service_times(self, seed: u64) -> impl Iterator<Item = Duration> {
        let sampler = Sampler::new(seed);
        std::iter::repeat_with(move || sampler.draw(&self))
    }

    /// The service time for a uniform draw pair `(u1, u2)`, both in (0, 1].
    fn sample(&self, u1: f64, u2: f64) -> Duration {
        match *self {
            Latency::None => Duration::ZERO,
            Latency::Fixed(latency) => latency,
            Latency::LogNormal { p50, p99 } => {
                // Box–Muller: a standard normal from two uniforms.
                let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let factor = (log_normal_sigma(p50, p99) * normal).exp();
                Duration::try_from_secs_f64(p50.as_secs_f64() * factor)
                    .unwrap_or(MAX_LATENCY)
                    .min(MAX_LATENCY)
            }
        }
    }
}

fn log_normal_sigma(p50: Duration, p99: Duration) -> f64 {
    if p50.is_zero() {
        return 0.0;
    }
    (p99.as_secs_f64() / p50.as_secs_f64()).ln().max(0.0) / Z_99
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Latency::None => f.write_str("0"),
            Latency::Fixed(latency) => write!(f, "{}", DurationText(*latency)),
            Latency::LogNormal { p50, p99 } => {
                write!(f, "p50={},p99={}", DurationText(*p50), DurationText(*p99))
            }
        }
    }
}

/// A duration as `1500ms`, `2s` or `250us`: the largest unit that keeps it whole.
pub(crate) struct DurationText(pub(crate) Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_nanos();
        if nanos == 0 {
            f.write_str("0")
        } else if nanos.is_multiple_of(1_000_000_000) {
            write!(f, "{}s", nanos / 1_000_000_000)
        } else if nanos.is_multiple_of(1_000_000) {
            write!(f, "{}ms", nanos / 1_000_000)
        } else {
            write!(f, "{}us", nanos.div_ceil(1_000))
        }
    }
}

impl FromStr for Latency {
    type Err = String;

    fn from_str(text: &str) -> Result<Latency, String> {
        let text = text.trim();
        if !text.contains('=') {
            return Ok(Latency::fixed(parse_duration(text)?));
        }
        let (mut p50, mut p99) = (None, None);
        for item in text.split(',').map(str::trim) {
            match item.split_once('=') {
                Some(("p50", value)) => p50 = Some(parse_duration(value)?),
                Some(("p99", value)) => p99 = Some(parse_duration(value)?),
                _ => return Err(format!("`{item}`: expected p50=DURATION or p99=DURATION")),
            }
        }
        match (p50, p99) {
            (Some(p50), Some(p99)) if p99 >= p50 => Ok(Latency::log_normal(p50, p99)),
            (Some(_), Some(_)) => Err("p99 must be at least p50".to_owned()),
            _ => Err("a distribution needs both p50= and p99=".to_owned()),
        }
    }
}

/// `300ms`, `1.5s`, `2m`, `0`: a number and a unit (`us`, `ms`, `s`, `m`), at most 10 minutes.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(format!("`{text}` is not a number followed by a unit (us, ms, s or m)"));
    }
    let seconds_per_unit = match unit.trim() {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "" => return Err(format!("`{text}` needs a unit: us, ms, s or m")),
        other => return Err(format!("unknown unit `{other}` in `{text}`: us, ms, s or m")),
    };
    let value: f64 =
        number.parse().map_err(|_| format!("`{text}` is not a number followed by a unit"))?;
    let seconds = value * seconds_per_unit;
    if !(0.0..=600.0).contains(&seconds) {
        return Err(format!("`{text}` is more than 10 minutes"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Draws service times: a counter-based generator (SplitMix64), so concurrent requests draw
/// without a lock and a seed gives the same sequence of draws.
#[derive(Debug)]
pub(crate) struct Sampler {
    counter: AtomicU64,
}

impl Sampler {
    pub(crate) fn new(seed: u64) -> Sampler {
        Sampler { counter: AtomicU64::new(seed) }
    }

    pub(crate) fn draw(&self, latency: &Latency) -> Duration {
        if matches!(latency, Latency::None | Latency::Fixed(_)) {
            return latency.sample(1.0, 1.0);
        }
        latency.sample(self.uniform(), self.uniform())
    }

    /// A uniform draw in (0, 1].
    fn uniform(&self) -> f64 {
        const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut z = self.counter.fetch_add(GAMMA, Ordering::Relaxed).wrapping_add(GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn texts_parse_and_print_back() {
        assert_eq!("0".parse::<Latency>().unwrap(), Latency::None);
        assert_eq!("0ms".parse::<Latency>().unwrap(), Latency::None);
        assert_eq!("300ms".parse::<Latency>().unwrap(), Latency::Fixed(ms(300)));
        assert_eq!("1.5s".parse::<Latency>().unwrap(), Latency::Fixed(ms(1500)));
        assert_eq!(
            " p99=2s , p50=100ms ".parse::<Latency>().unwrap(),
            Latency::log_normal(ms(100), ms(2000))
        );
        for text in ["0", "300ms", "2s", "p50=300ms,p99=1500ms", "750us"] {
            assert_eq!(text.parse::<Latency>().unwrap().to_string(), text);
        }
        for (bad, says) in [
            ("300", "needs a unit"),
            ("3h", "unknown unit `h`"),
            ("-1s", "not a number"),
            ("11m", "more than 10 minutes"),
            ("p50=1s", "needs both"),
            ("p50=2s,p99=1s", "at least p50"),
            ("p90=1s,p99=2s", "expected p50="),
            ("ms", "not a number"),
        ] {
            let error = bad.parse::<Latency>().unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn log_normal_draws_have_the_asked_quantiles() {
        let latency = Latency::log_normal(ms(300), ms(1500));
        let sampler = Sampler::new(7);
        let mut draws: Vec<Duration> = (0..100_000).map(|_| sampler.draw(&latency)).collect();
        draws.sort();
        let quantile = |q: f64| draws[(q * draws.len() as f64) as usize].as_secs_f64();
        assert!((quantile(0.50) - 0.300).abs() < 0.010, "p50 {}", quantile(0.50));
        assert!((quantile(0.99) - 1.500).abs() < 0.100, "p99 {}", quantile(0.99));
        let mean = draws.iter().map(Duration::as_secs_f64).sum::<f64>() / draws.len() as f64;
        assert!((mean - latency.mean().as_secs_f64()).abs() < 0.010, "mean {mean}");
    }

    #[test]
    fn a_seed_repeats_its_draws_and_fixed_latency_draws_nothing() {
        let latency = Latency::log_normal(ms(10), ms(100));
        let (a, b) = (Sampler::new(42), Sampler::new(42));
        let first: Vec<_> = (0..50).map(|_| a.draw(&latency)).collect();
        assert_eq!(first, (0..50).map(|_| b.draw(&latency)).collect::<Vec<_>>());
        let other = Sampler::new(43);
        assert_ne!(first, (0..50).map(|_| other.draw(&latency)).collect::<Vec<_>>());
        assert_eq!(a.draw(&Latency::Fixed(ms(5))), ms(5));
        assert_eq!(a.draw(&Latency::None), Duration::ZERO);
        let huge = Latency::log_normal(Duration::from_secs(59), Duration::from_secs(600));
        assert!((0..1000).all(|_| a.draw(&huge) <= MAX_LATENCY));
    }
}
