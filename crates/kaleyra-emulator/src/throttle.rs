//! Throttling as a busy vendor does it: a token bucket per account (its rate and burst) and a
//! cap on requests in flight; a request over either is answered 429 with `Retry-After`.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio::time::Instant;

use crate::latency::{DurationText, parse_duration};

/// A rate limit: `requests` per `period`, with a bucket of `burst` requests that an idle
/// account saves up.
///
/// Written `50000/5m`, `400/s` or `10/1.5s`; the burst is one second's worth of requests (at
/// least one) unless set with [`RateLimit::with_burst`].
///
/// ```
/// use kaleyra_emulator::RateLimit;
///
/// let limit: RateLimit = "50000/5m".parse().unwrap();
/// assert_eq!(limit.per_second(), 50000.0 / 300.0);
/// assert_eq!(limit.burst(), 167);
/// assert_eq!(limit.to_string(), "50000/5m");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    requests: u32,
    period: Duration,
    burst: u32,
}

impl RateLimit {
    /// `requests` per `period` (both at least 1 and 1 ms), with a burst of one second's worth.
    pub fn new(requests: u32, period: Duration) -> RateLimit {
        let requests = requests.max(1);
        let period = period.max(Duration::from_millis(1));
        let per_second = f64::from(requests) / period.as_secs_f64();
        // One second's worth, or the whole period's if it is shorter.
        let burst = per_second.ceil().min(f64::from(requests)).max(1.0) as u32;
        RateLimit { requests, period, burst }
    }

    /// The same limit with a bucket of `burst` requests (at least 1).
    #[must_use]
    pub fn with_burst(mut self, burst: u32) -> RateLimit {
        self.burst = burst.max(1);
        self
    }

    /// The sustained rate, requests per second.
    pub fn per_second(&self) -> f64 {
        f64::from(self.requests) / self.period.as_secs_f64()
    }

    /// Requests an idle account may send at once.
    pub fn burst(&self) -> u32 {
        self.burst
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let period = self.period;
        match period.as_millis() {
            1000 => write!(f, "{}/s", self.requests),
            ms if ms.is_multiple_of(60_000) && period.subsec_nanos() == 0 => {
                write!(f, "{}/{}m", self.requests, ms / 60_000)
            }
            _ => write!(f, "{}/{}", self.requests, DurationText(period)),
        }
    }
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<RateLimit, String> {
        let (requests, period) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("`{text}`: expected REQUESTS/PERIOD, e.g. 400/s or 50000/5m"))?;
        let requests: u32 =
            requests.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("`{requests}` is not a request count from 1 to 4294967295")
            })?;
        let period = period.trim();
        // `/s` and `/m` read as one second and one minute.
        let period = match period {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            unit if unit.chars().all(|c| c.is_ascii_alphabetic()) => {
                return Err(format!("unknown period `{unit}`: s, m, or a duration such as 5m"));
            }
            _ => parse_duration(period)?,
        };
        if period < Duration::from_millis(1) {
            return Err(format!("`{text}`: the period must be at least 1ms"));
        }
        Ok(RateLimit::new(requests, period))
    }
}

impl Serialize for RateLimit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RateLimit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RateLimit, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The throttling in force, as `GET /__emulator/limits` shows it and `PUT` sets it:
/// `{"rate_limit": "400/s", "burst": 400, "max_in_flight": 64}` (each may be `null`: none;
/// `burst` left out: one second's worth).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Limits {
    /// Requests per period for the account, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Create requests processed at once for the account, if limited (429 above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<usize>,
}

impl Limits {
    /// No throttling.
    pub fn none() -> Limits {
        Limits::default()
    }

    /// These limits with `rate_limit` instead.
    #[must_use]
    pub fn with_rate_limit(mut self, rate_limit: Option<RateLimit>) -> Limits {
        self.rate_limit = rate_limit;
        self
    }

