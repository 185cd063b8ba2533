//! The native addon of the `unpod-calllogs` npm package: thin adapters from JavaScript values to the
//! core client. Records cross as UTF-8 JSON in a Buffer, with times in epoch milliseconds (one `JSON.parse` and a
//! `new Date(ms)` per time on the JavaScript side); errors cross as JSON in the message, which
//! `errors.js` turns into the package's error classes.

use std::collections::HashMap;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use unpod_calllogs::export::{Exporter, Format};
use unpod_calllogs::{
    CallLog, CallLogPage, CallLogQuery, Client, ClientOptions, Event, Pager, PagerOptions,
    ResponseInfo,
};

/// Marks a message that carries a JSON error description.
const ERROR_MARK: &str = "unpod-calllogs-error:";

fn to_js(error: unpod_calllogs::Error) -> Error {
    let mut detail = serde_json::json!({"message": error.to_string(), "kind": error.kind()});
    match &error {
        unpod_calllogs::Error::Api(api) => {
            detail["status"] = api.status.into();
            detail["body"] = api.body.clone().into();
            detail["requestId"] = api.request_id.clone().into();
            detail["retryAfter"] = api.retry_after.map(|d| d.as_secs_f64()).into();
        }
        unpod_calllogs::Error::Decode(decode) => {
            detail["status"] = decode.status.into();
            detail["body"] = decode.body_snippet.clone().into();
        }
        unpod_calllogs::Error::InvalidQuery(invalid) => {
            detail["parameter"] = invalid.parameter.into();
            detail["rule"] = invalid.rule.clone().into();
            detail["value"] = invalid.value.clone().into();
        }
        unpod_calllogs::Error::ServerContract(violation) => {
            detail["violation"] = violation.kind.as_str().into();
            detail["parameter"] = violation.parameter.into();
            detail["value"] = violation.value.clone().into();
            detail["record"] = violation.record.clone().into();
        }
        _ => {}
    }
    Error::new(Status::GenericFailure, format!("{ERROR_MARK}{detail}"))
}

/// The defaults and lists the core owns, for the JavaScript side.
#[napi(object)]
pub struct Constants {
    /// Milliseconds allowed for one attempt unless configured.
    pub default_timeout_ms: f64,
    /// Retries after a failed attempt unless configured.
    pub default_max_retries: u32,
    /// The page size of `iterate` and `all` unless given.
    pub default_walk_page_size: u32,
    /// Pages `all` fetches at once unless given.
    pub default_concurrency: u32,
    /// Pages a walk requests ahead unless given.
    pub default_prefetch: u32,
    /// The documented `call_type` values.
    pub call_types: Vec<String>,
    /// The documented `call_status` values.
    pub call_statuses: Vec<String>,
    /// Every kind of error the core names; `errors.js` maps each to a class.
    pub error_kinds: Vec<String>,
    /// The API's query parameters, in the contract's order.
    pub parameters: Vec<String>,
}

/// The defaults and lists the core owns.
#[napi]
pub fn constants() -> Constants {
    let strings = |values: Vec<&str>| values.into_iter().map(str::to_owned).collect();
    Constants {
        default_timeout_ms: unpod_calllogs::DEFAULT_TIMEOUT.as_secs_f64() * 1000.0,
        default_max_retries: unpod_calllogs::retry::DEFAULT_MAX_RETRIES,
        default_walk_page_size: unpod_calllogs::DEFAULT_WALK_PAGE_SIZE,
        default_concurrency: unpod_calllogs::DEFAULT_CONCURRENCY as u32,
        default_prefetch: unpod_calllogs::DEFAULT_PREFETCH as u32,
        call_types: strings(
            unpod_calllogs::CallType::DOCUMENTED
                .iter()
                .map(|t| t.as_str())
                .collect(),
        ),
        call_statuses: strings(
            unpod_calllogs::CallStatus::DOCUMENTED
                .iter()
                .map(|s| s.as_str())
                .collect(),
        ),
        error_kinds: strings(unpod_calllogs::Error::KINDS.to_vec()),
        parameters: strings(unpod_calllogs::query::PARAMETERS.to_vec()),
    }
}

