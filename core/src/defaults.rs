//! Every default and limit of the client in one place. The bindings export them through
//! [`crate::binding::constants`], and the docs name them instead of restating their values.

use std::time::Duration;

/// The environment variable holding the API token.
pub const TOKEN_ENV: &str = "UNPOD_PLATFORM_TOKEN";
/// The environment variable holding the organization handle.
pub const ORG_HANDLE_ENV: &str = "UNPOD_ORG_HANDLE";
/// The environment variable holding the base URL.
pub const BASE_URL_ENV: &str = "UNPOD_BASE_URL";
/// The variables naming a PEM file of certificates to trust besides the platform's roots, read in
/// this order when no `ca_file` is set: this crate's own, then the one each binding's ecosystem
/// already uses (Python's `requests`, Node). Each names the binding it applies to, or `None` for
/// all of them. OpenSSL's `SSL_CERT_FILE` is not among them: the platform's roots already honour it.
pub const CA_FILE_ENV: &[(&str, Option<&str>)] = &[
    ("UNPOD_CA_FILE", None),
    ("REQUESTS_CA_BUNDLE", Some("python")),
    ("NODE_EXTRA_CA_CERTS", Some("node")),
];
/// The environment variable naming the client's [`crate::Dialect`] (`unpod-v2`).
pub const DIALECT_ENV: &str = "UNPOD_DIALECT";
/// The base URL used when none is given.
pub const DEFAULT_BASE_URL: &str = "https://unpod.dev";

/// The default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time allowed for one attempt, from sending to the last byte of the body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest body the client reads; a page of 1,000 records is well under 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// How many redirects within the base URL's origin one request follows.
pub const MAX_REDIRECTS: usize = 5;
/// How much of a response body an error keeps, in characters.
pub const BODY_SNIPPET_CHARS: usize = 512;

/// Retries after a failed attempt, unless configured otherwise.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The most retries a client may be configured with.
pub const MAX_RETRIES: u32 = 100;
/// The wait before the first retry unless configured; it doubles with each retry.
pub const DEFAULT_INITIAL_DELAY: Duration = Duration::from_millis(500);
/// The longest backoff wait unless configured.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(8);
/// The longest `Retry-After` honoured unless configured.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The page size of walks (`stream`, `collect_all`; the bindings' `iter` and `all`) unless the
/// caller sets one: fewer requests than the server's default of 20, small enough to stream.
pub const DEFAULT_WALK_PAGE_SIZE: u32 = 100;
/// How many pages `collect_all` (the bindings' `all`) fetches at once unless the caller says.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The most pages `collect_all` may fetch at once, and the most a walk may read ahead.
pub const MAX_CONCURRENCY: usize = 64;
/// The prefetch window of walks in the bindings unless given: as many pages in flight as
/// `collect_all` fetches at once by default, so a walk never loads a server more than fetching
/// everything at once already does, while hiding round trips of up to four times a page's
/// processing time.
pub const DEFAULT_PREFETCH: usize = DEFAULT_CONCURRENCY;
/// Pages a walk may take beyond twice what its first `count` calls for.
pub const SPARE_PAGES: u64 = 8;

/// How long before the present a sync stops: records of the last `settle` may still be being
/// written, so the newest window ends at `now - settle` and the next run reads them.
pub const DEFAULT_SYNC_SETTLE: Duration = Duration::from_secs(60);
/// How far back before the last run's end each sync reads again, for calls whose logs arrive late
/// (a log is often written when the call ends, under the instant the call was created).
pub const DEFAULT_SYNC_LOOKBACK: Duration = Duration::from_secs(2 * 3600);
/// The most records one window of a sync may hold (and one transaction write), unless configured.
pub const DEFAULT_SYNC_MAX_RECORDS: u64 = 50_000;
/// The most pages one window of a sync may take, unless configured.
pub const DEFAULT_SYNC_MAX_PAGES: u64 = 100;
/// The page size of a sync's walks unless configured: the contract's maximum, the fewest requests.
pub const DEFAULT_SYNC_PAGE_SIZE: u32 = crate::query::MAX_PAGE_SIZE;
/// The span of a sync's first window; later ones adapt to the records they found.
pub const DEFAULT_SYNC_WINDOW: Duration = Duration::from_secs(24 * 3600);
