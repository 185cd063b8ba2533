//! `NativeClient` and what it hands out: pages, walks and exports.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;
use unpod_calllogs::binding::OnProgress;
use unpod_calllogs::binding::export as exporting;
use unpod_calllogs::binding::page::HeldPage;
use unpod_calllogs::binding::settings::{ClientSettings, CopySettings};
use unpod_calllogs::binding::sync as syncing;
use unpod_calllogs::export::{Exporter, Format, Stopped};
use unpod_calllogs::pagination::WalkProgress;
use unpod_calllogs::sync::handover::Handed;
use unpod_calllogs::{CallLog, CallLogQuery, Client, Error, Pager};

use crate::arrow::{Columns, NativeTable};
use crate::convert::{self, PyQuery, core, optional};
use crate::record::PyCallLog;
use crate::runtime::{
    NativeTask, awaitable, awaitable_raising, close_later, guarded, wait, wait_raising,
};

pub fn records(records: Vec<CallLog>) -> Vec<PyCallLog> {
    records.into_iter().map(PyCallLog).collect()
}

/// A configured client; `unpod_calllogs.Client` and `AsyncClient` wrap it.
#[pyclass(frozen, module = "unpod_calllogs._native")]
pub struct NativeClient {
    client: Client,
    /// Whether any Python listener is registered: shared with `with_options` copies, so an event
    /// nobody listens to never takes the interpreter's lock.
    listening: Arc<AtomicBool>,
}

/// One page as received, with the query that asked for it and the answer that carried it.
#[pyclass(frozen, module = "unpod_calllogs._native")]
pub struct NativePage {
    held: HeldPage,
}

async fn fetch(client: Client, query: CallLogQuery) -> Result<NativePage, Error> {
    Ok(NativePage {
        held: HeldPage::fetch(&client, query).await?,
    })
}

async fn fetch_next(client: Client, after: HeldPage) -> Result<Option<NativePage>, Error> {
    let next = after.fetch_next(&client).await?;
    Ok(next.map(|held| NativePage { held }))
}

/// A walk written out as a file; `None` once closed.
#[pyclass(frozen, module = "unpod_calllogs._native")]
pub struct NativeExporter {
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

    fn next_chunk_async(&self, py: Python<'_>, settle: Py<PyAny>) -> NativeTask {
        let exporter = self.exporter.clone();
        awaitable(py, settle, async move { next_chunk(&exporter).await })
    }

    /// How far the export has come, as JSON (`None` once closed).
    fn progress(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let exporter = self.exporter.clone();
        wait(py, async move {
            let exporter = exporter.lock().await;
            Ok::<_, Error>(
                exporter
                    .as_ref()
                    .map(|e| serde_json::to_string(&e.progress()).unwrap_or_default()),
            )
        })
    }

    /// Ends the export: a page being read ahead is dropped and nothing more is sent.
    fn close(&self, py: Python<'_>) {
        close_later(py, self.exporter.clone());
    }
}

/// A sync whose windows come to Python one at a time (the dlt source; see
/// `unpod_calllogs::sync::handover`), while the run reads the next one.
#[pyclass(frozen, module = "unpod_calllogs._native")]
pub struct NativeBatches {
    receiver: Arc<tokio::sync::Mutex<Option<tokio::sync::mpsc::Receiver<Handed>>>>,
    run: std::sync::Mutex<Option<tokio::task::JoinHandle<Result<String, Error>>>>,
}

#[pymethods]
impl NativeBatches {
    /// The next window: its records as Arrow columns (their keys and digests included) and the
    /// sync's state after it, as JSON; `None` after the last.
    fn next_batch(&self, py: Python<'_>) -> PyResult<Option<(NativeTable, String)>> {
        let receiver = self.receiver.clone();
        let handed = wait(py, async move {
            Ok(match receiver.lock().await.as_mut() {
                Some(receiver) => receiver.recv().await,
                None => None,
            })
        })?;
        let Some(handed) = handed else {
            return Ok(None);
        };
        let table = py.detach(|| keyed_table(&handed));
        Ok(Some((core(py, table)?, handed.state)))
    }

