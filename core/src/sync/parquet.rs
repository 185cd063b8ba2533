//! Day-partitioned Parquet, for data lakes: `parquet:DIR` keeps table `T` in `DIR/T/`, one file
//! per UTC day of `creation_time`, in the hive layout that DuckDB, polars, pyarrow and Spark read
//! as a partitioned dataset:
//!
//! ```text
//! DIR/call_logs/creation_date=2026-02-01/part-0.parquet
//! DIR/call_logs/creation_date=2026-02-02/part-0.parquet
//! DIR/call_logs/_unpod_sync_state.json
//! ```
//!
//! The columns are those of the other destinations, with Parquet's types: the documented fields in
//! the contract's order (text as `STRING`, instants as `TIMESTAMP(MICROS, UTC)`, `call_duration` a
//! `DOUBLE`), `extra` (`JSON`, null when a record has no other fields), `record_key`,
//! `record_digest` and `synced_at`. Rows are in `creation_time` order (then `record_key`), so
//! row-group statistics prune time ranges. Snappy compression.
//!
//! # Exactly once without transactions
//!
//! A batch rewrites each day its span touches (and only those whose rows change): the day's rows
//! outside the span are kept, those inside become exactly the batch's (unchanged ones keep their
//! row and `synced_at`). Each day is written beside its file (`.part-0.parquet.tmp`, which no
//! reader globs or lists), synced to disk and renamed over it, so a reader always sees a whole
//! day. The state is written the same way, **after** the days. A process killed between the two
//! leaves days ahead of their state, never behind: the next run reads that span again, and making
//! a span hold exactly the server's records is idempotent. A reader may meanwhile see a batch that
//! spans two days applied to one of them only.
//!
//! Commits hold an exclusive lock on `DIR/T/_unpod_sync.lock`, so that two syncs of one table
//! never interleave their batches. A day is read into memory whole when a batch touches it.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::column::reader::ColumnReader;
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use super::destination::{Batch, Counts, Destination, State, check_table};
use super::key::{Keyed, keyed};
use crate::error::Error;
use crate::fields::{FIELDS, FieldKind, FieldValue};

/// The partition directory's key.
pub const PARTITION: &str = "creation_date";
/// The one file of each day.
const FILE: &str = "part-0.parquet";
/// Where a day is written before it is renamed over [`FILE`].
const TEMPORARY: &str = ".part-0.parquet.tmp";
const STATE_FILE: &str = "_unpod_sync_state.json";
const LOCK_FILE: &str = "_unpod_sync.lock";
/// Rows per row group.
const ROW_GROUP: usize = 65_536;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Json,
    Instant,
    Double,
}

/// A column of the files: its name, kind and whether it may be null.
#[derive(Clone, Copy, Debug)]
struct Column {
    name: &'static str,
    kind: Kind,
    nullable: bool,
}

fn columns() -> Vec<Column> {
    let documented = FIELDS.iter().map(|field| Column {
        name: field.name,
        kind: match field.kind {
            FieldKind::PhoneNumber
            | FieldKind::CallType
            | FieldKind::CallStatus
            | FieldKind::Text => Kind::Text,
            FieldKind::Instant | FieldKind::OptionalInstant => Kind::Instant,
            FieldKind::Seconds => Kind::Double,
        },
        nullable: field.kind.nullable(),
    });
    let own = [
        ("extra", Kind::Json, true),
        ("record_key", Kind::Text, false),
        ("record_digest", Kind::Text, false),
        ("synced_at", Kind::Instant, false),
    ]
    .map(|(name, kind, nullable)| Column {
        name,
        kind,
        nullable,
    });
    documented.chain(own).collect()
}

