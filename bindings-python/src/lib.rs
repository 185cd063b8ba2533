//! The native module `unpod_calllogs._native`: thin adapters from Python values to the core client.
//! Every rule lives in the core; this crate converts arguments, results and errors.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use tokio::runtime::{Handle, Runtime};
use unpod_calllogs::export::{Exporter, Format};
use unpod_calllogs::{
    CallLogPage, CallLogQuery, Client, ClientOptions, Error, Pager, PagerOptions, ResponseInfo,
};

mod arrow;
mod errors;
mod record;

use arrow::NativeTable;
use record::PyCallLog;

/// How often a blocking call wakes to let Ctrl-C through.
const SIGNAL_TICK: Duration = Duration::from_millis(100);
/// How long the runtime's threads get to stop when the interpreter exits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The runtime every call of the module runs on, owned here so that [`shutdown`] can stop it.
static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);

fn runtime() -> &'static Handle {
    static HANDLE: OnceLock<Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("unpod-calllogs")
            .build()
            .expect("the async runtime of unpod-calllogs cannot start");
        let handle = runtime.handle().clone();
        *RUNTIME.lock().unwrap_or_else(PoisonError::into_inner) = Some(runtime);
        handle
    })
}

/// Stops the runtime and joins its threads; registered with `atexit`, which runs before the
/// interpreter starts to finalize. A runtime thread that touched Python during finalization (to
/// settle an awaitable, to log) crashed the process; after this, no such thread exists.
#[pyfunction]
fn _shutdown(py: Python<'_>) {
    let runtime = RUNTIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(runtime) = runtime {
        py.detach(|| runtime.shutdown_timeout(SHUTDOWN_GRACE));
    }
}

/// Runs a future to completion with the GIL released, waking every 100 ms for Ctrl-C. A panic
/// inside becomes a `CallLogsError`.
fn wait<T: Send>(
    py: Python<'_>,
    future: impl Future<Output = Result<T, Error>> + Send,
) -> PyResult<T> {
    let mut future = Box::pin(AssertUnwindSafe(future).catch_unwind());
    loop {
        let step = py.detach(|| {
            runtime().block_on(async { tokio::time::timeout(SIGNAL_TICK, &mut future).await })
        });
        match step {
            Ok(Ok(result)) => return result.map_err(|e| errors::to_py(py, e)),
            Ok(Err(panic)) => return Err(errors::panic(py, &panic)),
            Err(_) => py.check_signals()?,
        }
    }
}

/// Runs `f` inside the shared runtime's context; a panic becomes a `CallLogsError`.
fn guarded<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let _context = runtime().enter();
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|panic| Err(errors::panic(py, &panic)))
}

/// A native call running on the runtime for an awaiting coroutine; `cancel` drops it (its request
/// and retries) when the coroutine is cancelled.
#[pyclass(frozen, module = "unpod_calllogs._native")]
struct NativeTask {
    task: tokio::task::AbortHandle,
}

#[pymethods]
impl NativeTask {
    fn cancel(&self) {
        self.task.abort();
    }
}

/// Runs a future on the shared runtime; when it ends, `settle(ok, value)` is called with its
/// result or its exception (the Python side hands that to the event loop that awaits it).
fn awaitable<T>(
    settle: Py<PyAny>,
    future: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> NativeTask
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let task = runtime().spawn(async move {
        let result = AssertUnwindSafe(future).catch_unwind().await;
        Python::attach(|py| {
            let outcome = match result {
                Ok(Ok(value)) => value.into_py_any(py).map(|value| (true, value)),
                Ok(Err(error)) => Ok((false, errors::to_py(py, error).into_value(py).into_any())),
                Err(panic) => Ok((false, errors::panic(py, &panic).into_value(py).into_any())),
            };
            let (ok, value) = outcome.unwrap_or_else(|e| (false, e.into_value(py).into_any()));
            if let Err(error) = settle.call1(py, (ok, value)) {
                error.write_unraisable(py, None);
            }
        });
    });
    NativeTask {
        task: task.abort_handle(),
    }
}

/// A query as Python passes it: the contract's parameters as text, `extra_query`,
/// `extra_headers`, then this call's `timeout` and `max_retries` (or `None`).
#[derive(FromPyObject)]
struct QueryArgs<'py>(
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<(String, String)>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
);

