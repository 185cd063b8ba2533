//! The HTTP client: one request with its retries, timeouts, size limit and checks.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};

use crate::defaults::MAX_RETRIES;
use crate::dialect::Dialect;
use crate::error::{ApiError, ContractViolation, DecodeError, Error, ViolationKind, body_snippet};
use crate::model::{CallLogPage, ErrorBody};
use crate::options::{ClientOptions, Event, Observer, ResponseInfo};
use crate::query::{CallLogQuery, extra_header};
use crate::retry::{Failure, RetryPolicy, parse_retry_after};
use crate::secret::SecretToken;
use crate::transport::ProcessClient;

/// A client of the call-logs endpoint. Cheap to clone; clones share one connection pool.
///
/// This example runs against the reference server (token `test-token`, org `acme`); against the
/// real API, leave out `base_url`.
///
/// ```
/// use futures_util::TryStreamExt;
/// use unpod_calllogs::{CallLogQuery, CallStatus, Client};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let server = calllogs_reference::start(calllogs_reference::ServerConfig::seeded(300, 42)).await?;
/// let client = Client::builder()
///     .token("test-token")
///     .org_handle("acme")
///     .header("Product-Id", "unpod.ai")
/// #   .base_url(server.url())
///     .build()?;
///
/// // One page.
/// let page = client.call_logs().list(&CallLogQuery::new().page_size(50)).await?;
/// assert_eq!(page.count, 300);
/// assert_eq!(page.data.len(), 50);
///
/// // Every completed call, page after page, in constant memory.
/// let query = CallLogQuery::new().call_status(CallStatus::Completed).page_size(20);
/// let mut calls = client.call_logs().stream(query);
/// let mut completed = 0;
/// while let Some(call) = calls.try_next().await? {
///     assert_eq!(call.call_status, CallStatus::Completed);
///     completed += 1;
/// }
/// assert!(completed > 100);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// What a client holds, shared by its clones.
pub(crate) struct Inner {
    pub(crate) http: Arc<ProcessClient>,
    pub(crate) endpoint: reqwest::Url,
    pub(crate) org_handle: String,
    pub(crate) token: SecretToken,
    pub(crate) retry: RetryPolicy,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_body_bytes: usize,
    pub(crate) verify_filters: bool,
    pub(crate) dialect: Dialect,
    /// The language the client is used from, for hints in its spelling.
    pub(crate) binding: String,
    /// Headers of a copy made by [`Client::with_options`], sent with every request.
    pub(crate) headers: HeaderMap,
    pub(crate) observer: Option<Observer>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("org_handle", &self.inner.org_handle)
            .field("token", &"***")
            .finish()
    }
}

/// The successful answer behind a page, as received; [`ResponseInfo`] is made from it on request.
struct Answer {
    status: u16,
    headers: HeaderMap,
    /// Already scrubbed of the token.
    request_id: Option<String>,
    retries: u32,
    elapsed: Duration,
}

/// One failed attempt, with what the retry rules need to know of it.
struct Failed {
    error: Error,
    retry_after: Option<String>,
    final_attempt: bool,
}

impl Failed {
    fn failure(&self) -> Option<Failure<'_>> {
        if self.final_attempt {
            return None;
        }
        match &self.error {
            Error::Api(api) => Some(Failure::Status {
                status: api.status,
                retry_after: self.retry_after.as_deref(),
            }),
            Error::Timeout(_) => Some(Failure::Timeout),
            Error::Connection(_) => Some(Failure::Connection),
            _ => None,
        }
    }
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Self {
            error,
            retry_after: None,
            final_attempt: false,
        }
    }
}

/// Why a closed client sends nothing.
const CLOSED: &str =
    "the client was closed (close() closes it and every copy of it); make a new client";

fn jitter() -> f64 {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (random >> 11) as f64 / (1u64 << 53) as f64
}

impl Client {
    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The dialect the client speaks.
    pub fn dialect(&self) -> Dialect {
        self.inner.dialect
    }

    /// The endpoint's full URL.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// The organization the client reads.
    pub fn org_handle(&self) -> &str {
        &self.inner.org_handle
    }

