//! The embedded destination: a SQLite database file, compiled in (no server, no system library).
//!
//! The table has the documented fields as columns, in the contract's order ([`FIELDS`]), then
//! `extra` (the other fields, a JSON object), `record_key` (the primary key, see
//! [`super::key`]), `record_digest` and `synced_at`. Instants are UTC text in one fixed width,
//! `2026-02-01T09:30:00.000000Z`, so that they sort in time order as text and SQLite's date
//! functions, DuckDB (`sqlite_scan`, then `::TIMESTAMPTZ`) and pandas read them; `call_duration`
//! is `NUMERIC` (an integer, or a real for the fractions some servers send). The database is in
//! WAL mode: a reader (a dashboard, DuckDB) never blocks a sync, and a committed batch survives
//! the process being killed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params_from_iter, types::Value};

use super::destination::{
    Batch, Counts, Destination, STATE_TABLE, SqlTypes, State, check_table, create_tables,
};
use super::key::keyed;
use crate::error::Error;
use crate::fields::{FIELDS, FieldKind, FieldValue};
use crate::model::whole_seconds;

/// A SQLite database file.
pub struct Sqlite {
    path: String,
    connection: Connection,
    /// The tables this connection has made sure of.
    ready: Vec<String>,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite").field("path", &self.path).finish()
    }
}

fn failed(path: &str, error: impl std::fmt::Display) -> Error {
    Error::Destination(format!("SQLite database {path}: {error}"))
}

/// An instant as the table stores it.
pub fn instant(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn column_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::PhoneNumber | FieldKind::Text => "TEXT",
        FieldKind::CallType | FieldKind::CallStatus | FieldKind::Instant => "TEXT NOT NULL",
        FieldKind::OptionalInstant => "TEXT",
        FieldKind::Seconds => "NUMERIC NOT NULL",
    }
}

impl Sqlite {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &str) -> Result<Self, Error> {
        let connection = Connection::open(path).map_err(|e| failed(path, e))?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|()| connection.busy_timeout(std::time::Duration::from_secs(30)))
            .map_err(|e| failed(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            connection,
            ready: Vec::new(),
        })
    }

    fn prepare(&mut self, table: &str) -> Result<(), Error> {
        if self.ready.iter().any(|t| t == table) {
            return Ok(());
        }
        check_table(table)?;
        let sql = create_tables(
            table,
            &SqlTypes {
                field: column_type,
                json: "TEXT",
                text: "TEXT",
                instant: "TEXT",
            },
        );
        self.connection
            .execute_batch(&sql)
            .map_err(|e| failed(&self.path, e))?;
        self.ready.push(table.to_owned());
        Ok(())
    }
}

/// A record's documented fields as the table's values, in the order of [`FIELDS`].
fn values(record: &crate::CallLog) -> impl Iterator<Item = Value> + '_ {
    FIELDS.iter().map(|field| match (field.value)(record) {
        FieldValue::Text(text) => text.map_or(Value::Null, |t| Value::Text(t.to_owned())),
        FieldValue::Instant(time) => time.map_or(Value::Null, |t| Value::Text(instant(t))),
        FieldValue::Seconds(seconds) => match whole_seconds(seconds) {
            Some(whole) => Value::Integer(whole),
            None => Value::Real(seconds),
        },
    })
}

impl Destination for Sqlite {
    fn describe(&self) -> String {
        format!("SQLite database {}", self.path)
    }

    fn state(&mut self, table: &str) -> Result<Option<State>, Error> {
        self.prepare(table)?;
        let text: Option<String> = self
            .connection
            .query_row(
                &format!("SELECT state FROM {STATE_TABLE} WHERE table_name = ?1"),
                [table],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| failed(&self.path, e))?;
        text.map(|text| {
            serde_json::from_str(&text).map_err(|e| {
                failed(
                    &self.path,
                    format!("the sync state of table {table} is unreadable: {e}"),
                )
            })
        })
        .transpose()
    }

