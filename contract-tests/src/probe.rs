//! Raw, budgeted, rate-limited GET requests to the endpoint under test, each one logged.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use unpod_calllogs::{CallLog, CallLogPage, SecretToken};

/// The endpoint under test and the identity used against it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Target {
    /// Base URL, e.g. `https://staging.example.com`.
    pub base_url: String,
    /// The API token.
    pub token: SecretToken,
    /// The organization the token reads.
    pub org_handle: String,
    /// An existing organization the token may not read, for the 403 check.
    pub foreign_org_handle: Option<String>,
    /// Extra headers for every request (e.g. `Product-Id`).
    pub headers: Vec<(String, String)>,
    /// Names of the extra headers whose values are secrets (credentials of a list operation's
    /// security scheme): shown as `$NAME` in `curl` lines, kept out of reports.
    pub secret_headers: Vec<String>,
}

impl Target {
    /// The endpoint at `base_url`, read with `token` as `org_handle`; no foreign organization, no
    /// extra headers.
    pub fn new(
        base_url: impl Into<String>,
        token: SecretToken,
        org_handle: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            token,
            org_handle: org_handle.into(),
            foreign_org_handle: None,
            headers: Vec::new(),
            secret_headers: Vec::new(),
        }
    }

    unpod_calllogs::__setters! {
        foreign_org_handle: Option<String> => into,
        headers: Vec<(String, String)> => into,
        secret_headers: Vec<String> => into,
    }

    /// The secrets a report must not show: the token, and the values of the secret headers.
    pub fn secrets(&self) -> Vec<SecretToken> {
        let headers = self
            .headers
            .iter()
            .filter(|(name, _)| self.is_secret(name))
            .map(|(_, value)| SecretToken::new(value.clone()));
        std::iter::once(self.token.clone()).chain(headers).collect()
    }

    fn is_secret(&self, header: &str) -> bool {
        self.secret_headers
            .iter()
            .any(|s| s.eq_ignore_ascii_case(header))
    }
}

/// The placeholder that stands for a secret header's value in `curl` lines: `$AUTHORIZATION`.
pub fn header_placeholder(name: &str) -> String {
    let variable: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("${variable}")
}

/// Requests a run may send unless told.
pub const DEFAULT_MAX_REQUESTS: u64 = 2000;
/// Time allowed for one request unless told.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How much the suite may ask of the endpoint.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Limits {
    /// Requests at most, over the whole run.
    pub max_requests: u64,
    /// Requests per second at most (`None`: no limit).
    pub rps: Option<f64>,
    /// Time allowed for one request.
    pub timeout: Duration,
    /// The largest body read of one answer: a larger one is not read on (nor kept), and fails the
    /// check that asked for it.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    /// [`DEFAULT_MAX_REQUESTS`], no rate limit, [`DEFAULT_TIMEOUT`], and the clients' own body
    /// limit ([`unpod_calllogs::DEFAULT_MAX_BODY_BYTES`]).
    fn default() -> Self {
        Self {
            max_requests: DEFAULT_MAX_REQUESTS,
            rps: None,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: unpod_calllogs::DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl Limits {
    unpod_calllogs::__setters! {
        max_requests: u64,
        rps: Option<f64> => into,
        timeout: Duration,
        max_body_bytes: usize,
    }
}

/// Which credentials a request carries.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// The target's token and organization.
    Normal,
    /// No `Authorization` header.
    NoToken,
    /// This token instead of the target's.
    Token(String),
    /// The target's token with this `Org-Handle` instead.
    Org(String),
    /// No `Org-Handle` header.
    NoOrg,
    /// The target's token and organization, without the extra headers (`--header`).
    Bare,
    /// The extra headers without those of these names.
    Without(Vec<String>),
    /// The extra headers, those of these names replaced by these values (or added).
    With(Vec<(String, String)>),
}

/// One request: its query parameters and credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// Query parameters, in order, unencoded.
    pub params: Vec<(String, String)>,
    /// Credentials.
    pub auth: Auth,
    /// A URL the server gave (a next link) to request instead of the endpoint with `params`.
    pub url: Option<String>,
}

impl Request {
    /// A request with the target's credentials.
    pub fn new<K: Into<String>, V: Into<String>>(params: impl IntoIterator<Item = (K, V)>) -> Self {
        Self {
            params: params
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            auth: Auth::Normal,
            url: None,
        }
    }

    /// A request for a URL the server gave, with the target's credentials.
    pub fn at(url: impl Into<String>) -> Self {
        Self {
            url: Some(url.into()),
            ..Self::new(Vec::<(String, String)>::new())
        }
    }