    /// Closes the connection pool, which this client shares with its copies
    /// ([`Client::with_options`]): idle connections close now, those of requests in flight when
    /// their requests end. Every request after it, from the client or a copy, is an
    /// [`Error::Config`]. Dropping the last copy closes the pool too; `close` is for when the
    /// client lives on (in a pool of objects, a module global).
    pub fn close(&self) {
        self.inner.http.close();
    }

    /// A copy of this client with some settings changed. The copy shares the connection pool (and
    /// any [`ClientBuilder::on_event`] observer); the original is unchanged.
    pub fn with_options(&self, options: ClientOptions) -> Result<Client, Error> {
        let inner = &self.inner;
        let mut headers = inner.headers.clone();
        for (name, value) in &options.headers {
            let (name, value) = extra_header(name, value).map_err(Error::config)?;
            headers.insert(name, value);
        }
        let mut retry = inner.retry;
        retry.max_retries = options.max_retries.unwrap_or(retry.max_retries);
        let timeout = options.timeout.unwrap_or(inner.timeout);
        check_request_options(timeout, retry.max_retries)?;
        let verify_filters = options.verify_filters.unwrap_or(inner.verify_filters);
        if inner.verify_filters && !verify_filters {
            log::warn!(
                "filter verification is off: records are handed on without being checked against the filters sent"
            );
        }
        Ok(Client::from_inner(Inner {
            http: inner.http.clone(),
            endpoint: inner.endpoint.clone(),
            org_handle: inner.org_handle.clone(),
            token: inner.token.clone(),
            retry,
            connect_timeout: inner.connect_timeout,
            timeout,
            max_body_bytes: inner.max_body_bytes,
            verify_filters,
            dialect: inner.dialect,
            binding: inner.binding.clone(),
            headers,
            observer: inner.observer.clone(),
        }))
    }

    /// Fetches one page: validates the query, sends it, retries what the policy retries, and
    /// checks the records against the filters sent. The token is scrubbed from every error.
    pub(crate) async fn fetch(&self, query: &CallLogQuery) -> Result<CallLogPage, Error> {
        self.fetch_verified(query)
            .await
            .map(|(page, _)| page)
            .map_err(|error| error.redact(&self.inner.token))
    }