    fn commit(&mut self, batch: &Batch<'_>) -> Result<Counts, Error> {
        self.prepare(batch.table)?;
        let path = self.path.clone();
        let fail = |e: rusqlite::Error| failed(&path, e);
        let table = batch.table;
        let span = batch.span;
        let now = instant(&Utc::now());
        let tx = self.connection.transaction().map_err(fail)?;
        let mut held: HashMap<String, String> = HashMap::new();
        {
            let high = if span.high_inclusive { "<=" } else { "<" };
            let mut select = tx
                .prepare(&format!(
                    "SELECT record_key, record_digest FROM \"{table}\" WHERE creation_time >= ?1 AND creation_time {high} ?2"
                ))
                .map_err(fail)?;
            let rows = select
                .query_map([instant(&span.low), instant(&span.high)], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(fail)?;
            for row in rows {
                let (key, digest) = row.map_err(fail)?;
                held.insert(key, digest);
            }
        }
        let mut counts = Counts::default();
        {
            let names: Vec<&str> = FIELDS.iter().map(|field| field.name).collect();
            let marks: Vec<String> = (1..=names.len() + 4).map(|i| format!("?{i}")).collect();
            let updates: Vec<String> = names
                .iter()
                .chain(["extra", "record_digest", "synced_at"].iter())
                .map(|name| format!("{name} = excluded.{name}"))
                .collect();
            let mut upsert = tx
                .prepare(&format!(
                    "INSERT INTO \"{table}\" ({}, extra, record_key, record_digest, synced_at) VALUES ({})
                     ON CONFLICT (record_key) DO UPDATE SET {}",
                    names.join(", "),
                    marks.join(", "),
                    updates.join(", ")
                ))
                .map_err(fail)?;
            for keyed in keyed(batch.records) {
                match held.remove(&keyed.key) {
                    Some(digest) if digest == keyed.digest => {
                        counts.unchanged += 1;
                        continue;
                    }
                    Some(_) => counts.updated += 1,
                    None => counts.new += 1,
                }
                let extra = serde_json::to_string(&keyed.record.extra).unwrap_or_default();
                let row = values(keyed.record).chain([
                    Value::Text(extra),
                    Value::Text(keyed.key),
                    Value::Text(keyed.digest),
                    Value::Text(now.clone()),
                ]);
                upsert.execute(params_from_iter(row)).map_err(fail)?;
            }
            let mut delete = tx
                .prepare(&format!("DELETE FROM \"{table}\" WHERE record_key = ?1"))
                .map_err(fail)?;
            for key in held.keys() {
                counts.deleted += delete.execute([key]).map_err(fail)? as u64;
            }
        }
        let state = serde_json::to_string(batch.state).unwrap_or_default();
        tx.execute(
            &format!(
                "INSERT INTO {STATE_TABLE} (table_name, state, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (table_name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at"
            ),
            [table, &state, &now],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::destination::Span;
    use crate::{CallLog, CallStatus, CallType};

    fn call(second: u32, number: &str, status: CallStatus) -> CallLog {
        let at = format!("2026-02-01T09:30:{second:02}Z").parse().unwrap();
        let mut record = CallLog::new(CallType::Inbound, status, at);
        record.source_number = Some(number.to_owned());
        record
    }

    fn at(second: u32) -> DateTime<Utc> {
        call(second, "", CallStatus::Missed).creation_time
    }

    #[test]
    fn a_batch_makes_its_span_hold_exactly_its_records_and_stores_the_state_with_them() {
        let path = std::env::temp_dir().join(format!("unpod-sqlite-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut db = Sqlite::open(path.to_str().unwrap()).unwrap();
        let state = State {
            stream: "s".to_owned(),
            synced_until: None,
            run: None,
        };
        let mut commit = |records: Vec<CallLog>, low, high, high_inclusive| {
            let span = Span {
                low: at(low),
                high: at(high),
                high_inclusive,
            };
            let counts = db
                .commit(&Batch {
                    table: "calls",
                    records: &records,
                    span,
                    state: &state,
                })
                .unwrap();
            (counts.new, counts.updated, counts.unchanged, counts.deleted)
        };
        let first = vec![
            call(1, "+1", CallStatus::Missed),
            call(2, "+2", CallStatus::Missed),
            call(3, "+3", CallStatus::Missed),
        ];
        assert_eq!(commit(first, 0, 10, true), (3, 0, 0, 0));
        assert_eq!(
            commit(vec![call(10, "+10", CallStatus::Missed)], 10, 10, true),
            (1, 0, 0, 0)
        );
        let second = vec![
            call(1, "+1", CallStatus::Missed),
            call(2, "+2", CallStatus::Completed),
            call(4, "+4", CallStatus::Missed),
        ];
        // Up to 10 exclusive: the record at 10 is outside and stays.
        assert_eq!(commit(second, 0, 10, false), (1, 1, 1, 1));
        let rows: i64 = db
            .connection
            .query_row("SELECT count(*) FROM calls", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 4);
        assert_eq!(db.state("calls").unwrap(), Some(state.clone()));
        assert_eq!(db.state("other").unwrap(), None);
        drop(db);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
