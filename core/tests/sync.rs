//! Syncs into the embedded SQLite destination against the reference server over real sockets:
//! exactness, windows within their bounds, incremental runs, late arrivals, the real-server
//! emulation, and a table kept for one stream refusing another.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use calllogs_reference::{Emulation, Knobs, ServerConfig, ServerHandle};
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use unpod_calllogs::sync::{Progress, Summary, Sync, SyncSettings, destination};
use unpod_calllogs::{CallLog, CallLogQuery, CallType, Client, Dialect, Error};

mod common;
use common::{builder, client, parquet_rows, synced_form, synced_rows};

/// A destination of its own for each test, removed when dropped: a SQLite file, or a directory
/// of Parquet.
struct Db {
    path: PathBuf,
    parquet: bool,
}

impl Db {
    fn new(name: &str) -> Self {
        Self::at(name, false)
    }

    fn parquet(name: &str) -> Self {
        Self::at(name, true)
    }

    fn at(name: &str, parquet: bool) -> Self {
        let suffix = if parquet { "lake" } else { "db" };
        let path =
            std::env::temp_dir().join(format!("unpod-sync-{}-{name}.{suffix}", std::process::id()));
        let db = Self { path, parquet };
        db.remove();
        db
    }

    fn remove(&self) {
        if self.parquet {
            let _ = std::fs::remove_dir_all(&self.path);
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }

    fn spec(&self) -> String {
        let path = self.path.display();
        if self.parquet {
            format!("parquet:{path}")
        } else {
            path.to_string()
        }
    }

    /// The table's rows: key to digest.
    fn rows(&self, table: &str) -> BTreeMap<String, String> {
        if self.parquet {
            let rows = parquet_rows(&self.path, table);
            let count = rows.len();
            let keyed: BTreeMap<String, String> = rows
                .into_iter()
                .map(|(key, digest, _)| (key, digest))
                .collect();
            assert_eq!(keyed.len(), count, "a key twice in the table");
            keyed
        } else {
            synced_rows(&self.path, table)
        }
    }

    /// How many rows were created at or after `from`.
    fn count_since(&self, from: DateTime<Utc>) -> u64 {
        if self.parquet {
            let from = from.timestamp_micros();
            return parquet_rows(&self.path, "call_logs")
                .iter()
                .filter(|(_, _, at)| *at >= from)
                .count() as u64;
        }
        let connection = rusqlite::Connection::open(&self.path).unwrap();
        connection
            .query_row(
                "SELECT count(*) FROM call_logs WHERE creation_time >= ?1",
                [unpod_calllogs::sync::sqlite::instant(&from)],
                |row| row.get(0),
            )
            .unwrap()
    }
}

impl Db {
    /// The day files of a Parquet table, and when each was last written.
    fn day_files(&self) -> BTreeMap<chrono::NaiveDate, std::time::SystemTime> {
        let Ok(entries) = std::fs::read_dir(self.path.join("call_logs")) else {
            return BTreeMap::new();
        };
        entries
            .filter_map(|entry| {
                let entry = entry.unwrap();
                let name = entry.file_name().into_string().unwrap();
                let day = name.strip_prefix("creation_date=")?.parse().unwrap();
                let file = entry.path().join("part-0.parquet");
                Some((day, file.metadata().unwrap().modified().unwrap()))
            })
            .collect()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.remove();
    }
}

fn expected(records: &[CallLog]) -> BTreeMap<String, String> {
    synced_form(records)
}

/// The rows of a table of records created up to `until`: key and digest.
fn upto(records: &[CallLog], until: DateTime<Utc>) -> BTreeSet<(String, String)> {
    let within: Vec<CallLog> = records
        .iter()
        .filter(|r| r.creation_time <= until)
        .cloned()
        .collect();
    expected(&within).into_iter().collect()
}

/// Asserts that a table synced up to `until` while calls kept arriving holds every record the
/// server had (up to `until`) before the run began, and nothing the server did not have after.
fn assert_between(db: &Db, before: &[CallLog], after: &[CallLog], until: DateTime<Utc>) {
    let table: BTreeSet<(String, String)> = db.rows("call_logs").into_iter().collect();
    let (floor, ceiling) = (upto(before, until), upto(after, until));
    let missing = floor.difference(&table).count();
    let extra = table.difference(&ceiling).count();
    assert_eq!(
        (missing, extra),
        (0, 0),
        "missing, not on the server; {} rows",
        table.len()
    );
}

async fn everything(client: &Client, query: CallLogQuery) -> Vec<CallLog> {
    client
        .call_logs()
        .collect_all(query.page_size(1000), 4)
        .await
        .unwrap()
}

async fn sync_once(
    client: &Client,
    db: &Db,
    query: CallLogQuery,
    settings: SyncSettings,
) -> Result<(Summary, Vec<Progress>), Error> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let mut sync = Sync::builder(client.clone(), destination::open(&db.spec())?)
        .query(query)
        .settings(settings)
        .on_progress(move |p| log.lock().unwrap().push(p.clone()))
        .build()?;
    let summary = sync.run().await?;
    let progress = seen.lock().unwrap().clone();
    Ok((summary, progress))
}

