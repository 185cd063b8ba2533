//! The HTTP side: configuration, start and stop, and the endpoint itself.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::TimeDelta;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use unpod_calllogs::model::PAGE_MESSAGE;
use unpod_calllogs::query::DEFAULT_PAGE_SIZE;
use unpod_calllogs::{CALL_LOGS_PATH, CallLog, CallLogQuery, DateBound, ErrorBody};

use crate::data::{self, SplitMix64};
use crate::fault::Fault;
use crate::store::{Selection, Store};
use crate::throttle::Throttled;

/// The token the server accepts by default.
pub const DEFAULT_TOKEN: &str = "test-token";
/// The organization the default token reads.
pub const DEFAULT_ORG_HANDLE: &str = "acme";
/// A second organization that exists but that the main token may not read (403).
pub const FOREIGN_ORG_HANDLE: &str = "initech";
/// The token of the second organization.
pub const FOREIGN_TOKEN: &str = "initech-token";
/// How many records the foreign organization holds.
pub const FOREIGN_RECORDS: usize = 25;
/// How long a connection may take to send a request's head, or stay idle between requests.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How many connections the server holds open at once; more wait to be accepted.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Where the main organization's records come from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Records {
    /// `count` records generated from `seed` (see [`data::generate`]).
    Generated {
        /// How many.
        count: usize,
        /// The generator's seed.
        seed: u64,
    },
    /// These records.
    Given(Vec<CallLog>),
}

/// How a page past the last is answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PastLast {
    /// `200` with `data: []` and the same `count` (the contract's first choice).
    #[default]
    Empty,
    /// `400` "Invalid page." (the public Unpod v1 code).
    BadRequest,
    /// `404` "Invalid page." (stock Django REST framework).
    NotFound,
}

impl PastLast {
    /// The names `--past-last` takes.
    pub const NAMES: &'static str = "empty, 400, 404";
}

impl std::str::FromStr for PastLast {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "empty" | "200" => Ok(Self::Empty),
            "400" => Ok(Self::BadRequest),
            "404" => Ok(Self::NotFound),
            other => Err(format!(
                "unknown past-last answer {other:?}; known: {}",
                Self::NAMES
            )),
        }
    }
}

/// A filter parameter the server can be told to accept and ignore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Filter {
    /// `call_type`
    CallType,
    /// `call_status`
    CallStatus,
    /// `start_date`
    StartDate,
    /// `end_date`
    EndDate,
}

impl Filter {
    /// Every filter, in the contract's order.
    pub const ALL: &'static [Filter] = &[
        Self::CallType,
        Self::CallStatus,
        Self::StartDate,
        Self::EndDate,
    ];

    /// The parameter's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::CallType => "call_type",
            Self::CallStatus => "call_status",
            Self::StartDate => "start_date",
            Self::EndDate => "end_date",
        }
    }
}

impl std::str::FromStr for Filter {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|filter| filter.name() == name)
            .ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(|f| f.name()).collect();
                format!("unknown filter {name:?}; known: {}", known.join(", "))
            })
    }
}

