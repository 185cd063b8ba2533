//! The core's errors as the exceptions of `unpod_calllogs._exceptions`: the core names each error's
//! kind (`Error::kind`), `_exceptions.BY_KIND` names its class; this adds the details.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use unpod_calllogs::Error;

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let class = py
        .import("unpod_calllogs._exceptions")?
        .getattr("BY_KIND")?
        .get_item(error.kind())?;
    let details = PyDict::new(py);
    match error {
        Error::Api(api) => {
            details.set_item("status_code", api.status)?;
            details.set_item("body", &api.body)?;
            details.set_item("request_id", &api.request_id)?;
            details.set_item("retry_after", api.retry_after.map(|d| d.as_secs_f64()))?;
        }
        Error::Decode(decode) => {
            details.set_item("status_code", decode.status)?;
            details.set_item("body", &decode.body_snippet)?;
        }
        Error::InvalidQuery(invalid) => {
            details.set_item("parameter", invalid.parameter)?;
            details.set_item("rule", &invalid.rule)?;
            details.set_item("value", &invalid.value)?;
        }
        Error::ServerContract(violation) => {
            details.set_item("kind", violation.kind.as_str())?;
            details.set_item("parameter", violation.parameter)?;
            details.set_item("value", &violation.value)?;
            details.set_item("record", &violation.record)?;
        }
        _ => {}
    }
    let instance = class.call((error.to_string(),), Some(&details))?;
    Ok(PyErr::from_value(instance))
}

/// The exception for a core error.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    build(py, &error).unwrap_or_else(|import_failed| import_failed)
}

/// The exception for a panic inside the library: a `CallLogsError`, never a crash.
pub fn panic(py: Python<'_>, payload: &(dyn std::any::Any + Send)) -> PyErr {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".to_owned());
    to_py(
        py,
        Error::Config(format!(
            "internal error in unpod-calllogs (please report it): {message}"
        )),
    )
}
