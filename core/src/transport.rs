//! The HTTP transport every client of this workspace is built on (the API client, the contract
//! suite's probe, the tests' own): reqwest over rustls, with the `ring` crypto provider and the
//! platform's certificate verifier, and the rules that turn a base URL and a token into the
//! endpoint's URL and the `Authorization` header.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::defaults::CA_FILE_ENV;

/// A `reqwest::ClientBuilder` with this crate's TLS configuration: rustls with the `ring` provider
/// (no process-wide provider is installed or needed), certificates checked by the platform's
/// verifier (the system's roots; `SSL_CERT_FILE` and `SSL_CERT_DIR` on Linux) and the certificates
/// of `ca` besides, HTTP/1.1 by ALPN.
///
/// Every HTTP client here (the API client, the contract suite's probe, the tests' own) starts from
/// it: reqwest is built without a default provider, so a plain `reqwest::Client::new()` panics.
///
/// Proxies come from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` as reqwest reads them, and
/// `NO_PROXY=*` means no proxy for any host, as curl reads it.
pub fn http_client_builder(ca: Option<&CaBundle>) -> Result<reqwest::ClientBuilder, String> {
    let builder = reqwest::Client::builder().tls_backend_preconfigured(tls_config(ca)?);
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|value| value.trim() == "*"));
    Ok(if no_proxy {
        builder.no_proxy()
    } else {
        builder
    })
}

/// The TLS settings of every connection the crate makes: the platform's roots (and `ca`'s), ring.
pub(crate) fn tls_config(ca: Option<&CaBundle>) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra = ca.map(|ca| ca.certificates.clone()).unwrap_or_default();
    let platform = rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra.iter().cloned(),
        Arc::clone(&provider),
    )
    .map_err(|e| format!("the platform's certificate verifier is unavailable: {e}"))?;
    let verifier = Verifier {
        platform,
        pinned: extra,
    };
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
    http_client_builder(None)?
        .build()
        .map_err(|e| e.to_string())
}

/// The CA file the environment names for a binding (`rust`, `python`, `node`): the first of
/// [`CA_FILE_ENV`] that applies to it and is set to something, with the variable's name.
pub fn ca_file_from_env(binding: &str) -> Option<(&'static str, String)> {
    CA_FILE_ENV
        .iter()
        .filter(|(_, only)| only.is_none_or(|only| only == binding))
        .find_map(|(name, _)| {
            let value = std::env::var(name).ok().filter(|value| !value.is_empty())?;
            Some((*name, value))
        })
}

/// Certificates trusted besides the platform's roots, read from a PEM file (a CA bundle, a
/// private CA's certificate, or a server's own self-signed certificate).
#[derive(Clone, Debug)]
pub struct CaBundle {
    certificates: Vec<CertificateDer<'static>>,
}

impl CaBundle {
    /// The certificates of the PEM file at `path`, which `setting` named (`ca_file`, or an
    /// environment variable): at least one, each well-formed.
    pub fn read(setting: &str, path: &str) -> Result<Self, String> {
        let problem = |what: String| format!("{setting} {path:?}: {what}");
        let bytes = std::fs::read(path).map_err(|e| problem(format!("cannot be read: {e}")))?;
        let certificates = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| problem(format!("is not a PEM file of certificates: {e}")))?;
        if certificates.is_empty() {
            return Err(problem(String::from(
                "holds no certificate (a PEM file with -----BEGIN CERTIFICATE----- blocks)",
            )));
        }
        for certificate in &certificates {
            rustls::server::ParsedCertificate::try_from(certificate)
                .map_err(|e| problem(format!("holds a certificate that cannot be used: {e}")))?;
        }
        Ok(Self { certificates })
    }
}

/// The platform's verifier, with the bundle's certificates as extra roots; and a server whose own
/// certificate is in the bundle is trusted as it is, for its names (as OpenSSL trusts a
/// self-signed certificate in its store, which webpki would refuse as a CA used as a server's).
#[derive(Debug)]
struct Verifier {
    platform: rustls_platform_verifier::Verifier,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.platform.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if verified.is_err() && self.pinned.iter().any(|pin| pin == end_entity) {
            let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_name(&parsed, server_name)?;
            return Ok(ServerCertVerified::assertion());
        }
        verified
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.platform.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.platform.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.platform.supported_verify_schemes()
    }
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
///
/// Each lock is taken by one process only, and never across a request: `own` by the builder's,
/// `forked` by the others (so a fork while a thread holds one cannot leave the child waiting).
pub(crate) struct ProcessClient {
    pid: u32,
    /// The builder's client; `None` once closed.
    own: Mutex<Option<reqwest::Client>>,
    /// The clients of forked processes, each with its process.
    forked: Mutex<Vec<(u32, reqwest::Client)>>,
    closed: AtomicBool,
    factory: HttpFactory,
}

impl ProcessClient {
    /// A client for this process, made by `factory`.
    pub(crate) fn new(factory: HttpFactory) -> Result<Self, String> {
        Ok(Self {
            pid: std::process::id(),
            own: Mutex::new(Some(factory()?)),
            forked: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            factory,
        })
    }

    /// The client of this process: the one built here, or, in a forked child, one built for it;
    /// `None` once closed.
    pub(crate) fn get(&self) -> Result<Option<reqwest::Client>, String> {
        if self.closed.load(Ordering::Acquire) {
            return Ok(None);
        }
        let pid = std::process::id();
        if pid == self.pid {
            return Ok(lock(&self.own).clone());
        }
        let mut forked = lock(&self.forked);
        if let Some((_, http)) = forked.iter().find(|(owner, _)| *owner == pid) {
            return Ok(Some(http.clone()));
        }
        let http = (self.factory)()?;
        forked.push((pid, http.clone()));
        Ok(Some(http))
    }

    /// Lets go of this process's connections: idle ones close now, those of requests in flight
    /// when these end; every later request is refused.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if std::process::id() == self.pid {
            lock(&self.own).take();
        } else {
            forget_others(&mut lock(&self.forked));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Drops the clients of this process and forgets those of others: closing them here would close
/// them for their process.
fn forget_others(clients: &mut Vec<(u32, reqwest::Client)>) {
    let pid = std::process::id();
    for (owner, http) in clients.drain(..) {
        if owner != pid {
            std::mem::forget(http);
        }
    }
}

impl Drop for ProcessClient {
    fn drop(&mut self) {
        if std::process::id() != self.pid {
            std::mem::forget(
                self.own
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take(),
            );
        }
        forget_others(
            self.forked
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
    }
}

impl std::fmt::Debug for ProcessClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessClient")
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
