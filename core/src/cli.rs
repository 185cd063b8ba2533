//! The `unpod-calllogs` command line: `sync` a table, `export` a file, `list` records. [`main`] is
//! its one entry point: the binary calls it, and so do the Python wheel's console script and the
//! npm package's `bin`, through their native modules.
//!
//! It reads the clients' variables (`UNPOD_PLATFORM_TOKEN`, `UNPOD_ORG_HANDLE`, `UNPOD_BASE_URL`,
//! `UNPOD_DIALECT`); the token is never taken as an argument (other users of the machine can read
//! a process's arguments) and never printed.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::export::{self, Format};
use crate::sync::{Progress, Summary, Sync, SyncSettings, destination};
use crate::{CallLogQuery, Client, DateBound, Error, PagerOptions};

/// Read call logs from the Unpod platform API: keep a table in step, export a file, list records.
#[derive(Debug, Parser)]
#[command(name = "unpod-calllogs", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Keep a table of call logs in step: resumable, exactly once (a file path is a SQLite database).
    Sync(Box<SyncArgs>),
    /// Write the matching records to a file (CSV or NDJSON), complete or not at all.
    Export(Box<ExportArgs>),
    /// Print the matching records, one JSON object a line.
    List(Box<ListArgs>),
}

/// Where and how to connect: the variables first, these flags over them.
#[derive(Debug, Args)]
struct Connection {
    /// The server (default: UNPOD_BASE_URL, else the platform).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// The organization (default: UNPOD_ORG_HANDLE).
    #[arg(long, value_name = "HANDLE")]
    org_handle: Option<String>,
    /// An extra header sent with every request (repeatable), e.g. 'Product-Id: unpod.ai'.
    #[arg(long, value_name = "NAME: VALUE")]
    header: Vec<String>,
    /// A server known to differ from the contract: unpod-v2 (default: UNPOD_DIALECT).
    #[arg(long, value_name = "NAME")]
    dialect: Option<String>,
}

impl Connection {
    fn client(&self) -> Result<Client, Error> {
        let mut builder = Client::builder().binding("cli");
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        if let Some(org) = &self.org_handle {
            builder = builder.org_handle(org);
        }
        for header in &self.header {
            let (name, value) = header.split_once(':').ok_or_else(|| {
                Error::Config(format!("--header {header:?}: expected NAME: VALUE"))
            })?;
            builder = builder.header(name.trim(), value.trim());
        }
        if let Some(dialect) = &self.dialect {
            builder = builder.dialect_named(dialect);
        }
        builder.env_defaults().build()
    }
}

/// The filters every subcommand takes.
#[derive(Debug, Args)]
struct Filters {
    /// inbound or outbound.
    #[arg(long, value_name = "TYPE")]
    call_type: Option<String>,
    /// completed, missed, failed or no-answer.
    #[arg(long, value_name = "STATUS")]
    call_status: Option<String>,
    /// The oldest creation_time: a date (its first instant, UTC) or an RFC 3339 date-time.
    #[arg(long, value_name = "WHEN")]
    start_date: Option<String>,
}

impl Filters {
    fn query(&self, end_date: Option<&str>) -> Result<CallLogQuery, Error> {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (name, value) in [
            ("call_type", self.call_type.as_deref()),
            ("call_status", self.call_status.as_deref()),
            ("start_date", self.start_date.as_deref()),
            ("end_date", end_date),
        ] {
            if let Some(value) = value {
                pairs.push((name, value));
            }
        }
        let query = CallLogQuery::from_pairs(pairs)?;
        query.validate()?;
        Ok(query)
    }
}

/// The upper bound of what `export` and `list` read (a sync has none: it reads up to now).
#[derive(Debug, Args)]
struct End {
    /// The newest creation_time: a date (the whole day, UTC) or an RFC 3339 date-time.
    #[arg(long, value_name = "WHEN")]
    end_date: Option<String>,
}

