//! The `unpod-calllogs` command line as users run it, over real sockets: a sync killed (`kill -9`)
//! at random moments and run again until it finishes holds exactly the server's records; an export
//! that fails leaves no file that looks complete, and one killed and resumed writes what one whole
//! run writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use calllogs_reference::{Emulation, Knobs, ServerConfig, ServerHandle};
use unpod_calllogs::{CallLog, CallLogQuery, Client, Dialect};

mod common;
use common::{synced_form, synced_rows};

const BIN: &str = env!("CARGO_BIN_EXE_unpod-calllogs");

fn temp(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("unpod-cli-{}-{name}", std::process::id()));
    remove(&path);
    path
}

fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn command(server: &ServerHandle, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("UNPOD_BASE_URL", server.url())
        .env("UNPOD_PLATFORM_TOKEN", server.token())
        .env("UNPOD_ORG_HANDLE", server.org_handle())
        .env_remove("UNPOD_DIALECT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn rows(db: &Path) -> BTreeMap<String, String> {
    synced_rows(db, "call_logs")
}

fn expected(records: &[CallLog]) -> BTreeMap<String, String> {
    synced_form(records)
}

/// A pseudo-random delay in `0..bound` milliseconds, different on every call.
fn delay(bound: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Duration::from_millis(u64::from(nanos) % bound)
}

/// Whether a sync state (as JSON, if any) holds a run that stopped before its end.
fn unfinished(state: Option<String>) -> bool {
    state.is_some_and(|state| !state.contains("\"run\":null"))
}

/// Whether the SQLite table's state holds a run that stopped before its end.
fn interrupted(db: &Path) -> bool {
    let Ok(connection) = rusqlite::Connection::open(db) else {
        return false;
    };
    unfinished(
        connection
            .query_row("SELECT state FROM _unpod_sync_state", [], |row| row.get(0))
            .ok(),
    )
}

/// Runs the command again and again, killing it after a random delay, until one run finishes; returns
/// how many runs were killed, and how many of those had written part of a run (`interrupted`).
fn run_until_done(
    server: &ServerHandle,
    interrupted: impl Fn() -> bool,
    args: &[&str],
) -> (u32, u32) {
    let (mut killed, mut midway) = (0, 0);
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "never finished"
        );
        let mut child = command(server, args).spawn().unwrap();
        // Early runs are killed quickly; later ones are given longer, so that the loop ends.
        let wait = delay(40 + 40 * u64::from(killed));
        std::thread::sleep(wait);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            child.wait().unwrap();
            killed += 1;
            midway += u32::from(interrupted());
            continue;
        }
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args:?} failed: {stderr}");
        return (killed, midway);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn server_records(
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    query: CallLogQuery,
) -> Vec<CallLog> {
    let mut all = runtime
        .block_on(client.call_logs().collect_all(query.page_size(1000), 4))
        .unwrap();
    all.sort_by_key(|r| r.creation_time);
    all
}

#[test]
fn a_sync_killed_at_random_moments_and_run_again_holds_exactly_the_servers_records() {
    let runtime = runtime();
    let knobs = Knobs::default().latency(Duration::from_millis(2));
    let server = runtime
        .block_on(calllogs_reference::start(
            ServerConfig::seeded(4000, 21).knobs(knobs),
        ))
        .unwrap();
    let db = temp("killed.db");
    let spec = db.display().to_string();
    let args = ["sync", &spec, "--max-records", "150", "--page-size", "50"];
    let (killed, midway) = run_until_done(&server, || interrupted(&db), &args);
    let client = common::client(&server);
    let all = server_records(&runtime, &client, CallLogQuery::new());
    assert_eq!(rows(&db), expected(&all), "after {killed} runs killed");
    assert!(
        midway > 0,
        "no run was killed half-way ({killed} killed): the test proved nothing"
    );
    eprintln!("{killed} runs killed, {midway} of them half-way");

    // Run again: nothing new, and the summary says so.
    let output = command(&server, &[&args[..], &["--json"]].concat())
        .output()
        .unwrap();
    assert!(output.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["new"], 0, "{summary}");
    assert_eq!(summary["resumed"], false, "{summary}");
    remove(&db);
}

