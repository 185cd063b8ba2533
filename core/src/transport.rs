//! The HTTP transport every client of this workspace is built on: reqwest over rustls, with the
//! `ring` crypto provider and the platform's certificate verifier.

use std::sync::Arc;

use rustls::ClientConfig;

/// A `reqwest::ClientBuilder` with this crate's TLS configuration: rustls with the `ring` provider
/// (no process-wide provider is installed or needed), certificates checked by the platform's
/// verifier (the system's roots; `SSL_CERT_FILE` and `SSL_CERT_DIR` on Linux), HTTP/1.1 by ALPN.
///
/// Every HTTP client here (the API client, the contract suite's probe, the tests' own) starts from
/// it: reqwest is built without a default provider, so a plain `reqwest::Client::new()` panics.
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, String> {
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls_config()?))
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
