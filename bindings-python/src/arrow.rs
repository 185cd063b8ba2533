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
use unpod_calllogs::fields::{FIELDS, FieldKind, FieldValue};

/// Records per Arrow batch.
const BATCH_ROWS: usize = 65_536;

/// The columns: the documented fields in their documented order, then `extra` (the unknown fields
/// as one JSON object, null when there are none), then for keyed records (a sync's batches)
/// `record_key` and `record_digest`. Times are microseconds, UTC.
fn schema(keyed: bool) -> SchemaRef {
    let mut columns: Vec<Field> = FIELDS
        .iter()
        .map(|field| Field::new(field.name, data_type(field.kind), field.kind.nullable()))
        .collect();
    columns.push(Field::new("extra", DataType::Utf8, true));
    if keyed {
        columns.push(Field::new("record_key", DataType::Utf8, false));
        columns.push(Field::new("record_digest", DataType::Utf8, false));
    }
    Arc::new(Schema::new(columns))
}

/// Each record's key and digest, in the order of the records.
type Keys<'a> = (&'a [String], &'a [String]);

fn data_type(kind: FieldKind) -> DataType {
    match kind {
        FieldKind::PhoneNumber | FieldKind::CallType | FieldKind::CallStatus | FieldKind::Text => {
            DataType::Utf8
        }
        FieldKind::Instant | FieldKind::OptionalInstant => {
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        }
        FieldKind::Seconds => DataType::Float64,
    }
}

/// One field's column.
fn column(field: &unpod_calllogs::fields::Field, records: &[CallLog]) -> ArrayRef {
    let values = records.iter().map(|record| (field.value)(record));
    match field.kind {
        FieldKind::PhoneNumber | FieldKind::CallType | FieldKind::CallStatus | FieldKind::Text => {
            let mut builder = StringBuilder::with_capacity(records.len(), records.len() * 12);
            for value in values {
                builder.append_option(match value {
                    FieldValue::Text(text) => text,
                    FieldValue::Instant(_) | FieldValue::Seconds(_) => None,
                });
            }
            Arc::new(builder.finish())
        }
        FieldKind::Seconds => {
            let mut builder = Float64Builder::with_capacity(records.len());
            for value in values {
                builder.append_option(match value {
                    FieldValue::Seconds(seconds) => Some(seconds),
                    FieldValue::Text(_) | FieldValue::Instant(_) => None,
                });
            }
            Arc::new(builder.finish())
        }
        FieldKind::Instant | FieldKind::OptionalInstant => {
            let mut builder = TimestampMicrosecondBuilder::with_capacity(records.len());
            for value in values {
                builder.append_option(match value {
                    FieldValue::Instant(time) => time.map(|t| t.timestamp_micros()),
                    FieldValue::Text(_) | FieldValue::Seconds(_) => None,
                });
            }
            Arc::new(builder.finish().with_timezone("UTC"))
        }
    }
}

fn batch(
    schema: &SchemaRef,
    records: &[CallLog],
    keys: Option<Keys<'_>>,
) -> Result<RecordBatch, ArrowError> {
    let mut extra = StringBuilder::new();
    for record in records {
        extra.append_option(
            (!record.extra.is_empty())
                .then(|| serde_json::Value::Object(record.extra.clone()).to_string()),
        );
    }
    let mut columns: Vec<ArrayRef> = FIELDS.iter().map(|field| column(field, records)).collect();
    columns.push(Arc::new(extra.finish()));
    if let Some((keys, digests)) = keys {
        for texts in [keys, digests] {
            columns.push(Arc::new(arrow_array::StringArray::from_iter_values(texts)));
        }
    }
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
        Self::build(records, None)
    }

    /// [`NativeTable::new`] with each record's key and digest as two more columns.
    pub fn keyed(
        records: &[CallLog],
        keys: &[String],
        digests: &[String],
    ) -> Result<Self, ArrowError> {
        Self::build(records, Some((keys, digests)))
    }

    fn build(records: &[CallLog], keys: Option<Keys<'_>>) -> Result<Self, ArrowError> {
        let schema = schema(keys.is_some());
        let batches = (0..records.len())
            .step_by(BATCH_ROWS)
            .map(|start| {
                let end = (start + BATCH_ROWS).min(records.len());
                let keys = keys.map(|(k, d)| (&k[start..end], &d[start..end]));
                batch(&schema, &records[start..end], keys)
            })
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
