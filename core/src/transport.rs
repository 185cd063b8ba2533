//! The HTTP transport every client of this workspace is built on (the API client, the contract
//! suite's probe, the tests' own): reqwest over rustls, with the `ring` crypto provider and the
//! platform's certificate verifier, and the rules that turn a base URL and a token into the
//! endpoint's URL and the `Authorization` header.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::ClientConfig;

/// A `reqwest::ClientBuilder` with this crate's TLS configuration: rustls with the `ring` provider
/// (no process-wide provider is installed or needed), certificates checked by the platform's
/// verifier (the system's roots; `SSL_CERT_FILE` and `SSL_CERT_DIR` on Linux), HTTP/1.1 by ALPN.
///
/// Every HTTP client here (the API client, the contract suite's probe, the tests' own) starts from
/// it: reqwest is built without a default provider, so a plain `reqwest::Client::new()` panics.
///
/// Proxies come from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` as reqwest reads them, and
/// `NO_PROXY=*` means no proxy for any host, as curl reads it.
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, String> {
    let builder = reqwest::Client::builder().tls_backend_preconfigured(tls_config()?);
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|value| value.trim() == "*"));
    Ok(if no_proxy {
        builder.no_proxy()
    } else {
        builder
    })
}

fn tls_config() -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        .map_err(|e| format!("the platform's certificate verifier is unavailable: {e}"))?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("no TLS version in common with the crypto provider: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A `reqwest::Client` with the settings of [`http_client_builder`] and no others.
pub fn http_client() -> Result<reqwest::Client, String> {
    http_client_builder()?.build().map_err(|e| e.to_string())
}

/// The endpoint's path below the base URL.
pub const CALL_LOGS_PATH: &str = "api/v2/platform/call-logs/";

/// The `Authorization` header's value for a token.
pub fn authorization(token: &str) -> String {
    format!("Token {token}")
}

/// The endpoint's URL for a base URL, the one rule every tool here reads `UNPOD_BASE_URL` by: the
/// base URL may carry a path prefix (`https://host/prefix` serves `https://host/prefix/api/v2/...`)
/// or name the endpoint itself; a query, a user name, a password or a scheme other than http(s) is
/// refused, with a message that never shows credentials.
pub fn endpoint_url(base: &str) -> Result<reqwest::Url, String> {
    let mut base = reqwest::Url::parse(base).map_err(|e| {
        let shown = if base.contains('@') {
            "(not shown: it holds an `@`)"
        } else {
            base
        };
        let hint = if base.contains("://") {
            ""
        } else {
            " (give the scheme, e.g. https://unpod.dev)"
        };
        format!("base URL {shown:?} is not a URL: {e}{hint}")
    })?;
    if !base.username().is_empty() || base.password().is_some() {
        return Err(String::from(
            "the base URL must not hold a user name or password: the API token authenticates",
        ));
    }
    if !matches!(base.scheme(), "http" | "https") {
        return Err(format!("base URL {base} must be http or https"));
    }
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    if let Some(query) = base.query() {
        return Err(format!(
            "the base URL must not carry a query (got ?{query}): it would be dropped; send extra parameters with extra_query"
        ));
    }
    // A base URL that already names the endpoint is the endpoint (not a path prefix to double).
    if let Some(prefix) = base.path().strip_suffix(CALL_LOGS_PATH) {
        let prefix = prefix.to_owned();
        base.set_path(&prefix);
    }
    base.join(CALL_LOGS_PATH)
        .map_err(|e| format!("base URL {base} cannot carry the endpoint path: {e}"))
}

/// Builds an HTTP client with fixed settings, as often as a process needs one.
pub(crate) type HttpFactory = Arc<dyn Fn() -> Result<reqwest::Client, String> + Send + Sync>;

/// An HTTP client for the process that uses it. A process forked from the one that built the client
/// inherits its connections: the same sockets, registered with the parent's event loop, whose
/// threads the child does not have. Using them would hang the child, and closing them would
/// unregister them from the event loop the parent still runs. So the child never touches them: it
/// builds a client of its own on first use, and what belongs to another process is never dropped.
pub(crate) struct ProcessClient {
    pid: u32,
    /// The builder's client; `None` only while it is dropped.
    http: Option<reqwest::Client>,
    /// The clients of forked processes, each with its process (locked only there).
    forked: Mutex<Vec<(u32, reqwest::Client)>>,
    factory: HttpFactory,
}

impl ProcessClient {
    /// A client for this process, made by `factory`.
    pub(crate) fn new(factory: HttpFactory) -> Result<Self, String> {
        Ok(Self {
            pid: std::process::id(),
            http: Some(factory()?),
            forked: Mutex::new(Vec::new()),
            factory,
        })
    }

    /// The client of this process: the one built here, or, in a forked child, one built for it.
    pub(crate) fn get(&self) -> Result<reqwest::Client, String> {
        let pid = std::process::id();
        if let (true, Some(http)) = (pid == self.pid, &self.http) {
            return Ok(http.clone());
        }
        let mut forked = self.forked.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, http)) = forked.iter().find(|(owner, _)| *owner == pid) {
            return Ok(http.clone());
        }
        let http = (self.factory)()?;
        forked.push((pid, http.clone()));
        Ok(http)
    }
}

impl Drop for ProcessClient {
    fn drop(&mut self) {
        // Another process's connections are left alone: closing them here would close them for it.
        let pid = std::process::id();
        if self.pid != pid {
            std::mem::forget(self.http.take());
        }
        let forked = self
            .forked
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for (owner, http) in forked.drain(..) {
            if owner != pid {
                std::mem::forget(http);
            }
        }
    }
}

impl std::fmt::Debug for ProcessClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessClient")
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}