    /// Waits for the end of the run and returns its summary as JSON, or raises its error.
    fn finish(&self, py: Python<'_>) -> PyResult<String> {
        let run = self.run.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(run) = run else {
            return core(
                py,
                Err(Error::Config("the sync's batches were closed".to_owned())),
            );
        };
        wait(py, async move {
            run.await
                .map_err(|e| Error::Destination(format!("the sync stopped: {e}")))?
        })
    }

    /// Stops the run: the window being read is dropped, and nothing more is sent.
    fn close(&self) {
        if let Some(run) = self.run.lock().unwrap_or_else(|e| e.into_inner()).take() {
            run.abort();
        }
        if let Ok(mut receiver) = self.receiver.try_lock() {
            receiver.take();
        }
    }
}

fn keyed_table(handed: &Handed) -> Result<NativeTable, Error> {
    let mut columns = Columns::new(true);
    columns.push_keyed(&handed.records, &handed.keys, &handed.digests);
    columns.finish().map_err(arrow_failed)
}

/// A walk over pages; `None` once closed.
#[pyclass(frozen, module = "unpod_calllogs._native")]
pub struct NativePager {
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

/// A Python callable that hears a sync's progress (as JSON), from the runtime's thread.
fn progress_to(listener: Option<Py<PyAny>>) -> Option<OnProgress> {
    let listener = listener?;
    Some(Box::new(move |progress: String| {
        if crate::runtime::exiting_elsewhere() {
            return;
        }
        Python::attach(|py| {
            if let Err(error) = listener.call1(py, (progress,)) {
                error.write_unraisable(py, None);
            }
        });
    }))
}

/// Hands an event to the client's Python listeners (`events`, called with the event's details as
/// JSON), from the runtime's thread; never while the interpreter exits elsewhere.
fn deliver(events: &Py<PyAny>, event: &unpod_calllogs::Event) {
    if crate::runtime::exiting_elsewhere() {
        return;
    }
    let details = serde_json::Value::Object(unpod_calllogs::binding::events::details(event));
    Python::attach(|py| {
        if let Err(error) = events.call1(py, (details.to_string(),)) {
            error.write_unraisable(py, None);
        }
    });
}

#[pymethods]
impl NativeClient {
    // One argument per keyword of the Python constructor.
    #[allow(clippy::too_many_arguments)]
    #[new]
    #[pyo3(signature = (token, org_handle, base_url, timeout, max_retries, headers, binding, verify_filters, ca_file, dialect, events))]
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
        ca_file: Option<String>,
        dialect: Option<String>,
        events: Py<PyAny>,
    ) -> PyResult<Self> {
        let settings = ClientSettings {
            token,
            org_handle,
            base_url,
            timeout_secs: optional(py, "timeout", timeout)?,
            max_retries: optional(py, "max_retries", max_retries)?,
            headers,
            verify_filters: Some(verify_filters),
            ca_file,
            dialect,
            binding,
        };
        let listening = Arc::new(AtomicBool::new(false));
        let heard = Arc::clone(&listening);
        guarded(py, || {
            let builder = core(py, settings.builder())?.on_event(move |event| {
                if heard.load(Ordering::Relaxed) {
                    deliver(&events, event);
                }
            });
            let client = core(py, builder.build())?;
            Ok(Self { client, listening })
        })
    }

    /// The endpoint's URL.
    #[getter]
    fn endpoint(&self) -> &str {
        self.client.endpoint()
    }

    /// Whether events reach the Python listeners (set as they are added and removed).
    fn listen(&self, listening: bool) {
        self.listening.store(listening, Ordering::Relaxed);
    }

