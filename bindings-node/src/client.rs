//! `NativeClient` and what it hands out: pages, walks and exports.

use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use unpod_calllogs::binding::OnProgress;
use unpod_calllogs::binding::export as exporting;
use unpod_calllogs::binding::page::{HeldPage, QueryArgs, walk_options};
use unpod_calllogs::binding::settings::{ClientSettings, CopySettings};
use unpod_calllogs::binding::sync as syncing;
use unpod_calllogs::export::{Exporter, Format};
use unpod_calllogs::{CallLogQuery, Client, Event, Pager};

use crate::cancel::{NativeCancel, guarded};
use crate::errors::{stopped_to_js, to_js};
use crate::records::records_json;

/// Milliseconds as JavaScript gives a duration, in the core's seconds.
fn seconds(milliseconds: Option<f64>) -> Option<f64> {
    milliseconds.map(|ms| ms / 1000.0)
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
    let args = QueryArgs {
        params: pairs(native.params),
        extra_query: pairs(native.extra_query),
        extra_headers: pairs(native.extra_headers),
        timeout_secs: seconds(native.timeout_ms),
        max_retries: native.max_retries,
    };
    args.query().map_err(to_js)
}

fn event_json(event: &Event) -> String {
    serde_json::Value::Object(unpod_calllogs::binding::events::details(event)).to_string()
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
    /// A PEM file of certificates to trust besides the platform's roots.
    pub ca_file: Option<String>,
    /// How to speak to a server known to differ from the contract (`unpod-v2`).
    pub dialect: Option<String>,
}

/// A configured client of the call-logs endpoint.
#[napi]
pub struct NativeClient {
    client: Client,
}

/// One page as received, with the query that asked for it and the answer that carried it.
#[napi]
pub struct NativePage {
    held: HeldPage,
}

impl NativePage {
    async fn fetch(client: &Client, query: CallLogQuery) -> Result<Self> {
        let held = HeldPage::fetch(client, query).await.map_err(to_js)?;
        Ok(Self { held })
    }
}