fn query(py: Python<'_>, args: QueryArgs<'_>) -> PyResult<CallLogQuery> {
    let QueryArgs(pairs, extra_query, extra_headers, timeout, max_retries) = args;
    let to_py = |e| errors::to_py(py, e);
    let mut query = CallLogQuery::from_pairs(pairs).map_err(|e| to_py(e.into()))?;
    query.extra_query = extra_query;
    query.extra_headers = extra_headers;
    query.timeout = timeout.map(|t| timeout_of(py, &t)).transpose()?;
    query.max_retries = max_retries.map(|r| max_retries_of(py, &r)).transpose()?;
    query.validate().map_err(|e| to_py(e.into()))?;
    Ok(query)
}

fn timeout_of(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let seconds = number(py, "timeout", value)?;
    unpod_calllogs::timeout_from_secs(seconds).map_err(|e| errors::to_py(py, e))
}

fn max_retries_of(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<u32> {
    let retries = number(py, "max_retries", value)?;
    unpod_calllogs::max_retries_from(retries).map_err(|e| errors::to_py(py, e))
}

fn limit_of(py: Python<'_>, limit: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    limit
        .map(|limit| {
            let limit = number(py, "limit", limit)?;
            unpod_calllogs::limit_from(limit).map_err(|e| errors::to_py(py, e))
        })
        .transpose()
}

/// A numeric setting as Python passes it: an `int` or a `float` (a `bool` is neither), or a
/// `ConfigError` naming it. Its range is the core's rule.
fn number(py: Python<'_>, setting: &str, value: &Bound<'_, PyAny>) -> PyResult<f64> {
    use pyo3::types::{PyBool, PyFloat, PyInt};
    let numeric = (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
        && !value.is_instance_of::<PyBool>();
    if numeric {
        if let Ok(number) = value.extract::<f64>() {
            return Ok(number);
        }
    }
    let type_name = value.get_type().name()?;
    Err(errors::to_py(
        py,
        Error::Config(format!("{setting} must be a number (got {type_name})")),
    ))
}

fn prefetch_of(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<usize> {
    let prefetch = number(py, "prefetch", value)?;
    unpod_calllogs::prefetch_from(prefetch).map_err(|e| errors::to_py(py, e))
}

fn concurrency_of(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<usize> {
    let concurrency = number(py, "concurrency", value)?;
    unpod_calllogs::concurrency_from(concurrency).map_err(|e| errors::to_py(py, e))
}

fn records(records: Vec<unpod_calllogs::CallLog>) -> Vec<PyCallLog> {
    records.into_iter().map(PyCallLog).collect()
}

/// A configured client; `unpod_calllogs.Client` and `AsyncClient` wrap it.
#[pyclass(frozen, module = "unpod_calllogs._native")]
struct NativeClient {
    client: Client,
}

/// One page as received, with the query that asked for it and the answer that carried it.
#[pyclass(frozen, module = "unpod_calllogs._native")]
struct NativePage {
    page: CallLogPage,
    query: CallLogQuery,
    response: ResponseInfo,
}

impl NativePage {
    async fn fetch(client: Client, query: CallLogQuery) -> Result<Self, Error> {
        let (page, response) = client.call_logs().list_with_response(&query).await?;
        Ok(Self {
            page,
            query,
            response,
        })
    }
}

/// Empties a walk's slot on the runtime (waiting for a call in progress to finish with it), which
/// drops the walk and its read-ahead.
fn close_later<T: Send + 'static>(slot: Arc<tokio::sync::Mutex<Option<T>>>) {
    runtime().spawn(async move { slot.lock().await.take() });
}

/// A walk written out as a file; `None` once closed.
#[pyclass(frozen, module = "unpod_calllogs._native")]
struct NativeExporter {
    exporter: Arc<tokio::sync::Mutex<Option<Exporter>>>,
}

async fn next_chunk(
    exporter: &tokio::sync::Mutex<Option<Exporter>>,
) -> Result<Option<(usize, Bytes)>, Error> {
    let mut exporter = exporter.lock().await;
    let Some(exporter) = exporter.as_mut() else {
        return Ok(None);
    };
    let chunk = exporter.next_chunk().await?;
    Ok(chunk.map(|(records, text)| (records, Bytes(text))))
}

#[pymethods]
impl NativeExporter {
    /// The next piece of the file and its number of records; `None` once all is written.
    fn next_chunk(&self, py: Python<'_>) -> PyResult<Option<(usize, Bytes)>> {
        let exporter = self.exporter.clone();
        wait(py, async move { next_chunk(&exporter).await })
    }

    fn next_chunk_async(&self, settle: Py<PyAny>) -> NativeTask {
        let exporter = self.exporter.clone();
        awaitable(settle, async move { next_chunk(&exporter).await })
    }

    /// Ends the export: a page being read ahead is dropped and nothing more is sent.
    fn close(&self) {
        close_later(self.exporter.clone());
    }
}

/// A walk over pages; `None` once closed.
#[pyclass(frozen, module = "unpod_calllogs._native")]
struct NativePager {
    pager: Arc<tokio::sync::Mutex<Option<Pager>>>,
}

async fn next_records(
    pager: &tokio::sync::Mutex<Option<Pager>>,
) -> Result<Option<Vec<PyCallLog>>, Error> {
    let mut pager = pager.lock().await;
    let Some(pager) = pager.as_mut() else {
        return Ok(None);
    };
    Ok(pager.next_page().await?.map(records))
}

/// Bytes that reach Python as `bytes` (a `Vec<u8>` would become a list).
struct Bytes(Vec<u8>);

impl<'py> IntoPyObject<'py> for Bytes {
    type Target = pyo3::types::PyBytes;
    type Output = Bound<'py, Self::Target>;
    type Error = std::convert::Infallible;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(pyo3::types::PyBytes::new(py, &self.0))
    }
}

#[pymethods]
impl NativeClient {
    // One argument per keyword of the Python constructor.
    #[allow(clippy::too_many_arguments)]
    #[new]
    #[pyo3(signature = (token, org_handle, base_url, timeout, max_retries, headers, binding, verify_filters))]
    fn new(
        py: Python<'_>,
        token: Option<String>,
        org_handle: Option<String>,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        headers: Vec<(String, String)>,
        binding: String,
        verify_filters: bool,
    ) -> PyResult<Self> {
        let mut builder = Client::builder()
            .binding(binding)
            .verify_filters(verify_filters);
        if let Some(token) = token {
            builder = builder.token(token);
        }
        if let Some(org_handle) = org_handle {
            builder = builder.org_handle(org_handle);
        }
        if let Some(base_url) = base_url {
            builder = builder.base_url(base_url);
        }
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout_of(py, timeout)?);
        }
        if let Some(max_retries) = max_retries {
            builder = builder.max_retries(max_retries_of(py, max_retries)?);
        }
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        guarded(py, || {
            let client = builder
                .env_defaults()
                .build()
                .map_err(|e| errors::to_py(py, e))?;
            Ok(Self { client })
        })
    }

    /// The endpoint's URL.
    #[getter]
    fn endpoint(&self) -> &str {
        self.client.endpoint()
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.client)
    }

    /// A copy with some settings changed, sharing this client's connections.
    #[pyo3(signature = (timeout, max_retries, headers, verify_filters))]
    fn with_options(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        headers: Vec<(String, String)>,
        verify_filters: Option<bool>,
    ) -> PyResult<Self> {
        let mut options = ClientOptions::new();
        options.timeout = timeout.map(|t| timeout_of(py, t)).transpose()?;
        options.max_retries = max_retries.map(|r| max_retries_of(py, r)).transpose()?;
        options.headers = headers;
        options.verify_filters = verify_filters;
        let client = self
            .client
            .with_options(options)
            .map_err(|e| errors::to_py(py, e))?;
        Ok(Self { client })
    }

    fn list(&self, py: Python<'_>, pairs: QueryArgs<'_>) -> PyResult<NativePage> {
        let query = query(py, pairs)?;
        wait(py, NativePage::fetch(self.client.clone(), query))
    }

    fn list_async(
        &self,
        py: Python<'_>,
        pairs: QueryArgs<'_>,
        settle: Py<PyAny>,
    ) -> PyResult<NativeTask> {
        let query = query(py, pairs)?;
        Ok(awaitable(
            settle,
            NativePage::fetch(self.client.clone(), query),
        ))
    }

    /// The page after `after`, or `None`.
    fn next_page(&self, py: Python<'_>, after: &NativePage) -> PyResult<Option<NativePage>> {
        let next = after.next_query();
        let client = self.client.clone();
        wait(py, async move {
            let Some(query) = next else {
                return Ok(None);
            };
            NativePage::fetch(client, query).await.map(Some)
        })
    }

    fn next_page_async(&self, after: &NativePage, settle: Py<PyAny>) -> NativeTask {
        let next = after.next_query();
        let client = self.client.clone();
        awaitable(settle, async move {
            let Some(query) = next else {
                return Ok(None);
            };
            NativePage::fetch(client, query).await.map(Some)
        })
    }

    /// A walk of the query's pages, or of the pages after `after` when given.
    #[pyo3(signature = (pairs, limit, prefetch, after=None))]
    fn pager(
        &self,
        py: Python<'_>,
        pairs: QueryArgs<'_>,
        limit: Option<&Bound<'_, PyAny>>,
        prefetch: &Bound<'_, PyAny>,
        after: Option<&NativePage>,
    ) -> PyResult<NativePager> {
        let options = PagerOptions::new()
            .limit(limit_of(py, limit)?)
            .prefetch(prefetch_of(py, prefetch)?);
        guarded(py, || {
            let pager = match after {
                Some(after) => self
                    .client
                    .call_logs()
                    .pages_after(after.query.clone(), after.page.clone(), options)
                    .map_err(|e| errors::to_py(py, e))?,
                None => {
                    let query = query(py, pairs)?;
                    self.client.call_logs().pages_with(query, options)
                }
            };
            Ok(NativePager {
                pager: Arc::new(tokio::sync::Mutex::new(Some(pager))),
            })
        })
    }

    fn all(
        &self,
        py: Python<'_>,
        pairs: QueryArgs<'_>,
        concurrency: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<PyCallLog>> {
        let concurrency = concurrency_of(py, concurrency)?;
        let query = query(py, pairs)?;
        let client = self.client.clone();
        wait(py, async move {
            let all = client.call_logs().collect_all(query, concurrency).await?;
            Ok(records(all))
        })
    }

    fn all_async(
        &self,
        py: Python<'_>,
        pairs: QueryArgs<'_>,
        concurrency: &Bound<'_, PyAny>,
        settle: Py<PyAny>,
    ) -> PyResult<NativeTask> {
        let concurrency = concurrency_of(py, concurrency)?;
        let client = self.client.clone();
        let query = query(py, pairs)?;
        Ok(awaitable(settle, async move {
            let all = client.call_logs().collect_all(query, concurrency).await?;
            Ok(records(all))
        }))
    }

    /// The records of a walk written out in `format`, or in the one `path`'s suffix names.
    fn exporter(
        &self,
        py: Python<'_>,
        pairs: QueryArgs<'_>,
        limit: Option<&Bound<'_, PyAny>>,
        prefetch: &Bound<'_, PyAny>,
        format: Option<&str>,
        path: Option<&str>,
    ) -> PyResult<NativeExporter> {
        let format = Format::choose(format, path).map_err(|e| errors::to_py(py, e))?;
        let options = PagerOptions::new()
            .limit(limit_of(py, limit)?)
            .prefetch(prefetch_of(py, prefetch)?);
        let query = query(py, pairs)?;
        guarded(py, || {
            let pager = self.client.call_logs().pages_with(query, options);
            Ok(NativeExporter {
                exporter: Arc::new(tokio::sync::Mutex::new(Some(Exporter::new(pager, format)))),
            })
        })
    }

    /// Every matching record (fetched as `all` does) as Arrow columns.
    fn table(
        &self,
        py: Python<'_>,
        pairs: QueryArgs<'_>,
        concurrency: &Bound<'_, PyAny>,
    ) -> PyResult<NativeTable> {
        let concurrency = concurrency_of(py, concurrency)?;
        let query = query(py, pairs)?;
        let client = self.client.clone();
        wait(py, async move {
            let all = client.call_logs().collect_all(query, concurrency).await?;
            table_of(&all)
        })
    }

    fn table_async(
        &self,
        py: Python<'_>,
        pairs: QueryArgs<'_>,
        concurrency: &Bound<'_, PyAny>,
        settle: Py<PyAny>,
    ) -> PyResult<NativeTask> {
        let concurrency = concurrency_of(py, concurrency)?;
        let client = self.client.clone();
        let query = query(py, pairs)?;
        Ok(awaitable(settle, async move {
            let all = client.call_logs().collect_all(query, concurrency).await?;
            table_of(&all)
        }))
    }
}