fn schema(columns: &[Column]) -> Result<Type, parquet::errors::ParquetError> {
    let fields = columns
        .iter()
        .map(|column| {
            let (physical, logical) = match column.kind {
                Kind::Text => (Physical::BYTE_ARRAY, LogicalType::String),
                Kind::Json => (Physical::BYTE_ARRAY, LogicalType::Json),
                Kind::Instant => (
                    Physical::INT64,
                    LogicalType::timestamp(true, TimeUnit::MICROS),
                ),
                Kind::Double => (Physical::DOUBLE, LogicalType::Unknown),
            };
            let repetition = if column.nullable {
                Repetition::OPTIONAL
            } else {
                Repetition::REQUIRED
            };
            let logical = (column.kind != Kind::Double).then_some(logical);
            Type::primitive_type_builder(column.name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Type::group_type_builder("call_logs")
        .with_fields(fields)
        .build()
}

/// One column's values.
#[derive(Debug)]
enum Values {
    Text(Vec<Option<String>>),
    Micros(Vec<Option<i64>>),
    Double(Vec<f64>),
}

impl Values {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Text | Kind::Json => Self::Text(Vec::new()),
            Kind::Instant => Self::Micros(Vec::new()),
            Kind::Double => Self::Double(Vec::new()),
        }
    }
}

/// A day's rows, column by column, in the order of [`columns`].
#[derive(Debug)]
struct Rows {
    values: Vec<Values>,
    len: usize,
}

impl Rows {
    fn new(columns: &[Column]) -> Self {
        Self {
            values: columns.iter().map(|c| Values::new(c.kind)).collect(),
            len: 0,
        }
    }

    fn index(columns: &[Column], name: &str) -> usize {
        columns.iter().position(|c| c.name == name).unwrap_or(0)
    }

    fn text(&self, column: usize, row: usize) -> Option<&str> {
        match &self.values[column] {
            Values::Text(values) => values[row].as_deref(),
            Values::Micros(_) | Values::Double(_) => None,
        }
    }

    fn micros(&self, column: usize, row: usize) -> Option<i64> {
        match &self.values[column] {
            Values::Micros(values) => values[row],
            Values::Text(_) | Values::Double(_) => None,
        }
    }

    /// Appends a record, keyed, synced at `now` (microseconds).
    fn push(&mut self, keyed: &Keyed<'_>, now: i64) {
        let record = keyed.record;
        let extra = (!record.extra.is_empty())
            .then(|| serde_json::Value::Object(record.extra.clone()).to_string());
        let own = [
            FieldValue::Text(extra.as_deref()),
            FieldValue::Text(Some(&keyed.key)),
            FieldValue::Text(Some(&keyed.digest)),
        ];
        let documented = FIELDS.iter().map(|field| (field.value)(record));
        let mut cells = self.values.iter_mut();
        // The values first: `zip` asks them before the cells, so that the last cell is left.
        for (value, cell) in documented.chain(own).zip(cells.by_ref()) {
            match (cell, value) {
                (Values::Text(values), FieldValue::Text(text)) => {
                    values.push(text.map(str::to_owned));
                }
                (Values::Micros(values), FieldValue::Instant(time)) => {
                    values.push(time.map(DateTime::timestamp_micros));
                }
                (Values::Double(values), FieldValue::Seconds(seconds)) => values.push(seconds),
                // Never: `columns` gives each documented field's column the kind of its values.
                (Values::Text(values), _) => values.push(None),
                (Values::Micros(values), _) => values.push(None),
                (Values::Double(values), _) => values.push(f64::NAN),
            }
        }
        if let Some(Values::Micros(synced)) = cells.next() {
            synced.push(Some(now));
        }
        self.len += 1;
    }
}

/// Reads a day's file, checking that it has the columns this version writes.
fn read(path: &Path, columns: &[Column]) -> Result<Rows, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let reader = SerializedFileReader::new(file).map_err(|e| e.to_string())?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let found: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
    let expected: Vec<&str> = columns.iter().map(|c| c.name).collect();
    if found != expected {
        return Err(format!(
            "its columns are {found:?}, not those this version writes ({expected:?})"
        ));
    }
    let mut rows = Rows::new(columns);
    for group in 0..reader.num_row_groups() {
        let group = reader.get_row_group(group).map_err(|e| e.to_string())?;
        let count = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
        for (index, column) in columns.iter().enumerate() {
            let chunk = group.get_column_reader(index).map_err(|e| e.to_string())?;
            read_column(chunk, column, count, &mut rows.values[index])
                .map_err(|e| format!("column {}: {e}", column.name))?;
        }
        rows.len += count;
    }
    if rows.values.iter().any(|values| match values {
        Values::Text(v) => v.len() != rows.len,
        Values::Micros(v) => v.len() != rows.len,
        Values::Double(v) => v.len() != rows.len,
    }) {
        return Err("its columns have different lengths".to_owned());
    }
    Ok(rows)
}

