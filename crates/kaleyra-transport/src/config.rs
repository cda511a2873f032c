//! Building a client: base URL or region, credentials, timeouts, retries, TLS roots.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use http::Uri;
use kaleyra_model::ApiKey;

use crate::{Client, RetryPolicy};

/// The vendor's default host.
pub const DEFAULT_BASE_URL: &str = "https://api.kaleyra.io";

/// Kaleyra's regional hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Region {
    /// India, `api.in.kaleyra.io`.
    In,
    /// Singapore, `api.ap.kaleyra.io`.
    Ap,
    /// Europe, `api.eu.kaleyra.io`.
    Eu,
    /// North America, `api.na.kaleyra.io`.
    Na,
}

impl Region {
    /// The region's base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::In => "https://api.in.kaleyra.io",
            Region::Ap => "https://api.ap.kaleyra.io",
            Region::Eu => "https://api.eu.kaleyra.io",
            Region::Na => "https://api.na.kaleyra.io",
        }
    }
}

impl FromStr for Region {
    type Err = ConfigError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "in" => Ok(Region::In),
            "ap" | "sg" => Ok(Region::Ap),
            "eu" => Ok(Region::Eu),
            "na" => Ok(Region::Na),
            _ => Err(ConfigError::UnknownRegion(value.to_owned())),
        }
    }
}

/// Which certificate authorities the client trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsRoots {
    /// Mozilla's roots, compiled in (feature `webpki-roots`, on by default).
    #[cfg(feature = "webpki-roots")]
    WebPki,
    /// The operating system's roots (feature `native-roots`).
    #[cfg(feature = "native-roots")]
    Native,
    /// Only these DER certificates (a private CA, or a test's self-signed certificate).
    Only(Vec<Vec<u8>>),
}

impl Default for TlsRoots {
    fn default() -> Self {
        #[cfg(feature = "webpki-roots")]
        return TlsRoots::WebPki;
        #[cfg(all(not(feature = "webpki-roots"), feature = "native-roots"))]
        return TlsRoots::Native;
        #[cfg(all(not(feature = "webpki-roots"), not(feature = "native-roots")))]
        return TlsRoots::Only(Vec::new());
    }
}

