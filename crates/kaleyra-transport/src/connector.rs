//! The connector: TCP + TLS (rustls, ring) with one deadline for both, so that everything that
//! can fail before a byte of the request is written fails as a *connect* error.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::RootCertStore;
use tower_service::Service;

use crate::config::{ConfigError, TlsRoots};
use crate::error::BoxError;

pub(crate) type Https = HttpsConnector<HttpConnector>;

pub(crate) fn https(
    roots: &TlsRoots,
    extra_roots: &[Vec<u8>],
    connect_timeout: Duration,
) -> Result<Https, ConfigError> {
    let mut store = RootCertStore::empty();
    match roots {
        #[cfg(feature = "webpki-roots")]
        TlsRoots::WebPki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        #[cfg(feature = "native-roots")]
        TlsRoots::Native => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(ConfigError::Tls("no usable system root certificate".to_owned()));
            }
        }
        TlsRoots::Only(certs) => add_all(&mut store, certs)?,
    }
    add_all(&mut store, extra_roots)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::Tls(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let builder = HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http();
    #[cfg(feature = "http2")]
    let builder = builder.enable_all_versions();
    #[cfg(not(feature = "http2"))]
    let builder = builder.enable_http1();
    Ok(builder.wrap_connector(http))
}

fn add_all(store: &mut RootCertStore, certs: &[Vec<u8>]) -> Result<(), ConfigError> {
    for der in certs {
        store
            .add(rustls::pki_types::CertificateDer::from(der.clone()))
            .map_err(|e| ConfigError::Tls(format!("bad root certificate: {e}")))?;
    }
    Ok(())
}

/// Puts one deadline on TCP connect and TLS handshake together.
#[derive(Clone, Debug)]
pub(crate) struct Deadline<C> {
    pub(crate) inner: C,
    pub(crate) timeout: Duration,
}

impl<C> Service<Uri> for Deadline<C>
where
    C: Service<Uri> + Send,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, connecting).await {
                Ok(result) => result.map_err(Into::into),
                Err(_elapsed) => Err(format!("connect timed out after {timeout:?}").into()),
            }
        })
    }
}