    /// Closes the connections this client shares with its copies.
    fn close(&self) {
        self.client.close();
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
        let changes = CopySettings {
            timeout_secs: optional(py, "timeout", timeout)?,
            max_retries: optional(py, "max_retries", max_retries)?,
            headers,
            verify_filters,
        };
        let options = core(py, changes.options())?;
        let client = core(py, self.client.with_options(options))?;
        Ok(Self {
            client,
            listening: Arc::clone(&self.listening),
        })
    }

    fn list(&self, py: Python<'_>, query: PyQuery<'_>) -> PyResult<NativePage> {
        let query = query.query(py)?;
        wait(py, fetch(self.client.clone(), query))
    }

    fn list_async(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        settle: Py<PyAny>,
    ) -> PyResult<NativeTask> {
        let query = query.query(py)?;
        Ok(awaitable(py, settle, fetch(self.client.clone(), query)))
    }

    /// The page after `after`, or `None`.
    fn next_page(&self, py: Python<'_>, after: &NativePage) -> PyResult<Option<NativePage>> {
        wait(py, fetch_next(self.client.clone(), after.held.clone()))
    }

    fn next_page_async(&self, py: Python<'_>, after: &NativePage, settle: Py<PyAny>) -> NativeTask {
        awaitable(
            py,
            settle,
            fetch_next(self.client.clone(), after.held.clone()),
        )
    }

    /// A walk of the query's pages, or of the pages after `after` when given.
    #[pyo3(signature = (query, limit, prefetch, after=None))]
    fn pager(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        limit: Option<&Bound<'_, PyAny>>,
        prefetch: &Bound<'_, PyAny>,
        after: Option<&NativePage>,
    ) -> PyResult<NativePager> {
        let options = convert::walk_options(py, limit, prefetch)?;
        guarded(py, || {
            let pager = match after {
                Some(after) => core(py, after.held.walk_after(&self.client, options))?,
                None => {
                    let query = query.query(py)?;
                    self.client.call_logs().pages_with(query, options)
                }
            };
            Ok(NativePager {
                pager: Arc::new(tokio::sync::Mutex::new(Some(pager))),
            })
        })
    }

