//! The reference server, in process, for tests: started from options as
//! `unpod_calllogs.testing.ReferenceServer` passes them, a JSON object of knob names to values.

use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;

use crate::runtime::runtime;

/// The reference server, in process, for tests.
#[pyclass(frozen, module = "unpod_calllogs._native")]
pub struct NativeReferenceServer {
    handle: Mutex<Option<calllogs_reference::ServerHandle>>,
    /// The process the server runs in.
    pid: u32,
    url: String,
    token: String,
    org_handle: String,
}

impl NativeReferenceServer {
    fn handle<T>(&self, f: impl FnOnce(&calllogs_reference::ServerHandle) -> T) -> Option<T> {
        let handle = self.handle.lock().unwrap_or_else(PoisonError::into_inner);
        handle.as_ref().map(f)
    }
}

impl Drop for NativeReferenceServer {
    /// In a forked child the server is the parent's: stopping it here would close the parent's
    /// listener, so it is left alone.
    fn drop(&mut self) {
        if self.pid != std::process::id() {
            let handle = self
                .handle
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::forget(handle.take());
        }
    }
}

#[pymethods]
impl NativeReferenceServer {
    #[new]
    fn new(py: Python<'_>, options: &str) -> PyResult<Self> {
        let config = calllogs_reference::ServerConfig::from_options(options)
            .map_err(pyo3::exceptions::PyValueError::new_err)?;
        let runtime = runtime(py);
        let handle = py
            .detach(|| runtime.block_on(calllogs_reference::start(config)))
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        Ok(Self {
            url: handle.url().to_owned(),
            token: handle.token().to_owned(),
            org_handle: handle.org_handle().to_owned(),
            handle: Mutex::new(Some(handle)),
            pid: std::process::id(),
        })
    }

    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    #[getter]
    fn token(&self) -> &str {
        &self.token
    }

    #[getter]
    fn org_handle(&self) -> &str {
        &self.org_handle
    }

    #[getter]
    fn requests(&self) -> u64 {
        self.handle(|h| h.requests()).unwrap_or(0)
    }

    #[getter]
    fn peak_concurrency(&self) -> u64 {
        self.handle(|h| h.peak_concurrency()).unwrap_or(0)
    }

    fn stop(&self, py: Python<'_>) {
        let handle = self
            .handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            let runtime = runtime(py);
            py.detach(|| runtime.block_on(handle.shutdown()));
        }
    }
}