    /// The request a query makes, with the target's credentials.
    pub fn from_query(query: &unpod_calllogs::CallLogQuery) -> Self {
        Self::new(form_urlencoded::parse(query.to_query_string().as_bytes()).into_owned())
    }

    /// The same request with other credentials.
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    fn query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in &self.params {
            query.append_pair(key, value);
        }
        query.finish()
    }
}

/// A request and what came back.
#[derive(Debug)]
#[non_exhaustive]
pub struct Exchange {
    /// What was sent.
    pub request: Request,
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `WWW-Authenticate` header.
    pub www_authenticate: Option<String>,
    /// Every response header, the names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, parsed as JSON when it is JSON.
    pub json: Option<Value>,
    /// The body read (leniently) as a page, when the status is 200 and it is one; parsed once.
    pub page: Option<Arc<CallLogPage>>,
    /// The body's first bytes, as text.
    pub snippet: String,
    /// The request as a `curl` command line, the token replaced by a placeholder.
    pub curl: String,
}

impl Exchange {
    /// The records of a 200 body (empty when there are none or the body is not a page).
    pub fn records(&self) -> &[CallLog] {
        self.page.as_ref().map_or(&[], |p| &p.data)
    }
}

/// Why a request got no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The request budget is spent.
    #[error("the request budget of {0} is spent")]
    Budget(u64),
    /// The share of the budget given to the current check is spent.
    #[error("its share of the request budget ({0} requests) is spent")]
    Share(u64),
    /// No HTTP answer.
    #[error("no answer: {0}")]
    Transport(String),
    /// An answer's body is larger than [`Limits::max_body_bytes`] (its status, the limit).
    #[error("a {0} answer's body is larger than the {1}-byte limit (--max-body-bytes)")]
    TooLarge(u16, usize),
}

struct State {
    sent: u64,
    /// The current share: its size, and the count of requests sent at which it is spent.
    share: Option<(u64, u64)>,
    next_slot: Instant,
    log: Vec<Arc<Exchange>>,
}

/// A request that got no HTTP answer, with every cause.
fn transport(error: reqwest::Error) -> ProbeError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    ProbeError::Transport(message)
}

/// Sends requests to the target, within its limits, and keeps every exchange.
pub struct Probe {
    runtime: tokio::runtime::Handle,
    http: reqwest::Client,
    endpoint: String,
    /// Whether the target is the call-logs endpoint (its token, `Org-Handle` and pages), or
    /// another list operation (the extra headers only).
    call_logs: bool,
    target: Target,
    limits: Limits,
    state: Mutex<State>,
}

/// The placeholder that stands for the token in reports.
pub const TOKEN_PLACEHOLDER: &str = "$UNPOD_PLATFORM_TOKEN";

impl Probe {
    /// A probe of the call-logs endpoint that runs its requests on `runtime` (call it from
    /// outside that runtime).
    pub fn new(
        runtime: tokio::runtime::Handle,
        target: Target,
        limits: Limits,
    ) -> Result<Self, String> {
        // The clients' rule: a path prefix is kept, a base URL naming the endpoint is the endpoint.
        let endpoint = unpod_calllogs::transport::endpoint_url(&target.base_url)?.to_string();
        Self::build(runtime, target, limits, endpoint, true)
    }

