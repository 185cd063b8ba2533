//! PostgreSQL as a destination: `postgresql://user:password@host:port/database?sslmode=require`
//! (or `postgres://`, or the key-value form after `postgresql:`).
//!
//! The table has the documented fields as columns in the contract's order ([`FIELDS`]) with their
//! types: text for numbers, enums and reasons, `timestamptz` for instants, `double precision` for
//! `call_duration`; then `extra` (`jsonb`), `record_key` (the primary key), `record_digest` and
//! `synced_at`. A batch is one transaction: the rows of its span read, the new and changed ones
//! written in one `INSERT ... SELECT FROM unnest(...) ON CONFLICT` statement, the ones the server
//! no longer has deleted, the state written, under a transaction-scoped advisory lock on the
//! table so that two syncs of one table never interleave their batches.
//!
//! TLS is rustls with the platform's roots, as the API client's (`sslmode=require` or
//! `prefer`, the default, as libpq reads them; `disable` for none). The password never appears
//! in a message.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio::runtime::Handle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config};

use super::destination::{
    Batch, Counts, Destination, STATE_TABLE, SqlTypes, State, check_table, create_tables,
};
use super::key::keyed;
use crate::error::Error;
use crate::fields::{FIELDS, FieldKind, FieldValue};

/// A PostgreSQL database, connected on first use.
pub struct Postgres {
    config: Config,
    /// Where it is, without the password.
    place: String,
    client: Option<Client>,
    /// The tables this connection has made sure of.
    ready: Vec<String>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("place", &self.place)
            .finish()
    }
}

fn column_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::PhoneNumber | FieldKind::Text => "text",
        FieldKind::CallType | FieldKind::CallStatus => "text NOT NULL",
        FieldKind::Instant => "timestamptz NOT NULL",
        FieldKind::OptionalInstant => "timestamptz",
        FieldKind::Seconds => "double precision NOT NULL",
    }
}

fn array_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::PhoneNumber | FieldKind::Text | FieldKind::CallType | FieldKind::CallStatus => {
            "text[]"
        }
        FieldKind::Instant | FieldKind::OptionalInstant => "timestamptz[]",
        FieldKind::Seconds => "float8[]",
    }
}

/// One column of a batch, as an array parameter.
enum Column {
    Text(Vec<Option<String>>),
    Instant(Vec<Option<DateTime<Utc>>>),
    Seconds(Vec<f64>),
}

impl Column {
    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Text(values) => values,
            Self::Instant(values) => values,
            Self::Seconds(values) => values,
        }
    }
}

impl Postgres {
    /// The database `spec` names (a URL or libpq's key-value form); nothing is connected yet.
    pub fn open(spec: &str) -> Result<Self, Error> {
        let config: Config = spec.parse().map_err(|e| {
            Error::Destination(format!(
                "PostgreSQL connection string: {e} (the password is never shown)"
            ))
        })?;
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .map(|host| match host {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        let place = format!(
            "PostgreSQL database {} on {}{} as {}",
            config.get_dbname().unwrap_or("(default)"),
            hosts.join(","),
            config
                .get_ports()
                .first()
                .map(|port| format!(":{port}"))
                .unwrap_or_default(),
            config.get_user().unwrap_or("(default user)")
        );
        Ok(Self {
            config,
            place,
            client: None,
            ready: Vec::new(),
        })
    }

    fn failed(&self, error: impl std::fmt::Display) -> Error {
        Error::Destination(format!("{}: {error}", self.place))
    }

    /// The connection, made on first use on the runtime this thread belongs to.
    fn client(&mut self) -> Result<&mut Client, Error> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            let mut tls = crate::transport::tls_config(None).map_err(|e| self.failed(e))?;
            // The API client's offers HTTP/1.1; a PostgreSQL server checks what is offered.
            tls.alpn_protocols.clear();
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
            let handle = Handle::try_current().map_err(|e| self.failed(e))?;
            let (client, connection) = handle
                .block_on(self.config.connect(tls))
                .map_err(|e| self.failed(e))?;
            handle.spawn(async move {
                if let Err(error) = connection.await {
                    log::debug!("the PostgreSQL connection ended: {error}");
                }
            });
            self.client = Some(client);
            self.ready.clear();
        }
        self.client
            .as_mut()
            .ok_or_else(|| Error::Destination("no PostgreSQL connection".to_owned()))
    }

    fn prepare(&mut self, table: &str) -> Result<(), Error> {
        check_table(table)?;
        self.client()?;
        if self.ready.iter().any(|t| t == table) {
            return Ok(());
        }
        let sql = create_tables(
            table,
            &SqlTypes {
                field: column_type,
                json: "jsonb",
                text: "text",
                instant: "timestamptz",
            },
        );
        let result = {
            let client = self.client()?;
            Handle::current().block_on(client.batch_execute(&sql))
        };
        result.map_err(|e| self.failed(e))?;
        self.ready.push(table.to_owned());
        Ok(())
    }
}