/// Runs the `calllogs-contract` command line (argv with the program's name first) on the calling
/// thread and returns its exit status; the package's `bin` calls it, so that the command needs no
/// Rust toolchain and runs the same code as the Rust binary.
#[napi]
pub fn run_cli(argv: Vec<String>) -> u8 {
    calllogs_contract::cli::main(argv)
}

/// Runs a future, turning a panic inside it into a rejected promise instead of a crash, and
/// dropping it (its request, its retries, its read-ahead) as soon as `cancel` is cancelled.
async fn guarded<T>(
    cancel: Option<&NativeCancel>,
    future: impl Future<Output = Result<T>>,
) -> Result<T> {
    use futures_util::FutureExt;
    let guarded = std::panic::AssertUnwindSafe(future)
        .catch_unwind()
        .map(|result| {
            result.unwrap_or_else(|_| {
                Err(to_js(unpod_calllogs::Error::Config(
                    "internal error in unpod-calllogs (please report it)".to_owned(),
                )))
            })
        });
    let Some(cancel) = cancel else {
        return guarded.await;
    };
    let mut cancelled = cancel.sender.subscribe();
    tokio::select! {
        result = guarded => result,
        _ = cancelled.wait_for(|&cancelled| cancelled) => {
            Err(Error::new(Status::Cancelled, "the operation was aborted"))
        }
    }
}

/// The cancellation of one call: the JavaScript side trips it when the call's `AbortSignal` fires.
#[napi]
pub struct NativeCancel {
    sender: tokio::sync::watch::Sender<bool>,
}

#[napi]
impl NativeCancel {
    /// A cancellation not yet tripped.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            sender: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Stops the call: what it has in flight is dropped and nothing more is sent.
    #[napi]
    pub fn cancel(&self) {
        self.sender.send_replace(true);
    }
}

fn millis(time: &chrono::DateTime<chrono::Utc>) -> f64 {
    time.timestamp_millis() as f64
}

/// A record as JavaScript receives it: times in epoch milliseconds, unknown fields under `extra`.
struct JsRecord<'a>(&'a CallLog);

impl serde::Serialize for JsRecord<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = serializer.serialize_map(Some(10))?;
        map.serialize_entry("source_number", &r.source_number)?;
        map.serialize_entry("destination_number", &r.destination_number)?;
        map.serialize_entry("call_type", &r.call_type)?;
        map.serialize_entry("call_status", &r.call_status)?;
        map.serialize_entry("creation_time", &millis(&r.creation_time))?;
        map.serialize_entry("start_time", &r.start_time.as_ref().map(millis))?;
        map.serialize_entry("end_time", &r.end_time.as_ref().map(millis))?;
        map.serialize_entry("call_duration", &r.call_duration)?;
        map.serialize_entry("end_reason", &r.end_reason)?;
        map.serialize_entry("extra", &r.extra)?;
        map.end()
    }
}

struct JsRecords<'a>(&'a [CallLog]);

impl serde::Serialize for JsRecords<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for record in self.0 {
            seq.serialize_element(&JsRecord(record))?;
        }
        seq.end()
    }
}

fn records_json(records: &[CallLog]) -> Buffer {
    serde_json::to_vec(&JsRecords(records))
        .unwrap_or_else(|_| b"[]".to_vec())
        .into()
}

/// A query as JavaScript passes it: `[name, value]` pairs of the contract's parameters, of
/// parameters it does not define, and of headers for this call.
#[napi(object)]
pub struct NativeQuery {
    /// The contract's parameters, as text.
    pub params: Vec<Vec<String>>,
    /// Parameters the contract does not define, sent as given.
    pub extra_query: Vec<Vec<String>>,
    /// Headers for this call's requests.
    pub extra_headers: Vec<Vec<String>>,
    /// Milliseconds allowed for each attempt of this call's requests, instead of the client's.
    pub timeout_ms: Option<f64>,
    /// Retries of this call's requests, instead of the client's.
    pub max_retries: Option<f64>,
}

