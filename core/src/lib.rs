//! Read call logs from the Unpod platform API: `GET /api/v2/platform/call-logs/`.
//!
//! * [`model`]: the records ([`CallLog`], [`CallLogPage`], [`ErrorBody`]) with forward-compatible
//!   enums ([`CallType`], [`CallStatus`]) that keep values and fields this version does not know.
//! * [`query`]: [`CallLogQuery`], its rules ([`CallLogQuery::validate`]) and its query string.
//! * [`Client`]: an async client with timeouts, retries ([`retry`]), typed errors ([`Error`]) and
//!   auto-pagination ([`pagination`]).
//!
//! See [`Client`] for a complete example.
#![deny(missing_docs)]

mod client;
pub mod error;
pub mod export;
pub mod model;
mod options;
pub mod pagination;
pub mod query;
pub mod retry;

pub use client::{
    BASE_URL_ENV, CALL_LOGS_PATH, CallLogs, Client, ClientBuilder, DEFAULT_BASE_URL,
    DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT,
    DEFAULT_WALK_PAGE_SIZE, MAX_CONCURRENCY, MAX_REDIRECTS, MAX_RETRIES, ORG_HANDLE_ENV,
    SecretToken, TOKEN_ENV, concurrency_from, limit_from, max_retries_from, prefetch_from,
    timeout_from_secs,
};
pub use error::{ApiError, ContractViolation, DecodeError, Error, ViolationKind};
pub use model::{CallLog, CallLogPage, CallStatus, CallType, ErrorBody};
pub use options::{ClientOptions, Event, ResponseInfo};
pub use pagination::{CallLogStream, DEFAULT_PREFETCH, Pager, PagerOptions};
pub use query::{CallLogQuery, DateBound, Filters, InvalidQuery};