/// Reads `count` rows of a column chunk into `into`.
fn read_column(
    chunk: ColumnReader,
    column: &Column,
    count: usize,
    into: &mut Values,
) -> Result<(), String> {
    let mut levels: Vec<i16> = Vec::new();
    let nullable = column.nullable;
    macro_rules! read_all {
        ($reader:expr, $values:expr) => {{
            let mut reader = $reader;
            let mut values = Vec::new();
            let mut read = 0;
            while read < count {
                let (records, _, _) = reader
                    .read_records(
                        count - read,
                        nullable.then_some(&mut levels),
                        None,
                        &mut values,
                    )
                    .map_err(|e| e.to_string())?;
                if records == 0 {
                    return Err(format!("{read} rows of {count}"));
                }
                read += records;
            }
            values
        }};
    }
    /// Values and definition levels as options: a level of 1 is a value, 0 a null.
    fn spread<T>(values: Vec<T>, levels: &[i16], nullable: bool) -> Result<Vec<Option<T>>, String> {
        if !nullable {
            return Ok(values.into_iter().map(Some).collect());
        }
        let mut values = values.into_iter();
        let spread: Vec<Option<T>> = levels
            .iter()
            .map(|level| if *level > 0 { values.next() } else { None })
            .collect();
        if values.next().is_some() {
            return Err("more values than definition levels".to_owned());
        }
        Ok(spread)
    }
    match (chunk, into) {
        (ColumnReader::ByteArrayColumnReader(reader), Values::Text(out)) => {
            let values = read_all!(reader, out);
            for value in spread(values, &levels, nullable)? {
                out.push(match value {
                    Some(bytes) => Some(
                        String::from_utf8(bytes.data().to_vec())
                            .map_err(|_| "text that is not UTF-8".to_owned())?,
                    ),
                    None => None,
                });
            }
        }
        (ColumnReader::Int64ColumnReader(reader), Values::Micros(out)) => {
            let values = read_all!(reader, out);
            out.extend(spread(values, &levels, nullable)?);
        }
        (ColumnReader::DoubleColumnReader(reader), Values::Double(out)) => {
            let values = read_all!(reader, out);
            out.extend(values);
        }
        _ => return Err("another physical type than this version writes".to_owned()),
    }
    Ok(())
}

/// Writes the rows `order` of `rows` to `path`.
fn write(path: &Path, columns: &[Column], rows: &Rows, order: &[usize]) -> Result<(), String> {
    let schema = Arc::new(schema(columns).map_err(|e| e.to_string())?);
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("unpod-calllogs {}", env!("CARGO_PKG_VERSION")))
        .build();
    let file = File::create(path).map_err(|e| e.to_string())?;
    let mut writer =
        SerializedFileWriter::new(file, schema, Arc::new(properties)).map_err(|e| e.to_string())?;
    for group in order.chunks(ROW_GROUP) {
        let mut group_writer = writer.next_row_group().map_err(|e| e.to_string())?;
        for (index, column) in columns.iter().enumerate() {
            let Some(mut chunk) = group_writer.next_column().map_err(|e| e.to_string())? else {
                return Err("fewer columns in the schema than written".to_owned());
            };
            write_column(chunk.untyped(), column, &rows.values[index], group)
                .map_err(|e| format!("column {}: {e}", column.name))?;
            chunk.close().map_err(|e| e.to_string())?;
        }
        group_writer.close().map_err(|e| e.to_string())?;
    }
    let file = writer.into_inner().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}