    /// [`Client::fetch`], with the answer that carried the page. Its headers are copied out (and
    /// scrubbed) only here: walks, which never show them, skip that work.
    pub(crate) async fn fetch_with_response(
        &self,
        query: &CallLogQuery,
    ) -> Result<(CallLogPage, ResponseInfo), Error> {
        let token = &self.inner.token;
        let (page, answer) = self
            .fetch_verified(query)
            .await
            .map_err(|error| error.redact(token))?;
        let headers = answer
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes());
                (name.as_str().to_owned(), token.scrub(&value))
            })
            .collect();
        let info = ResponseInfo {
            status: answer.status,
            headers,
            request_id: answer.request_id,
            retries: answer.retries,
            elapsed: answer.elapsed,
        };
        Ok((page, info))
    }

    /// A URL as it may be shown: in a log line or an event.
    fn shown(&self, url: &reqwest::Url) -> String {
        self.inner.token.scrub(url.as_str())
    }

    /// Logs a warning and tells the observer of it.
    pub(crate) fn warn(&self, message: String) {
        log::warn!("{message}");
        self.notify(|| Event::Warning { message });
    }

    fn notify(&self, event: impl FnOnce() -> Event) {
        if let Some(observer) = &self.inner.observer {
            (observer.0)(&event());
        }
    }

    async fn fetch_verified(&self, query: &CallLogQuery) -> Result<(CallLogPage, Answer), Error> {
        query.validate()?;
        let timeout = query.timeout.unwrap_or(self.inner.timeout);
        let mut retry = self.inner.retry;
        retry.max_retries = query.max_retries.unwrap_or(retry.max_retries);
        check_request_options(timeout, retry.max_retries)?;
        let mut url = self.inner.endpoint.clone();
        let query_string = query.to_query_string();
        url.set_query(
            Some(&query_string)
                .filter(|q| !q.is_empty())
                .map(|q| q.as_str()),
        );
        let mut headers = self.inner.headers.clone();
        for (name, value) in &query.extra_headers {
            let (name, value) = extra_header(name, value).map_err(Error::config)?;
            headers.insert(name, value);
        }
        let mut attempt = 0;
        let (page, mut answer) = loop {
            self.notify(|| Event::Request {
                url: self.shown(&url),
                attempt,
            });
            let failed = match self.attempt(&url, &headers, timeout).await {
                Ok(answer) => break answer,
                Err(failed) => failed,
            };
            let delay = failed.failure().and_then(|failure| {
                retry.retry_after(attempt, failure, SystemTime::now(), jitter())
            });
            let Some(delay) = delay else {
                return Err(failed.error);
            };
            let error = self.inner.token.scrub(&failed.error.to_string());
            log::warn!(
                "GET {} failed ({error}); retry {} of {} in {delay:?}",
                self.shown(&url),
                attempt + 1,
                retry.max_retries
            );
            self.notify(|| Event::Retry {
                url: self.shown(&url),
                attempt: attempt + 1,
                delay,
                error,
            });
            tokio::time::sleep(delay).await;
            attempt += 1;
        };
        answer.retries = attempt;
        if self.inner.verify_filters {
            verify_filters(query, &page, &self.inner.binding)?;
        }
        Ok((page, answer))
    }

    async fn attempt(
        &self,
        url: &reqwest::Url,
        headers: &HeaderMap,
        timeout: Duration,
    ) -> Result<(CallLogPage, Answer), Failed> {
        log::debug!("GET {}", self.shown(url));
        let started = std::time::Instant::now();
        let http = self
            .inner
            .http
            .get()
            .and_then(|http| http.ok_or_else(|| String::from(CLOSED)))
            .map_err(|e| Failed {
                error: Error::Config(e),
                retry_after: None,
                final_attempt: true,
            })?;
        let mut response = http
            .get(url.clone())
            .headers(headers.clone())
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| self.transport_error(&e, timeout))?;
        let status = response.status().as_u16();
        let headers = response.headers();
        if response.status().is_redirection() {
            return Err(redirected(status, headers.get(header::LOCATION)));
        }
        let text_header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let token = &self.inner.token;
        let request_id = text_header("x-request-id")
            .or_else(|| text_header("request-id"))
            .map(|id| token.scrub(&id));
        let retry_after = text_header("retry-after");
        let limit = self.inner.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large(status, limit).into());
        }
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            if undecodable(&e) {
                // A body its Content-Encoding does not describe: the same answer would come again.
                let reason = format!("the body could not be decoded as sent: {}", chain(&e));
                Failed::from(Error::Decode(Box::new(DecodeError::new(
                    status,
                    reason,
                    &[],
                ))))
            } else {
                self.transport_error(&e, timeout)
            }
        })? {
            if body.len() + chunk.len() > limit {
                return Err(too_large(status, limit).into());
            }
            body.extend_from_slice(&chunk);
        }
        log::debug!("GET -> {status}, {} bytes", body.len());
        let elapsed = started.elapsed();
        self.notify(|| Event::Response {
            url: self.shown(url),
            status,
            request_id: request_id.clone(),
            elapsed,
        });

        if (200..300).contains(&status) {
            let page = CallLogPage::from_body(&body).map_err(|e| {
                Error::Decode(Box::new(DecodeError::new(status, e.to_string(), &body)))
            })?;
            let answer = Answer {
                status,
                headers: std::mem::take(response.headers_mut()),
                request_id,
                retries: 0,
                elapsed,
            };
            return Ok((page, answer));
        }
        let message = serde_json::from_slice::<ErrorBody>(&body)
            .ok()
            .and_then(|b| b.text())
            .unwrap_or_else(|| {
                reqwest::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("unexpected status")
                    .to_owned()
            });
        let error = ApiError {
            status,
            message,
            body: body_snippet(&body),
            request_id,
            retry_after: retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, SystemTime::now())),
        };
        Err(Failed {
            error: Error::Api(Box::new(error)),
            retry_after,
            final_attempt: false,
        })
    }

    fn transport_error(&self, error: &reqwest::Error, timeout: Duration) -> Failed {
        if error.is_timeout() {
            // Name the timeout that fired: opening the connection, or the whole attempt.
            let limit = if error.is_connect() {
                self.inner.connect_timeout
            } else {
                timeout
            };
            return Error::Timeout(limit).into();
        }
        if let Some(tls) = tls_failure(error) {
            // The same certificate or handshake would fail the same way again: no retry.
            return Failed {
                error: Error::Connection(tls),
                retry_after: None,
                final_attempt: true,
            };
        }
        Failed {
            error: Error::Connection(chain(error)),
            retry_after: None,
            final_attempt: error.is_redirect(),
        }
    }
}

