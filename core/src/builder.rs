//! The settings of a [`Client`] and the checks they pass before one is built.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::binding::spelled;
use crate::client::{Client, Inner, check_request_options};
use crate::defaults::{
    BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_TIMEOUT, DIALECT_ENV, MAX_REDIRECTS, ORG_HANDLE_ENV, TOKEN_ENV,
};
use crate::dialect::Dialect;
use crate::error::Error;
use crate::options::{Event, Observer};
use crate::query::{ORG_HANDLE_HEADER, extra_header};
use crate::retry::RetryPolicy;
use crate::secret::SecretToken;
use crate::transport::{CaBundle, HttpFactory, ProcessClient};

/// Settings for a [`Client`]; see [`Client::builder`].
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    token: Option<SecretToken>,
    org_handle: Option<String>,
    base_url: Option<String>,
    /// The CA file and the setting that named it.
    ca_file: Option<(&'static str, String)>,
    headers: Vec<(String, String)>,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    binding: String,
    user_agent_suffix: Option<String>,
    max_body_bytes: usize,
    verify_filters: bool,
    dialect: Option<Result<Dialect, String>>,
    observer: Option<Observer>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            org_handle: None,
            base_url: None,
            ca_file: None,
            headers: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            binding: "rust".to_owned(),
            user_agent_suffix: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            verify_filters: true,
            dialect: None,
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

    /// A PEM file of certificates to trust besides the platform's roots: a private CA's certificate
    /// or bundle, or a server's own self-signed certificate (trusted for the names it holds). Read
    /// when the client is built; a file that cannot be read or holds no certificate is an
    /// [`Error::Config`].
    pub fn ca_file(mut self, path: impl Into<String>) -> Self {
        self.ca_file = Some(("ca_file", path.into()));
        self
    }

    /// An extra header sent with every request, e.g. `Product-Id: unpod.ai`. `Authorization` and
    /// `Org-Handle` are refused: they come from the token and the org handle.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The time allowed to open a connection ([`DEFAULT_CONNECT_TIMEOUT`] unless set).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The time allowed for one attempt, from sending to the end of the body ([`DEFAULT_TIMEOUT`]
    /// unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a failed request is tried again ([`crate::defaults::DEFAULT_MAX_RETRIES`]
    /// unless set).
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

    /// The largest response body accepted ([`DEFAULT_MAX_BODY_BYTES`] unless set).
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

    /// How to speak to a server known to differ from the contract ([`Dialect`]; the contract
    /// unless set, then `UNPOD_DIALECT`).
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = Some(Ok(dialect));
        self
    }

    /// [`ClientBuilder::dialect`] by name (`unpod-v2`), as bindings and the environment give it;
    /// an unknown name fails [`ClientBuilder::build`], naming the known ones.
    pub fn dialect_named(mut self, name: &str) -> Self {
        self.dialect = Some(name.parse());
        self
    }

    /// A function told of every request sent, answer received and retry scheduled (see [`Event`]),
    /// for metrics and tracing. It runs on the client's tasks: keep it quick.
    pub fn on_event(mut self, observer: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.observer = Some(Observer(Arc::new(observer)));
        self
    }

    /// Fills the token, org handle and base URL that are still unset from `UNPOD_PLATFORM_TOKEN`,
    /// `UNPOD_ORG_HANDLE` and `UNPOD_BASE_URL`, and the CA file from the first of
    /// [`crate::defaults::CA_FILE_ENV`] that is set for this client's binding.
    pub fn env_defaults(mut self) -> Self {
        self.token = self
            .token
            .or_else(|| env_var(TOKEN_ENV).map(SecretToken::new));
        self.org_handle = self.org_handle.or_else(|| env_var(ORG_HANDLE_ENV));
        self.base_url = self.base_url.or_else(|| env_var(BASE_URL_ENV));
        self.ca_file = self
            .ca_file
            .or_else(|| crate::transport::ca_file_from_env(&self.binding));
        if self.dialect.is_none() {
            self.dialect = env_var(DIALECT_ENV).map(|name| name.parse());
        }
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let token = self
            .token
            .filter(|t| !t.expose().is_empty())
            .ok_or_else(|| Error::config(format!("no API token: set one or export {TOKEN_ENV}")))?;
        let org_handle = self.org_handle.filter(|o| !o.is_empty()).ok_or_else(|| {
            Error::config(format!("no org handle: set one or export {ORG_HANDLE_ENV}"))
        })?;
        check_request_options(
            self.timeout.min(self.connect_timeout),
            self.retry.max_retries,
        )?;
        let dialect = self
            .dialect
            .clone()
            .transpose()
            .map_err(|e| Error::config(format!("{}: {e}", spelled(&self.binding, "dialect"))))?
            .unwrap_or_default();
        let base = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let endpoint = crate::transport::endpoint_url(base).map_err(Error::Config)?;

        let mut headers = HeaderMap::new();
        let mut authorization =
            HeaderValue::try_from(crate::transport::authorization(token.expose()))
                .map_err(|_| Error::config("the API token has characters a header cannot carry"))?;
        authorization.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, authorization);
        headers.insert(
            HeaderName::from_static(ORG_HANDLE_HEADER),
            HeaderValue::try_from(org_handle.as_str()).map_err(|_| {
                Error::config("the org handle has characters a header cannot carry")
            })?,
        );
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if let Some((name, value)) = dialect.required_header() {
            let (name, value) = extra_header(name, value).map_err(Error::config)?;
            headers.insert(name, value);
        }
        for (name, value) in &self.headers {
            let (name, value) = extra_header(name, value).map_err(Error::config)?;
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

        let ca = self
            .ca_file
            .as_ref()
            .map(|(source, path)| {
                // The setting in the caller's language's spelling, or the variable as named.
                let setting = match *source {
                    "ca_file" => spelled(&self.binding, source),
                    variable => variable.to_owned(),
                };
                CaBundle::read(&setting, path)
            })
            .transpose()
            .map_err(Error::Config)?;
        let (connect_timeout, timeout) = (self.connect_timeout, self.timeout);
        let factory: HttpFactory = Arc::new(move || {
            crate::transport::http_client_builder(ca.as_ref())?
                .default_headers(headers.clone())
                .user_agent(user_agent.clone())
                .connect_timeout(connect_timeout)
                .timeout(timeout)
                .pool_idle_timeout(Duration::from_secs(60))
                .tcp_nodelay(true)
                .redirect(same_origin_redirects())
                .build()
                .map_err(|e| format!("the HTTP client could not be built: {e}"))
        });
        let http = Arc::new(ProcessClient::new(factory).map_err(Error::Config)?);

        Ok(Client::from_inner(Inner {
            http,
            endpoint,
            org_handle,
            token,
            retry: self.retry,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_body_bytes: self.max_body_bytes,
            verify_filters: self.verify_filters,
            dialect,
            binding: self.binding,
            headers: HeaderMap::new(),
            observer: self.observer,
        }))
    }
}

/// A variable's value, when it is set and not empty (an unset CI secret is often an empty string).
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
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

impl Client {
    /// A builder with the defaults of [`crate::defaults`]: the real API, its timeouts and retries.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `UNPOD_PLATFORM_TOKEN`, `UNPOD_ORG_HANDLE` and `UNPOD_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().env_defaults().build()
    }
}