fn pairs(pairs: Vec<Vec<String>>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .filter_map(|pair| match <[String; 2]>::try_from(pair) {
            Ok([name, value]) => Some((name, value)),
            Err(_) => None,
        })
        .collect()
}

fn query(native: NativeQuery) -> Result<CallLogQuery> {
    let mut query = CallLogQuery::from_pairs(pairs(native.params)).map_err(|e| to_js(e.into()))?;
    query.extra_query = pairs(native.extra_query);
    query.extra_headers = pairs(native.extra_headers);
    query.timeout = native.timeout_ms.map(timeout_of_ms).transpose()?;
    query.max_retries = native.max_retries.map(max_retries_of).transpose()?;
    query.validate().map_err(|e| to_js(e.into()))?;
    Ok(query)
}

fn timeout_of_ms(milliseconds: f64) -> Result<Duration> {
    unpod_calllogs::timeout_from_secs(milliseconds / 1000.0).map_err(to_js)
}

fn max_retries_of(value: f64) -> Result<u32> {
    unpod_calllogs::max_retries_from(value).map_err(to_js)
}

fn event_json(event: &Event) -> String {
    let detail = match event {
        Event::Request { url, attempt } => serde_json::json!({"url": url, "attempt": attempt}),
        Event::Response {
            url,
            status,
            request_id,
            elapsed,
        } => serde_json::json!({
            "url": url,
            "status": status,
            "requestId": request_id,
            "elapsedMs": elapsed.as_secs_f64() * 1000.0,
        }),
        Event::Retry {
            url,
            attempt,
            delay,
            error,
        } => serde_json::json!({
            "url": url,
            "attempt": attempt,
            "delayMs": delay.as_secs_f64() * 1000.0,
            "error": error,
        }),
        _ => serde_json::json!({}),
    };
    serde_json::json!({"name": event.name(), "detail": detail}).to_string()
}

/// Changes for a copy of a client; unset ones keep the original's.
#[napi(object)]
pub struct NativeCopyOptions {
    /// Milliseconds allowed for one attempt.
    pub timeout_ms: Option<f64>,
    /// Retries after a failed attempt.
    pub max_retries: Option<f64>,
    /// Headers added to every request.
    pub headers: Option<HashMap<String, String>>,
    /// Check every record against the filters sent.
    pub verify_filters: Option<bool>,
}

/// The HTTP answer that carried a page.
#[napi(object)]
pub struct NativeResponse {
    /// The HTTP status.
    pub status: u32,
    /// `[name, value]` pairs, names in lower case, in the order received.
    pub headers: Vec<Vec<String>>,
    /// The request id the server sent, if any.
    pub request_id: Option<String>,
    /// The retries it took.
    pub retries: u32,
    /// Milliseconds from sending the successful attempt to the end of its body.
    pub elapsed_ms: f64,
}

/// A piece of an exported file.
#[napi(object)]
pub struct NativeChunk {
    /// How many records it holds.
    pub records: u32,
    /// The text, UTF-8.
    pub text: Buffer,
}

/// Settings of a client; unset ones fall back to `UNPOD_PLATFORM_TOKEN`, `UNPOD_ORG_HANDLE` and
/// `UNPOD_BASE_URL` (default `https://unpod.dev`).
#[napi(object)]
pub struct NativeClientOptions {
    /// The API token.
    pub token: Option<String>,
    /// The organization's handle.
    pub org_handle: Option<String>,
    /// The server's base URL.
    pub base_url: Option<String>,
    /// Milliseconds allowed for one attempt (default 60,000).
    pub timeout_ms: Option<f64>,
    /// Retries after a failed attempt (default 2).
    pub max_retries: Option<f64>,
    /// Extra headers for every request.
    pub headers: Option<HashMap<String, String>>,
    /// Check every record against the filters sent (default true).
    pub verify_filters: Option<bool>,
}

