//! The HTTP client: configuration, one request with retries, and the call-logs resource.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::error::{ApiError, ContractViolation, DecodeError, Error, ViolationKind, body_snippet};
use crate::model::{CallLog, CallLogPage, ErrorBody};
use crate::options::{ClientOptions, Event, Observer, ResponseInfo};
use crate::pagination::{CallLogStream, Pager, PagerOptions, collect_all};
use crate::query::{CallLogQuery, ORG_HANDLE_HEADER, extra_header};
use crate::retry::{Failure, RetryPolicy, parse_retry_after};

/// The environment variable holding the API token.
pub const TOKEN_ENV: &str = "UNPOD_PLATFORM_TOKEN";
/// The environment variable holding the organization handle.
pub const ORG_HANDLE_ENV: &str = "UNPOD_ORG_HANDLE";
/// The environment variable holding the base URL.
pub const BASE_URL_ENV: &str = "UNPOD_BASE_URL";
/// The base URL used when none is given.
pub const DEFAULT_BASE_URL: &str = "https://unpod.dev";
/// The endpoint's path below the base URL.
pub const CALL_LOGS_PATH: &str = "api/v2/platform/call-logs/";
/// The default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time allowed for one attempt, from sending to the last byte of the body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest body the client reads; a page of 1,000 records is well under 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// How many redirects within the base URL's origin one request follows.
pub const MAX_REDIRECTS: usize = 5;
/// The page size of walks (`stream`, `collect_all`; the bindings' `iter` and `all`) unless the
/// caller sets one: fewer requests than the server's default of 20, small enough to stream.
pub const DEFAULT_WALK_PAGE_SIZE: u32 = 100;
/// How many pages `collect_all` (the bindings' `all`) fetches at once unless the caller says.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// An API token. It never shows itself: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token (as is, and as JSON escapes it) replaced by `***`.
    /// A token shorter than [`SecretToken::SHORT`] characters is replaced only where it stands as
    /// a word of its own, so that a test token such as `t` does not blank every letter t.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        self.scrub_in_place(&mut text);
        text
    }

    /// Below this many characters a token is scrubbed only as a whole word.
    pub const SHORT: usize = 8;

    pub(crate) fn scrub_in_place(&self, text: &mut String) {
        let escaped = serde_json::to_string(&self.0).unwrap_or_default();
        let escaped = escaped.trim_matches('"');
        for form in [self.0.as_str(), escaped] {
            if !form.is_empty() && text.contains(form) {
                *text = replace_token(text, form, form.chars().count() < Self::SHORT);
            }
        }
    }
}

fn replace_token(text: &str, token: &str, whole_words_only: bool) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(token) {
        let after = &rest[at + token.len()..];
        out.push_str(&rest[..at]);
        let bounded = !word(out.chars().next_back()) && !word(after.chars().next());
        out.push_str(if whole_words_only && !bounded {
            token
        } else {
            "***"
        });
        rest = after;
    }
    out.push_str(rest);
    out
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(***)")
    }
}

impl fmt::Display for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Settings for a [`Client`]; see [`Client::builder`].
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    token: Option<SecretToken>,
    org_handle: Option<String>,
    base_url: Option<String>,
    headers: Vec<(String, String)>,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    binding: String,
    user_agent_suffix: Option<String>,
    max_body_bytes: usize,
    verify_filters: bool,
    observer: Option<Observer>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            org_handle: None,
            base_url: None,
            headers: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            binding: "rust".to_owned(),
            user_agent_suffix: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            verify_filters: true,
            observer: None,
        }
    }
}