    /// Every matching record; `progress` receives each page's progress as JSON.
    #[pyo3(signature = (query, concurrency, limit, progress=None))]
    fn all(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        concurrency: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Vec<PyCallLog>> {
        let all = self
            .reading(py, query, concurrency, limit, progress)?
            .records();
        wait(py, async move { Ok(records(all.await?)) })
    }

    #[pyo3(signature = (query, concurrency, limit, progress, settle))]
    fn all_async(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        concurrency: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
        settle: Py<PyAny>,
    ) -> PyResult<NativeTask> {
        let all = self
            .reading(py, query, concurrency, limit, progress)?
            .records();
        Ok(awaitable(
            py,
            settle,
            async move { Ok(records(all.await?)) },
        ))
    }

    /// The records of a walk written out in `format`, or in the one `path`'s suffix names.
    fn exporter(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        limit: Option<&Bound<'_, PyAny>>,
        prefetch: &Bound<'_, PyAny>,
        format: Option<&str>,
        path: Option<&str>,
    ) -> PyResult<NativeExporter> {
        let format = core(py, Format::choose(format, path))?;
        let options = convert::walk_options(py, limit, prefetch)?;
        let query = query.query(py)?;
        guarded(py, || {
            let pager = self.client.call_logs().pages_with(query, options);
            Ok(NativeExporter {
                exporter: Arc::new(tokio::sync::Mutex::new(Some(Exporter::new(pager, format)))),
            })
        })
    }

    /// Writes the records of a walk into the file at `path` (complete or not there; `resume`
    /// continues an export that stopped); the number of records it holds. `progress` receives
    /// each page's progress as JSON.
    #[pyo3(signature = (query, limit, prefetch, format, path, resume, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn export_file(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        limit: Option<&Bound<'_, PyAny>>,
        prefetch: &Bound<'_, PyAny>,
        format: Option<&str>,
        path: String,
        resume: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<u64> {
        let run = self.export_run(py, query, limit, prefetch, format, path, resume, progress)?;
        wait_raising(py, run)
    }

    #[pyo3(signature = (query, limit, prefetch, format, path, resume, progress, settle))]
    #[allow(clippy::too_many_arguments)]
    fn export_file_async(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        limit: Option<&Bound<'_, PyAny>>,
        prefetch: &Bound<'_, PyAny>,
        format: Option<&str>,
        path: String,
        resume: bool,
        progress: Option<Py<PyAny>>,
        settle: Py<PyAny>,
    ) -> PyResult<NativeTask> {
        let run = self.export_run(py, query, limit, prefetch, format, path, resume, progress)?;
        Ok(awaitable_raising(py, settle, run))
    }

    /// Keeps a table of the query's records in step in `destination` once (the settings a JSON
    /// object of the core's names); the summary as JSON.
    #[pyo3(signature = (destination, query, settings, progress=None))]
    fn sync(
        &self,
        py: Python<'_>,
        destination: String,
        query: PyQuery<'_>,
        settings: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        let run = self.sync_run(py, destination, query, settings, progress)?;
        wait(py, run)
    }

    /// A sync whose windows are handed to Python (the dlt source), from the state an earlier run's
    /// last batch carried.
    #[pyo3(signature = (query, settings, state=None))]
    fn sync_batches(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        settings: &str,
        state: Option<&str>,
    ) -> PyResult<NativeBatches> {
        let query = query.query(py)?;
        let settings = core(py, syncing::settings("python", settings))?;
        let (receiver, run) = core(
            py,
            syncing::handed(self.client.clone(), query, settings, state),
        )?;
        let run = crate::runtime::runtime(py).spawn(run);
        Ok(NativeBatches {
            receiver: Arc::new(tokio::sync::Mutex::new(Some(receiver))),
            run: std::sync::Mutex::new(Some(run)),
        })
    }

    #[pyo3(signature = (destination, query, settings, progress, settle))]
    fn sync_async(
        &self,
        py: Python<'_>,
        destination: String,
        query: PyQuery<'_>,
        settings: &str,
        progress: Option<Py<PyAny>>,
        settle: Py<PyAny>,
    ) -> PyResult<NativeTask> {
        let run = self.sync_run(py, destination, query, settings, progress)?;
        Ok(awaitable(py, settle, run))
    }

    /// Every matching record (fetched as `all` does) as Arrow columns.
    #[pyo3(signature = (query, concurrency, limit, progress=None))]
    fn table(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        concurrency: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<NativeTable> {
        let table = self
            .reading(py, query, concurrency, limit, progress)?
            .table();
        wait(py, table)
    }

    #[pyo3(signature = (query, concurrency, limit, progress, settle))]
    fn table_async(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        concurrency: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
        settle: Py<PyAny>,
    ) -> PyResult<NativeTask> {
        let table = self
            .reading(py, query, concurrency, limit, progress)?
            .table();
        Ok(awaitable(py, settle, table))
    }
}

impl NativeClient {
    /// The read of every matching record that `all` and `table` (and their async twins) make,
    /// once their arguments are checked.
    fn reading(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        concurrency: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Reading<impl FnMut(&WalkProgress) + Send + use<>>> {
        let (concurrency, limit) = convert::all_options(py, concurrency, limit)?;
        Ok(Reading {
            client: self.client.clone(),
            query: query.query(py)?,
            concurrency,
            limit,
            progress: exporting::walk_progress(progress_to(progress)),
        })
    }

    /// The run `export_file` and `export_file_async` make, once their arguments are checked.
    #[allow(clippy::too_many_arguments)]
    fn export_run(
        &self,
        py: Python<'_>,
        query: PyQuery<'_>,
        limit: Option<&Bound<'_, PyAny>>,
        prefetch: &Bound<'_, PyAny>,
        format: Option<&str>,
        path: String,
        resume: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<impl Future<Output = Result<u64, Stopped>> + Send + 'static> {
        let format = core(py, Format::choose(format, Some(&path)))?;
        let options = convert::walk_options(py, limit, prefetch)?;
        let query = query.query(py)?;
        Ok(exporting::to_file(
            self.client.clone(),
            query,
            options,
            format,
            path,
            resume,
            progress_to(progress),
        ))
    }

    /// The run `sync` and `sync_async` make, once its arguments are checked.
    fn sync_run(
        &self,
        py: Python<'_>,
        destination: String,
        query: PyQuery<'_>,
        settings: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<impl Future<Output = Result<String, Error>> + Send + 'static> {
        let query = query.query(py)?;
        let settings = core(py, syncing::settings("python", settings))?;
        let progress = progress_to(progress);
        Ok(syncing::run(
            self.client.clone(),
            destination,
            query,
            settings,
            progress,
        ))
    }
}

/// A read of every matching record, its arguments checked.
struct Reading<P> {
    client: Client,
    query: CallLogQuery,
    concurrency: usize,
    limit: Option<u64>,
    progress: P,
}

impl<P: FnMut(&WalkProgress) + Send + 'static> Reading<P> {
    /// The records, in server order.
    async fn records(self) -> Result<Vec<CallLog>, Error> {
        self.client
            .call_logs()
            .collect_all_reporting(self.query, self.concurrency, self.limit, self.progress)
            .await
    }

    /// The records as Arrow columns: each page laid out as it passes the walk's rules, while the
    /// next pages are on their way, and its records dropped.
    async fn table(self) -> Result<NativeTable, Error> {
        let mut columns = Columns::new(false);
        self.client
            .call_logs()
            .each_page_reporting(
                self.query,
                self.concurrency,
                self.limit,
                self.progress,
                |records| columns.push(&records),
            )
            .await?;
        columns.finish().map_err(arrow_failed)
    }
}

fn arrow_failed(error: arrow_schema::ArrowError) -> Error {
    Error::Config(format!(
        "the records could not be laid out as Arrow columns: {error}"
    ))
}

#[pymethods]
impl NativePage {
    #[getter]
    fn count(&self) -> u64 {
        self.held.page.count
    }

    #[getter]
    fn status_code(&self) -> u16 {
        self.held.page.status_code
    }

    #[getter]
    fn message(&self) -> &str {
        &self.held.page.message
    }

    #[getter]
    fn page(&self) -> u32 {
        self.held.number()
    }

    /// The page size the server served (smaller than asked when it caps or defaults silently).
    #[getter]
    fn page_size(&self) -> u32 {
        self.held.served_page_size()
    }

    /// The records, as new `CallLog` objects.
    fn records(&self) -> Vec<PyCallLog> {
        records(self.held.page.data.clone())
    }

    fn has_next_page(&self) -> bool {
        self.held.has_next_page()
    }

    /// The answer that carried the page: (status, [(header, value)], request id, retries,
    /// seconds elapsed).
    #[allow(clippy::type_complexity)]
    fn response(&self) -> (u16, Vec<(String, String)>, Option<String>, u32, f64) {
        let r = &self.held.response;
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

    fn next_page_async(&self, py: Python<'_>, settle: Py<PyAny>) -> NativeTask {
        let pager = self.pager.clone();
        awaitable(py, settle, async move { next_records(&pager).await })
    }

    /// Ends the walk: a page being read ahead is dropped and nothing more is sent.
    fn close(&self, py: Python<'_>) {
        close_later(py, self.pager.clone());
    }
}

/// The records of a page body as the endpoint sends it, decoded without a copy.
#[pyfunction]
pub fn records_from_json(py: Python<'_>, body: &[u8]) -> PyResult<Vec<PyCallLog>> {
    let data = py.detach(|| unpod_calllogs::binding::page::records_from_json(body));
    Ok(records(core(py, data)?))
}
