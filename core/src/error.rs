//! The one error type of the crate.

use std::fmt;
use std::time::Duration;

pub use crate::defaults::BODY_SNIPPET_CHARS;
use crate::query::InvalidQuery;
use crate::secret::SecretToken;

/// Everything that can go wrong reading call logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a status other than 2xx.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// No complete answer came within the configured time.
    #[error("the request timed out after {0:?}")]
    Timeout(Duration),
    /// The server could not be reached, or the connection broke off.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The server answered 2xx with a body that is not a page of the contract.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// A query parameter breaks a rule of the contract; nothing was sent.
    #[error(transparent)]
    InvalidQuery(#[from] InvalidQuery),
    /// The client is missing a setting or has one it cannot use.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The server answered in a way the contract rules out (a record outside the filters sent, a
    /// page that contradicts `count`, a walk that does not end), so the client stopped rather than
    /// hand on records it cannot vouch for.
    #[error(transparent)]
    ServerContract(Box<ContractViolation>),
    /// A sync's destination failed (it cannot be opened or written, or it holds something else):
    /// what the batch that failed would have written is not there, and the next run writes it.
    #[error("destination: {0}")]
    Destination(String),
}

impl Error {
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::Config(message.into())
    }

    /// Every kind of error, as [`Error::kind`] names them: the bindings map each to a class.
    pub const KINDS: &'static [&'static str] = &[
        "bad_request",
        "authentication",
        "permission_denied",
        "not_found",
        "rate_limit",
        "internal_server",
        "api_status",
        "timeout",
        "connection",
        "decode",
        "invalid_query",
        "config",
        "server_contract",
        "destination",
    ];

    /// What kind of error this is: the one mapping from an HTTP status to a kind of error, which
    /// every binding turns into its class.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Api(api) => match api.status {
                400 => "bad_request",
                401 => "authentication",
                403 => "permission_denied",
                404 => "not_found",
                429 => "rate_limit",
                500..=599 => "internal_server",
                _ => "api_status",
            },
            Self::Timeout(_) => "timeout",
            Self::Connection(_) => "connection",
            Self::Decode(_) => "decode",
            Self::InvalidQuery(_) => "invalid_query",
            Self::Config(_) => "config",
            Self::ServerContract(_) => "server_contract",
            Self::Destination(_) => "destination",
        }
    }

    /// This error with every occurrence of the token in its text (which may have come from the
    /// server: a body, a message, a request id, a record) replaced by `***`.
    pub fn redact(self, token: &SecretToken) -> Self {
        let scrub = |text: &mut String| token.scrub_in_place(text);
        let scrub_opt = |text: &mut Option<String>| {
            if let Some(text) = text {
                token.scrub_in_place(text);
            }
        };
        let mut error = self;
        match &mut error {
            Self::Api(api) => {
                scrub(&mut api.message);
                scrub(&mut api.body);
                scrub_opt(&mut api.request_id);
            }
            Self::Connection(message) | Self::Config(message) | Self::Destination(message) => {
                scrub(message);
            }
            Self::Decode(decode) => {
                scrub(&mut decode.reason);
                scrub(&mut decode.body_snippet);
            }
            Self::InvalidQuery(invalid) => {
                scrub(&mut invalid.rule);
                scrub_opt(&mut invalid.value);
            }
            Self::ServerContract(violation) => {
                scrub(&mut violation.message);
                scrub_opt(&mut violation.value);
                scrub_opt(&mut violation.record);
                scrub_opt(&mut violation.previous_record);
            }
            Self::Timeout(_) => {}
        }
        error
    }

    /// The HTTP status of an [`Error::Api`] or [`Error::Decode`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(api) => Some(api.status),
            Self::Decode(decode) => Some(decode.status),
            _ => None,
        }
    }
}