/// A configured client of the call-logs endpoint.
#[napi]
pub struct NativeClient {
    client: Client,
}

/// One page as received, with the query that asked for it and the answer that carried it.
#[napi]
pub struct NativePage {
    page: CallLogPage,
    query: CallLogQuery,
    response: ResponseInfo,
}

impl NativePage {
    async fn fetch(client: &Client, query: CallLogQuery) -> Result<Self> {
        let (page, response) = client
            .call_logs()
            .list_with_response(&query)
            .await
            .map_err(to_js)?;
        Ok(Self {
            page,
            query,
            response,
        })
    }
}

/// A walk written out as a file.
#[napi]
pub struct NativeExporter {
    exporter: tokio::sync::Mutex<Option<Exporter>>,
}

#[napi]
impl NativeExporter {
    /// The next piece of the file, or `null` once all is written (or the export closed).
    #[napi]
    pub async fn next_chunk(&self, cancel: Option<&NativeCancel>) -> Result<Option<NativeChunk>> {
        guarded(cancel, async move {
            let mut exporter = self.exporter.lock().await;
            let Some(exporter) = exporter.as_mut() else {
                return Ok(None);
            };
            let chunk = exporter.next_chunk().await.map_err(to_js)?;
            Ok(chunk.map(|(records, text)| NativeChunk {
                records: records as u32,
                text: text.into(),
            }))
        })
        .await
    }

    /// Ends the export: a page being read ahead is dropped and nothing more is sent.
    #[napi]
    pub async fn close(&self) {
        self.exporter.lock().await.take();
    }
}

/// A walk over the pages of a query.
#[napi]
pub struct NativePager {
    pager: tokio::sync::Mutex<Option<Pager>>,
}