fn write_column(
    chunk: &mut ColumnWriter<'_>,
    column: &Column,
    values: &Values,
    rows: &[usize],
) -> Result<(), parquet::errors::ParquetError> {
    /// The non-null values of `rows` and, for a nullable column, the definition levels.
    fn levels<T: Clone, U>(
        values: &[Option<T>],
        rows: &[usize],
        convert: impl Fn(&T) -> U,
    ) -> (Vec<U>, Vec<i16>) {
        let mut present = Vec::with_capacity(rows.len());
        let mut levels = Vec::with_capacity(rows.len());
        for row in rows {
            match &values[*row] {
                Some(value) => {
                    present.push(convert(value));
                    levels.push(1);
                }
                None => levels.push(0),
            }
        }
        (present, levels)
    }
    let nullable = column.nullable;
    match (chunk, values) {
        (ColumnWriter::ByteArrayColumnWriter(writer), Values::Text(values)) => {
            let (present, levels) = levels(values, rows, |text: &String| {
                ByteArray::from(text.as_bytes().to_vec())
            });
            writer.write_batch(&present, nullable.then_some(&levels[..]), None)?;
        }
        (ColumnWriter::Int64ColumnWriter(writer), Values::Micros(values)) => {
            let (present, levels) = levels(values, rows, |micros: &i64| *micros);
            writer.write_batch(&present, nullable.then_some(&levels[..]), None)?;
        }
        (ColumnWriter::DoubleColumnWriter(writer), Values::Double(values)) => {
            let present: Vec<f64> = rows.iter().map(|row| values[*row]).collect();
            writer.write_batch(&present, None, None)?;
        }
        _ => {
            return Err(parquet::errors::ParquetError::General(
                "a column of another type than its values".to_owned(),
            ));
        }
    }
    Ok(())
}

/// Syncs a file and the directory that names it, so that a rename survives a crash.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A directory of day-partitioned Parquet tables.
#[derive(Debug)]
pub struct Parquet {
    root: PathBuf,
    columns: Vec<Column>,
}

impl Parquet {
    /// A directory (created if missing) that holds one folder per table.
    pub fn open(dir: &str) -> Result<Self, Error> {
        if dir.is_empty() {
            return Err(Error::Destination(
                "parquet: needs a directory, as in parquet:lake/".to_owned(),
            ));
        }
        let root = PathBuf::from(dir);
        std::fs::create_dir_all(&root)
            .map_err(|e| Error::Destination(format!("Parquet directory {dir}: {e}")))?;
        Ok(Self {
            root,
            columns: columns(),
        })
    }

    fn failed(&self, what: impl std::fmt::Display) -> Error {
        Error::Destination(format!("Parquet directory {}: {what}", self.root.display()))
    }

    fn table_dir(&self, table: &str) -> Result<PathBuf, Error> {
        check_table(table)?;
        let dir = self.root.join(table);
        std::fs::create_dir_all(&dir).map_err(|e| self.failed(e))?;
        Ok(dir)
    }

    /// The days that hold a file.
    fn days(&self, dir: &Path) -> Result<BTreeSet<NaiveDate>, Error> {
        let mut days = BTreeSet::new();
        for entry in std::fs::read_dir(dir).map_err(|e| self.failed(e))? {
            let entry = entry.map_err(|e| self.failed(e))?;
            let name = entry.file_name();
            let day = name
                .to_str()
                .and_then(|name| name.strip_prefix(PARTITION)?.strip_prefix('='))
                .and_then(|day| day.parse::<NaiveDate>().ok());
            if let Some(day) = day.filter(|_| entry.path().join(FILE).is_file()) {
                days.insert(day);
            }
        }
        Ok(days)
    }