impl ClientBuilder {
    /// The API token, sent as `Authorization: Token <token>`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretToken::new(token));
        self
    }

    /// The organization's `domain_handle`, sent as `Org-Handle`.
    pub fn org_handle(mut self, org_handle: impl Into<String>) -> Self {
        self.org_handle = Some(org_handle.into());
        self
    }

    /// The server, e.g. `https://unpod.dev` (the default) or `http://127.0.0.1:8080`. A path prefix
    /// is kept: the endpoint is `<base_url>/api/v2/platform/call-logs/`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// An extra header sent with every request, e.g. `Product-Id: unpod.ai`. `Authorization` and
    /// `Org-Handle` are refused: they come from the token and the org handle.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The time allowed for one attempt, from sending to the end of the body (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a failed request is tried again (default 2).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }

    /// The whole retry policy: count, backoff and the longest `Retry-After` honoured.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The language binding named in the `User-Agent` (default `rust`).
    pub fn binding(mut self, binding: impl Into<String>) -> Self {
        self.binding = binding.into();
        self
    }

    /// Text appended to the `User-Agent`, e.g. your application's name and version.
    pub fn user_agent(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// The largest response body accepted (default 16 MiB).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Whether every record received is checked against the filters sent (default on). A record
    /// outside them is an [`Error::ServerContract`] naming the filter the server did not apply.
    /// Turn it off only for a server known to ignore filters; turning it off is logged.
    pub fn verify_filters(mut self, verify: bool) -> Self {
        self.verify_filters = verify;
        self
    }

    /// A function told of every request sent, answer received and retry scheduled (see [`Event`]),
    /// for metrics and tracing. It runs on the client's tasks: keep it quick.
    pub fn on_event(mut self, observer: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.observer = Some(Observer(Arc::new(observer)));
        self
    }

    /// Fills the token, org handle and base URL that are still unset from `UNPOD_PLATFORM_TOKEN`,
    /// `UNPOD_ORG_HANDLE` and `UNPOD_BASE_URL`.
    pub fn env_defaults(mut self) -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        self.token = self.token.or_else(|| var(TOKEN_ENV).map(SecretToken::new));
        self.org_handle = self.org_handle.or_else(|| var(ORG_HANDLE_ENV));
        self.base_url = self.base_url.or_else(|| var(BASE_URL_ENV));
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let token = self
            .token
            .filter(|t| !t.expose().is_empty())
            .ok_or_else(|| config(format!("no API token: set one or export {TOKEN_ENV}")))?;
        let org_handle = self
            .org_handle
            .filter(|o| !o.is_empty())
            .ok_or_else(|| config(format!("no org handle: set one or export {ORG_HANDLE_ENV}")))?;
        check_request_options(
            self.timeout.min(self.connect_timeout),
            self.retry.max_retries,
        )?;
        let base = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let endpoint = endpoint_url(base)?;

        let mut headers = HeaderMap::new();
        let mut authorization = HeaderValue::try_from(format!("Token {}", token.expose()))
            .map_err(|_| config("the API token has characters a header cannot carry"))?;
        authorization.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, authorization);
        headers.insert(
            HeaderName::from_static(ORG_HANDLE_HEADER),
            HeaderValue::try_from(org_handle.as_str())
                .map_err(|_| config("the org handle has characters a header cannot carry"))?,
        );
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        for (name, value) in &self.headers {
            let (name, value) = extra_header(name, value).map_err(config)?;
            headers.insert(name, value);
        }
        if !self.verify_filters {
            log::warn!(
                "filter verification is off: records are handed on without being checked against the filters sent"
            );
        }

        let mut user_agent = format!(
            "unpod-calllogs/{} ({})",
            env!("CARGO_PKG_VERSION"),
            self.binding
        );
        if let Some(suffix) = &self.user_agent_suffix {
            user_agent.push(' ');
            user_agent.push_str(suffix);
        }

        let http = crate::transport::http_client_builder()
            .map_err(config)?
            .default_headers(headers)
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .redirect(same_origin_redirects())
            .build()
            .map_err(|e| config(format!("the HTTP client could not be built: {e}")))?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint,
                org_handle,
                token,
                retry: self.retry,
                connect_timeout: self.connect_timeout,
                timeout: self.timeout,
                max_body_bytes: self.max_body_bytes,
                verify_filters: self.verify_filters,
                headers: HeaderMap::new(),
                observer: self.observer,
            }),
        })
    }
}

/// A timeout given in seconds (as bindings receive it): a positive, finite number.
pub fn timeout_from_secs(seconds: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|timeout| !timeout.is_zero())
        .ok_or_else(|| {
            config(format!(
                "the timeout must be a positive, finite duration (got {seconds} s)"
            ))
        })
}

/// The most retries a client may be configured with.
pub const MAX_RETRIES: u32 = 100;
/// The most pages `collect_all` may fetch at once.
pub const MAX_CONCURRENCY: usize = 64;

/// A whole number in `min..=max`, given as a number (as bindings receive it): a configuration
/// error naming `setting` otherwise.
fn whole_number(setting: &str, value: f64, min: u64, max: u64) -> Result<u64, Error> {
    let whole = value.is_finite() && value.fract() == 0.0;
    if whole && value >= min as f64 && value <= max as f64 {
        Ok(value as u64)
    } else {
        Err(config(format!(
            "{setting} must be a whole number from {min} to {max} (got {value})"
        )))
    }
}

