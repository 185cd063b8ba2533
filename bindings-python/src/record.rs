//! `CallLog` for Python: the core record, with its fields converted on access.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;
use unpod_calllogs::CallLog;

/// One call. Times are aware UTC `datetime`s; `call_type` / `call_status` are `CallType` /
/// `CallStatus` members (unknown values kept); `extra` holds fields this version does not know.
#[pyclass(frozen, eq, name = "CallLog", module = "unpod_calllogs")]
#[derive(PartialEq)]
pub struct PyCallLog(pub CallLog);

fn enum_member<'py>(py: Python<'py>, name: &str, value: &str) -> PyResult<Bound<'py, PyAny>> {
    static ENUMS: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let (call_type, call_status) = ENUMS.get_or_try_init(py, || -> PyResult<_> {
        let module = py.import("unpod_calllogs._enums")?;
        Ok((
            module.getattr("CallType")?.unbind(),
            module.getattr("CallStatus")?.unbind(),
        ))
    })?;
    let class = if name == "CallType" {
        call_type
    } else {
        call_status
    };
    class.bind(py).call1((value,))
}

fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (key, item) in fields {
                dict.set_item(key, json_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

fn seconds<'py>(py: Python<'py>, value: f64) -> PyResult<Bound<'py, PyAny>> {
    match unpod_calllogs::model::whole_seconds(value) {
        Some(whole) => Ok(whole.into_pyobject(py)?.into_any()),
        None => Ok(value.into_pyobject(py)?.into_any()),
    }
}

impl PyCallLog {
    /// Adds the fields this version does not know to `dict`, as sent.
    fn put_extra(&self, dict: &Bound<'_, PyDict>) -> PyResult<()> {
        for (key, value) in &self.0.extra {
            dict.set_item(key, json_to_py(dict.py(), value)?)?;
        }
        Ok(())
    }
}

#[pymethods]
impl PyCallLog {
    /// The number that initiated the call (E.164), or `None`.
    #[getter]
    fn source_number(&self) -> Option<&str> {
        self.0.source_number.as_deref()
    }

    /// The number that received the call (E.164), or `None`.
    #[getter]
    fn destination_number(&self) -> Option<&str> {
        self.0.destination_number.as_deref()
    }

    /// `CallType.INBOUND`, `CallType.OUTBOUND`, or another value kept as sent.
    #[getter]
    fn call_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_member(py, "CallType", self.0.call_type.as_str())
    }

    /// A `CallStatus` member, or another value kept as sent.
    #[getter]
    fn call_status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_member(py, "CallStatus", self.0.call_status.as_str())
    }

    /// When the call was created (aware, UTC).
    #[getter]
    fn creation_time(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.creation_time
    }

    /// When the call was answered (aware, UTC), or `None`.
    #[getter]
    fn start_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.start_time
    }

    /// When the call ended (aware, UTC), or `None`.
    #[getter]
    fn end_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.end_time
    }

    /// Seconds from start to end: an `int`, or a `float` when the server sent a fraction.
    #[getter]
    fn call_duration<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        seconds(py, self.0.call_duration)
    }

    /// Why the call ended, e.g. `caller_hangup`.
    #[getter]
    fn end_reason(&self) -> Option<&str> {
        self.0.end_reason.as_deref()
    }

    /// Fields this version does not know, as sent.
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        self.put_extra(&dict)?;
        Ok(dict)
    }

    /// Every field, known and unknown, as a `dict` (times as `datetime`s).
    /// The documented fields come first, in their documented order, then the unknown ones, so
    /// that every record's keys start alike (`csv.DictWriter`, DataFrames).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("source_number", self.source_number())?;
        dict.set_item("destination_number", self.destination_number())?;
        dict.set_item("call_type", self.call_type(py)?)?;
        dict.set_item("call_status", self.call_status(py)?)?;
        dict.set_item("creation_time", self.creation_time())?;
        dict.set_item("start_time", self.start_time())?;
        dict.set_item("end_time", self.end_time())?;
        dict.set_item("call_duration", self.call_duration(py)?)?;
        dict.set_item("end_reason", self.end_reason())?;
        self.put_extra(&dict)?;
        Ok(dict)
    }

    /// The record as the endpoint writes it, in JSON.
    fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    fn __repr__(&self) -> String {
        let r = &self.0;
        format!(
            "CallLog(creation_time='{}', call_type='{}', call_status='{}', source_number={:?}, destination_number={:?}, call_duration={})",
            unpod_calllogs::model::format_timestamp(&r.creation_time),
            r.call_type,
            r.call_status,
            r.source_number.as_deref().unwrap_or("None"),
            r.destination_number.as_deref().unwrap_or("None"),
            r.call_duration,
        )
    }
}
