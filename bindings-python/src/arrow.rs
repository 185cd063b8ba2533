//! Records as Apache Arrow, handed over through the Arrow PyCapsule interface
//! (`__arrow_c_stream__`): pyarrow, pandas (through pyarrow), polars and DuckDB read the columns
//! without a Python object per record.

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use unpod_calllogs::CallLog;

/// Records per Arrow batch.
const BATCH_ROWS: usize = 65_536;

/// The columns: the documented fields in their documented order, then `extra` (the unknown fields
/// as one JSON object, null when there are none). Times are microseconds, UTC.
fn schema() -> SchemaRef {
    let time = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("source_number", true),
        text("destination_number", true),
        text("call_type", false),
        text("call_status", false),
        Field::new("creation_time", time.clone(), false),
        Field::new("start_time", time.clone(), true),
        Field::new("end_time", time, true),
        Field::new("call_duration", DataType::Float64, false),
        text("end_reason", true),
        text("extra", true),
    ]))
}

fn batch(schema: &SchemaRef, records: &[CallLog]) -> Result<RecordBatch, ArrowError> {
    let strings = |field: fn(&CallLog) -> Option<&str>| -> ArrayRef {
        let mut builder = StringBuilder::with_capacity(records.len(), records.len() * 12);
        for record in records {
            builder.append_option(field(record));
        }
        Arc::new(builder.finish())
    };
    let times = |field: fn(&CallLog) -> Option<i64>| -> ArrayRef {
        let mut builder = TimestampMicrosecondBuilder::with_capacity(records.len());
        for record in records {
            builder.append_option(field(record));
        }
        Arc::new(builder.finish().with_timezone("UTC"))
    };
    let mut durations = Float64Builder::with_capacity(records.len());
    let mut extra = StringBuilder::new();
    for record in records {
        durations.append_value(record.call_duration);
        extra.append_option(
            (!record.extra.is_empty())
                .then(|| serde_json::Value::Object(record.extra.clone()).to_string()),
        );
    }
    let columns: Vec<ArrayRef> = vec![
        strings(|r| r.source_number.as_deref()),
        strings(|r| r.destination_number.as_deref()),
        strings(|r| Some(r.call_type.as_str())),
        strings(|r| Some(r.call_status.as_str())),
        times(|r| Some(r.creation_time.timestamp_micros())),
        times(|r| r.start_time.map(|t| t.timestamp_micros())),
        times(|r| r.end_time.map(|t| t.timestamp_micros())),
        Arc::new(durations.finish()),
        strings(|r| r.end_reason.as_deref()),
        Arc::new(extra.finish()),
    ];
    RecordBatch::try_new(schema.clone(), columns)
}

/// Records as Arrow record batches, built once; every `__arrow_c_stream__` call streams them.
#[pyclass(frozen, module = "unpod_calllogs._native")]
pub struct NativeTable {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    rows: usize,
}

impl NativeTable {
    /// Builds the columns of `records` (call it with the GIL released: it touches no Python).
    pub fn new(records: &[CallLog]) -> Result<Self, ArrowError> {
        let schema = schema();
        let batches = records
            .chunks(BATCH_ROWS)
            .map(|chunk| batch(&schema, chunk))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            schema,
            batches,
            rows: records.len(),
        })
    }
}

#[pymethods]
impl NativeTable {
    /// The Arrow C stream of the records (the Arrow PyCapsule interface). A requested schema is
    /// not applied: the columns are always the ones documented.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    fn __len__(&self) -> usize {
        self.rows
    }
}