/// How many records the server generates unless told (the CLI, both bindings' `ReferenceServer`).
pub const DEFAULT_RECORDS: usize = 1000;
/// The seed of the generated data unless told.
pub const DEFAULT_SEED: u64 = 42;
/// The `Retry-After` of 429 answers unless told, in seconds.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// Behaviour for client tests: slowness, failures, throttling, calls arriving during a walk, and
/// the ways real servers are known to paginate and filter differently from the contract.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Knobs {
    /// Added before every answer.
    pub latency: Duration,
    /// The share (0..=1) of requests answered 500 or 503.
    pub error_rate: f64,
    /// The share (0..=1) of requests answered 429 with `Retry-After`.
    pub throttle_rate: f64,
    /// The `Retry-After` of 429 answers, in seconds.
    pub retry_after_secs: u64,
    /// Statuses for the first requests, in order (e.g. `[503, 429]`), before normal service.
    pub script: Vec<u16>,
    /// New calls added to the main organization (newest first) before each request is answered.
    pub live_inserts: u32,
    /// Serve at most this many records a page, silently, as Django REST framework's
    /// `max_page_size` does (page offsets use the capped size).
    pub page_size_cap: Option<u32>,
    /// The page size when the request sends none (the contract's is 20; Django REST framework
    /// servers often use 10).
    pub default_page_size: Option<u32>,
    /// How a page past the last is answered.
    pub past_last: PastLast,
    /// Filters accepted and not applied.
    pub ignored_filters: Vec<Filter>,
    /// Read `start_time` / `end_time` in `DD-MM-YYYY HH:MM:SS` as date bounds (the public Unpod v2
    /// code does, instead of `start_date` / `end_date`).
    pub legacy_date_params: bool,
    /// Match `call_type` / `call_status` without regard to case (`INBOUND` is `inbound`).
    pub case_insensitive_enums: bool,
    /// Accept any `page_size`: above 1000 served, 0 an empty page.
    pub page_size_unbounded: bool,
    /// Answer 400 to requests without this header (the public Unpod code requires `Product-Id`).
    pub required_header: Option<String>,
    /// Records as the real server sends them: fields the contract does not define, and
    /// `call_duration` with a fraction.
    pub real_world_records: bool,
    /// Compress answers with gzip (fastest level) when the request's `Accept-Encoding` allows it,
    /// as servers behind nginx or Django's `GZipMiddleware` do.
    pub compression: bool,
    /// Send at most this many bytes a second on each connection: a slow link.
    pub bandwidth: Option<u64>,
}

impl Default for Knobs {
    /// A server that behaves: no latency, no failures, the contract's pagination and filters.
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            error_rate: 0.0,
            throttle_rate: 0.0,
            retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
            script: Vec::new(),
            live_inserts: 0,
            page_size_cap: None,
            default_page_size: None,
            past_last: PastLast::default(),
            ignored_filters: Vec::new(),
            legacy_date_params: false,
            case_insensitive_enums: false,
            page_size_unbounded: false,
            required_header: None,
            real_world_records: false,
            compression: false,
            bandwidth: None,
        }
    }
}