async fn start(config: ServerConfig) -> ServerHandle {
    calllogs_reference::start(config).await.unwrap()
}

#[tokio::test]
async fn a_first_run_holds_exactly_the_servers_records_in_windows_within_their_bounds() {
    first_run(Db::new("first")).await;
}

#[tokio::test]
async fn a_first_run_into_parquet_holds_exactly_the_servers_records_a_file_per_day() {
    first_run(Db::parquet("first")).await;
}

async fn first_run(db: Db) {
    let server = start(ServerConfig::seeded(3000, 7)).await;
    let client = client(&server);
    let settings = SyncSettings::default().max_records(400).page_size(100);
    let before = server.requests();
    let (summary, progress) = sync_once(&client, &db, CallLogQuery::new(), settings.clone())
        .await
        .unwrap();
    let all = everything(&client, CallLogQuery::new()).await;
    assert_eq!(db.rows("call_logs"), expected(&all));
    assert_eq!(
        (summary.new, summary.updated, summary.deleted),
        (3000, 0, 0)
    );
    if db.parquet {
        let days: BTreeSet<_> = all.iter().map(|r| r.creation_time.date_naive()).collect();
        let folders = std::fs::read_dir(db.path.join("call_logs"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("creation_date=")
            })
            .count();
        assert!(days.len() > 1, "the records span {} days", days.len());
        assert_eq!(folders, days.len(), "a folder per day");
    }
    assert!(summary.windows >= 3000 / 400, "{summary:?}");
    assert_eq!(
        summary.requests,
        server.requests() - before - 3000u64.div_ceil(1000)
    );
    let sizes: Vec<u64> = progress
        .iter()
        .map(|p| p.counts.new + p.counts.updated + p.counts.unchanged)
        .collect();
    assert!(sizes.iter().all(|n| *n <= 400), "window sizes {sizes:?}");
    assert_eq!(sizes.iter().sum::<u64>(), 3000);
    assert!(progress.iter().all(|p| p.total == Some(3000)));
    // How far down each window came: an instant of the history, never the start of time (the
    // last window reaches it), falling window by window down past the oldest call.
    let oldest = all.iter().map(|r| r.creation_time).min().unwrap();
    let down: Vec<DateTime<Utc>> = progress
        .iter()
        .map(|p| p.down_to.parse().unwrap())
        .collect();
    assert!(down.windows(2).all(|w| w[1] <= w[0]), "{down:?}");
    assert!(
        down.last()
            .is_some_and(|last| *last <= oldest && last.year() > 2000),
        "{down:?}"
    );
    assert!(summary.start.is_none(), "the whole history: {summary:?}");

    // The next run reads again only the lookback and what came after: nothing here, since the
    // history ended long before the lookback.
    let before = server.requests();
    let (again, _) = sync_once(&client, &db, CallLogQuery::new(), settings)
        .await
        .unwrap();
    assert_eq!(
        (again.new, again.updated, again.deleted, again.unchanged),
        (0, 0, 0, 0)
    );
    assert_eq!(again.requests, server.requests() - before);
    assert!(again.requests <= 3, "{again:?}");
    assert_eq!(db.rows("call_logs"), expected(&all));
}