    /// These limits with `max_in_flight` instead.
    #[must_use]
    pub fn with_max_in_flight(mut self, max_in_flight: Option<usize>) -> Limits {
        self.max_in_flight = max_in_flight.map(|n| n.max(1));
        self
    }
}

/// The JSON of `PUT /__emulator/limits`, where `burst` is a field of its own.
#[derive(Serialize, Deserialize)]
pub(crate) struct LimitsJson {
    #[serde(default)]
    rate_limit: Option<RateLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    burst: Option<u32>,
    #[serde(default)]
    max_in_flight: Option<usize>,
}

impl From<Limits> for LimitsJson {
    fn from(limits: Limits) -> LimitsJson {
        LimitsJson {
            rate_limit: limits.rate_limit,
            burst: limits.rate_limit.map(|limit| limit.burst()),
            max_in_flight: limits.max_in_flight,
        }
    }
}

impl From<LimitsJson> for Limits {
    fn from(json: LimitsJson) -> Limits {
        let rate_limit = match (json.rate_limit, json.burst) {
            (Some(limit), Some(burst)) => Some(limit.with_burst(burst)),
            (limit, _) => limit,
        };
        Limits::none().with_rate_limit(rate_limit).with_max_in_flight(json.max_in_flight)
    }
}

/// The account's bucket and in-flight count.
#[derive(Debug)]
pub(crate) struct Throttle {
    /// Whether any limit is set: without one, requests do not take the lock.
    limited: AtomicBool,
    state: Mutex<Bucket>,
    in_flight: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct Bucket {
    limits: Limits,
    tokens: f64,
    refilled: Instant,
}

/// A request let through: it counts as in flight until dropped.
#[derive(Debug)]
pub(crate) struct InFlight(Option<Arc<AtomicUsize>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(count) = &self.0 {
            count.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Throttle {
    pub(crate) fn new(limits: Limits) -> Throttle {
        let tokens = limits.rate_limit.map_or(0.0, |limit| f64::from(limit.burst()));
        Throttle {
            limited: AtomicBool::new(limits != Limits::none()),
            state: Mutex::new(Bucket { limits, tokens, refilled: Instant::now() }),
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub(crate) fn limits(&self) -> Limits {
        self.bucket().limits
    }

    /// New limits; a new rate starts with a full bucket, an unchanged one keeps its tokens.
    pub(crate) fn set_limits(&self, limits: Limits) {
        let mut bucket = self.bucket();
        if bucket.limits.rate_limit != limits.rate_limit {
            bucket.tokens = limits.rate_limit.map_or(0.0, |limit| f64::from(limit.burst()));
            bucket.refilled = Instant::now();
        }
        bucket.limits = limits;
        self.limited.store(limits != Limits::none(), Ordering::SeqCst);
    }

    fn bucket(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets a request through, or says how long until one would be (`Err`, at least 1 s: the
    /// whole seconds of `Retry-After`).
    pub(crate) fn admit(&self) -> Result<InFlight, Duration> {
        if !self.limited.load(Ordering::SeqCst) {
            return Ok(InFlight(None));
        }
        let mut bucket = self.bucket();
        let Limits { rate_limit, max_in_flight } = bucket.limits;
        if let Some(max) = max_in_flight
            && self.in_flight.load(Ordering::Acquire) >= max
        {
            return Err(Duration::from_secs(1));
        }
        if let Some(limit) = rate_limit {
            let now = Instant::now();
            let rate = limit.per_second();
            let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rate).min(f64::from(limit.burst()));
            bucket.refilled = now;
            if bucket.tokens < 1.0 {
                let wait = (1.0 - bucket.tokens) / rate;
                return Err(Duration::from_secs_f64(wait.ceil().max(1.0)));
            }
            bucket.tokens -= 1.0;
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Ok(InFlight(Some(self.in_flight.clone())))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rate_limits_parse_and_print_back() {
        let limit: RateLimit = "400/s".parse().unwrap();
        assert_eq!((limit.per_second(), limit.burst()), (400.0, 400));
        assert_eq!("10/1.5s".parse::<RateLimit>().unwrap().to_string(), "10/1500ms");
        assert_eq!("3/m".parse::<RateLimit>().unwrap().burst(), 1);
        assert_eq!("100/10s".parse::<RateLimit>().unwrap().burst(), 10);
        assert_eq!("5/100ms".parse::<RateLimit>().unwrap().burst(), 5);
        for text in ["400/s", "50000/5m", "7/250ms"] {
            assert_eq!(text.parse::<RateLimit>().unwrap().to_string(), text);
        }
        for (bad, says) in [
            ("400", "expected REQUESTS/PERIOD"),
            ("0/s", "not a request count"),
            ("x/s", "not a request count"),
            ("5/0", "at least 1ms"),
            ("5/h", "unknown period `h`"),
            ("5/1h", "unknown unit `h`"),
        ] {
            let error = bad.parse::<RateLimit>().unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn limits_json_round_trips_with_burst_apart() {
        let limits = Limits::none()
            .with_rate_limit(Some("400/s".parse::<RateLimit>().unwrap().with_burst(50)))
            .with_max_in_flight(Some(64));
        let json = serde_json::to_string(&LimitsJson::from(limits)).unwrap();
        assert_eq!(json, r#"{"rate_limit":"400/s","burst":50,"max_in_flight":64}"#);
        let back: LimitsJson = serde_json::from_str(&json).unwrap();
        assert_eq!(Limits::from(back), limits);
        let none: LimitsJson = serde_json::from_str("{}").unwrap();
        assert_eq!(Limits::from(none), Limits::none());
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_lets_its_burst_through_then_the_rate() {
        let throttle = Throttle::new(Limits::none().with_rate_limit(Some("10/s".parse().unwrap())));
        let admitted: Vec<_> = (0..10).map(|_| throttle.admit().unwrap()).collect();
        assert_eq!(throttle.admit().unwrap_err(), Duration::from_secs(1));
        drop(admitted);
        tokio::time::advance(Duration::from_millis(250)).await;
        // 2.5 tokens saved up: two requests.
        assert!(throttle.admit().is_ok() && throttle.admit().is_ok());
        assert!(throttle.admit().is_err());
        tokio::time::advance(Duration::from_secs(60)).await;
        // Never more than the burst saved up.
        assert_eq!((0..20).filter(|_| throttle.admit().is_ok()).count(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_the_whole_seconds_until_a_token() {
        let throttle = Throttle::new(Limits::none().with_rate_limit(Some("1/5s".parse().unwrap())));
        assert!(throttle.admit().is_ok());
        assert_eq!(throttle.admit().unwrap_err(), Duration::from_secs(5));
        tokio::time::advance(Duration::from_millis(3500)).await;
        assert_eq!(throttle.admit().unwrap_err(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_in_flight_are_capped_and_released_when_done() {
        let throttle = Throttle::new(Limits::none().with_max_in_flight(Some(2)));
        let first = throttle.admit().unwrap();
        let second = throttle.admit().unwrap();
        assert_eq!(throttle.admit().unwrap_err(), Duration::from_secs(1));
        drop(first);
        let third = throttle.admit().unwrap();
        assert!(throttle.admit().is_err());
        drop((second, third));
        assert!(throttle.admit().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn new_limits_apply_at_once() {
        let throttle = Throttle::new(Limits::none().with_rate_limit(Some("2/s".parse().unwrap())));
        assert_eq!((0..5).filter(|_| throttle.admit().is_ok()).count(), 2);
        throttle.set_limits(Limits::none().with_rate_limit(Some("4/s".parse().unwrap())));
        assert_eq!((0..5).filter(|_| throttle.admit().is_ok()).count(), 4);
        throttle.set_limits(Limits::none());
        assert_eq!((0..50).filter(|_| throttle.admit().is_ok()).count(), 50);
    }
}
