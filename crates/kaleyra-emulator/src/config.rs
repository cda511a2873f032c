//! What the emulator accepts and how strict it is.

use std::time::Duration;

use kaleyra_model::ApiKey;
use kaleyra_validate::Rules;

/// The SID the sandbox accepts when none is configured (the vendor's example SID).
pub const SANDBOX_SID: &str = "HXXXXXXX071US";
/// The API key the sandbox accepts when none is configured (the vendor's example key).
pub const SANDBOX_API_KEY: &str = "Ac4XXXXX21f";

/// Settings of one emulator. Every field is public so tests can flip one switch at a time.
#[derive(Debug, Clone)]
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
        }
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig::sandbox()
    }
}