#[test]
fn a_sync_into_parquet_killed_at_random_moments_holds_exactly_the_servers_records() {
    let runtime = runtime();
    let knobs = Knobs::default()
        .latency(Duration::from_millis(2))
        .real_world_records(true);
    let server = runtime
        .block_on(calllogs_reference::start(
            ServerConfig::seeded(3000, 22).knobs(knobs),
        ))
        .unwrap();
    let lake = temp("killed-lake");
    let _ = std::fs::remove_dir_all(&lake);
    let spec = format!("parquet:{}", lake.display());
    let args = ["sync", &spec, "--max-records", "150", "--page-size", "50"];
    let state = lake.join("call_logs").join("_unpod_sync_state.json");
    let interrupted = || unfinished(std::fs::read_to_string(&state).ok());
    let (killed, midway) = run_until_done(&server, interrupted, &args);
    assert!(midway > 0, "no run was killed half-way ({killed} killed)");
    let client = common::client(&server);
    let all = server_records(&runtime, &client, CallLogQuery::new());
    let rows = common::parquet_rows(&lake, "call_logs");
    let count = rows.len();
    let keyed: BTreeMap<String, String> = rows.into_iter().map(|(k, d, _)| (k, d)).collect();
    assert_eq!(keyed.len(), count, "a key twice in the lake");
    assert_eq!(keyed, expected(&all), "after {killed} runs killed");
    std::fs::remove_dir_all(&lake).unwrap();
}

#[test]
fn a_killed_sync_of_the_unpod_v2_emulation_resumes_from_its_last_chunk() {
    let runtime = runtime();
    let config = Emulation::UnpodV2.apply(ServerConfig::seeded(3000, 4));
    let knobs = config.knobs.clone().latency(Duration::from_millis(2));
    let config = config.knobs(knobs);
    let server = runtime.block_on(calllogs_reference::start(config)).unwrap();
    let db = temp("killed-v2.db");
    let spec = db.display().to_string();
    let args = [
        "sync",
        &spec,
        "--dialect",
        "unpod-v2",
        "--header",
        "Product-Id: unpod.ai",
        "--max-records",
        "200",
        "--page-size",
        "100",
    ];
    let (killed, midway) = run_until_done(&server, || interrupted(&db), &args);
    assert!(midway > 0, "no run was killed half-way ({killed} killed)");
    let client = Client::builder()
        .token(server.token())
        .org_handle(server.org_handle())
        .base_url(server.url())
        .header("Product-Id", "unpod.ai")
        .dialect(Dialect::UnpodV2)
        .build()
        .unwrap();
    let all = server_records(&runtime, &client, CallLogQuery::new());
    assert_eq!(rows(&db), expected(&all), "after {killed} runs killed");
    remove(&db);
}

