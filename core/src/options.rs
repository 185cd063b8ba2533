//! What a caller can change per copy of a client, and what a client tells about its requests: the
//! answer behind a page ([`ResponseInfo`]) and the events of each request ([`Event`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Changes for a copy of a client made with [`crate::Client::with_options`]. Unset fields keep the
/// original client's setting; `headers` are added to (and override) its headers.
///
/// ```
/// use std::time::Duration;
/// use unpod_calllogs::{Client, ClientOptions};
///
/// let client = Client::builder().token("t0k3n-t0k3n").org_handle("acme").build().unwrap();
/// let patient = client
///     .with_options(ClientOptions::new().timeout(Duration::from_secs(300)).max_retries(5))
///     .unwrap();
/// assert_eq!(patient.endpoint(), client.endpoint());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The time allowed for one attempt.
    pub timeout: Option<Duration>,
    /// Retries after a failed attempt (at most [`crate::MAX_RETRIES`]).
    pub max_retries: Option<u32>,
    /// Headers added to every request (neither `Authorization` nor `Org-Handle`).
    pub headers: Vec<(String, String)>,
    /// Whether records are checked against the filters sent.
    pub verify_filters: Option<bool>,
}

impl ClientOptions {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the time allowed for one attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the retries after a failed attempt.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = Some(max_retries);
        self
    }

    /// Adds a header to every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Turns filter verification on or off.
    pub fn verify_filters(mut self, verify: bool) -> Self {
        self.verify_filters = Some(verify);
        self
    }
}

/// The HTTP answer that carried a page: for logging, tracing a request with the server's
/// operators, or reading headers the API does not document.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseInfo {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The response headers, names in lower case, in the order received; a header sent more than
    /// once appears more than once. Any occurrence of the token in a value is replaced by `***`.
    pub headers: Vec<(String, String)>,
    /// The `X-Request-Id` (or `Request-Id`) header, when the server sent one.
    pub request_id: Option<String>,
    /// The retries it took (0 when the first attempt succeeded).
    pub retries: u32,
    /// From sending the successful attempt to the end of its body.
    pub elapsed: Duration,
}

impl ResponseInfo {
    /// The first value of a header (`name` in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a client is doing, as it does it; see [`crate::ClientBuilder::on_event`]. URLs and
/// messages never hold the token.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A request is about to be sent.
    Request {
        /// The full URL, query included.
        url: String,
        /// 0 for the first attempt, then the retry's number.
        attempt: u32,
    },
    /// An answer arrived (any status), its body read.
    Response {
        /// The full URL, query included.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The request id the server sent, if any.
        request_id: Option<String>,
        /// From sending to the end of the body.
        elapsed: Duration,
    },
    /// An attempt failed and another follows after `delay`.
    Retry {
        /// The full URL, query included.
        url: String,
        /// The number of the retry to come (1 for the first retry).
        attempt: u32,
        /// The wait before it.
        delay: Duration,
        /// What went wrong.
        error: String,
    },
    /// Something the client learned about the server and worked around, which the caller may
    /// want to know (a page size the server imposes, dates a dialect applies itself). Also logged
    /// as a warning.
    Warning {
        /// What it learned, in one sentence.
        message: String,
    },
}

impl Event {
    /// Every event's name, as [`Event::name`] gives it.
    pub const NAMES: &'static [&'static str] = &["request", "response", "retry", "warning"];

    /// The event's name: `request`, `response`, `retry` or `warning`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Request { .. } => "request",
            Self::Response { .. } => "response",
            Self::Retry { .. } => "retry",
            Self::Warning { .. } => "warning",
        }
    }
}

/// A function told of every [`Event`]; it runs on the client's tasks, so it should return quickly.
#[derive(Clone)]
pub(crate) struct Observer(pub(crate) Arc<dyn Fn(&Event) + Send + Sync>);

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer")
    }
}