/// Everything the server is started with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The address to listen on (default 127.0.0.1).
    pub host: IpAddr,
    /// The port (default 0: any free port).
    pub port: u16,
    /// The token that reads the main organization.
    pub token: String,
    /// The main organization's handle.
    pub org_handle: String,
    /// The main organization's records.
    pub records: Records,
    /// The seed of the generated data and of every random decision of the knobs.
    pub seed: u64,
    /// Client-test behaviour.
    pub knobs: Knobs,
    /// When generated history ends (default [`data::history_end`], 2026-03-01, so that runs
    /// repeat; `Utc::now()` makes "the last week" hold data).
    pub history_end: Option<chrono::DateTime<chrono::Utc>>,
    /// Deliberate contract violations, for testing contract suites (one each to prove a check,
    /// several to emulate a real server).
    pub faults: Vec<Fault>,
    /// How long a connection may take to send a request's head, or stay idle between requests,
    /// before it is closed: slow or silent clients cannot hold the server.
    pub header_read_timeout: Duration,
    /// How many connections are served at once; further ones wait to be accepted.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            token: DEFAULT_TOKEN.to_owned(),
            org_handle: DEFAULT_ORG_HANDLE.to_owned(),
            records: Records::Generated {
                count: DEFAULT_RECORDS,
                seed: DEFAULT_SEED,
            },
            seed: DEFAULT_SEED,
            knobs: Knobs::default(),
            history_end: None,
            faults: Vec::new(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl Knobs {
    unpod_calllogs::__setters! {
        latency: Duration,
        error_rate: f64,
        throttle_rate: f64,
        retry_after_secs: u64,
        script: Vec<u16> => into,
        live_inserts: u32,
        page_size_cap: Option<u32> => into,
        default_page_size: Option<u32> => into,
        past_last: PastLast,
        ignored_filters: Vec<Filter> => into,
        legacy_date_params: bool,
        case_insensitive_enums: bool,
        page_size_unbounded: bool,
        required_header: Option<String> => into,
        real_world_records: bool,
        compression: bool,
        bandwidth: Option<u64> => into,
    }
}

impl ServerConfig {
    unpod_calllogs::__setters! {
        host: IpAddr => into,
        port: u16,
        token: String => into,
        org_handle: String => into,
        records: Records,
        seed: u64,
        knobs: Knobs,
        history_end: Option<chrono::DateTime<chrono::Utc>> => into,
        faults: Vec<Fault> => into,
        header_read_timeout: Duration,
        max_connections: usize,
    }

    /// `count` records from `seed`, with these knobs and the fault of this name (as bindings and
    /// CLIs receive it).
    pub fn with_knobs(
        count: usize,
        seed: u64,
        knobs: Knobs,
        fault: Option<&str>,
    ) -> Result<Self, crate::UnknownFault> {
        Ok(Self {
            knobs,
            faults: fault.map(str::parse).transpose()?.into_iter().collect(),
            ..Self::seeded(count, seed)
        })
    }

    /// The default configuration with `count` records generated from `seed`.
    pub fn seeded(count: usize, seed: u64) -> Self {
        Self {
            records: Records::Generated { count, seed },
            seed,
            ..Self::default()
        }
    }
}

struct Org {
    store: RwLock<Store>,
}

struct App {
    orgs: HashMap<String, Org>,
    grants: HashMap<String, Vec<String>>,
    main_org: String,
    knobs: Knobs,
    faults: Vec<Fault>,
    seed: u64,
    requests: Arc<AtomicU64>,
    in_flight: AtomicU64,
    peak: Arc<AtomicU64>,
    live: Mutex<(SplitMix64, Vec<String>)>,
    history_end: chrono::DateTime<chrono::Utc>,
}

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

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, Bytes::from(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorBody::new(status.as_u16(), message);
    json(status, serde_json::to_vec(&body).unwrap_or_default())
}

/// Why a request is refused: a status and a message, made into an answer by `App::refuse`.
struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

/// An error in the shape of a stock Django REST framework answer (`{"detail": ...}`), which the
/// contract's error schema does not allow.
fn detail_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "detail": message.into() });
    json(status, serde_json::to_vec(&body).unwrap_or_default())
}

#[derive(Serialize)]
struct PageView<'a, T: Serialize> {
    count: u64,
    status_code: u16,
    message: &'a str,
    data: Vec<T>,
}