fn table_of(records: &[unpod_calllogs::CallLog]) -> Result<NativeTable, Error> {
    NativeTable::new(records).map_err(|e| {
        Error::Config(format!(
            "the records could not be laid out as Arrow columns: {e}"
        ))
    })
}

impl NativePage {
    fn next_query(&self) -> Option<CallLogQuery> {
        unpod_calllogs::pagination::next_page_query(&self.query, &self.page)
    }
}

#[pymethods]
impl NativePage {
    #[getter]
    fn count(&self) -> u64 {
        self.page.count
    }

    #[getter]
    fn status_code(&self) -> u16 {
        self.page.status_code
    }

    #[getter]
    fn message(&self) -> &str {
        &self.page.message
    }

    #[getter]
    fn page(&self) -> u32 {
        self.query.page_number()
    }

    /// The page size the server served (smaller than asked when it caps or defaults silently).
    #[getter]
    fn page_size(&self) -> u32 {
        unpod_calllogs::pagination::served_page_size(&self.query, &self.page)
    }

    /// The records, as new `CallLog` objects.
    fn records(&self) -> Vec<PyCallLog> {
        records(self.page.data.clone())
    }

    fn has_next_page(&self) -> bool {
        self.next_query().is_some()
    }

    /// The answer that carried the page: (status, [(header, value)], request id, retries,
    /// seconds elapsed).
    #[allow(clippy::type_complexity)]
    fn response(&self) -> (u16, Vec<(String, String)>, Option<String>, u32, f64) {
        let r = &self.response;
        (
            r.status,
            r.headers.clone(),
            r.request_id.clone(),
            r.retries,
            r.elapsed.as_secs_f64(),
        )
    }
}