#[tokio::test]
async fn an_incremental_run_reads_the_lookback_again_and_adds_the_new_calls() {
    incremental(Db::new("incremental")).await;
}

#[tokio::test]
async fn an_incremental_run_into_parquet_rewrites_only_the_days_it_changes() {
    incremental(Db::parquet("incremental")).await;
}

async fn incremental(db: Db) {
    // History ends 30 minutes ago; each request adds a call after it.
    let end = Utc::now() - TimeDelta::minutes(30);
    let config = ServerConfig::seeded(1500, 3)
        .history_end(end)
        .knobs(Knobs::default().live_inserts(1));
    let server = start(config).await;
    let client = client(&server);
    let settings = SyncSettings::default()
        .max_records(500)
        .settle(Duration::from_secs(5));
    let (first, _) = sync_once(&client, &db, CallLogQuery::new(), settings.clone())
        .await
        .unwrap();
    let held = db.rows("call_logs").len() as u64;
    assert_eq!(first.new, held);
    let until: DateTime<Utc> = first.until.parse().unwrap();
    let lookback = db.count_since(until - TimeDelta::hours(2));
    let before = everything(&client, CallLogQuery::new()).await;
    let written = db.day_files();
    let (second, _) = sync_once(&client, &db, CallLogQuery::new(), settings)
        .await
        .unwrap();
    let from: DateTime<Utc> = second.start.as_deref().unwrap().parse().unwrap();
    assert_eq!(from, until - TimeDelta::hours(2), "the default lookback");
    if db.parquet {
        // The days before the lookback are not written again.
        let again = db.day_files();
        let older: Vec<_> = written
            .iter()
            .filter(|(day, _)| **day < from.date_naive())
            .collect();
        assert!(older.len() > 1, "{} days before the lookback", older.len());
        for (day, modified) in older {
            assert_eq!(again.get(day), Some(modified), "{day} was written again");
        }
    }
    assert!(lookback > 0 && second.new > 0, "{second:?}");
    assert_eq!(second.unchanged, lookback, "{second:?}");
    assert_eq!(second.updated + second.deleted, 0);
    let after = everything(&client, CallLogQuery::new()).await;
    assert_between(&db, &before, &after, second.until.parse().unwrap());
}

#[tokio::test]
async fn late_arrivals_are_read_by_the_next_run_within_the_lookback() {
    late_arrivals(Db::new("late-kept"), Db::new("late-lost")).await;
}

#[tokio::test]
async fn late_arrivals_into_parquet_are_read_by_the_next_run_within_the_lookback() {
    late_arrivals(Db::parquet("late-kept"), Db::parquet("late-lost")).await;
}

async fn late_arrivals(kept: Db, lost: Db) {
    // Calls keep arriving during the runs, created up to 30 minutes before the newest call, into
    // windows the run has already written.
    let end = Utc::now() - TimeDelta::hours(1);
    let knobs = Knobs::default()
        .late_inserts(1)
        .late_by(Duration::from_secs(1800))
        .latency(Duration::from_millis(1));
    let server = start(ServerConfig::seeded(1200, 11).history_end(end).knobs(knobs)).await;
    let client = client(&server);
    let settings = SyncSettings::default().max_records(150).page_size(50);
    let without = settings.clone().lookback(Duration::ZERO);
    sync_once(&client, &kept, CallLogQuery::new(), settings.clone())
        .await
        .unwrap();
    sync_once(&client, &lost, CallLogQuery::new(), without.clone())
        .await
        .unwrap();
    let between = everything(&client, CallLogQuery::new()).await;
    let (kept_run, _) = sync_once(&client, &kept, CallLogQuery::new(), settings)
        .await
        .unwrap();
    sync_once(&client, &lost, CallLogQuery::new(), without)
        .await
        .unwrap();
    let after = everything(&client, CallLogQuery::new()).await;
    let until: DateTime<Utc> = kept_run.until.parse().unwrap();
    assert!(
        upto(&between, until).len() > 1200,
        "late calls arrived during the first runs"
    );
    assert_between(&kept, &between, &after, until);
    let blind: BTreeSet<(String, String)> = lost.rows("call_logs").into_iter().collect();
    assert!(
        !blind.is_superset(&upto(&between, until)),
        "without a lookback, the calls that arrived late are missed"
    );
}

