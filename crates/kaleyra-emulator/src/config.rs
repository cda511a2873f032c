//! What the emulator accepts and how strict it is.

use std::time::Duration;

use kaleyra_model::ApiKey;
use kaleyra_validate::Rules;

use crate::{Latency, Limits, RateLimit};

/// The SID the sandbox accepts when none is configured (the vendor's example SID).
pub const SANDBOX_SID: &str = "HXXXXXXX071US";
/// The API key the sandbox accepts when none is configured (the vendor's example key).
pub const SANDBOX_API_KEY: &str = "Ac4XXXXX21f";

/// Settings of one emulator. Every field is public so tests can flip one switch at a time;
/// start from [`EmulatorConfig::sandbox`] or [`EmulatorConfig::new`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EmulatorConfig {
    /// The account SID in the path.
    pub sid: String,
    /// The `api-key` that must come with the SID.
    pub api_key: ApiKey,
    /// Which of our own rules (formats, lengths) apply on top of the vendor's.
    pub rules: Rules,
    /// A second create of the same `wa_number` for the same SID is rejected with 409.
    pub reject_duplicates: bool,
    /// Require `Content-Type: application/json` (415 otherwise).
    pub require_json_content_type: bool,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Time a client has to send the request head (and finish the TLS handshake).
    pub header_read_timeout: Duration,
    /// Time a client has to send the request body once the head is in.
    pub body_read_timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Request headers accepted on HTTP/1 (431 above).
    pub max_headers: usize,
    /// The `company_id` of created records.
    pub company_id: String,
    /// Records kept at most (each takes about 600 bytes); a create beyond it is answered 507
    /// (`E907`) and nothing is kept. See [`EmulatorConfig::DEFAULT_MAX_RECORDS`].
    pub max_records: usize,
    /// Service time of each create request, after it is read and before it is answered.
    pub latency: Latency,
    /// Seed of the service-time draws: the same seed, the same sequence for the requests
    /// processed (a throttled one takes none); see [`Latency::service_times`].
    pub seed: u64,
    /// Throttling: rate limit and requests in flight (429 with `Retry-After` beyond).
    pub limits: Limits,
}

impl EmulatorConfig {
    /// 200,000 records: an import of that many numbers fits, in about 120 MB.
    pub const DEFAULT_MAX_RECORDS: usize = 200_000;

    /// The sandbox: the vendor's example SID and key, every default.
    pub fn sandbox() -> Self {
        EmulatorConfig::new(SANDBOX_SID, ApiKey::new(SANDBOX_API_KEY))
    }

    /// An emulator accepting exactly this SID and key.
    pub fn new(sid: impl Into<String>, api_key: ApiKey) -> Self {
        EmulatorConfig {
            sid: sid.into(),
            api_key,
            rules: Rules::default(),
            reject_duplicates: true,
            require_json_content_type: true,
            max_body_bytes: 64 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_headers: 100,
            company_id: "ZEMU932d".to_owned(),
            max_records: EmulatorConfig::DEFAULT_MAX_RECORDS,
            latency: Latency::None,
            seed: 0,
            limits: Limits::none(),
        }
    }

    /// The vendor as published and as assumed: Kaleyra's published rate limit for an
    /// integration, 50,000 requests per 5 minutes ([`EmulatorConfig::KALEYRA_RATE_LIMIT`]), and
    /// an assumed service time, log-normal with a median of 300 ms and a 99th percentile of
    /// 1.5 s ([`EmulatorConfig::KALEYRA_LATENCY`]; the vendor publishes none).
    #[must_use]
    pub fn kaleyra_preset(mut self) -> Self {
        let (requests, period) = EmulatorConfig::KALEYRA_RATE_LIMIT;
        self.limits = self.limits.with_rate_limit(Some(RateLimit::new(requests, period)));
        let (p50, p99) = EmulatorConfig::KALEYRA_LATENCY;
        self.latency = Latency::log_normal(p50, p99);
        self
    }

    /// Kaleyra's published rate limit for an integration: 50,000 requests per 5 minutes.
    pub const KALEYRA_RATE_LIMIT: (u32, Duration) = (50_000, Duration::from_secs(300));
    /// The service time assumed for the vendor: median 300 ms, 99th percentile 1.5 s.
    pub const KALEYRA_LATENCY: (Duration, Duration) =
        (Duration::from_millis(300), Duration::from_millis(1500));
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig::sandbox()
    }
}