/// A batch's records as one array per column, in the order of [`FIELDS`].
fn columns(records: &[super::key::Keyed<'_>]) -> Vec<Column> {
    FIELDS
        .iter()
        .map(|field| match field.kind {
            FieldKind::Instant | FieldKind::OptionalInstant => Column::Instant(
                records
                    .iter()
                    .map(|k| match (field.value)(k.record) {
                        FieldValue::Instant(time) => time.copied(),
                        _ => None,
                    })
                    .collect(),
            ),
            FieldKind::Seconds => Column::Seconds(
                records
                    .iter()
                    .map(|k| match (field.value)(k.record) {
                        FieldValue::Seconds(seconds) => seconds,
                        _ => 0.0,
                    })
                    .collect(),
            ),
            _ => Column::Text(
                records
                    .iter()
                    .map(|k| match (field.value)(k.record) {
                        FieldValue::Text(text) => text.map(str::to_owned),
                        _ => None,
                    })
                    .collect(),
            ),
        })
        .collect()
}

impl Destination for Postgres {
    fn describe(&self) -> String {
        self.place.clone()
    }

    fn state(&mut self, table: &str) -> Result<Option<State>, Error> {
        self.prepare(table)?;
        let sql = format!("SELECT state::text FROM {STATE_TABLE} WHERE table_name = $1");
        let row = {
            let client = self.client()?;
            Handle::current().block_on(client.query_opt(&sql, &[&table]))
        };
        let row = row.map_err(|e| self.failed(e))?;
        row.map(|row| {
            let text: String = row.get(0);
            serde_json::from_str(&text).map_err(|e| {
                self.failed(format!(
                    "the sync state of table {table} is unreadable: {e}"
                ))
            })
        })
        .transpose()
    }

    fn commit(&mut self, batch: &Batch<'_>) -> Result<Counts, Error> {
        self.prepare(batch.table)?;
        let place = self.place.clone();
        let client = self.client()?;
        Handle::current()
            .block_on(write(client, batch))
            .map_err(|e| Error::Destination(format!("{place}: {e}")))
    }
}

/// One batch in one transaction.
async fn write(client: &mut Client, batch: &Batch<'_>) -> Result<Counts, tokio_postgres::Error> {
    let table = batch.table;
    let span = batch.span;
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        &[&format!("unpod-sync:{table}")],
    )
    .await?;
    let high = if span.high_inclusive { "<=" } else { "<" };
    // The oldest span of a run over the whole history starts before any instant PostgreSQL holds.
    let bounded = span.low > DateTime::<Utc>::MIN_UTC;
    let rows = if bounded {
        let sql = format!(
            "SELECT record_key, record_digest FROM \"{table}\" WHERE creation_time >= $1 AND creation_time {high} $2"
        );
        tx.query(&sql, &[&span.low, &span.high]).await?
    } else {
        let sql = format!(
            "SELECT record_key, record_digest FROM \"{table}\" WHERE creation_time {high} $1"
        );
        tx.query(&sql, &[&span.high]).await?
    };
    let mut held: HashMap<String, String> = rows
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let mut counts = Counts::default();
    let mut changed = Vec::new();
    for keyed in keyed(batch.records) {
        match held.remove(&keyed.key) {
            Some(digest) if digest == keyed.digest => counts.unchanged += 1,
            Some(_) => {
                counts.updated += 1;
                changed.push(keyed);
            }
            None => {
                counts.new += 1;
                changed.push(keyed);
            }
        }
    }
    if !changed.is_empty() {
        let names: Vec<&str> = FIELDS.iter().map(|field| field.name).collect();
        let arrays: Vec<String> = FIELDS
            .iter()
            .enumerate()
            .map(|(i, field)| format!("${}::{}", i + 1, array_type(field.kind)))
            .collect();
        let n = FIELDS.len();
        let updates: Vec<String> = names
            .iter()
            .chain(["extra", "record_digest", "synced_at"].iter())
            .map(|name| format!("{name} = excluded.{name}"))
            .collect();
        let sql = format!(
            "INSERT INTO \"{table}\" ({}, extra, record_key, record_digest, synced_at)
             SELECT *, now() FROM unnest({}, ${}::text[]::jsonb[], ${}::text[], ${}::text[])
             ON CONFLICT (record_key) DO UPDATE SET {}",
            names.join(", "),
            arrays.join(", "),
            n + 1,
            n + 2,
            n + 3,
            updates.join(", ")
        );
        let columns = columns(&changed);
        let extra: Vec<String> = changed
            .iter()
            .map(|k| serde_json::to_string(&k.record.extra).unwrap_or_default())
            .collect();
        let keys: Vec<&str> = changed.iter().map(|k| k.key.as_str()).collect();
        let digests: Vec<&str> = changed.iter().map(|k| k.digest.as_str()).collect();
        let mut params: Vec<&(dyn ToSql + Sync)> = columns.iter().map(Column::param).collect();
        params.extend([
            &extra as &(dyn ToSql + Sync),
            &keys as &(dyn ToSql + Sync),
            &digests as &(dyn ToSql + Sync),
        ]);
        tx.execute(&sql, &params).await?;
    }
    if !held.is_empty() {
        let gone: Vec<&str> = held.keys().map(String::as_str).collect();
        let sql = format!("DELETE FROM \"{table}\" WHERE record_key = ANY($1)");
        counts.deleted = tx.execute(&sql, &[&gone]).await?;
    }
    let state = serde_json::to_string(batch.state).unwrap_or_default();
    tx.execute(
        &format!(
            "INSERT INTO {STATE_TABLE} (table_name, state, updated_at) VALUES ($1, $2::text::jsonb, now())
             ON CONFLICT (table_name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at"
        ),
        &[&table, &state],
    )
    .await?;
    tx.commit().await?;
    Ok(counts)
}