#[tokio::test]
async fn a_filtered_sync_holds_the_filtered_records_and_its_table_refuses_another_stream() {
    let server = start(ServerConfig::seeded(900, 5)).await;
    let client = client(&server);
    let db = Db::new("filtered");
    let inbound = CallLogQuery::new().call_type(CallType::Inbound);
    let (summary, _) = sync_once(&client, &db, inbound.clone(), SyncSettings::default())
        .await
        .unwrap();
    let expected_records = everything(&client, inbound).await;
    assert_eq!(summary.new, expected_records.len() as u64);
    assert_eq!(db.rows("call_logs"), expected(&expected_records));

    let error = sync_once(&client, &db, CallLogQuery::new(), SyncSettings::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "destination");
    assert!(error.to_string().contains("call_type=inbound"), "{error}");
    let (other, _) = sync_once(
        &client,
        &db,
        CallLogQuery::new(),
        SyncSettings::default().table("every_call"),
    )
    .await
    .unwrap();
    assert_eq!(other.new, 900);
}

#[tokio::test]
async fn the_unpod_v2_emulation_is_synced_exactly_in_chunks_of_one_walk() {
    let config = Emulation::UnpodV2.apply(ServerConfig::seeded(1000, 9));
    let server = start(config).await;
    let client = builder(&server)
        .header("Product-Id", "unpod.ai")
        .dialect(Dialect::UnpodV2)
        .build()
        .unwrap();
    let db = Db::new("unpod-v2");
    let start = "2026-02-10T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let query = CallLogQuery::new().start_date(start);
    let (summary, progress) = sync_once(
        &client,
        &db,
        query.clone(),
        SyncSettings::default().max_records(120),
    )
    .await
    .unwrap();
    let all: Vec<CallLog> = client.call_logs().collect_all(query, 1).await.unwrap();
    assert!(all.len() > 240, "{}", all.len());
    assert_eq!(summary.new, all.len() as u64);
    assert_eq!(db.rows("call_logs"), expected(&all));
    assert!(progress.len() >= 2, "written in chunks: {progress:?}");
    assert!(progress.iter().all(|p| p.total.is_none()));
}

#[tokio::test]
async fn settings_and_filters_out_of_their_rules_are_refused_by_name() {
    let server = start(ServerConfig::seeded(10, 1)).await;
    let client = client(&server);
    let db = Db::new("rules");
    let refused = |query: CallLogQuery, settings: SyncSettings| {
        Sync::builder(client.clone(), destination::open(&db.spec()).unwrap())
            .query(query)
            .settings(settings)
            .build()
            .unwrap_err()
    };
    let error = refused(
        CallLogQuery::new().end_date(Utc::now()),
        SyncSettings::default(),
    );
    assert!(
        matches!(&error, Error::InvalidQuery(q) if q.parameter == "end_date"),
        "{error}"
    );
    let error = refused(CallLogQuery::new(), SyncSettings::default().max_records(0));
    assert!(error.to_string().contains("max_records"), "{error}");
    let error = refused(
        CallLogQuery::new(),
        SyncSettings::default().table("calls; drop"),
    );
    assert!(error.to_string().contains("table"), "{error}");
    let error = destination::open("mongodb://x").err().unwrap();
    assert_eq!(error.kind(), "destination");
}