async fn call_logs(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let number = app.requests.fetch_add(1, Ordering::SeqCst);
    let in_flight = app.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    app.peak.fetch_max(in_flight, Ordering::SeqCst);
    if !app.knobs.latency.is_zero() {
        tokio::time::sleep(app.knobs.latency).await;
    }
    let response = match app.injected_failure(number) {
        Some(response) => response,
        None => {
            app.insert_live_calls();
            app.answer(&headers, raw_query.as_deref().unwrap_or(""), number)
        }
    };
    app.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

impl App {
    fn injected_failure(&self, number: u64) -> Option<Response> {
        let knobs = &self.knobs;
        let scripted = usize::try_from(number)
            .ok()
            .and_then(|n| knobs.script.get(n).copied());
        let mut rng = SplitMix64::new(self.seed ^ number.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let status = scripted.or_else(|| {
            let roll = rng.unit();
            if roll < knobs.error_rate {
                Some(if number % 2 == 0 { 500 } else { 503 })
            } else if roll < knobs.error_rate + knobs.throttle_rate {
                Some(429)
            } else {
                None
            }
        })?;
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = error(status, "injected failure");
        if status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(knobs.retry_after_secs),
            );
        }
        Some(response)
    }

    fn insert_live_calls(&self) {
        if self.knobs.live_inserts == 0 {
            return;
        }
        let Some(org) = self.orgs.get(&self.main_org) else {
            return;
        };
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        let (rng, numbers) = &mut *live;
        let mut store = org.store.write().unwrap_or_else(PoisonError::into_inner);
        for _ in 0..self.knobs.live_inserts {
            let newest = store.newest().unwrap_or(self.history_end);
            // Half the new calls share the newest instant: the hardest case for a paging client.
            let step = TimeDelta::seconds(rng.below(2) as i64);
            let call = data::call_at(rng, numbers, newest + step);
            store.append(call);
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// An error answer, in the contract's shape unless a fault reshapes it.
    fn fail(&self, status: StatusCode, message: impl Into<String>) -> Response {
        if self.has(Fault::ErrorDetailOnly) {
            detail_error(status, message)
        } else {
            error(status, message)
        }
    }

    /// The answer to a refused request; a 401 says which scheme authenticates.
    fn refuse(&self, refusal: Refusal) -> Response {
        let mut response = self.fail(refusal.status, refusal.message);
        if refusal.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        response
    }

    fn answer(&self, headers: &HeaderMap, raw_query: &str, number: u64) -> Response {
        let org = match self.authorize(headers) {
            Ok(Some(org)) => org,
            Ok(None) => return self.page_response(0, Vec::new()),
            Err(refusal) => return self.refuse(refusal),
        };
        let query = match self.read_query(raw_query) {
            Ok(query) => query,
            Err(refusal) => return self.refuse(refusal),
        };
        let store = org.store.read().unwrap_or_else(PoisonError::into_inner);
        let matches = store.select(&self.selection(&query, raw_query));
        let size = query
            .page_size
            .or(self.knobs.default_page_size)
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .min(self.knobs.page_size_cap.unwrap_or(u32::MAX)) as usize;
        let take = if self.has(Fault::PageSizeCapped) {
            size.min(100)
        } else {
            size
        };
        let page = query.page_number() as usize;
        let mut skip = (page - 1).saturating_mul(size);
        if page > 1 && skip >= matches.len() {
            match self.knobs.past_last {
                PastLast::Empty => {}
                PastLast::BadRequest => return self.fail(StatusCode::BAD_REQUEST, "Invalid page."),
                PastLast::NotFound => return self.fail(StatusCode::NOT_FOUND, "Invalid page."),
            }
        }
        if self.has(Fault::PageWindowOverlap) && page > 1 {
            skip -= 1;
        }
        if self.has(Fault::PastLastPageRepeats) && skip >= matches.len() && !matches.is_empty() {
            skip = (matches.len() - 1) / size * size;
        }
        let count = matches.len() as u64 + u64::from(self.has(Fault::CountOffByOne));
        let records: Vec<&CallLog> = if self.has(Fault::OldestFirst) {
            matches.oldest_first(skip, take).collect()
        } else if self.has(Fault::UnstableTies) {
            let mut all: Vec<(usize, &CallLog)> =
                matches.newest_first(0, usize::MAX).enumerate().collect();
            let mut rng = SplitMix64::new(number);
            let keys: Vec<u64> = (0..all.len()).map(|_| rng.next_u64()).collect();
            all.sort_by(|(a, x), (b, y)| {
                y.creation_time
                    .cmp(&x.creation_time)
                    .then(keys[*a].cmp(&keys[*b]))
            });
            all.into_iter()
                .skip(skip)
                .take(take)
                .map(|(_, r)| r)
                .collect()
        } else {
            matches.newest_first(skip, take).collect()
        };
        self.page_response(count, records)
    }

    /// The organization the request may read; `None` for an unknown one that is answered with
    /// an empty page; or the error answer.
    fn authorize(&self, headers: &HeaderMap) -> Result<Option<&Org>, Refusal> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("token"))
            .map(|(_, token)| token.trim());
        let grant = token.and_then(|token| self.grants.get(token));
        if grant.is_none() && !self.has(Fault::AuthBypass) {
            return Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                match token {
                    None => "Authentication credentials were not provided.",
                    Some(_) => "Invalid token.",
                },
            ));
        }
        if let Some(name) = self
            .knobs
            .required_header
            .as_deref()
            .filter(|name| !headers.contains_key(*name))
        {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("the {name} header is required"),
            ));
        }
        let Some(handle) = headers
            .get("org-handle")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
        else {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "the Org-Handle header is required",
            ));
        };
        let Some(org) = self.orgs.get(handle) else {
            if self.has(Fault::UnknownOrgEmpty) {
                return Ok(None);
            }
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("no organization has the handle {handle:?}"),
            ));
        };
        let allowed = grant.is_none_or(|orgs| orgs.iter().any(|o| o == handle));
        if !allowed && !self.has(Fault::ForeignOrgReadable) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                format!("this token has no access to the organization {handle:?}"),
            ));
        }
        Ok(Some(org))
    }

    /// The query, read and checked as the contract says (or as the knobs and faults bend it).
    fn read_query(&self, raw_query: &str) -> Result<CallLogQuery, Refusal> {
        let mut query = CallLogQuery::from_query_string(raw_query).map_err(|invalid| {
            let crash = self.has(Fault::InvalidPageCrashes)
                && matches!(invalid.parameter, "page" | "page_size");
            let status = if crash {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            Refusal::new(status, invalid.to_string())
        })?;
        if self.knobs.case_insensitive_enums {
            query.call_type = query
                .call_type
                .map(|t| t.as_str().to_ascii_lowercase().into());
            query.call_status = query
                .call_status
                .map(|s| s.as_str().to_ascii_lowercase().into());
        }
        query.allow_undocumented_values = self.has(Fault::InvalidFilterIgnored);
        let page_size = query.page_size;
        if self.knobs.page_size_unbounded {
            query.page_size = None;
        }
        query
            .validate()
            .map_err(|invalid| Refusal::new(StatusCode::BAD_REQUEST, invalid.to_string()))?;
        query.page_size = page_size;
        Ok(query)
    }

    /// What the query selects, less the filters the server ignores.
    fn selection<'q>(&self, query: &'q CallLogQuery, raw_query: &str) -> Selection<'q> {
        let applied = |filter: Filter| !self.knobs.ignored_filters.contains(&filter);
        let (legacy_from, legacy_through) = if self.knobs.legacy_date_params {
            legacy_dates(raw_query)
        } else {
            (None, None)
        };
        Selection {
            call_type: query
                .call_type
                .as_ref()
                .filter(|_| !self.has(Fault::IgnoreCallType) && applied(Filter::CallType)),
            call_status: query
                .call_status
                .as_ref()
                .filter(|_| !self.has(Fault::IgnoreCallStatus) && applied(Filter::CallStatus)),
            from: query
                .start_date
                .filter(|_| applied(Filter::StartDate))
                .map(|bound| {
                    let exclusive = self.has(Fault::StartDateExclusive);
                    bound.first_instant() + TimeDelta::nanoseconds(i64::from(exclusive))
                })
                .or(legacy_from),
            through: query
                .end_date
                .filter(|_| applied(Filter::EndDate))
                .map(|bound| match bound {
                    DateBound::Date(_) if self.has(Fault::EndDateExcludesDay) => {
                        bound.first_instant()
                    }
                    _ => bound.last_instant(),
                })
                .or(legacy_through),
        }
    }

    fn page_response(&self, count: u64, records: Vec<&CallLog>) -> Response {
        let status_code = if self.has(Fault::StatusCodeMismatch) {
            201
        } else {
            200
        };
        let mangled = self.has(Fault::DurationAsString)
            || self.has(Fault::DurationMismatch)
            || self.knobs.real_world_records;
        let body = if mangled {
            let data = records.into_iter().map(|r| self.mangle(r)).collect();
            serde_json::to_vec(&PageView {
                count,
                status_code,
                message: PAGE_MESSAGE,
                data,
            })
        } else {
            serde_json::to_vec(&PageView {
                count,
                status_code,
                message: PAGE_MESSAGE,
                data: records,
            })
        };
        let mut response = json(StatusCode::OK, body.unwrap_or_default());
        if self.has(Fault::ContentTypeText) {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
        }
        response
    }

    fn mangle(&self, record: &CallLog) -> Value {
        let mut value = serde_json::to_value(record).unwrap_or_default();
        let duration = record.call_duration;
        let answered = record.start_time.is_some();
        value["call_duration"] = if self.has(Fault::DurationAsString) {
            Value::from(duration.to_string())
        } else if self.has(Fault::DurationMismatch) && answered {
            Value::from(duration as u64 + 1)
        } else if self.knobs.real_world_records && answered {
            Value::from(duration + 0.5)
        } else {
            Value::from(duration as u64)
        };
        if self.knobs.real_world_records {
            value["product_id"] = Value::from("unpod.ai");
            value["bridge"] = Value::Null;
        }
        value
    }
}