#[test]
fn an_export_that_fails_leaves_no_file_and_says_how_many_records_it_had_written() {
    let runtime = runtime();
    let knobs = Knobs::default().latency(Duration::from_millis(40));
    let server = runtime
        .block_on(calllogs_reference::start(
            ServerConfig::seeded(30_000, 2).knobs(knobs),
        ))
        .unwrap();
    let file = temp("export.csv");
    let spec = file.display().to_string();
    let child = command(&server, &["export", &spec]).spawn().unwrap();
    // Stop the server once the export has begun writing.
    let partial = PathBuf::from(format!("{spec}.partial"));
    let begun = Instant::now();
    while !std::fs::metadata(&partial).is_ok_and(|m| m.len() > 0) {
        assert!(
            begun.elapsed() < Duration::from_secs(30),
            "the export never began"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    runtime.block_on(server.shutdown());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!file.exists(), "no file that looks complete");
    let lines = std::fs::read_to_string(&partial).unwrap().lines().count();
    assert!(
        stderr.contains(&format!(
            "was not written: the export stopped after {} records, which are in {}",
            lines - 1,
            partial.display()
        )),
        "{stderr}"
    );
    for leftover in [partial, PathBuf::from(format!("{spec}.partial.json"))] {
        std::fs::remove_file(leftover).unwrap();
    }
}

#[test]
fn an_export_killed_at_random_moments_and_resumed_writes_what_one_whole_run_writes() {
    let runtime = runtime();
    let knobs = Knobs::default().latency(Duration::from_millis(15));
    let server = runtime
        .block_on(calllogs_reference::start(
            ServerConfig::seeded(20_000, 4).knobs(knobs),
        ))
        .unwrap();
    let (whole, resumed) = (temp("whole.csv"), temp("resumed.csv"));
    let output = command(&server, &["export", &whole.display().to_string()])
        .output()
        .unwrap();
    assert!(output.status.success());
    let spec = resumed.display().to_string();
    let partial = PathBuf::from(format!("{spec}.partial"));
    let (killed, midway) = run_until_done(
        &server,
        || partial.exists() && !resumed.exists(),
        &["export", &spec, "--resume"],
    );
    assert!(midway > 0, "no run was killed midway ({killed} killed)");
    assert!(
        std::fs::read(&resumed).unwrap() == std::fs::read(&whole).unwrap(),
        "after {killed} runs killed"
    );
    assert!(!partial.exists());
    for path in [whole, resumed] {
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn an_export_is_complete_and_the_token_is_never_an_argument_or_printed() {
    let runtime = runtime();
    let server = runtime
        .block_on(calllogs_reference::start(ServerConfig::seeded(500, 2)))
        .unwrap();
    let file = temp("whole.ndjson");
    let spec = file.display().to_string();
    let output = command(&server, &["export", &spec, "--call-status", "missed"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = std::fs::read_to_string(&file).unwrap().lines().count();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.starts_with(&format!("{lines} records written")),
        "{said}"
    );
    assert!(lines > 0);
    std::fs::remove_file(&file).unwrap();

    let output = command(&server, &["list", "--limit", "3"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 3);
    let output = command(&server, &["sync", "x.db", "--token", "t"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = command(&server, &["list", "--call-status", "busyy"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("call_status") && !stderr.contains(server.token()),
        "{stderr}"
    );
}

/// The rows of a synced PostgreSQL table (key to digest) and its sync state.
async fn postgres_rows(
    url: &str,
) -> (
    BTreeMap<String, String>,
    Option<String>,
    Vec<(String, String)>,
) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let rows = client
        .query("SELECT record_key, record_digest FROM call_logs", &[])
        .await
        .map(|rows| rows.iter().map(|row| (row.get(0), row.get(1))).collect())
        .unwrap_or_default();
    let state = client
        .query_opt("SELECT state::text FROM _unpod_sync_state", &[])
        .await
        .ok()
        .flatten()
        .map(|row| row.get(0));
    let types = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = 'call_logs' ORDER BY ordinal_position",
            &[],
        )
        .await
        .map(|rows| rows.iter().map(|row| (row.get(0), row.get(1))).collect())
        .unwrap_or_default();
    (rows, state, types)
}

#[test]
fn a_sync_into_postgresql_killed_at_random_moments_holds_exactly_the_servers_records_with_types() {
    let runtime = runtime();
    let cluster = common::postgres::Cluster::start("killed");
    let url = cluster.url();
    let knobs = Knobs::default()
        .latency(Duration::from_millis(2))
        .real_world_records(true);
    let server = runtime
        .block_on(calllogs_reference::start(
            ServerConfig::seeded(3000, 8).knobs(knobs),
        ))
        .unwrap();
    let args = ["sync", &url, "--max-records", "150", "--page-size", "50"];
    let interrupted = || unfinished(runtime.block_on(postgres_rows(&url)).1);
    let (killed, midway) = run_until_done(&server, interrupted, &args);
    assert!(midway > 0, "no run was killed half-way ({killed} killed)");
    let client = common::client(&server);
    let all = server_records(&runtime, &client, CallLogQuery::new());
    let (rows, _, types) = runtime.block_on(postgres_rows(&url));
    assert_eq!(rows, expected(&all), "after {killed} runs killed");
    let types: BTreeMap<String, String> = types.into_iter().collect();
    assert_eq!(types["creation_time"], "timestamp with time zone");
    assert_eq!(types["end_time"], "timestamp with time zone");
    assert_eq!(types["call_duration"], "double precision");
    assert_eq!(types["extra"], "jsonb");

    // The URL's password never shows, in what the command says or in its errors.
    let secret = "postgresql://calllogs:hunter2@127.0.0.1:1/postgres?sslmode=disable";
    let output = command(&server, &["sync", secret]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("PostgreSQL database postgres on 127.0.0.1:1"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
