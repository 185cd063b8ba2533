//! What the test binaries that talk to the reference server share.

#[allow(
    dead_code,
    reason = "only the tests of destinations start a PostgreSQL server"
)]
pub mod postgres;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use calllogs_reference::ServerHandle;
use unpod_calllogs::retry::RetryPolicy;
use unpod_calllogs::{Client, ClientBuilder};

/// A client of `server` whose retries wait 5 ms instead of half a second.
pub fn builder(server: &ServerHandle) -> ClientBuilder {
    Client::builder()
        .token(server.token())
        .org_handle(server.org_handle())
        .base_url(server.url())
        .retry_policy(RetryPolicy::default().initial_delay(Duration::from_millis(5)))
}

/// [`builder`], built.
#[allow(
    dead_code,
    reason = "not every test binary that shares this module builds its clients so"
)]
pub fn client(server: &ServerHandle) -> Client {
    builder(server).build().unwrap()
}

/// The rows of a synced table: key to digest.
#[allow(dead_code, reason = "only the sync tests read synced tables")]
pub fn synced_rows(db: &Path, table: &str) -> BTreeMap<String, String> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut select = connection
        .prepare(&format!("SELECT record_key, record_digest FROM {table}"))
        .unwrap();
    select
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Records as a synced table should hold them: key to digest.
#[allow(dead_code, reason = "only the sync tests read synced tables")]
pub fn synced_form(records: &[unpod_calllogs::CallLog]) -> BTreeMap<String, String> {
    let mut sorted = records.to_vec();
    sorted.sort_by_key(|r| r.creation_time);
    unpod_calllogs::sync::key::keyed(&sorted)
        .into_iter()
        .map(|k| (k.key, k.digest))
        .collect()
}
