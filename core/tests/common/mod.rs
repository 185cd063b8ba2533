//! What the test binaries that talk to the reference server share.

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