#[napi]
impl NativeClient {
    /// Checks the settings and builds the client; `onEvent` receives each request, answer and
    /// retry as JSON.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        options: NativeClientOptions,
        // Weak: it does not keep the process alive.
        on_event: Option<ThreadsafeFunction<String, (), String, Status, false, true>>,
    ) -> Result<Self> {
        let mut builder = Client::builder()
            .binding("node")
            .verify_filters(options.verify_filters.unwrap_or(true));
        if let Some(token) = options.token {
            builder = builder.token(token);
        }
        if let Some(org_handle) = options.org_handle {
            builder = builder.org_handle(org_handle);
        }
        if let Some(base_url) = options.base_url {
            builder = builder.base_url(base_url);
        }
        if let Some(timeout_ms) = options.timeout_ms {
            builder = builder.timeout(timeout_of_ms(timeout_ms)?);
        }
        if let Some(max_retries) = options.max_retries {
            builder = builder.max_retries(max_retries_of(max_retries)?);
        }
        for (name, value) in options.headers.unwrap_or_default() {
            builder = builder.header(name, value);
        }
        if let Some(sink) = on_event {
            builder = builder.on_event(move |event| {
                sink.call(event_json(event), ThreadsafeFunctionCallMode::NonBlocking);
            });
        }
        let client = builder.env_defaults().build().map_err(to_js)?;
        Ok(Self { client })
    }

    /// A copy with some settings changed, sharing this client's connections and event receiver.
    #[napi(catch_unwind)]
    pub fn with_options(&self, options: NativeCopyOptions) -> Result<NativeClient> {
        let mut changes = ClientOptions::new();
        changes.timeout = options.timeout_ms.map(timeout_of_ms).transpose()?;
        changes.max_retries = options.max_retries.map(max_retries_of).transpose()?;
        changes.headers = options.headers.unwrap_or_default().into_iter().collect();
        changes.verify_filters = options.verify_filters;
        let client = self.client.with_options(changes).map_err(to_js)?;
        Ok(NativeClient { client })
    }

    /// The endpoint's URL.
    #[napi(getter)]
    pub fn endpoint(&self) -> String {
        self.client.endpoint().to_owned()
    }

    /// Fetches the page a query asks for.
    #[napi]
    pub async fn list(
        &self,
        query: NativeQuery,
        cancel: Option<&NativeCancel>,
    ) -> Result<NativePage> {
        guarded(cancel, async move {
            NativePage::fetch(&self.client, self::query(query)?).await
        })
        .await
    }

    /// The page after `after`, or `null` after the last.
    #[napi]
    pub async fn next_page(
        &self,
        after: &NativePage,
        cancel: Option<&NativeCancel>,
    ) -> Result<Option<NativePage>> {
        guarded(cancel, async move {
            let Some(query) = after.next_query() else {
                return Ok(None);
            };
            NativePage::fetch(&self.client, query).await.map(Some)
        })
        .await
    }

    /// A walk of a query's pages with `prefetch` pages requested ahead (default 4), or of the
    /// pages after `after` when given.
    #[napi(catch_unwind)]
    pub fn pager(
        &self,
        query: NativeQuery,
        limit: Option<f64>,
        prefetch: Option<f64>,
        after: Option<&NativePage>,
    ) -> Result<NativePager> {
        Ok(NativePager {
            pager: tokio::sync::Mutex::new(Some(self.walk(query, limit, prefetch, after)?)),
        })
    }

    /// The records of a walk written out in `format`, or in the one `path`'s suffix names.
    #[napi(catch_unwind)]
    pub fn exporter(
        &self,
        query: NativeQuery,
        limit: Option<f64>,
        prefetch: Option<f64>,
        format: Option<String>,
        path: Option<String>,
    ) -> Result<NativeExporter> {
        let format = Format::choose(format.as_deref(), path.as_deref()).map_err(to_js)?;
        let walk = self.walk(query, limit, prefetch, None)?;
        Ok(NativeExporter {
            exporter: tokio::sync::Mutex::new(Some(Exporter::new(walk, format))),
        })
    }

    /// Every matching record, as UTF-8 JSON; pages after the first fetched `concurrency` at a time.
    #[napi]
    pub async fn all(
        &self,
        query: NativeQuery,
        concurrency: f64,
        cancel: Option<&NativeCancel>,
    ) -> Result<Buffer> {
        guarded(cancel, async move {
            let query = self::query(query)?;
            let all = self
                .client
                .call_logs()
                .collect_all(
                    query,
                    unpod_calllogs::concurrency_from(concurrency).map_err(to_js)?,
                )
                .await
                .map_err(to_js)?;
            Ok(records_json(&all))
        })
        .await
    }
}

impl NativeClient {
    /// The walk `pager` and `exporter` hand out.
    fn walk(
        &self,
        query: NativeQuery,
        limit: Option<f64>,
        prefetch: Option<f64>,
        after: Option<&NativePage>,
    ) -> Result<Pager> {
        let options = PagerOptions::new()
            .limit(
                limit
                    .map(unpod_calllogs::limit_from)
                    .transpose()
                    .map_err(to_js)?,
            )
            .prefetch(
                prefetch
                    .map_or(
                        Ok(unpod_calllogs::DEFAULT_PREFETCH),
                        unpod_calllogs::prefetch_from,
                    )
                    .map_err(to_js)?,
            );
        Ok(match after {
            Some(after) => self
                .client
                .call_logs()
                .pages_after(after.query.clone(), after.page.clone(), options)
                .map_err(to_js)?,
            None => self
                .client
                .call_logs()
                .pages_with(self::query(query)?, options),
        })
    }
}

impl NativePage {
    fn next_query(&self) -> Option<CallLogQuery> {
        unpod_calllogs::pagination::next_page_query(&self.query, &self.page)
    }
}

#[napi]
impl NativePage {
    /// How many records match the filters, across all pages.
    #[napi(getter)]
    pub fn count(&self) -> f64 {
        self.page.count as f64
    }