/// A setting the client cannot work with. Never contains the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL cannot be used.
    #[error("invalid base URL `{url}`: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Plain `http://` to a host that is not loopback, not allowed explicitly.
    #[error(
        "refusing plain http:// to `{host}`: the API key would cross the network unencrypted \
         (use https://, a loopback address, or allow insecure HTTP explicitly)"
    )]
    InsecureHttp {
        /// The host.
        host: String,
    },
    /// The SID has characters no SID has.
    #[error(
        "invalid SID `{0}`: use the account SID from kaleyra.io (letters, digits, '-' and '_')"
    )]
    InvalidSid(String),
    /// The key is empty or cannot go in a header.
    #[error("invalid API key: it must be non-empty visible ASCII")]
    InvalidApiKey,
    /// No such region.
    #[error("unknown region `{0}`: expected in, ap, eu or na")]
    UnknownRegion(String),
    /// The TLS roots or configuration cannot be loaded.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// A default header that is not a valid header, or one the client sets itself.
    #[error("header `{name}`: {reason}")]
    InvalidHeader {
        /// The header's name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// [`Client::from_env`]: a variable it needs is unset or empty.
    #[error("{0} is not set")]
    MissingEnv(&'static str),
    /// [`Client::from_env`]: a variable it cannot use.
    #[error("{name}: {reason}")]
    Env {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    pub(crate) base_url: String,
    pub(crate) sid: String,
    pub(crate) api_key: ApiKey,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    pub(crate) allow_insecure_http: bool,
    pub(crate) tls_roots: TlsRoots,
    pub(crate) extra_roots: Vec<Vec<u8>>,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) default_headers: Vec<(String, String)>,
}

/// Headers the client sets itself; a default header may not replace them.
pub(crate) const RESERVED_HEADERS: [&str; 5] =
    ["api-key", "content-type", "content-length", "host", "transfer-encoding"];

impl ClientBuilder {
    pub(crate) fn new(sid: impl Into<String>, api_key: ApiKey) -> Self {
        ClientBuilder {
            base_url: DEFAULT_BASE_URL.to_owned(),
            sid: sid.into(),
            api_key,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_response_bytes: 1024 * 1024,
            allow_insecure_http: false,
            tls_roots: TlsRoots::default(),
            extra_roots: Vec::new(),
            pool_idle_timeout: Duration::from_secs(20),
            default_headers: Vec::new(),
        }
    }

    /// [`Client::from_env`]'s settings, to change others before building.
    pub fn from_env() -> Result<ClientBuilder, ConfigError> {
        crate::env::builder(|name| std::env::var(name).ok())
    }

    /// The scheme and host (and optional path prefix) the API lives at. The same setting as
    /// [`ClientBuilder::region`]: the last call wins.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// One of the vendor's regional hosts: the same setting as [`ClientBuilder::base_url`],
    /// the last call wins.
    #[must_use]
    pub fn region(self, region: Region) -> Self {
        self.base_url(region.base_url())
    }

    /// Time to establish a connection, TLS handshake included. A request that fails here was
    /// never sent and is retried.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time for one attempt from the start of sending to the last byte of the answer. A request
    /// that times out after it was sent has an unknown outcome.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How failed attempts are retried (see [`RetryPolicy`]).
    #[must_use]
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Largest response body read (1 MiB by default).
    #[must_use]
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Allow plain `http://` to hosts other than loopback. The API key then crosses the network
    /// in clear text: only for a trusted network.
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Which certificate authorities to trust.
    #[must_use]
    pub fn tls_roots(mut self, roots: TlsRoots) -> Self {
        self.tls_roots = roots;
        self
    }

    /// Trust this DER certificate as well as the configured roots.
    #[must_use]
    pub fn add_root_certificate(mut self, der: Vec<u8>) -> Self {
        self.extra_roots.push(der);
        self
    }

    /// How long an idle pooled connection is kept.
    #[must_use]
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// A header sent with every request, e.g. a tracing or tenant header of your own. A second
    /// value for the same name is sent as well; `user-agent` replaces the crate's. The headers
    /// the client sets itself (`api-key`, `content-type`, `content-length`, `host`,
    /// `transfer-encoding`) cannot be replaced: [`ClientBuilder::build`] refuses them.
    #[must_use]
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }

    /// The client, or the first setting it cannot work with.
    pub fn build(self) -> Result<Client, ConfigError> {
        Client::from_builder(self)
    }

    /// Checks the base URL and returns the full endpoint URI for the SID.
    pub(crate) fn endpoint(&self) -> Result<Uri, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
            url: self.base_url.clone(),
            reason: reason.to_owned(),
        };
        if self.sid.is_empty()
            || !self.sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ConfigError::InvalidSid(self.sid.clone()));
        }
        let key = self.api_key.expose_secret();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::InvalidApiKey);
        }
        let base: Uri = self.base_url.parse().map_err(|_| invalid("not a URL"))?;
        let host = base.host().ok_or_else(|| invalid("no host"))?;
        match base.scheme_str() {
            Some("https") => {}
            Some("http") if self.allow_insecure_http || is_loopback(host) => {}
            Some("http") => return Err(ConfigError::InsecureHttp { host: host.to_owned() }),
            _ => return Err(invalid("the scheme must be https (or http to loopback)")),
        }
        if base.query().is_some() {
            return Err(invalid("a query string is not allowed"));
        }
        let authority = base.authority().ok_or_else(|| invalid("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("credentials in the URL are not allowed"));
        }
        let prefix = base.path().trim_end_matches('/');
        let uri = format!(
            "{}://{}{}/v1/{}/whatsapp/number",
            base.scheme_str().unwrap_or("https"),
            authority,
            prefix,
            self.sid
        );
        uri.parse().map_err(|_| invalid("cannot append the API path"))
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(base: &str) -> Result<String, ConfigError> {
        ClientBuilder::new("HX071US", ApiKey::new("k3y"))
            .base_url(base)
            .endpoint()
            .map(|u| u.to_string())
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint(DEFAULT_BASE_URL).unwrap(),
            "https://api.kaleyra.io/v1/HX071US/whatsapp/number"
        );
        assert_eq!(
            endpoint("https://gw.example/kaleyra/").unwrap(),
            "https://gw.example/kaleyra/v1/HX071US/whatsapp/number"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/v1/HX071US/whatsapp/number"
        );
        assert!(endpoint("http://localhost:1").is_ok());
        assert!(endpoint("http://[::1]:1").is_ok());
    }

    #[test]
    fn refusals() {
        assert!(matches!(endpoint("http://api.kaleyra.io"), Err(ConfigError::InsecureHttp { .. })));
        assert!(matches!(endpoint("http://10.0.0.1"), Err(ConfigError::InsecureHttp { .. })));
        for bad in ["ftp://x", "api.kaleyra.io", "https://user:pw@x", "https://x/?a=b", ""] {
            assert!(matches!(endpoint(bad), Err(ConfigError::InvalidBaseUrl { .. })), "{bad}");
        }
        let insecure = ClientBuilder::new("S", ApiKey::new("k"))
            .base_url("http://10.0.0.1")
            .allow_insecure_http(true);
        assert!(insecure.endpoint().is_ok());
        for sid in ["", "a/b", "a b", "../x"] {
            let builder = ClientBuilder::new(sid, ApiKey::new("k"));
            assert!(matches!(builder.endpoint(), Err(ConfigError::InvalidSid(_))), "{sid}");
        }
        for key in ["", "with space", "tab\t", "ünï"] {
            let builder = ClientBuilder::new("S", ApiKey::new(key));
            let error = builder.endpoint().unwrap_err();
            assert!(matches!(error, ConfigError::InvalidApiKey));
            if !key.is_empty() {
                assert!(!error.to_string().contains(key));
            }
        }
    }

    #[test]
    fn regions() {
        assert_eq!("EU".parse::<Region>().unwrap().base_url(), "https://api.eu.kaleyra.io");
        assert_eq!("sg".parse::<Region>().unwrap(), Region::Ap);
        assert!("mars".parse::<Region>().is_err());
    }

    #[test]
    fn debug_of_the_builder_hides_the_key() {
        let builder = ClientBuilder::new("S", ApiKey::new("super-secret-key"));
        let debug = format!("{builder:?}");
        assert!(!debug.contains("super-secret-key"), "{debug}");
        assert!(debug.contains("[REDACTED]"));
    }
}