#[derive(Debug, Args)]
struct SyncArgs {
    /// Where to keep the table: a file path (or sqlite:PATH) is a SQLite database,
    /// postgresql://... a PostgreSQL database, parquet:DIR a directory of day-partitioned Parquet.
    destination: String,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    filters: Filters,
    /// The table (default call_logs).
    #[arg(long, default_value = crate::sync::DEFAULT_TABLE)]
    table: String,
    /// Seconds before the present a run stops at (calls still being written).
    #[arg(long, value_name = "SECONDS")]
    settle: Option<u64>,
    /// Seconds before the last run's end read again (calls whose logs arrive late).
    #[arg(long, value_name = "SECONDS")]
    lookback: Option<u64>,
    /// The most records one window may hold.
    #[arg(long, value_name = "N")]
    max_records: Option<u64>,
    /// The most pages one window may take.
    #[arg(long, value_name = "N")]
    max_pages: Option<u64>,
    /// The page size asked for (1 to 1000).
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
    /// Stop at this instant (RFC 3339) rather than now less the settle time, if earlier.
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The file to write (its suffix chooses the format: .csv, .ndjson, .jsonl).
    file: PathBuf,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    filters: Filters,
    #[command(flatten)]
    end: End,
    /// csv or ndjson (default: from the file's suffix).
    #[arg(long)]
    format: Option<String>,
    /// Continue an export that stopped (its records are in FILE.partial), else start afresh.
    #[arg(long)]
    resume: bool,
}

#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    filters: Filters,
    #[command(flatten)]
    end: End,
    /// Print at most this many records.
    #[arg(long, value_name = "N", default_value_t = 20)]
    limit: u64,
}

/// Runs the command line with these arguments (the program's name first) and returns its exit
/// status: 0 done, 1 the server failed or broke the contract (nothing wrong was written), 2 a
/// usage or configuration error.
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    entry(args, |cli: Cli, runtime| {
        let result = runtime.block_on(async {
            match cli.command {
                Command::Sync(args) => sync(*args).await,
                Command::Export(args) => export(*args).await,
                Command::List(args) => list(*args).await,
            }
        });
        match result {
            Ok(()) => 0,
            Err(error) => {
                eprintln!("error: {error}");
                match error {
                    Error::Config(_) | Error::InvalidQuery(_) => 2,
                    _ => 1,
                }
            }
        }
    })
}

/// What every command line of this workspace does around its own work: parses `args` as `C`
/// (help and usage errors printed as clap prints them, with its status), starts a multi-threaded
/// runtime, and runs `run` on it. A panic is reported on stderr and ends in status 101, as a Rust
/// program's does, so that no caller (a Python or Node process) is unwound through.
pub fn entry<C, I, T>(args: I, run: impl FnOnce(C, &tokio::runtime::Runtime) -> u8) -> u8
where
    C: Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match C::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return u8::try_from(error.exit_code()).unwrap_or(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return 2;
        }
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli, &runtime))).unwrap_or(101)
}

fn seconds(value: Option<u64>) -> Option<Duration> {
    value.map(Duration::from_secs)
}

async fn sync(args: SyncArgs) -> Result<(), Error> {
    let client = args.connection.client()?;
    let mut settings = SyncSettings::default().table(args.table.clone());
    if let Some(settle) = seconds(args.settle) {
        settings = settings.settle(settle);
    }
    if let Some(lookback) = seconds(args.lookback) {
        settings = settings.lookback(lookback);
    }
    if let Some(most) = args.max_records {
        settings = settings.max_records(most);
    }
    if let Some(most) = args.max_pages {
        settings = settings.max_pages(most);
    }
    if let Some(size) = args.page_size {
        settings = settings.page_size(size);
    }
    if let Some(until) = &args.until {
        let until = DateBound::parse(until)
            .ok_or_else(|| Error::Config(format!("--until {until:?}: not a date or date-time")))?;
        settings = settings.until(until.last_instant());
    }
    let query = args.filters.query(None)?;
    let bar = progress_bar();
    let shown = bar.clone();
    let mut sync = Sync::builder(client, destination::open(&args.destination)?)
        .query(query)
        .settings(settings)
        .on_progress(move |progress| tell(shown.as_ref(), progress))
        .build()?;
    let summary = sync.run().await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    print_summary(&summary, args.json);
    Ok(())
}

