//! The listener: accepting connections (plain or TLS), limits, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinHandle;

use crate::service;
use crate::state::Shared;
use crate::{EmulatorConfig, FaultPlan, Limits, NumbersReport};

/// How long in-flight requests may take to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// An emulator, configured but not yet listening.
pub struct Emulator {
    config: EmulatorConfig,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("Emulator");
        debug.field("config", &self.config);
        #[cfg(feature = "tls")]
        debug.field("tls", &self.tls.is_some());
        debug.finish()
    }
}

impl Emulator {
    /// An emulator with `config`, not yet listening.
    pub fn new(config: EmulatorConfig) -> Self {
        Emulator {
            config,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Serve HTTPS (HTTP/1.1 and HTTP/2 by ALPN) with this certificate instead of plain HTTP.
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, identity: TlsIdentity) -> Result<Self, TlsError> {
        self.tls = Some(identity.acceptor()?);
        Ok(self)
    }

    /// The sandbox emulator ([`EmulatorConfig::sandbox`]: its SID and key are
    /// [`crate::SANDBOX_SID`] and [`crate::SANDBOX_API_KEY`]) serving on a free port of
    /// 127.0.0.1: a test fixture in one line.
    ///
    /// ```
    /// # async fn demo() -> std::io::Result<()> {
    /// let emulator = kaleyra_emulator::Emulator::start().await?;
    /// assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
    /// emulator.shutdown().await;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn start() -> std::io::Result<RunningEmulator> {
        Emulator::new(EmulatorConfig::sandbox()).bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr` (port 0 picks a free port) and serves in the background on the current
    /// tokio runtime until [`RunningEmulator::shutdown`] or until the handle is dropped.
    pub async fn bind(self, addr: SocketAddr) -> std::io::Result<RunningEmulator> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        #[cfg(feature = "tls")]
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        #[cfg(not(feature = "tls"))]
        let scheme = "http";
        let shared = Arc::new(Shared::new(self.config));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(
            listener,
            shared.clone(),
            #[cfg(feature = "tls")]
            self.tls,
            stopped,
        ));
        Ok(RunningEmulator { local_addr, scheme, shared, stop, task: Some(task) })
    }
}

/// A listening emulator. Dropping it stops the listener.
#[derive(Debug)]
pub struct RunningEmulator {
    local_addr: SocketAddr,
    scheme: &'static str,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://HOST:PORT` (or `https://`), the base URL to give a client.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.local_addr)
    }

    /// What it was started with: its account (`sid`, `api_key`), limits and latency.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// What was created, every number at once (`GET /__emulator/numbers` gives it in pages).
    pub fn numbers(&self) -> NumbersReport {
        self.shared.report()
    }

    /// Replaces the server-wide fault plan, as `PUT /__emulator/faults` does.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.shared.set_faults(plan);
    }

    /// The fault plan as it is now (rules counted down as they struck), as
    /// `GET /__emulator/faults` says.
    pub fn faults(&self) -> FaultPlan {
        self.shared.fault_plan()
    }

    /// Replaces the throttling, as `PUT /__emulator/limits` does: a changed rate starts with a
    /// full bucket.
    pub fn set_limits(&self, limits: Limits) {
        self.shared.throttle.set_limits(limits);
    }

    /// The throttling in force, as `GET /__emulator/limits` says.
    pub fn limits(&self) -> Limits {
        self.shared.throttle.limits()
    }

    /// Forgets every record and fault, as `POST /__emulator/reset` does.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops accepting, lets in-flight requests finish (for a few seconds at most), and returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    #[cfg(feature = "tls")] tls: Option<tokio_rustls::TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
) {
    let config = &shared.config;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_headers(config.max_headers)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .max_header_list_size(64 * 1024)
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let builder = Arc::new(builder);
    let max_connections = config.max_connections.clamp(1, u32::MAX as usize);
    let permits = Arc::new(Semaphore::new(max_connections));
    // One per connection: dropping it tells the connection to finish. Cheaper to watch than a
    // signal shared by all (hyper-util's `GracefulShutdown` locks one list on every poll).
    let mut shutdown_signals: Vec<oneshot::Sender<()>> = Vec::new();

    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => break,
            },
            _ = stopped.changed() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        if shared.take_connection_fault() {
            reset(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let (signal, mut shutdown) = oneshot::channel::<()>();
        if shutdown_signals.len() >= 2 * max_connections {
            shutdown_signals.retain(|signal| !signal.is_closed());
        }
        shutdown_signals.push(signal);
        let first_byte_timeout = shared.config.header_read_timeout;
        #[cfg(feature = "tls")]
        let handshake_timeout = shared.config.header_read_timeout;
        let shared = shared.clone();
        let builder = builder.clone();
        #[cfg(feature = "tls")]
        let tls = tls.clone();
        let idle_limit = shared.config.header_read_timeout;
        let pressure = permits.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let activity = Arc::new(Activity::new());
            let watched = activity.clone();
            let service = service_fn(move |request| {
                let busy = watched.start();
                let response = service::handle(shared.clone(), request);
                async move {
                    let response = response.await;
                    drop(busy);
                    response
                }
            });
            let watchdog = Watchdog { activity, idle_limit, pressure };
            #[cfg(feature = "tls")]
            if let Some(acceptor) = tls {
                // The handshake gets the same time as a request head.
                let handshake = tokio::time::timeout(handshake_timeout, acceptor.accept(stream));
                let stream = tokio::select! {
                    handshake = handshake => handshake,
                    _ = &mut shutdown => return,
                };
                if let Ok(Ok(stream)) = stream {
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    serve_until_shutdown(connection, shutdown, watchdog).await;
                }
                return;
            }
            // Telling HTTP/1 from HTTP/2 waits for the first bytes with no deadline of its own:
            // a client that connects and says nothing would hold its slot forever.
            let mut first = [0u8; 1];
            let peeked = tokio::select! {
                peeked = tokio::time::timeout(first_byte_timeout, stream.peek(&mut first)) => peeked,
                _ = &mut shutdown => return,
            };
            if !matches!(peeked, Ok(Ok(1))) {
                return;
            }
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            serve_until_shutdown(connection, shutdown, watchdog).await;
        });
    }

    drop(listener);
    drop(shutdown_signals);
    // Every connection holds a permit until it is done.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, permits.acquire_many(all)).await;
}