/// A JavaScript progress callback as the core calls it.
fn progress_to(sink: ThreadsafeFunction<String, (), String, Status, false, true>) -> OnProgress {
    Box::new(move |progress: String| {
        sink.call(progress, ThreadsafeFunctionCallMode::NonBlocking);
    })
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

    /// How far the export has come, as JSON (`null` once closed).
    #[napi]
    pub async fn progress(&self) -> Option<String> {
        let exporter = self.exporter.lock().await;
        exporter
            .as_ref()
            .map(|exporter| serde_json::to_string(&exporter.progress()).unwrap_or_default())
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

impl NativePager {
    fn over(pager: Pager) -> Self {
        Self {
            pager: tokio::sync::Mutex::new(Some(pager)),
        }
    }
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
        let settings = ClientSettings {
            token: options.token,
            org_handle: options.org_handle,
            base_url: options.base_url,
            timeout_secs: seconds(options.timeout_ms),
            max_retries: options.max_retries,
            headers: options.headers.unwrap_or_default().into_iter().collect(),
            verify_filters: options.verify_filters,
            ca_file: options.ca_file,
            dialect: options.dialect,
            binding: "node".to_owned(),
        };
        let mut builder = settings.builder().map_err(to_js)?;
        if let Some(sink) = on_event {
            builder = builder.on_event(move |event| {
                sink.call(event_json(event), ThreadsafeFunctionCallMode::NonBlocking);
            });
        }
        let client = builder.build().map_err(to_js)?;
        Ok(Self { client })
    }

    /// A copy with some settings changed, sharing this client's connections and event receiver.
    #[napi(catch_unwind)]
    pub fn with_options(&self, options: NativeCopyOptions) -> Result<NativeClient> {
        let changes = CopySettings {
            timeout_secs: seconds(options.timeout_ms),
            max_retries: options.max_retries,
            headers: options.headers.unwrap_or_default().into_iter().collect(),
            verify_filters: options.verify_filters,
        };
        let changes = changes.options().map_err(to_js)?;
        let client = self.client.with_options(changes).map_err(to_js)?;
        Ok(NativeClient { client })
    }

    /// The endpoint's URL.
    #[napi(getter)]
    pub fn endpoint(&self) -> String {
        self.client.endpoint().to_owned()
    }

    /// Closes the connections this client shares with its copies.
    #[napi]
    pub fn close(&self) {
        self.client.close();
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
            let next = after.held.fetch_next(&self.client).await.map_err(to_js)?;
            Ok(next.map(|held| NativePage { held }))
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
        self.walk(query, limit, prefetch, after)
            .map(NativePager::over)
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

    /// Writes a walk's records into the file at `path` (complete or not there; `resume`
    /// continues an export that stopped) and resolves to the number of records it holds.
    /// `onProgress` receives each page's progress as JSON.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub async fn export_file(
        &self,
        query: NativeQuery,
        limit: Option<f64>,
        prefetch: Option<f64>,
        format: Option<String>,
        path: String,
        resume: bool,
        // Weak: it does not keep the process alive.
        on_progress: Option<ThreadsafeFunction<String, (), String, Status, false, true>>,
        cancel: Option<&NativeCancel>,
    ) -> Result<f64> {
        guarded(cancel, async move {
            let format = Format::choose(format.as_deref(), Some(&path)).map_err(to_js)?;
            let options = walk_options(limit, prefetch).map_err(to_js)?;
            let query = self::query(query)?;
            let progress = on_progress.map(progress_to);
            exporting::to_file(
                self.client.clone(),
                query,
                options,
                format,
                path,
                resume,
                progress,
            )
            .await
            .map(|records| records as f64)
            .map_err(|stopped| stopped_to_js(&stopped))
        })
        .await
    }

    /// Keeps a table of the query's records in step in `destination` once (`settings`: a JSON
    /// object of the core's setting names, durations in seconds); resolves to the summary as JSON.
    /// `onProgress` receives each window's progress as JSON.
    #[napi]
    pub async fn sync(
        &self,
        destination: String,
        query: NativeQuery,
        settings: String,
        // Weak: it does not keep the process alive.
        on_progress: Option<ThreadsafeFunction<String, (), String, Status, false, true>>,
        cancel: Option<&NativeCancel>,
    ) -> Result<String> {
        guarded(cancel, async move {
            let query = self::query(query)?;
            let settings = syncing::settings("node", &settings).map_err(to_js)?;
            let progress = on_progress.map(progress_to);
            syncing::run(self.client.clone(), destination, query, settings, progress)
                .await
                .map_err(to_js)
        })
        .await
    }

    /// The walk `all` reads: every matching record (at most `limit`), the pages after the first
    /// fetched `concurrency` at a time, each page handed over as soon as it passes the walk's
    /// rules, so that JavaScript reads one while the next are fetched.
    #[napi(catch_unwind)]
    pub fn all_pager(
        &self,
        query: NativeQuery,
        concurrency: f64,
        limit: Option<f64>,
    ) -> Result<NativePager> {
        let (concurrency, limit) =
            unpod_calllogs::binding::page::all_options(concurrency, limit).map_err(to_js)?;
        let pager = self
            .client
            .call_logs()
            .all_pages(self::query(query)?, concurrency, limit);
        Ok(NativePager::over(pager))
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
        let options = walk_options(limit, prefetch).map_err(to_js)?;
        match after {
            Some(after) => after.held.walk_after(&self.client, options).map_err(to_js),
            None => Ok(self
                .client
                .call_logs()
                .pages_with(self::query(query)?, options)),
        }
    }
}

#[napi]
impl NativePage {
    /// How many records match the filters, across all pages.
    #[napi(getter)]
    pub fn count(&self) -> f64 {
        self.held.page.count as f64
    }

    /// The page number.
    #[napi(getter)]
    pub fn page(&self) -> u32 {
        self.held.number()
    }

    /// The page size the server served (smaller than asked when it caps or defaults silently).
    #[napi(getter)]
    pub fn page_size(&self) -> u32 {
        self.held.served_page_size()
    }

    /// The records, as UTF-8 JSON.
    #[napi]
    pub fn records(&self) -> Result<Buffer> {
        records_json(&self.held.page.data)
    }

    /// Whether a page follows this one.
    #[napi]
    pub fn has_next_page(&self) -> bool {
        self.held.has_next_page()
    }

    /// The HTTP answer that carried the page.
    #[napi]
    pub fn response(&self) -> NativeResponse {
        let r = &self.held.response;
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
            page.map(|records| records_json(&records)).transpose()
        })
        .await
    }

    /// How far the walk has come, as JSON; `null` while a page is being read or once closed.
    #[napi]
    pub fn progress(&self) -> Option<String> {
        let pager = self.pager.try_lock().ok()?;
        pager
            .as_ref()
            .map(|pager| exporting::progress_json(&pager.progress()))
    }

    /// Ends the walk: a page being read ahead is dropped and nothing more is sent.
    #[napi]
    pub async fn close(&self) {
        self.pager.lock().await.take();
    }
}