    /// Makes `day` hold exactly its rows outside the span and `records` (the batch's records of
    /// that day) inside it; counts what changed.
    fn day(
        &self,
        dir: &Path,
        day: NaiveDate,
        batch: &Batch<'_>,
        records: &[&Keyed<'_>],
        now: i64,
    ) -> Result<Counts, Error> {
        let folder = dir.join(format!("{PARTITION}={day}"));
        let path = folder.join(FILE);
        let columns = &self.columns;
        let mut rows = if path.is_file() {
            read(&path, columns).map_err(|e| self.failed(format!("{}: {e}", path.display())))?
        } else {
            Rows::new(columns)
        };
        let time = Rows::index(columns, "creation_time");
        let key = Rows::index(columns, "record_key");
        let digest = Rows::index(columns, "record_digest");
        let mut keep = Vec::with_capacity(rows.len + records.len());
        let mut held: HashMap<String, (String, usize)> = HashMap::new();
        for row in 0..rows.len {
            let inside = rows
                .micros(time, row)
                .and_then(DateTime::from_timestamp_micros)
                .is_some_and(|at| batch.span.contains(at));
            if inside {
                let key = rows.text(key, row).unwrap_or_default().to_owned();
                let digest = rows.text(digest, row).unwrap_or_default().to_owned();
                held.insert(key, (digest, row));
            } else {
                keep.push(row);
            }
        }
        let mut counts = Counts::default();
        for keyed in records {
            match held.remove(&keyed.key) {
                Some((digest, row)) if digest == keyed.digest => {
                    counts.unchanged += 1;
                    keep.push(row);
                    continue;
                }
                Some(_) => counts.updated += 1,
                None => counts.new += 1,
            }
            keep.push(rows.len);
            rows.push(keyed, now);
        }
        counts.deleted = held.len() as u64;
        if counts.new + counts.updated + counts.deleted == 0 {
            return Ok(counts);
        }
        let fail = |e: String| self.failed(format!("{}: {e}", path.display()));
        if keep.is_empty() {
            std::fs::remove_file(&path).map_err(|e| fail(e.to_string()))?;
            let _ = std::fs::remove_dir(&folder);
            return Ok(counts);
        }
        keep.sort_by(|a, b| {
            (rows.micros(time, *a), rows.text(key, *a))
                .cmp(&(rows.micros(time, *b), rows.text(key, *b)))
        });
        std::fs::create_dir_all(&folder).map_err(|e| fail(e.to_string()))?;
        let temporary = folder.join(TEMPORARY);
        write(&temporary, columns, &rows, &keep).map_err(fail)?;
        std::fs::rename(&temporary, &path).map_err(|e| fail(e.to_string()))?;
        sync_dir(&folder).map_err(|e| fail(e.to_string()))?;
        Ok(counts)
    }
}

/// Whether the UTC day `day` has an instant in the span.
fn touches(day: NaiveDate, batch: &Batch<'_>) -> bool {
    let start = day.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = start + TimeDelta::days(1);
    let span = batch.span;
    end > span.low && (start < span.high || (span.high_inclusive && start == span.high))
}

impl Destination for Parquet {
    fn describe(&self) -> String {
        format!("Parquet directory {}", self.root.display())
    }

    fn state(&mut self, table: &str) -> Result<Option<State>, Error> {
        let path = self.table_dir(table)?.join(STATE_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                self.failed(format!(
                    "the sync state of table {table} is unreadable: {e}"
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.failed(e)),
        }
    }

    fn commit(&mut self, batch: &Batch<'_>) -> Result<Counts, Error> {
        let dir = self.table_dir(batch.table)?;
        let lock = File::create(dir.join(LOCK_FILE)).map_err(|e| self.failed(e))?;
        lock.lock().map_err(|e| self.failed(e))?;
        let now = Utc::now().timestamp_micros();
        let keyed = keyed(batch.records);
        let mut by_day: HashMap<NaiveDate, Vec<&Keyed<'_>>> = HashMap::new();
        for record in &keyed {
            by_day
                .entry(record.record.creation_time.date_naive())
                .or_default()
                .push(record);
        }
        let mut days = self.days(&dir)?;
        days.retain(|day| touches(*day, batch));
        days.extend(by_day.keys().copied());
        let mut counts = Counts::default();
        for day in days {
            let records = by_day.get(&day).map_or(&[][..], Vec::as_slice);
            counts += self.day(&dir, day, batch, records, now)?;
        }
        let state = serde_json::to_vec(batch.state).unwrap_or_default();
        let temporary = dir.join(format!(".{STATE_FILE}.tmp"));
        File::create(&temporary)
            .and_then(|mut file| {
                file.write_all(&state)?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(&temporary, dir.join(STATE_FILE)))
            .and_then(|()| sync_dir(&dir))
            .map_err(|e| self.failed(format!("the sync state of table {}: {e}", batch.table)))?;
        drop(lock);
        Ok(counts)
    }
}