/// Requests in flight on one connection, and when the last one ended.
struct Activity {
    in_flight: std::sync::atomic::AtomicUsize,
    /// Milliseconds from `since` to the end of the last request (or the connection's start).
    last: std::sync::atomic::AtomicU64,
    since: tokio::time::Instant,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            last: std::sync::atomic::AtomicU64::new(0),
            since: tokio::time::Instant::now(),
        }
    }

    /// A request began; it ends when the guard drops.
    fn start(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Busy(self.clone())
    }

    /// How long the connection has had no request in flight (zero while it has one).
    fn idle_for(&self) -> Duration {
        use std::sync::atomic::Ordering::Relaxed;
        if self.in_flight.load(Relaxed) > 0 {
            return Duration::ZERO;
        }
        let last = Duration::from_millis(self.last.load(Relaxed));
        self.since.elapsed().saturating_sub(last)
    }
}

struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering::Relaxed;
        let now = u64::try_from(self.0.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last.store(now, Relaxed);
        self.0.in_flight.fetch_sub(1, Relaxed);
    }
}

/// When a connection with no request in flight is let go: HTTP/2 keeps a connection open as long
/// as its client answers pings, and HTTP/1 keep-alive as long as nothing is sent, so a thousand
/// idle clients could hold every slot. An idle connection goes after `idle_limit` (the time a
/// client has for a request head), or at once while every slot is taken and new clients wait.
struct Watchdog {
    activity: Arc<Activity>,
    idle_limit: Duration,
    pressure: Arc<Semaphore>,
}

impl Watchdog {
    fn should_close(&self) -> bool {
        let idle = self.activity.idle_for();
        idle >= self.idle_limit
            || (self.pressure.available_permits() == 0 && idle >= IDLE_UNDER_PRESSURE)
    }
}

/// An idle connection is kept at least this long, even when slots run out (a client between
/// two requests is not idle).
const IDLE_UNDER_PRESSURE: Duration = Duration::from_millis(100);

/// Serves `connection` until it ends, `shutdown` fires, or the watchdog lets it go; then lets
/// the request in flight (if any) finish and closes, within `idle_limit` (a client that stops
/// reading its answer does not hold the slot for ever).
async fn serve_until_shutdown<C: GracefulConnection>(
    connection: C,
    mut shutdown: oneshot::Receiver<()>,
    watchdog: Watchdog,
) {
    let mut connection = std::pin::pin!(connection);
    let check = (watchdog.idle_limit / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut ticks = tokio::time::interval(check);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = connection.as_mut() => return,
            _ = &mut shutdown => break,
            _ = ticks.tick() => if watchdog.should_close() { break },
        }
    }
    connection.as_mut().graceful_shutdown();
    let grace = watchdog.idle_limit.max(Duration::from_secs(1));
    let _ = tokio::time::timeout(grace, connection).await;
}

/// Closes with RST (zero linger) rather than FIN, as a crashed or overloaded proxy would.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// A certificate chain and private key (DER) for serving HTTPS.
#[cfg(feature = "tls")]
#[derive(Clone)]
pub struct TlsIdentity {
    /// The certificate chain, leaf first (DER).
    pub cert_chain: Vec<Vec<u8>>,
    /// The private key, PKCS #8 (DER).
    pub private_key_pkcs8: Vec<u8>,
}

#[cfg(feature = "tls")]
impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_chain", &self.cert_chain.len())
            .field("private_key_pkcs8", &"[REDACTED]")
            .finish()
    }
}

/// The certificate or key cannot be used.
#[cfg(feature = "tls")]
#[derive(Debug, thiserror::Error)]
#[error("cannot serve TLS with this certificate: {0}")]
pub struct TlsError(#[from] tokio_rustls::rustls::Error);

#[cfg(feature = "tls")]
impl TlsIdentity {
    fn acceptor(self) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
        use tokio_rustls::rustls::{self, pki_types};
        let certs = self.cert_chain.into_iter().map(pki_types::CertificateDer::from).collect();
        let key = pki_types::PrivatePkcs8KeyDer::from(self.private_key_pkcs8).into();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}