#[pymethods]
impl NativePager {
    fn next_page(&self, py: Python<'_>) -> PyResult<Option<Vec<PyCallLog>>> {
        let pager = self.pager.clone();
        wait(py, async move { next_records(&pager).await })
    }

    fn next_page_async(&self, settle: Py<PyAny>) -> NativeTask {
        let pager = self.pager.clone();
        awaitable(settle, async move { next_records(&pager).await })
    }

    /// Ends the walk: a page being read ahead is dropped and nothing more is sent.
    fn close(&self) {
        close_later(self.pager.clone());
    }
}

/// The reference server, in process, for tests.
#[pyclass(frozen, module = "unpod_calllogs._native")]
struct NativeReferenceServer {
    handle: Mutex<Option<calllogs_reference::ServerHandle>>,
    url: String,
    token: String,
    org_handle: String,
}

#[pymethods]
impl NativeReferenceServer {
    // One argument per keyword of the Python constructor.
    #[allow(clippy::too_many_arguments)]
    #[new]
    #[pyo3(signature = (records, seed, latency, error_rate, throttle_rate, retry_after, script, live_inserts, fault, page_size_cap, default_page_size, past_last, ignore_filters, end_at, compression=false, bandwidth=None))]
    fn new(
        py: Python<'_>,
        records: usize,
        seed: u64,
        latency: f64,
        error_rate: f64,
        throttle_rate: f64,
        retry_after: u64,
        script: Vec<u16>,
        live_inserts: u32,
        fault: Option<String>,
        page_size_cap: Option<u32>,
        default_page_size: Option<u32>,
        past_last: &str,
        ignore_filters: Vec<String>,
        end_at: Option<String>,
        compression: bool,
        bandwidth: Option<u64>,
    ) -> PyResult<Self> {
        let invalid = |e: String| pyo3::exceptions::PyValueError::new_err(e);
        let latency =
            Duration::try_from_secs_f64(latency).map_err(|e| invalid(format!("latency: {e}")))?;
        let knobs = calllogs_reference::Knobs::default()
            .latency(latency)
            .error_rate(error_rate)
            .throttle_rate(throttle_rate)
            .retry_after_secs(retry_after)
            .script(script)
            .live_inserts(live_inserts)
            .page_size_cap(page_size_cap)
            .default_page_size(default_page_size)
            .past_last(past_last.parse().map_err(invalid)?)
            .ignored_filters(
                ignore_filters
                    .iter()
                    .map(|name| name.parse())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(invalid)?,
            )
            .compression(compression)
            .bandwidth(bandwidth);
        let mut config =
            calllogs_reference::ServerConfig::with_knobs(records, seed, knobs, fault.as_deref())
                .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        config.history_end = end_at
            .as_deref()
            .map(calllogs_reference::data::parse_history_end)
            .transpose()
            .map_err(invalid)?;
        let handle = py
            .detach(|| runtime().block_on(calllogs_reference::start(config)))
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        Ok(Self {
            url: handle.url().to_owned(),
            token: handle.token().to_owned(),
            org_handle: handle.org_handle().to_owned(),
            handle: Mutex::new(Some(handle)),
        })
    }

    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    #[getter]
    fn token(&self) -> &str {
        &self.token
    }

