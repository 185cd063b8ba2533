//! Start and stop: the listener, its connection limits, and the app the endpoint serves from.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use unpod_calllogs::CALL_LOGS_PATH;

use crate::config::{FOREIGN_ORG_HANDLE, FOREIGN_RECORDS, FOREIGN_TOKEN, Records, ServerConfig};
use crate::data::{self, SplitMix64};
use crate::endpoint::{App, Org, call_logs, error};
use crate::store::Store;
use crate::throttle::Throttled;

/// A running server. Dropping it stops the server; [`ServerHandle::shutdown`] also waits for it.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    url: String,
    token: String,
    org_handle: String,
    requests: Arc<AtomicU64>,
    peak: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token that reads the main organization.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The main organization's handle.
    pub fn org_handle(&self) -> &str {
        &self.org_handle
    }

    /// How many requests the endpoint has received.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// The most requests the endpoint was answering at one time.
    pub fn peak_concurrency(&self) -> u64 {
        self.peak.load(Ordering::SeqCst)
    }

    /// Stops accepting connections, lets the ones in flight finish, and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}")]
pub struct StartError {
    addr: SocketAddr,
    source: std::io::Error,
}

/// Starts the server on the current tokio runtime and returns once it is accepting connections.
pub async fn start(config: ServerConfig) -> Result<ServerHandle, StartError> {
    let addr = SocketAddr::new(config.host, config.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError { addr, source })?;
    let app = Arc::new(build_app(&config));
    let requests = app.requests.clone();
    let peak = app.peak.clone();
    let router = router(app, config.knobs.compression);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, stopped, config.limits()));
    Ok(ServerHandle {
        addr,
        url: format!("http://{addr}"),
        token: config.token,
        org_handle: config.org_handle,
        requests,
        peak,
        stop: Some(stop),
        task: Some(task),
    })
}

/// What protects the server from slow, silent or too many clients.
struct ConnectionLimits {
    header_read_timeout: Duration,
    max_connections: usize,
    bandwidth: Option<u64>,
}

impl ServerConfig {
    fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: self.header_read_timeout,
            max_connections: self.max_connections.max(1),
            bandwidth: self.knobs.bandwidth,
        }
    }
}

/// Accepts connections until `stopped`, at most `max_connections` at once, each closed when it
/// takes longer than the header-read timeout to send a request head (a half-sent request, an idle
/// keep-alive connection). On stop, connections finish the request in flight and close.
async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    mut stopped: oneshot::Receiver<()>,
    limits: ConnectionLimits,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        let Some((stream, permit)) = accepted else {
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let stream = Throttled::new(stream, limits.bandwidth);
        let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    graceful.shutdown().await;
}

/// The next connection, once fewer than the maximum are open.
async fn accept(
    listener: &tokio::net::TcpListener,
    permits: &Arc<tokio::sync::Semaphore>,
) -> Option<(tokio::net::TcpStream, tokio::sync::OwnedSemaphorePermit)> {
    let permit = permits.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => {
            let _ = stream.set_nodelay(true);
            Some((stream, permit))
        }
        Err(error) => {
            log_accept_error(&error);
            // Out of file descriptors and the like: give the system a moment.
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

#[allow(clippy::print_stderr)]
fn log_accept_error(error: &std::io::Error) {
    eprintln!("calllogs-reference: accepting a connection failed: {error}");
}

fn build_app(config: &ServerConfig) -> App {
    let end = config.history_end.unwrap_or_else(data::history_end);
    let records = match &config.records {
        Records::Generated { count, seed } => data::generate_ending(*count, *seed, end),
        Records::Given(records) => records.clone(),
    };
    let mut orgs = HashMap::new();
    orgs.insert(
        config.org_handle.clone(),
        Org {
            store: RwLock::new(Store::new(records)),
        },
    );
    orgs.entry(FOREIGN_ORG_HANDLE.to_owned())
        .or_insert_with(|| Org {
            store: RwLock::new(Store::new(data::generate_ending(
                FOREIGN_RECORDS,
                config.seed ^ 0xF0,
                end,
            ))),
        });
    let mut grants: HashMap<String, Vec<String>> = HashMap::new();
    grants
        .entry(config.token.clone())
        .or_default()
        .push(config.org_handle.clone());
    grants
        .entry(FOREIGN_TOKEN.to_owned())
        .or_default()
        .push(FOREIGN_ORG_HANDLE.to_owned());
    let mut rng = SplitMix64::new(config.seed ^ 0x11FE);
    let numbers = data::org_numbers(&mut rng);
    App {
        orgs,
        grants,
        main_org: config.org_handle.clone(),
        knobs: config.knobs.clone(),
        faults: config.faults.clone(),
        seed: config.seed,
        requests: Arc::new(AtomicU64::new(0)),
        in_flight: AtomicU64::new(0),
        peak: Arc::new(AtomicU64::new(0)),
        live: Mutex::new((rng, numbers)),
        history_end: end,
        cache: Mutex::new(HashMap::new()),
    }
}

fn router(app: Arc<App>, compression: bool) -> Router {
    let router = Router::new()
        .route(&format!("/{CALL_LOGS_PATH}"), get(call_logs))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint") })
        .with_state(app);
    if !compression {
        return router;
    }
    router.layer(
        tower_http::compression::CompressionLayer::new()
            .quality(tower_http::compression::CompressionLevel::Fastest),
    )
}