/// `start_time` / `end_time` in `DD-MM-YYYY HH:MM:SS` (the public Unpod v2 code), as bounds on
/// `creation_time`; a value in another form is ignored, as that code ignores it.
fn legacy_dates(
    raw_query: &str,
) -> (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
) {
    let mut bounds = (None, None);
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        let parsed = chrono::NaiveDateTime::parse_from_str(&value, "%d-%m-%Y %H:%M:%S")
            .ok()
            .map(|t| t.and_utc());
        match name.as_ref() {
            "start_time" => bounds.0 = parsed,
            "end_time" => bounds.1 = parsed,
            _ => {}
        }
    }
    bounds
}

/// Real servers the reference server can behave like, for testing clients and contract suites
/// against them (CONTRACT.md, "what the real server has been seen to do differently").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Emulation {
    /// The public Unpod platform code's `GET /api/v2/platform/call-logs/` (items 1-9): dates read
    /// from `start_time`/`end_time`, `start_date`/`end_date` ignored, unknown organizations
    /// answered 200, organizations not isolated, unknown enum values answered with an empty page,
    /// enum values matched without regard to case, any `page_size`, `Product-Id` required, ties
    /// in no stable order, extra fields and fractional durations.
    UnpodV2,
    /// A Django REST framework `PageNumberPagination` view such as the public v1 metrics endpoint
    /// (items 10-11): default page size 10, `page_size` capped at 100 silently, a page past the
    /// last answered 400.
    DrfPagination,
}

