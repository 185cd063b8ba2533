//! The one error type of the crate.

use std::fmt;
use std::time::Duration;

use crate::query::InvalidQuery;

/// How much of a response body an error keeps.
pub const BODY_SNIPPET_CHARS: usize = 512;

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
}

impl Error {
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
pub struct DecodeError {
    /// The HTTP status.
    pub status: u16,
    /// What the decoder objected to, with its position in the body.
    pub reason: String,
    /// The beginning of the body as received.
    pub body_snippet: String,
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

/// The first [`BODY_SNIPPET_CHARS`] characters of a body, lossily decoded.
pub fn body_snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(BODY_SNIPPET_CHARS)
        .collect()
}
