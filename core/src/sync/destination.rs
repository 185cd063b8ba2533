//! Where a sync keeps call logs, and the state that lets the next run go on where this one
//! stopped. A destination writes a batch of records and the state that follows from it in one
//! transaction, so a process killed at any moment leaves either both or neither.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::CallLog;

/// The table a sync writes into unless told.
pub const DEFAULT_TABLE: &str = "call_logs";
/// The table that holds each synced table's state.
pub const STATE_TABLE: &str = "_unpod_sync_state";

/// What a destination remembers of a synced table between runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// What the table holds: the endpoint, the organization and the filters. A run of anything
    /// else into the same table is refused.
    pub stream: String,
    /// Every record created up to this instant was in the table when the last complete run ended.
    pub synced_until: Option<DateTime<Utc>>,
    /// A run that has not finished (the process stopped, or the server failed): the next run
    /// finishes it first.
    pub run: Option<Run>,
}

/// A run in progress: the range it keeps in step, and how far down it has come.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// The oldest `creation_time` the run covers (`None`: the whole history).
    pub from: Option<DateTime<Utc>>,
    /// The newest `creation_time` the run covers, inclusive (pinned when it began).
    pub until: DateTime<Utc>,
    /// Every record from this instant (inclusive) up to `until` is in the table.
    pub done_down_to: Option<DateTime<Utc>>,
}

/// A range of `creation_time`: `low` inclusive, `high` inclusive or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The oldest instant in the range.
    pub low: DateTime<Utc>,
    /// The newest instant of the range.
    pub high: DateTime<Utc>,
    /// Whether `high` itself is in the range.
    pub high_inclusive: bool,
}

impl Span {
    /// Whether `time` is in the range.
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        time >= self.low && (time < self.high || (self.high_inclusive && time == self.high))
    }
}

/// The records the server holds in a span of `creation_time`, complete: the destination makes the
/// span hold exactly these (new ones inserted, changed ones updated, ones the server no longer has
/// deleted) and stores `state`, in one transaction.
#[derive(Debug)]
pub struct Batch<'a> {
    /// The table.
    pub table: &'a str,
    /// Every record of the span.
    pub records: &'a [CallLog],
    /// The span they are all of.
    pub span: Span,
    /// The table's state once the batch is in.
    pub state: &'a State,
}

/// What a batch changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records the table did not hold.
    pub new: u64,
    /// Records it held with other values.
    pub updated: u64,
    /// Records it held as they are.
    pub unchanged: u64,
    /// Records it held in the span that the server no longer has.
    pub deleted: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.deleted += other.deleted;
    }
}

/// A store a sync writes into. Calls are blocking; a sync makes them off the async threads.
pub trait Destination: Send {
    /// Where it is, for messages (never holding a password).
    fn describe(&self) -> String;
    /// The state of `table`, or `None` if it was never synced.
    fn state(&mut self, table: &str) -> Result<Option<State>, Error>;
    /// Writes a batch and its state in one transaction.
    fn commit(&mut self, batch: &Batch<'_>) -> Result<Counts, Error>;
}

/// A table name the destination accepts: a plain SQL identifier.
pub fn check_table(table: &str) -> Result<(), Error> {
    let mut chars = table.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && table.len() <= 63;
    if plain {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "table: {table:?} is not a plain identifier (letters, digits and _, not starting with a digit, at most 63)"
        )))
    }
}

/// The SQL types a SQL destination stores its columns as.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) struct SqlTypes {
    /// A documented field's column.
    pub field: fn(crate::fields::FieldKind) -> &'static str,
    /// JSON (`extra`, the state).
    pub json: &'static str,
    /// Text (the keys, digests and table names).
    pub text: &'static str,
    /// An instant (`synced_at`, `updated_at`).
    pub instant: &'static str,
}

/// The statements that make sure of `table` and of the state table, the same schema in every SQL
/// destination: the documented fields in the contract's order, then `extra`, `record_key` (the
/// primary key), `record_digest` and `synced_at`; an index on `creation_time`.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn create_tables(table: &str, types: &SqlTypes) -> String {
    let columns: Vec<String> = crate::fields::FIELDS
        .iter()
        .map(|field| format!("{} {}", field.name, (types.field)(field.kind)))
        .collect();
    let SqlTypes {
        json,
        text,
        instant,
        ..
    } = types;
    format!(
        "CREATE TABLE IF NOT EXISTS {STATE_TABLE} (table_name {text} PRIMARY KEY, state {json} NOT NULL, updated_at {instant} NOT NULL);
         CREATE TABLE IF NOT EXISTS \"{table}\" ({}, extra {json} NOT NULL, record_key {text} PRIMARY KEY, record_digest {text} NOT NULL, synced_at {instant} NOT NULL);
         CREATE INDEX IF NOT EXISTS \"{table}_creation_time\" ON \"{table}\" (creation_time);",
        columns.join(", ")
    )
}

/// A destination from its spelling, as the bindings and the command line receive it: a file path
/// (`calls.db`, or `sqlite:calls.db`) is the embedded SQLite database; `postgresql://...` (or
/// `postgres://`) a PostgreSQL database; `parquet:DIR` a directory of day-partitioned Parquet.
pub fn open(spec: &str) -> Result<Box<dyn Destination>, Error> {
    let (scheme, rest) = match spec.split_once(':') {
        Some((scheme, rest))
            if scheme.len() > 1 && scheme.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            (scheme, rest)
        }
        _ => ("sqlite", spec),
    };
    match scheme {
        #[cfg(feature = "sqlite")]
        "sqlite" => Ok(Box::new(super::sqlite::Sqlite::open(rest)?)),
        #[cfg(feature = "parquet")]
        "parquet" => Ok(Box::new(super::parquet::Parquet::open(rest)?)),
        #[cfg(feature = "postgres")]
        "postgres" | "postgresql" => Ok(Box::new(super::postgres::Postgres::open(spec)?)),
        _ => Err(Error::Destination(format!(
            "destination {:?}: unknown kind {scheme:?}; a file path (or sqlite:PATH) is the embedded SQLite database, postgresql://... a PostgreSQL database, parquet:DIR a directory of day-partitioned Parquet",
            crate::secret::without_password(spec)
        ))),
    }
}
