//! A faithful in-memory server of the Unpod call-logs contract (`GET /api/v2/platform/call-logs/`).
//!
//! It serves seeded, realistic data (or records loaded from a file) with every status code of the
//! contract, has knobs that make it slow, flaky, throttled or live for client tests, and named
//! [`Fault`]s that each break one invariant, for testing contract suites.
//!
//! ```no_run
//! # async fn run() -> Result<(), calllogs_reference::StartError> {
//! let server = calllogs_reference::start(calllogs_reference::ServerConfig::seeded(1000, 42)).await?;
//! println!("{} token={} org={}", server.url(), server.token(), server.org_handle());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod config;
pub mod data;
mod emulation;
mod endpoint;
mod fault;
mod serve;
pub mod store;
mod throttle;

pub use config::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_ORG_HANDLE, DEFAULT_RECORDS,
    DEFAULT_RETRY_AFTER_SECS, DEFAULT_SEED, DEFAULT_TOKEN, FOREIGN_ORG_HANDLE, FOREIGN_RECORDS,
    FOREIGN_TOKEN, Filter, Knobs, PastLast, Records, SERVER_OPTIONS, ServerConfig,
};
pub use emulation::Emulation;
pub use fault::{Fault, UnknownFault};
pub use serve::{ServerHandle, StartError, start};
