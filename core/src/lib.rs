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

#[doc(hidden)]
pub mod binding;
mod builder;
#[cfg(feature = "cli")]
pub mod cli;
mod client;
pub mod defaults;
pub mod dialect;
pub mod error;
pub mod export;
pub mod fields;
pub mod model;
mod options;
pub mod pagination;
pub mod query;
mod resource;
pub mod retry;
mod secret;
pub mod sync;
pub mod transport;
mod walk;

pub use builder::ClientBuilder;
pub use client::Client;
pub use defaults::{
    BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_PREFETCH, DEFAULT_TIMEOUT, DEFAULT_WALK_PAGE_SIZE,
    MAX_CONCURRENCY, MAX_REDIRECTS, MAX_RETRIES, ORG_HANDLE_ENV, TOKEN_ENV,
};
pub use dialect::Dialect;
pub use error::{ApiError, ContractViolation, DecodeError, Error, ViolationKind};
pub use model::{CallLog, CallLogPage, CallStatus, CallType, ErrorBody};
pub use options::{ClientOptions, Event, ResponseInfo};
pub use pagination::{CallLogStream, Pager, PagerOptions};
pub use query::{CallLogQuery, DateBound, Filters, InvalidQuery};
pub use resource::CallLogs;
pub use secret::SecretToken;
pub use transport::CALL_LOGS_PATH;