/// A non-2xx answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The server's message (`message` or `detail` of the body), or the status's reason phrase.
    pub message: String,
    /// The beginning of the body as received (at most [`BODY_SNIPPET_CHARS`] characters).
    pub body: String,
    /// The server's request id (`X-Request-Id` or `Request-Id`), when it sent one.
    pub request_id: Option<String>,
    /// How long the server asked the client to wait (`Retry-After`), when it said.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An answer of `status` with this message and nothing else known: no body, request id or
    /// `Retry-After` (set the fields to add them).
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            body: String::new(),
            request_id: None,
            retry_after: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}: {}", self.status, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A 2xx answer whose body is not a page of the contract.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    /// The HTTP status.
    pub status: u16,
    /// What the decoder objected to, with its position in the body.
    pub reason: String,
    /// The beginning of the body as received.
    pub body_snippet: String,
}

impl DecodeError {
    /// The answer of `status` with `body` could not be read, for this `reason`; the error keeps the
    /// body's beginning ([`body_snippet`]).
    pub fn new(status: u16, reason: impl Into<String>, body: &[u8]) -> Self {
        Self {
            status,
            reason: reason.into(),
            body_snippet: body_snippet(body),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HTTP {} answer is not a call-logs page: {}; body starts {:?}",
            self.status, self.reason, self.body_snippet
        )
    }
}

impl std::error::Error for DecodeError {}

/// What kind of contract violation stopped a request or a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ViolationKind {
    /// A record does not match a filter that was sent: the server ignored or misapplied it.
    FilterNotApplied,
    /// A page's length contradicts `count` and the page size: records would be lost or repeated.
    PageMismatch,
    /// The same page came back again although nothing was added: the server ignores `page`.
    RepeatedPage,
    /// The walk took more pages than the first `count` (and the growth inserts explain) can need.
    Unbounded,
    /// A record is newer than the one before it: the server does not list newest first.
    Order,
    /// A record already handed on came again on a later page of the walk.
    RepeatedRecord,
    /// `count` fell between two pages of a walk: records left its window, so pages moved.
    CountChanged,
}

impl ViolationKind {
    /// Every kind, in a stable order.
    pub const ALL: &'static [ViolationKind] = &[
        Self::FilterNotApplied,
        Self::PageMismatch,
        Self::RepeatedPage,
        Self::Unbounded,
        Self::Order,
        Self::RepeatedRecord,
        Self::CountChanged,
    ];

    /// The kind's name, as the bindings expose it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FilterNotApplied => "filter_not_applied",
            Self::PageMismatch => "page_mismatch",
            Self::RepeatedPage => "repeated_page",
            Self::Unbounded => "unbounded",
            Self::Order => "order",
            Self::RepeatedRecord => "repeated_record",
            Self::CountChanged => "count_changed",
        }
    }
}

/// A server answer that breaks the contract in a way that would make the records wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContractViolation {
    /// What was broken.
    pub kind: ViolationKind,
    /// What happened, in one sentence.
    pub message: String,
    /// The query parameter the server did not apply (for [`ViolationKind::FilterNotApplied`]).
    pub parameter: Option<&'static str>,
    /// The value of that parameter as it was sent.
    pub value: Option<String>,
    /// One offending record, as JSON.
    pub record: Option<String>,
    /// The record before it, as JSON, when the two together break the rule ([`ViolationKind::Order`]).
    pub previous_record: Option<String>,
    /// The number of the page where the walk found the violation.
    pub page: Option<u32>,
}

impl ContractViolation {
    /// A violation of `kind` described by `message`.
    pub fn new(kind: ViolationKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            parameter: None,
            value: None,
            record: None,
            previous_record: None,
            page: None,
        }
    }
}

impl fmt::Display for ContractViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server broke the call-logs contract: {}",
            self.message
        )
    }
}

impl std::error::Error for ContractViolation {}

impl From<ContractViolation> for Error {
    fn from(violation: ContractViolation) -> Self {
        Self::ServerContract(Box::new(violation))
    }
}

/// The first [`BODY_SNIPPET_CHARS`] characters of a body, lossily decoded.
pub fn body_snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(BODY_SNIPPET_CHARS)
        .collect()
}
