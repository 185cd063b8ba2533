//! Python values as the core's settings: numbers checked for their type here (an `int` or a
//! `float`, never a `bool`), then for their range by the core's rules.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};
use unpod_calllogs::binding::page::{self, QueryArgs};
use unpod_calllogs::{CallLogQuery, Error, PagerOptions};

use crate::errors;

/// A numeric setting as Python passes it, or a `ConfigError` naming it.
pub fn number(py: Python<'_>, setting: &str, value: &Bound<'_, PyAny>) -> PyResult<f64> {
    let numeric = (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
        && !value.is_instance_of::<PyBool>();
    if numeric && let Ok(number) = value.extract::<f64>() {
        return Ok(number);
    }
    let type_name = value.get_type().name()?;
    Err(errors::to_py(
        py,
        Error::Config(format!("{setting} must be a number (got {type_name})")),
    ))
}

/// An optional numeric setting.
pub fn optional(
    py: Python<'_>,
    setting: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<f64>> {
    value.map(|value| number(py, setting, value)).transpose()
}

/// The core's result, its error as the matching exception.
pub fn core<T>(py: Python<'_>, result: Result<T, Error>) -> PyResult<T> {
    result.map_err(|e| errors::to_py(py, e))
}

/// A query as Python passes it: the contract's parameters as text, `extra_query`,
/// `extra_headers`, then this call's `timeout` and `max_retries` (or `None`).
#[derive(FromPyObject)]
pub struct PyQuery<'py>(
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<(String, String)>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
);

impl PyQuery<'_> {
    /// The validated query.
    pub fn query(self, py: Python<'_>) -> PyResult<CallLogQuery> {
        let PyQuery(params, extra_query, extra_headers, timeout, max_retries) = self;
        let args = QueryArgs {
            params,
            extra_query,
            extra_headers,
            timeout_secs: optional(py, "timeout", timeout.as_ref())?,
            max_retries: optional(py, "max_retries", max_retries.as_ref())?,
        };
        core(py, args.query())
    }
}

/// A walk's `limit` and `prefetch`.
pub fn walk_options(
    py: Python<'_>,
    limit: Option<&Bound<'_, PyAny>>,
    prefetch: &Bound<'_, PyAny>,
) -> PyResult<PagerOptions> {
    let limit = optional(py, "limit", limit)?;
    let prefetch = number(py, "prefetch", prefetch)?;
    core(py, page::walk_options(limit, Some(prefetch)))
}

/// `all`'s `concurrency` and `limit`.
pub fn all_options(
    py: Python<'_>,
    concurrency: &Bound<'_, PyAny>,
    limit: Option<&Bound<'_, PyAny>>,
) -> PyResult<(usize, Option<u64>)> {
    let concurrency = number(py, "concurrency", concurrency)?;
    let limit = optional(py, "limit", limit)?;
    core(py, page::all_options(concurrency, limit))
}