/// A bar of records on stderr when it is a terminal.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    let bar = std::io::stderr()
        .is_terminal()
        .then(indicatif::ProgressBar::no_length)?;
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "[{bar:30}] {pos}/{len} records, {msg} ({elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// Moves `bar` to `records` of `total`.
fn show(bar: &indicatif::ProgressBar, records: u64, total: Option<u64>, down_to: Option<&str>) {
    if let Some(total) = total {
        bar.set_length(total);
    }
    bar.set_position(records);
    if let Some(down_to) = down_to {
        bar.set_message(format!("down to {down_to}"));
    }
}

/// One window written: the bar moves on a terminal, a line is printed otherwise.
fn tell(bar: Option<&indicatif::ProgressBar>, progress: &Progress) {
    let counts = &progress.counts;
    let message = format!(
        "window {}: down to {}, {} new, {} updated, {} unchanged, {} deleted; {} requests",
        progress.windows,
        progress.down_to,
        counts.new,
        counts.updated,
        counts.unchanged,
        counts.deleted,
        progress.requests
    );
    match bar {
        Some(bar) => show(
            bar,
            progress.records,
            progress.total,
            Some(&progress.down_to),
        ),
        None => {
            let total = progress
                .total
                .map(|t| format!(" of {t}"))
                .unwrap_or_default();
            eprintln!("{message} ({} records{total})", progress.records);
        }
    }
}

#[allow(clippy::print_stdout)]
fn print_summary(summary: &Summary, json: bool) {
    if json {
        println!("{}", serde_json::to_string(summary).unwrap_or_default());
        return;
    }
    let from = summary.start.as_deref().unwrap_or("the first call");
    println!(
        "synced {from} to {}: {} new, {} updated, {} unchanged, {} deleted in {} windows, {} requests, {:.1} s{}",
        summary.until,
        summary.new,
        summary.updated,
        summary.unchanged,
        summary.deleted,
        summary.windows,
        summary.requests,
        summary.elapsed,
        if summary.resumed {
            " (an interrupted run finished)"
        } else {
            ""
        }
    );
}

#[allow(clippy::print_stdout)]
async fn export(args: ExportArgs) -> Result<(), Error> {
    let client = args.connection.client()?;
    let query = args.filters.query(args.end.end_date.as_deref())?;
    let path = args.file.to_string_lossy().into_owned();
    let format = Format::choose(args.format.as_deref(), Some(&path))?;
    let query = query.page_size(crate::defaults::DEFAULT_SYNC_PAGE_SIZE);
    let options = PagerOptions::new().prefetch(crate::DEFAULT_PREFETCH);
    let bar = progress_bar();
    let shown = bar.clone();
    let written = export::to_file(
        &client,
        query,
        options,
        format,
        &args.file,
        args.resume,
        move |progress| {
            if let Some(bar) = &shown {
                show(
                    bar,
                    progress.records,
                    progress.total,
                    progress.down_to.as_deref(),
                );
            }
        },
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match written {
        Ok(records) => {
            println!("{records} records written to {path}");
            Ok(())
        }
        Err(stopped) => {
            eprintln!(
                "{path} was not written: the export stopped after {} records, which are in {} (--resume continues it)",
                stopped.records,
                stopped.partial.display()
            );
            Err(stopped.error)
        }
    }
}

#[allow(clippy::print_stdout)]
async fn list(args: ListArgs) -> Result<(), Error> {
    let client = args.connection.client()?;
    let query = args
        .filters
        .query(args.end.end_date.as_deref())?
        .page_size(args.limit.clamp(1, u64::from(crate::query::MAX_PAGE_SIZE)) as u32);
    let mut pager = client
        .call_logs()
        .pages_with(query, PagerOptions::new().limit(args.limit));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    while let Some(records) = pager.next_page().await? {
        for record in records {
            let line = serde_json::to_string(&record).unwrap_or_default();
            if writeln!(out, "{line}").is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}
