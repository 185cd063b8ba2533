//! The reference server, in process, for tests: started from options as `testing.js` passes
//! them, a JSON object of the knobs' names (the Rust field names) to values.

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// The reference server, in process, for tests.
#[napi]
pub struct NativeReferenceServer {
    handle: tokio::sync::Mutex<Option<calllogs_reference::ServerHandle>>,
    url: String,
    token: String,
    org_handle: String,
}

impl NativeReferenceServer {
    fn counters(&self) -> (u64, u64) {
        self.handle
            .try_lock()
            .ok()
            .and_then(|h| h.as_ref().map(|h| (h.requests(), h.peak_concurrency())))
            .unwrap_or((0, 0))
    }
}

#[napi]
impl NativeReferenceServer {
    /// Starts a server on 127.0.0.1 from options as JSON.
    #[napi(factory)]
    pub async fn start(options: String) -> Result<NativeReferenceServer> {
        let config = calllogs_reference::ServerConfig::from_options(&options)
            .map_err(|e| Error::new(Status::InvalidArg, e))?;
        let handle = calllogs_reference::start(config)
            .await
            .map_err(|e| Error::new(Status::GenericFailure, e.to_string()))?;
        let (url, token, org_handle) = (
            handle.url().to_owned(),
            handle.token().to_owned(),
            handle.org_handle().to_owned(),
        );
        Ok(NativeReferenceServer {
            handle: tokio::sync::Mutex::new(Some(handle)),
            url,
            token,
            org_handle,
        })
    }

    /// The base URL.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The token that reads the organization.
    #[napi(getter)]
    pub fn token(&self) -> String {
        self.token.clone()
    }

    /// The organization's handle.
    #[napi(getter)]
    pub fn org_handle(&self) -> String {
        self.org_handle.clone()
    }

    /// How many requests the server has answered.
    #[napi(getter)]
    pub fn requests(&self) -> f64 {
        self.counters().0 as f64
    }

    /// The most requests the server was answering at one time.
    #[napi(getter)]
    pub fn peak_concurrency(&self) -> f64 {
        self.counters().1 as f64
    }

    /// Stops the server.
    #[napi]
    pub async fn stop(&self) -> Result<()> {
        if let Some(handle) = self.handle.lock().await.take() {
            handle.shutdown().await;
        }
        Ok(())
    }
}