    #[getter]
    fn org_handle(&self) -> &str {
        &self.org_handle
    }

    #[getter]
    fn requests(&self) -> u64 {
        let handle = self.handle.lock().unwrap_or_else(PoisonError::into_inner);
        handle.as_ref().map_or(0, |h| h.requests())
    }

    #[getter]
    fn peak_concurrency(&self) -> u64 {
        let handle = self.handle.lock().unwrap_or_else(PoisonError::into_inner);
        handle.as_ref().map_or(0, |h| h.peak_concurrency())
    }

    fn stop(&self, py: Python<'_>) {
        let handle = self
            .handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            py.detach(|| runtime().block_on(handle.shutdown()));
        }
    }
}

/// The records of a page body as the endpoint sends it, decoded without a copy.
#[pyfunction]
fn records_from_json(py: Python<'_>, body: &[u8]) -> PyResult<Vec<PyCallLog>> {
    let page = py
        .detach(|| serde_json::from_slice::<CallLogPage>(body))
        .map_err(|e| {
            let decode = unpod_calllogs::DecodeError::new(200, e.to_string(), body);
            errors::to_py(py, Error::Decode(Box::new(decode)))
        })?;
    Ok(records(page.data))
}

/// Runs the `calllogs-contract` command line (argv with the program's name first) with the GIL
/// released and returns its exit status. The caller leaves SIGINT to its default action, so Ctrl-C
/// stops a run as it stops the binary.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> u8 {
    py.detach(|| calllogs_contract::cli::main(argv))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    pyo3_log::init();
    m.py()
        .import("atexit")?
        .call_method1("register", (wrap_pyfunction!(_shutdown, m)?,))?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "DEFAULT_TIMEOUT",
        unpod_calllogs::DEFAULT_TIMEOUT.as_secs_f64(),
    )?;
    m.add(
        "DEFAULT_MAX_RETRIES",
        unpod_calllogs::retry::DEFAULT_MAX_RETRIES,
    )?;
    m.add(
        "DEFAULT_WALK_PAGE_SIZE",
        unpod_calllogs::DEFAULT_WALK_PAGE_SIZE,
    )?;
    m.add("DEFAULT_CONCURRENCY", unpod_calllogs::DEFAULT_CONCURRENCY)?;
    m.add("DEFAULT_PREFETCH", unpod_calllogs::DEFAULT_PREFETCH)?;
    let call_types: Vec<&str> = unpod_calllogs::CallType::DOCUMENTED
        .iter()
        .map(|t| t.as_str())
        .collect();
    m.add("CALL_TYPES", call_types)?;
    let call_statuses: Vec<&str> = unpod_calllogs::CallStatus::DOCUMENTED
        .iter()
        .map(|s| s.as_str())
        .collect();
    m.add("CALL_STATUSES", call_statuses)?;
    m.add("ERROR_KINDS", Error::KINDS.to_vec())?;
    m.add("PARAMETERS", unpod_calllogs::query::PARAMETERS.to_vec())?;
    m.add_class::<NativeClient>()?;
    m.add_class::<NativePage>()?;
    m.add_class::<NativePager>()?;
    m.add_class::<NativeTask>()?;
    m.add_class::<NativeReferenceServer>()?;
    m.add_class::<PyCallLog>()?;
    m.add_class::<NativeTable>()?;
    m.add_class::<NativeExporter>()?;
    m.add(
        "REFERENCE_DEFAULT_RECORDS",
        calllogs_reference::DEFAULT_RECORDS,
    )?;
    m.add("REFERENCE_DEFAULT_SEED", calllogs_reference::DEFAULT_SEED)?;
    m.add(
        "REFERENCE_DEFAULT_RETRY_AFTER",
        calllogs_reference::DEFAULT_RETRY_AFTER_SECS,
    )?;
    m.add_function(wrap_pyfunction!(records_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    Ok(())
}