impl Emulation {
    /// The names `--emulate` takes.
    pub const NAMES: &'static str = "unpod-v2, drf-pagination";

    /// The emulation's name, as `--emulate` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::UnpodV2 => "unpod-v2",
            Self::DrfPagination => "drf-pagination",
        }
    }

    /// `config` behaving like this server.
    pub fn apply(self, config: ServerConfig) -> ServerConfig {
        let knobs = config.knobs;
        match self {
            Self::UnpodV2 => ServerConfig {
                knobs: Knobs {
                    ignored_filters: vec![Filter::StartDate, Filter::EndDate],
                    legacy_date_params: true,
                    case_insensitive_enums: true,
                    page_size_unbounded: true,
                    required_header: Some("Product-Id".to_owned()),
                    real_world_records: true,
                    ..knobs
                },
                faults: vec![
                    Fault::UnknownOrgEmpty,
                    Fault::ForeignOrgReadable,
                    Fault::InvalidFilterIgnored,
                    Fault::UnstableTies,
                ],
                ..config
            },
            Self::DrfPagination => ServerConfig {
                knobs: Knobs {
                    default_page_size: Some(10),
                    page_size_cap: Some(100),
                    past_last: PastLast::BadRequest,
                    ..knobs
                },
                ..config
            },
        }
    }
}

impl std::str::FromStr for Emulation {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "unpod-v2" => Ok(Self::UnpodV2),
            "drf-pagination" => Ok(Self::DrfPagination),
            other => Err(format!("unknown server {other:?}; known: {}", Self::NAMES)),
        }
    }
}
