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

/// Consuming setters for a configuration struct that is `#[non_exhaustive]`, one per field (used
/// by this workspace's crates; not part of the API).
/// `field: Type => into` takes anything that converts into the field's type (`Option` fields take
/// the value or `None`, `Vec` fields an array); numbers take their own type, so literals infer.
#[doc(hidden)]
#[macro_export]
macro_rules! __setters {
    ($($field:ident: $ty:ty $(=> $into:ident)?,)+) => {
        $($crate::__setters!(@one $field: $ty $(=> $into)?);)+
    };
    (@one $field:ident: $ty:ty) => {
        #[doc = ::core::concat!("Sets `", ::core::stringify!($field), "`.")]
        #[must_use]
        pub fn $field(mut self, $field: $ty) -> Self {
            self.$field = $field;
            self
        }
    };
    (@one $field:ident: $ty:ty => into) => {
        #[doc = ::core::concat!("Sets `", ::core::stringify!($field), "`.")]
        #[must_use]
        pub fn $field(mut self, $field: impl ::core::convert::Into<$ty>) -> Self {
            self.$field = $field.into();
            self
        }
    };
}

mod client;
pub mod error;
pub mod export;
pub mod model;
mod options;
pub mod pagination;
pub mod query;
pub mod retry;
pub mod transport;

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
