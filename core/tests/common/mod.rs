//! What the test binaries that talk to the reference server share.

#[allow(
    dead_code,
    reason = "only the tests of destinations start a PostgreSQL server"
)]
pub mod postgres;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use calllogs_reference::ServerHandle;
use unpod_calllogs::retry::RetryPolicy;
use unpod_calllogs::{Client, ClientBuilder};

/// A client of `server` whose retries wait 5 ms instead of half a second.
pub fn builder(server: &ServerHandle) -> ClientBuilder {
    Client::builder()
        .token(server.token())
        .org_handle(server.org_handle())
        .base_url(server.url())
        .retry_policy(RetryPolicy::default().initial_delay(Duration::from_millis(5)))
}

/// [`builder`], built.
#[allow(
    dead_code,
    reason = "not every test binary that shares this module builds its clients so"
)]
pub fn client(server: &ServerHandle) -> Client {
    builder(server).build().unwrap()
}

/// The rows of a synced table: key to digest.
#[allow(dead_code, reason = "only the sync tests read synced tables")]
pub fn synced_rows(db: &Path, table: &str) -> BTreeMap<String, String> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut select = connection
        .prepare(&format!("SELECT record_key, record_digest FROM {table}"))
        .unwrap();
    select
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Records as a synced table should hold them: key to digest.
#[allow(dead_code, reason = "only the sync tests read synced tables")]
pub fn synced_form(records: &[unpod_calllogs::CallLog]) -> BTreeMap<String, String> {
    let mut sorted = records.to_vec();
    sorted.sort_by_key(|r| r.creation_time);
    unpod_calllogs::sync::key::keyed(&sorted)
        .into_iter()
        .map(|k| (k.key, k.digest))
        .collect()
}

/// A row of a Parquet table: key, digest and `creation_time` (microseconds).
pub type ParquetRow = (String, String, i64);

/// The rows of a day-partitioned Parquet table (`DIR/TABLE/creation_date=DAY/part-0.parquet`),
/// read with the `parquet` crate's own row reader. Asserts the layout: each file's rows are of its
/// day and in `creation_time` order, and nothing but day folders and the sync's own files is there.
#[allow(dead_code, reason = "only the sync tests read synced tables")]
pub fn parquet_rows(dir: &Path, table: &str) -> Vec<ParquetRow> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;
    let mut rows = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir.join(table)) else {
        return rows;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let Some(day) = name.strip_prefix("creation_date=") else {
            assert!(name.starts_with("_unpod_sync"), "{name} in the table");
            continue;
        };
        let day: chrono::NaiveDate = day.parse().unwrap();
        let files: Vec<String> = std::fs::read_dir(entry.path())
            .unwrap()
            .map(|f| f.unwrap().file_name().into_string().unwrap())
            .filter(|f| !f.ends_with(".tmp"))
            .collect();
        assert_eq!(files, ["part-0.parquet"], "{name}");
        let file = std::fs::File::open(entry.path().join("part-0.parquet")).unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        let columns: Vec<String> = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
        let (key, digest, time) = (at("record_key"), at("record_digest"), at("creation_time"));
        let mut last = i64::MIN;
        for row in reader.get_row_iter(None).unwrap() {
            let row = row.unwrap();
            let micros = row.get_timestamp_micros(time).unwrap();
            assert!(micros >= last, "{name}: rows out of creation_time order");
            last = micros;
            let date = chrono::DateTime::from_timestamp_micros(micros)
                .unwrap()
                .date_naive();
            assert_eq!(date, day, "a row in another day's folder");
            rows.push((
                row.get_string(key).unwrap().clone(),
                row.get_string(digest).unwrap().clone(),
                micros,
            ));
        }
    }
    rows
}
