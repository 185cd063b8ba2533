//! The core's errors as the exceptions of `unpod_calllogs._exceptions`: the core names each error's
//! kind and its details ([`unpod_calllogs::binding::errors::details`]); `_exceptions.BY_KIND`
//! names the class, which takes the details as keyword arguments.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use unpod_calllogs::Error;
use unpod_calllogs::binding::errors::details;
use unpod_calllogs::export::Stopped;

/// The details of an export that stopped, set on its exception as attributes (every
/// `CallLogsError` has them, `None` elsewhere) rather than passed to its class.
const EXPORT_DETAILS: &[&str] = &["rows_written", "partial"];

fn build(
    py: Python<'_>,
    mut details: serde_json::Map<String, serde_json::Value>,
) -> PyResult<PyErr> {
    let kind = details.remove("kind").unwrap_or_default();
    let class = py
        .import("unpod_calllogs._exceptions")?
        .getattr("BY_KIND")?
        .get_item(kind.as_str().unwrap_or_default())?;
    let message = details.remove("message").unwrap_or_default();
    let attributes: Vec<_> = EXPORT_DETAILS
        .iter()
        .filter_map(|name| Some((*name, details.remove(*name)?)))
        .collect();
    let kwargs = PyDict::new(py);
    for (key, value) in details {
        kwargs.set_item(key, json_to_py(py, value)?)?;
    }
    let message = message.as_str().unwrap_or_default().to_owned();
    let instance = class.call((PyString::new(py, &message),), Some(&kwargs))?;
    for (name, value) in attributes {
        instance.setattr(name, json_to_py(py, value)?)?;
    }
    Ok(PyErr::from_value(instance))
}

/// A detail as Python receives it: `None`, an `int`, a `float` or a `str` (details are no deeper).
fn json_to_py(py: Python<'_>, value: serde_json::Value) -> PyResult<Bound<'_, PyAny>> {
    use pyo3::IntoPyObjectExt;
    use serde_json::Value;
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::Number(n) => match n.as_u64() {
            Some(n) => n.into_bound_py_any(py),
            None => n.as_f64().into_bound_py_any(py),
        },
        Value::String(s) => s.into_bound_py_any(py),
        other => other.to_string().into_bound_py_any(py),
    }
}

/// The exception for a core error.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    build(py, details(&error)).unwrap_or_else(|import_failed| import_failed)
}

/// The exception for an export that stopped: its error's, with `rows_written` and `partial`.
pub fn stopped_to_py(py: Python<'_>, stopped: &Stopped) -> PyErr {
    let details = unpod_calllogs::binding::errors::stopped(stopped);
    build(py, details).unwrap_or_else(|import_failed| import_failed)
}

/// What a native call that failed raises.
pub trait Raise {
    /// The exception.
    fn raise(self, py: Python<'_>) -> PyErr;
}

impl Raise for Error {
    fn raise(self, py: Python<'_>) -> PyErr {
        to_py(py, self)
    }
}

impl Raise for Stopped {
    fn raise(self, py: Python<'_>) -> PyErr {
        stopped_to_py(py, &self)
    }
}

/// The exception for a panic inside the library: a `CallLogsError`, never a crash.
pub fn panic(py: Python<'_>, payload: &(dyn std::any::Any + Send)) -> PyErr {
    to_py(py, unpod_calllogs::binding::errors::panic(payload))
}