/// What a failed TLS handshake says, when that is why the request failed: the server's
/// certificate was not trusted, or the two sides have no protocol in common.
fn tls_failure(error: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        match rustls_error(cause) {
            Some(rustls::Error::InvalidCertificate(reason)) => {
                return Some(format!(
                    "TLS: the server's certificate is not trusted ({reason:?}); to trust a private CA or a self-signed certificate, name its PEM file with the client's CA file setting or UNPOD_CA_FILE"
                ));
            }
            Some(other) => return Some(format!("TLS handshake failed: {other}")),
            None => source = cause.source(),
        }
    }
    None
}

/// The rustls error `cause` is or wraps in I/O errors (which hide what they wrap from `source`).
fn rustls_error<'a>(mut cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    loop {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        cause = cause.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
}

/// Whether a body failed to decode as its `Content-Encoding` says (gzip that is not gzip), rather
/// than to arrive: reqwest reports both as decode errors; only the decoder's own says the data is
/// invalid.
fn undecodable(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
            )
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// An error's message followed by each of its causes'.
fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The per-request settings' rules, wherever they are set: a positive timeout, and retries within
/// [`MAX_RETRIES`].
pub(crate) fn check_request_options(timeout: Duration, max_retries: u32) -> Result<(), Error> {
    if timeout.is_zero() {
        return Err(Error::config(
            "the timeout must be a positive, finite duration (got 0 s)",
        ));
    }
    if max_retries > MAX_RETRIES {
        return Err(Error::config(format!(
            "max_retries must be a whole number from 0 to {MAX_RETRIES} (got {max_retries})"
        )));
    }
    Ok(())
}

/// A redirect the client does not follow: to another origin, where the token must not go.
fn redirected(status: u16, location: Option<&HeaderValue>) -> Failed {
    let location = location
        .and_then(|l| l.to_str().ok())
        .unwrap_or("(no Location header)");
    let error = ApiError::new(
        status,
        format!(
            "redirected to {location:?}, another origin: not followed, so that the token and org handle stay with the base URL's host; use that URL as the base URL if it is trusted"
        ),
    );
    Failed {
        error: Error::Api(Box::new(error)),
        retry_after: None,
        final_attempt: true,
    }
}

/// Checks every record of a page against the filters sent; the first one outside them is an error.
fn verify_filters(query: &CallLogQuery, page: &CallLogPage, binding: &str) -> Result<(), Error> {
    let filters = query.filters();
    let Some((record, (parameter, value))) = page
        .data
        .iter()
        .find_map(|record| Some((record, filters.unmatched(record)?)))
    else {
        return Ok(());
    };
    let field = crate::query::filter_rule(parameter).map_or(parameter, |rule| rule.field);
    let actual = crate::fields::FIELDS
        .iter()
        .find(|f| f.name == field)
        .map(|f| match (f.value)(record) {
            crate::fields::FieldValue::Text(text) => text.unwrap_or("null").to_owned(),
            crate::fields::FieldValue::Instant(time) => {
                time.map_or("null".to_owned(), crate::model::format_timestamp)
            }
            crate::fields::FieldValue::Seconds(seconds) => seconds.to_string(),
        })
        .unwrap_or_default();
    let mut violation = ContractViolation::new(
        ViolationKind::FilterNotApplied,
        format!(
            "it did not apply `{parameter}={value}`: a record with {field} {actual} came back; nothing from that page on is handed back ({})",
            crate::binding::filter_hint(binding, parameter)
        ),
    );
    violation.parameter = Some(parameter);
    violation.value = Some(value);
    violation.record = serde_json::to_string(record).ok();
    Err(violation.into())
}

fn too_large(status: u16, limit: usize) -> Error {
    Error::Decode(Box::new(DecodeError::new(
        status,
        format!("the body is larger than the {limit}-byte limit"),
        &[],
    )))
}