    /// The page number.
    #[napi(getter)]
    pub fn page(&self) -> u32 {
        self.query.page_number()
    }

    /// The page size the server served (smaller than asked when it caps or defaults silently).
    #[napi(getter)]
    pub fn page_size(&self) -> u32 {
        unpod_calllogs::pagination::served_page_size(&self.query, &self.page)
    }

    /// The records, as UTF-8 JSON.
    #[napi]
    pub fn records(&self) -> Buffer {
        records_json(&self.page.data)
    }

    /// Whether a page follows this one.
    #[napi]
    pub fn has_next_page(&self) -> bool {
        self.next_query().is_some()
    }

    /// The HTTP answer that carried the page.
    #[napi]
    pub fn response(&self) -> NativeResponse {
        let r = &self.response;
        NativeResponse {
            status: u32::from(r.status),
            headers: r
                .headers
                .iter()
                .map(|(name, value)| vec![name.clone(), value.clone()])
                .collect(),
            request_id: r.request_id.clone(),
            retries: r.retries,
            elapsed_ms: r.elapsed.as_secs_f64() * 1000.0,
        }
    }
}

#[napi]
impl NativePager {
    /// The records of the next page as UTF-8 JSON, or `null` once the walk has ended (or closed).
    #[napi]
    pub async fn next_page(&self, cancel: Option<&NativeCancel>) -> Result<Option<Buffer>> {
        guarded(cancel, async move {
            let mut pager = self.pager.lock().await;
            let Some(pager) = pager.as_mut() else {
                return Ok(None);
            };
            let page = pager.next_page().await.map_err(to_js)?;
            Ok(page.map(|records| records_json(&records)))
        })
        .await
    }

    /// Ends the walk: a page being read ahead is dropped and nothing more is sent.
    #[napi]
    pub async fn close(&self) {
        self.pager.lock().await.take();
    }
}

/// The records of a page body as the endpoint sends it, as UTF-8 JSON for JavaScript.
#[napi(catch_unwind)]
pub fn records_from_json(body: Buffer) -> Result<Buffer> {
    let page: CallLogPage = serde_json::from_slice(&body).map_err(|e| {
        to_js(unpod_calllogs::Error::Decode(Box::new(
            unpod_calllogs::DecodeError::new(200, e.to_string(), &body),
        )))
    })?;
    Ok(records_json(&page.data))
}

/// Settings of the reference server.
#[napi(object)]
pub struct NativeServerOptions {
    /// How many records (default `calllogs_reference::DEFAULT_RECORDS`).
    pub records: Option<u32>,
    /// Seed of the data (default `calllogs_reference::DEFAULT_SEED`).
    pub seed: Option<u32>,
    /// Milliseconds added to every answer.
    pub latency_ms: Option<f64>,
    /// Share of requests answered 500/503.
    pub error_rate: Option<f64>,
    /// Share of requests answered 429.
    pub throttle_rate: Option<f64>,
    /// Retry-After of 429 answers, in seconds.
    pub retry_after: Option<u32>,
    /// Statuses of the first answers, in order.
    pub script: Option<Vec<u32>>,
    /// New calls added before each answer.
    pub live_inserts: Option<u32>,
    /// A named contract violation.
    pub fault: Option<String>,
    /// Serve at most this many records a page, silently.
    pub page_size_cap: Option<u32>,
    /// The page size when none is sent (the contract's is 20).
    pub default_page_size: Option<u32>,
    /// The answer to a page past the last: `empty`, `400` or `404`.
    pub past_last: Option<String>,
    /// Filters accepted and not applied, by parameter name.
    pub ignore_filters: Option<Vec<String>>,
    /// When the generated history ends: `now`, or an ISO 8601 date or date-time.
    pub end_at: Option<String>,
    /// Compress answers with gzip when the request allows it.
    pub compression: Option<bool>,
    /// Bytes a second each connection may send.
    pub bandwidth: Option<f64>,
}

