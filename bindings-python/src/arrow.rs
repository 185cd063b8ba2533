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

/// One field's column being built.
enum Column {
    Text(StringBuilder),
    Seconds(Float64Builder),
    Instant(TimestampMicrosecondBuilder),
}

impl Column {
    fn new(kind: FieldKind) -> Self {
        match kind {
            FieldKind::PhoneNumber
            | FieldKind::CallType
            | FieldKind::CallStatus
            | FieldKind::Text => Self::Text(StringBuilder::new()),
            FieldKind::Seconds => Self::Seconds(Float64Builder::new()),
            FieldKind::Instant | FieldKind::OptionalInstant => {
                Self::Instant(TimestampMicrosecondBuilder::new())
            }
        }
    }

    /// Appends a value (one of another kind than the column's cannot come from [`FIELDS`]; it
    /// would be appended as null).
    fn append(&mut self, value: FieldValue<'_>) {
        match (self, value) {
            (Self::Text(builder), FieldValue::Text(text)) => builder.append_option(text),
            (Self::Seconds(builder), FieldValue::Seconds(seconds)) => builder.append_value(seconds),
            (Self::Instant(builder), FieldValue::Instant(time)) => {
                builder.append_option(time.map(|t| t.timestamp_micros()))
            }
            (Self::Text(builder), _) => builder.append_null(),
            (Self::Seconds(builder), _) => builder.append_null(),
            (Self::Instant(builder), _) => builder.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Text(builder) => Arc::new(builder.finish()),
            Self::Seconds(builder) => Arc::new(builder.finish()),
            Self::Instant(builder) => Arc::new(builder.finish().with_timezone("UTC")),
        }
    }
}

/// Records laid out as columns as they come (a read's pages, a sync's window), in batches of
/// [`BATCH_ROWS`]: nothing but the columns is held.
pub struct Columns {
    fields: Vec<Column>,
    extra: StringBuilder,
    /// For keyed records (a sync's batches): each record's key and digest.
    keys: Option<(StringBuilder, StringBuilder)>,
    /// Records in the batch being built.
    rows: usize,
    batches: Vec<Vec<ArrayRef>>,
    total: usize,
}

impl Columns {
    /// Columns of records; `keyed`: with each record's key and digest (see [`Columns::push_keyed`]).
    pub fn new(keyed: bool) -> Self {
        Self {
            fields: FIELDS.iter().map(|field| Column::new(field.kind)).collect(),
            extra: StringBuilder::new(),
            keys: keyed.then(|| (StringBuilder::new(), StringBuilder::new())),
            rows: 0,
            batches: Vec::new(),
            total: 0,
        }
    }

    /// Appends records (to columns made with `keyed` false).
    pub fn push(&mut self, records: &[CallLog]) {
        for record in records {
            self.append(record);
        }
    }

    /// Appends records with each one's key and digest (to columns made with `keyed` true).
    pub fn push_keyed(&mut self, records: &[CallLog], keys: &[String], digests: &[String]) {
        for ((record, key), digest) in records.iter().zip(keys).zip(digests) {
            if let Some((keys, digests)) = &mut self.keys {
                keys.append_value(key);
                digests.append_value(digest);
            }
            self.append(record);
        }
    }

    fn append(&mut self, record: &CallLog) {
        for (column, field) in self.fields.iter_mut().zip(FIELDS) {
            column.append((field.value)(record));
        }
        if record.extra.is_empty() {
            self.extra.append_null();
        } else {
            // A map of JSON values always serialises.
            let text = serde_json::to_string(&record.extra).unwrap_or_default();
            self.extra.append_value(text);
        }
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.cut();
        }
    }

    /// Ends the batch being built.
    fn cut(&mut self) {
        let mut columns: Vec<ArrayRef> = self.fields.iter_mut().map(Column::finish).collect();
        columns.push(Arc::new(self.extra.finish()));
        if let Some((keys, digests)) = &mut self.keys {
            columns.push(Arc::new(keys.finish()));
            columns.push(Arc::new(digests.finish()));
        }
        self.batches.push(columns);
        self.total += self.rows;
        self.rows = 0;
    }

    /// The table of the records appended.
    pub fn finish(mut self) -> Result<NativeTable, ArrowError> {
        if self.rows > 0 {
            self.cut();
        }
        let schema = schema(self.keys.is_some());
        let batches = self
            .batches
            .into_iter()
            .map(|columns| RecordBatch::try_new(schema.clone(), columns))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NativeTable {
            schema,
            batches,
            rows: self.total,
        })
    }
}

/// Records as Arrow record batches, built once; every `__arrow_c_stream__` call streams them.
#[pyclass(frozen, module = "unpod_calllogs._native")]
pub struct NativeTable {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    rows: usize,
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