    /// A probe of the operation at `path` under the target's base URL, sending the target's extra
    /// headers only (no token, no `Org-Handle`).
    pub fn for_operation(
        runtime: tokio::runtime::Handle,
        target: Target,
        path: &str,
        limits: Limits,
    ) -> Result<Self, String> {
        let base = reqwest::Url::parse(&target.base_url)
            .map_err(|e| format!("--base-url {:?}: {e}", target.base_url))?;
        let endpoint = format!(
            "{}/{}",
            base.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        Self::build(runtime, target, limits, endpoint, false)
    }

    /// The URL of the operation under test.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn build(
        runtime: tokio::runtime::Handle,
        target: Target,
        limits: Limits,
        endpoint: String,
        call_logs: bool,
    ) -> Result<Self, String> {
        let ca = unpod_calllogs::transport::ca_file_from_env("rust")
            .map(|(variable, path)| unpod_calllogs::transport::CaBundle::read(variable, &path))
            .transpose()?;
        let http = unpod_calllogs::transport::http_client_builder(ca.as_ref())?
            .timeout(limits.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "calllogs-contract/",
                env!("CARGO_PKG_VERSION"),
                " (rust)"
            ))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            runtime,
            http,
            endpoint,
            call_logs,
            target,
            limits,
            state: Mutex::new(State {
                sent: 0,
                share: None,
                next_slot: Instant::now(),
                log: Vec::new(),
            }),
        })
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// How many requests were sent.
    pub fn sent(&self) -> u64 {
        self.lock().sent
    }

    /// How many requests the budget still allows.
    pub fn remaining(&self) -> u64 {
        self.limits.max_requests.saturating_sub(self.sent())
    }

    /// Allows the next requests up to `requests` more (a check's share of the budget), or lifts
    /// the share with `None`.
    pub fn set_share(&self, requests: Option<u64>) {
        let mut state = self.lock();
        state.share = requests.map(|n| (n, state.sent.saturating_add(n)));
    }

    /// Every exchange so far.
    pub fn log(&self) -> Vec<Arc<Exchange>> {
        self.lock().log.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn url(&self, request: &Request) -> String {
        if let Some(url) = &request.url {
            return url.clone();
        }
        let query = request.query_string();
        if query.is_empty() {
            self.endpoint.clone()
        } else {
            format!("{}?{query}", self.endpoint)
        }
    }

    fn headers(&self, request: &Request) -> Vec<(String, String)> {
        let extra = self.target.headers.iter().cloned();
        if !self.call_logs {
            return match &request.auth {
                Auth::Without(names) => extra
                    .filter(|(name, _)| !names.iter().any(|n| n.eq_ignore_ascii_case(name)))
                    .collect(),
                Auth::With(replaced) => extra
                    .filter(|(name, _)| !replaced.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
                    .chain(replaced.iter().cloned())
                    .collect(),
                _ => extra.collect(),
            };
        }
        let mut headers = Vec::new();
        let token = match &request.auth {
            Auth::NoToken => None,
            Auth::Token(token) => Some(token.clone()),
            _ => Some(self.target.token.expose().to_owned()),
        };
        if let Some(token) = token {
            headers.push((
                "Authorization".to_owned(),
                unpod_calllogs::transport::authorization(&token),
            ));
        }
        let org = match &request.auth {
            Auth::NoOrg => None,
            Auth::Org(org) => Some(org.clone()),
            _ => Some(self.target.org_handle.clone()),
        };
        if let Some(org) = org {
            headers.push(("Org-Handle".to_owned(), org));
        }
        if request.auth != Auth::Bare {
            headers.extend(extra);
        }
        headers
    }

    /// The request as a shell command, with the target's token replaced by a placeholder.
    pub fn curl(&self, request: &Request) -> String {
        let secret = self.target.token.expose();
        let mut line = String::from("curl -sS");
        for (name, value) in self.headers(request) {
            let value = if self.target.is_secret(&name) {
                header_placeholder(&name)
            } else if secret.is_empty() {
                value
            } else {
                value.replace(secret, TOKEN_PLACEHOLDER)
            };
            line.push_str(&format!(" -H \"{name}: {value}\""));
        }
        line.push_str(&format!(" '{}'", self.url(request)));
        line
    }

    /// Sends a request (waiting for the rate limit) and logs the exchange.
    pub fn get(&self, request: Request) -> Result<Arc<Exchange>, ProbeError> {
        let wait = {
            let mut state = self.lock();
            if state.sent >= self.limits.max_requests {
                return Err(ProbeError::Budget(self.limits.max_requests));
            }
            if let Some((size, _)) = state.share.filter(|(_, end)| state.sent >= *end) {
                return Err(ProbeError::Share(size));
            }
            state.sent += 1;
            let now = Instant::now();
            let slot = state.next_slot.max(now);
            if let Some(rps) = self.limits.rps.filter(|r| *r > 0.0) {
                state.next_slot = slot + Duration::from_secs_f64(1.0 / rps);
            }
            slot - now
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        let mut builder = self.http.get(self.url(&request));
        for (name, value) in self.headers(&request) {
            builder = builder.header(name, value);
        }
        let limit = self.limits.max_body_bytes;
        let answer = self.runtime.block_on(async move {
            let response = builder.send().await.map_err(transport)?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let content_type = header("content-type");
            let www_authenticate = header("www-authenticate");
            let headers = response
                .headers()
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect();
            // Read up to the limit, never more: the server decides how much it sends.
            let mut response = response;
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(transport)? {
                if body.len() + chunk.len() > limit {
                    return Err(ProbeError::TooLarge(status, limit));
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, content_type, www_authenticate, headers, body))
        });
        let (status, content_type, www_authenticate, headers, body) = answer?;
        let exchange = Arc::new(Exchange {
            curl: self.curl(&request),
            request,
            status,
            content_type,
            www_authenticate,
            headers,
            json: serde_json::from_slice(&body).ok(),
            page: (self.call_logs && status == 200)
                .then(|| CallLogPage::from_body(&body).ok())
                .flatten()
                .map(Arc::new),
            snippet: unpod_calllogs::error::body_snippet(&body),
        });
        self.lock().log.push(exchange.clone());
        Ok(exchange)
    }
}