/// The reference server, in process, for tests.
#[napi]
pub struct NativeReferenceServer {
    handle: tokio::sync::Mutex<Option<calllogs_reference::ServerHandle>>,
    url: String,
    token: String,
    org_handle: String,
}

impl NativeReferenceServer {
    fn counters(&self) -> (u64, u64) {
        self.handle
            .try_lock()
            .ok()
            .and_then(|h| h.as_ref().map(|h| (h.requests(), h.peak_concurrency())))
            .unwrap_or((0, 0))
    }
}

#[napi]
impl NativeReferenceServer {
    /// Starts a server on 127.0.0.1.
    #[napi(factory)]
    pub async fn start(options: NativeServerOptions) -> Result<NativeReferenceServer> {
        let invalid = |e: String| Error::new(Status::InvalidArg, e);
        let latency = Duration::try_from_secs_f64(options.latency_ms.unwrap_or(0.0) / 1000.0)
            .map_err(|e| invalid(format!("latencyMs: {e}")))?;
        let knobs = calllogs_reference::Knobs::default()
            .latency(latency)
            .error_rate(options.error_rate.unwrap_or(0.0))
            .throttle_rate(options.throttle_rate.unwrap_or(0.0))
            .retry_after_secs(
                options
                    .retry_after
                    .map_or(calllogs_reference::DEFAULT_RETRY_AFTER_SECS, u64::from),
            )
            .script(
                options
                    .script
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| u16::try_from(s).unwrap_or(500))
                    .collect::<Vec<_>>(),
            )
            .live_inserts(options.live_inserts.unwrap_or(0))
            .page_size_cap(options.page_size_cap)
            .default_page_size(options.default_page_size)
            .past_last(
                options
                    .past_last
                    .as_deref()
                    .unwrap_or("empty")
                    .parse()
                    .map_err(invalid)?,
            )
            .ignored_filters(
                options
                    .ignore_filters
                    .unwrap_or_default()
                    .iter()
                    .map(|name| name.parse())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(invalid)?,
            )
            .compression(options.compression.unwrap_or(false))
            .bandwidth(options.bandwidth.map(|rate| rate as u64));
        let mut config = calllogs_reference::ServerConfig::with_knobs(
            options
                .records
                .map_or(calllogs_reference::DEFAULT_RECORDS, |n| n as usize),
            options
                .seed
                .map_or(calllogs_reference::DEFAULT_SEED, u64::from),
            knobs,
            options.fault.as_deref(),
        )
        .map_err(|e| invalid(e.to_string()))?;
        config.history_end = options
            .end_at
            .as_deref()
            .map(calllogs_reference::data::parse_history_end)
            .transpose()
            .map_err(invalid)?;
        let handle = calllogs_reference::start(config)
            .await
            .map_err(|e| Error::new(Status::GenericFailure, e.to_string()))?;
        let (url, token, org_handle) = (
            handle.url().to_owned(),
            handle.token().to_owned(),
            handle.org_handle().to_owned(),
        );
        Ok(NativeReferenceServer {
            handle: tokio::sync::Mutex::new(Some(handle)),
            url,
            token,
            org_handle,
        })
    }

    /// The base URL.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The token that reads the organization.
    #[napi(getter)]
    pub fn token(&self) -> String {
        self.token.clone()
    }

    /// The organization's handle.
    #[napi(getter)]
    pub fn org_handle(&self) -> String {
        self.org_handle.clone()
    }

    /// How many requests the server has answered.
    #[napi(getter)]
    pub fn requests(&self) -> f64 {
        self.counters().0 as f64
    }

    /// The most requests the server was answering at one time.
    #[napi(getter)]
    pub fn peak_concurrency(&self) -> f64 {
        self.counters().1 as f64
    }

    /// Stops the server.
    #[napi]
    pub async fn stop(&self) -> Result<()> {
        if let Some(handle) = self.handle.lock().await.take() {
            handle.shutdown().await;
        }
        Ok(())
    }
}
