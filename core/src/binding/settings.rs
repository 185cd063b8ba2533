//! A client's settings as a binding receives them, turned into a builder or a copy's options by
//! one rule: unset means the core's default, then the environment's (`UNPOD_PLATFORM_TOKEN`,
//! `UNPOD_ORG_HANDLE`, `UNPOD_BASE_URL`).

use crate::binding::coerce::{max_retries_from, timeout_from_secs};
use crate::builder::ClientBuilder;
use crate::error::Error;
use crate::options::ClientOptions;

/// The settings of a new client.
#[derive(Clone, Debug, Default)]
pub struct ClientSettings {
    /// The API token.
    pub token: Option<String>,
    /// The organization's handle.
    pub org_handle: Option<String>,
    /// The server's base URL.
    pub base_url: Option<String>,
    /// Seconds allowed for one attempt.
    pub timeout_secs: Option<f64>,
    /// Retries after a failed attempt.
    pub max_retries: Option<f64>,
    /// Extra headers for every request.
    pub headers: Vec<(String, String)>,
    /// Check every record against the filters sent (default on).
    pub verify_filters: Option<bool>,
    /// A PEM file of certificates to trust besides the platform's roots.
    pub ca_file: Option<String>,
    /// The dialect's name ([`crate::Dialect`]).
    pub dialect: Option<String>,
    /// The language named in the `User-Agent`.
    pub binding: String,
}

impl ClientSettings {
    /// The builder these settings make, environment defaults filled in; the binding may add an
    /// event observer before it builds.
    pub fn builder(self) -> Result<ClientBuilder, Error> {
        let mut builder = crate::Client::builder()
            .binding(self.binding)
            .verify_filters(self.verify_filters.unwrap_or(true));
        if let Some(token) = self.token {
            builder = builder.token(token);
        }
        if let Some(org_handle) = self.org_handle {
            builder = builder.org_handle(org_handle);
        }
        if let Some(base_url) = self.base_url {
            builder = builder.base_url(base_url);
        }
        if let Some(ca_file) = self.ca_file {
            builder = builder.ca_file(ca_file);
        }
        if let Some(dialect) = self.dialect {
            builder = builder.dialect_named(&dialect);
        }
        if let Some(timeout) = self.timeout_secs {
            builder = builder.timeout(timeout_from_secs(timeout)?);
        }
        if let Some(max_retries) = self.max_retries {
            builder = builder.max_retries(max_retries_from(max_retries)?);
        }
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        Ok(builder.env_defaults())
    }
}

/// The changes of a copy of a client; unset ones keep the original's.
#[derive(Clone, Debug, Default)]
pub struct CopySettings {
    /// Seconds allowed for one attempt.
    pub timeout_secs: Option<f64>,
    /// Retries after a failed attempt.
    pub max_retries: Option<f64>,
    /// Headers added to every request.
    pub headers: Vec<(String, String)>,
    /// Check every record against the filters sent.
    pub verify_filters: Option<bool>,
}

impl CopySettings {
    /// The options of [`crate::Client::with_options`].
    pub fn options(self) -> Result<ClientOptions, Error> {
        let mut options = ClientOptions::new();
        options.timeout = self.timeout_secs.map(timeout_from_secs).transpose()?;
        options.max_retries = self.max_retries.map(max_retries_from).transpose()?;
        options.headers = self.headers;
        options.verify_filters = self.verify_filters;
        Ok(options)
    }
}