/// `max_retries` as bindings receive it: a whole number from 0 to [`MAX_RETRIES`].
pub fn max_retries_from(value: f64) -> Result<u32, Error> {
    whole_number("max_retries", value, 0, u64::from(MAX_RETRIES)).map(|n| n as u32)
}

/// `concurrency` as bindings receive it: a whole number from 1 to [`MAX_CONCURRENCY`].
pub fn concurrency_from(value: f64) -> Result<usize, Error> {
    whole_number("concurrency", value, 1, MAX_CONCURRENCY as u64).map(|n| n as usize)
}

/// A walk's `prefetch` as bindings receive it: a whole number of pages from 0 to
/// [`MAX_CONCURRENCY`].
pub fn prefetch_from(value: f64) -> Result<usize, Error> {
    whole_number("prefetch", value, 0, MAX_CONCURRENCY as u64).map(|n| n as usize)
}

/// A walk's `limit` as bindings receive it: a whole number of records, 0 or more.
pub fn limit_from(value: f64) -> Result<u64, Error> {
    whole_number("limit", value, 0, 1 << 53)
}

fn config(message: impl Into<String>) -> Error {
    Error::Config(message.into())
}

/// Redirects are followed only within the origin they start from, and at most [`MAX_REDIRECTS`]
/// times: the token and the org handle never travel to another host. A redirect elsewhere comes
/// back as the 3xx answer it is, and becomes an error naming its location.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(reqwest::Url::origin);
        if first.is_some_and(|origin| origin != attempt.url().origin()) {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

fn endpoint_url(base: &str) -> Result<reqwest::Url, Error> {
    let mut base = reqwest::Url::parse(base).map_err(|e| {
        let shown = if base.contains('@') {
            "(not shown: it holds an `@`)"
        } else {
            base
        };
        let hint = if base.contains("://") {
            ""
        } else {
            " (give the scheme, e.g. https://unpod.dev)"
        };
        config(format!("base URL {shown:?} is not a URL: {e}{hint}"))
    })?;
    if !base.username().is_empty() || base.password().is_some() {
        return Err(config(
            "the base URL must not hold a user name or password: the API token authenticates",
        ));
    }
    if !matches!(base.scheme(), "http" | "https") {
        return Err(config(format!("base URL {base} must be http or https")));
    }
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    // A base URL that already names the endpoint is the endpoint (not a path prefix to double).
    if let Some(prefix) = base.path().strip_suffix(CALL_LOGS_PATH) {
        let prefix = prefix.to_owned();
        base.set_path(&prefix);
    }
    base.set_query(None);
    base.join(CALL_LOGS_PATH).map_err(|e| {
        config(format!(
            "base URL {base} cannot carry the endpoint path: {e}"
        ))
    })
}

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

struct Inner {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    org_handle: String,
    token: SecretToken,
    retry: RetryPolicy,
    connect_timeout: Duration,
    timeout: Duration,
    max_body_bytes: usize,
    verify_filters: bool,
    /// Headers of a copy made by [`Client::with_options`], sent with every request.
    headers: HeaderMap,
    observer: Option<Observer>,
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

fn jitter() -> f64 {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (random >> 11) as f64 / (1u64 << 53) as f64
}

impl Client {
    /// A builder with the defaults: `https://unpod.dev`, 10 s to connect, 60 s per attempt, 2 retries.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `UNPOD_PLATFORM_TOKEN`, `UNPOD_ORG_HANDLE` and `UNPOD_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().env_defaults().build()
    }

    /// The call-logs resource.
    pub fn call_logs(&self) -> CallLogs<'_> {
        CallLogs { client: self }
    }

    /// The endpoint's full URL.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// A copy of this client with some settings changed. The copy shares the connection pool (and
    /// any [`ClientBuilder::on_event`] observer); the original is unchanged.
    pub fn with_options(&self, options: ClientOptions) -> Result<Client, Error> {
        let inner = &self.inner;
        let mut headers = inner.headers.clone();
        for (name, value) in &options.headers {
            let (name, value) = extra_header(name, value).map_err(config)?;
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
        Ok(Client {
            inner: Arc::new(Inner {
                http: inner.http.clone(),
                endpoint: inner.endpoint.clone(),
                org_handle: inner.org_handle.clone(),
                token: inner.token.clone(),
                retry,
                connect_timeout: inner.connect_timeout,
                timeout,
                max_body_bytes: inner.max_body_bytes,
                verify_filters,
                headers,
                observer: inner.observer.clone(),
            }),
        })
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
            let (name, value) = extra_header(name, value).map_err(config)?;
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
            verify_filters(query, &page)?;
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
        let mut response = self
            .inner
            .http
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
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e, timeout))?
        {
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
            let page = serde_json::from_slice::<CallLogPage>(&body).map_err(|e| {
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
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Failed {
            error: Error::Connection(message),
            retry_after: None,
            final_attempt: error.is_redirect(),
        }
    }
}

/// The per-request settings' rules, wherever they are set: a positive timeout, and retries within
/// [`MAX_RETRIES`].
fn check_request_options(timeout: Duration, max_retries: u32) -> Result<(), Error> {
    if timeout.is_zero() {
        return Err(config(
            "the timeout must be a positive, finite duration (got 0 s)",
        ));
    }
    if max_retries > MAX_RETRIES {
        return Err(config(format!(
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
fn verify_filters(query: &CallLogQuery, page: &CallLogPage) -> Result<(), Error> {
    let filters = query.filters();
    let Some((record, (parameter, value))) = page
        .data
        .iter()
        .find_map(|record| Some((record, filters.unmatched(record)?)))
    else {
        return Ok(());
    };
    let (field, actual) = match parameter {
        "call_type" => ("call_type", record.call_type.to_string()),
        "call_status" => ("call_status", record.call_status.to_string()),
        _ => (
            "creation_time",
            crate::model::format_timestamp(&record.creation_time),
        ),
    };
    let mut violation = ContractViolation::new(
        ViolationKind::FilterNotApplied,
        format!(
            "it did not apply `{parameter}={value}`: a record with {field} {actual} came back; nothing from that page on is handed back (verify_filters turns this check off)"
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

/// The call-logs resource of a [`Client`]: one page, a stream of records, or all of them.
#[derive(Clone, Copy, Debug)]
pub struct CallLogs<'a> {
    client: &'a Client,
}

impl CallLogs<'_> {
    /// Fetches the one page the query asks for. The query is validated before anything is sent.
    pub async fn list(&self, query: &CallLogQuery) -> Result<CallLogPage, Error> {
        self.client.fetch(query).await
    }

    /// [`CallLogs::list`], with the HTTP answer that carried the page: status, headers, request id.
    pub async fn list_with_response(
        &self,
        query: &CallLogQuery,
    ) -> Result<(CallLogPage, ResponseInfo), Error> {
        self.client.fetch_with_response(query).await
    }

    /// Every matching record from the query's page on, page after page, in constant memory.
    /// See [`crate::pagination`] for the stop rules and how concurrent inserts are handled.
    pub fn stream(&self, query: CallLogQuery) -> CallLogStream {
        self.stream_with(query, PagerOptions::default())
    }

    /// [`CallLogs::stream`] with a limit on the number of records and optional read-ahead.
    pub fn stream_with(&self, query: CallLogQuery, options: PagerOptions) -> CallLogStream {
        CallLogStream::new(self.pages_with(query, options))
    }

    /// The pages of a query one at a time, for callers that want whole pages.
    pub fn pages_with(&self, query: CallLogQuery, options: PagerOptions) -> Pager {
        Pager::new(self.client.clone(), query, options)
    }

    /// The walk of the pages after `page`, which `query` fetched (with [`CallLogs::list`]): for
    /// iterating on from a page the caller already holds. The rules of the walk apply from `page` on;
    /// a page that breaks them is an error.
    pub fn pages_after(
        &self,
        query: CallLogQuery,
        page: CallLogPage,
        options: PagerOptions,
    ) -> Result<Pager, Error> {
        crate::pagination::after_held(self.client.clone(), query, page, options)
    }

    /// Every matching record, in server order. Once the first page has told `count`, the remaining
    /// pages are fetched `concurrency` at a time (at least 1).
    pub async fn collect_all(
        &self,
        query: CallLogQuery,
        concurrency: usize,
    ) -> Result<Vec<CallLog>, Error> {
        collect_all(self.client, query, concurrency).await
    }
}
