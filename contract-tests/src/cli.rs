//! The `calllogs-contract` command line: the contract suite against any endpoint, the schemas, and
//! the reference server. [`main`] is the one entry point: the `calllogs-contract` binary calls it,
//! and so do the Python wheel's console script and the npm package's `bin`, through their native
//! modules, so every way of getting the command runs the same code.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::{openapi, schema, suite};
use calllogs_reference::{Fault, Knobs, Records, ServerConfig};
use clap::{Args, Parser, Subcommand};

mod list;
mod run;

/// Test servers against the Unpod call-logs contract, or serve the reference implementation.
#[derive(Debug, Parser)]
#[command(name = "calllogs-contract", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Test an endpoint against the contract (the embedded reference server when neither
    /// --base-url nor UNPOD_BASE_URL is given).
    #[command(after_help = run::EXIT_CODES)]
    Run(Box<run::RunArgs>),
    /// List the checks with their ids: the call-logs run's, then those of `run --openapi`
    /// (`list.*`).
    Checks,
    /// List the deviations the diagnosis can name, with their ids (for `run --accept`).
    Deviations,
    /// Write the JSON Schemas and the OpenAPI document.
    Schema(SchemaArgs),
    /// Read a list operation of an OpenAPI document (JSON or YAML) with its extensions
    /// (docs/LIST-EXTENSIONS.md) and say which checks it gives a basis for, and why not the others.
    Plan(PlanArgs),
    /// Serve the reference implementation of the contract until interrupted.
    Serve(Box<ServeArgs>),
}

#[derive(Debug, Args)]
struct SchemaArgs {
    /// The folder to write into.
    #[arg(long, default_value = "schema")]
    out: PathBuf,
    /// Write nothing; exit 1 when a file is missing or differs from what the code generates.
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Args)]
struct PlanArgs {
    /// The OpenAPI 3.0 or 3.1 document, JSON or YAML.
    #[arg(long, value_name = "DOC")]
    openapi: PathBuf,
    /// The operationId (or `GET /path`) of the list operation; needed when it has several.
    #[arg(long, value_name = "OPERATION_ID")]
    operation: Option<String>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// How many records to generate for the organization.
    #[arg(long, default_value_t = calllogs_reference::DEFAULT_RECORDS)]
    records: usize,
    /// Seed of the generated records and of the knobs' random decisions.
    #[arg(long, default_value_t = calllogs_reference::DEFAULT_SEED)]
    seed: u64,
    /// When the generated history ends: `now` (so that "the last week" holds calls) or an ISO
    /// 8601 date or date-time (default 2026-03-01, so that runs repeat).
    #[arg(long, value_name = "WHEN", value_parser = calllogs_reference::data::parse_history_end)]
    end_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Serve these records instead (a JSON array, a page, or NDJSON).
    #[arg(long, value_name = "FILE", conflicts_with = "records")]
    data: Option<PathBuf>,
    /// The token that reads the organization.
    #[arg(long, default_value = calllogs_reference::DEFAULT_TOKEN)]
    token: String,
    /// The organization's handle.
    #[arg(long, default_value = calllogs_reference::DEFAULT_ORG_HANDLE)]
    org_handle: String,
    /// Milliseconds added before every answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share (0..1) of requests answered 500/503.
    #[arg(long, default_value_t = 0.0, value_parser = run::share, allow_negative_numbers = true)]
    error_rate: f64,
    /// Share (0..1) of requests answered 429.
    #[arg(long, default_value_t = 0.0, value_parser = run::share, allow_negative_numbers = true)]
    throttle_rate: f64,
    /// Retry-After of 429 answers, in seconds.
    #[arg(long, default_value_t = calllogs_reference::DEFAULT_RETRY_AFTER_SECS)]
    retry_after: u64,
    /// New calls added before each request is answered.
    #[arg(long, default_value_t = 0)]
    live_inserts: u32,
    /// Statuses for the first requests, in order, before normal service (e.g. 503,429).
    #[arg(long, value_delimiter = ',', value_name = "STATUS,...")]
    script: Vec<u16>,
    /// Serve at most N records a page whatever page_size asks, silently (Django REST framework's
    /// max_page_size).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    page_size_cap: Option<u32>,
    /// The page size when the request sends none (the contract's is 20).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    default_page_size: Option<u32>,
    /// How a page past the last is answered: empty (200), 400 or 404.
    #[arg(long, value_name = "ANSWER", default_value = "empty")]
    past_last: calllogs_reference::PastLast,
    /// Accept this filter and ignore it (repeatable: call_type, call_status, start_date, end_date).
    #[arg(long, value_name = "NAME")]
    ignore_filter: Vec<calllogs_reference::Filter>,
    /// Compress answers with gzip when the request's Accept-Encoding allows it.
    #[arg(long)]
    compress: bool,
    /// Send at most this many bytes a second on each connection (a slow link; 2500000 is 20 Mbit/s).
    #[arg(long, value_name = "BYTES_PER_SEC", value_parser = clap::value_parser!(u64).range(1..))]
    bandwidth: Option<u64>,
    /// Break one invariant of the contract on purpose (see --list-faults; repeatable).
    #[arg(long, value_name = "NAME")]
    fault: Vec<Fault>,
    /// Behave like a real server: unpod-v2 (the public Unpod v2 code: CONTRACT.md items 1-9) or
    /// drf-pagination (a Django REST framework page-number view: items 10-11).
    #[arg(long, value_name = "SERVER")]
    emulate: Option<calllogs_reference::Emulation>,
    /// Seconds a connection may take to send a request's head, or stay idle, before it is closed.
    #[arg(long, default_value = "10", value_parser = run::timeout_secs, allow_negative_numbers = true)]
    header_read_timeout: Duration,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, default_value_t = calllogs_reference::DEFAULT_MAX_CONNECTIONS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_connections: usize,
    /// List the fault modes and exit.
    #[arg(long)]
    list_faults: bool,
}

/// Runs the command line with these arguments (the first is the program's name, as in
/// [`std::env::args_os`]) and returns its exit status: 0 passed, 1 a violation, 2 a usage error or
/// an unreadable endpoint, 3 incomplete (see `run --help`). Help and usage errors are printed as
/// clap prints them; a panic is reported on stderr and ends in status 101, as a Rust program's
/// does, so that no caller (a Python or Node process) is unwound through.
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    unpod_calllogs::cli::entry(args, dispatch)
}

#[allow(clippy::print_stdout)]
fn dispatch(cli: Cli, runtime: &tokio::runtime::Runtime) -> u8 {
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(*args)),
        Command::Run(args) => run::run(runtime, *args),
        Command::Checks => {
            let call_logs = suite::CHECKS.iter().map(|c| (c.id, c.description));
            for (id, description) in call_logs.chain(suite::list_checks()) {
                println!("{id:<22} {description}");
            }
            0
        }
        Command::Deviations => {
            for (id, title, informational) in suite::diagnosis::catalogue() {
                let note = if informational {
                    " (informational)"
                } else {
                    ""
                };
                println!("{id:<32} {title}{note}");
            }
            0
        }
        Command::Schema(args) => write_schema(&args),
        Command::Plan(args) => plan(&args),
    }
}

#[allow(clippy::print_stdout)]
fn plan(args: &PlanArgs) -> u8 {
    let document = std::fs::read(&args.openapi)
        .map_err(|e| e.to_string())
        .and_then(|bytes| openapi::document(&bytes));
    let list =
        document.and_then(|document| openapi::list_operation(&document, args.operation.as_deref()));
    let list = match list {
        Ok(list) => list,
        Err(error) => {
            eprintln!("error: {}: {error}", args.openapi.display());
            return 2;
        }
    };
    println!("{} ({})", list.name, list.path);
    for (check, basis) in openapi::basis(&list) {
        match basis {
            Ok(what) => println!("  check  {check:<24} {what}"),
            Err(missing) => println!("  skip   {check:<24} {missing}"),
        }
    }
    0
}

fn write_schema(args: &SchemaArgs) -> u8 {
    match schema::write(&args.out, args.check) {
        Ok(stale) if args.check && !stale.is_empty() => {
            eprintln!(
                "stale in {}: {}; regenerate with `calllogs-contract schema --out {}`",
                args.out.display(),
                stale.join(", "),
                args.out.display()
            );
            1
        }
        Ok(written) => {
            if !args.check {
                println!(
                    "{} files in {}, {} changed",
                    schema::files().len(),
                    args.out.display(),
                    written.len()
                );
            }
            0
        }
        Err(error) => {
            eprintln!("error: {}: {error}", args.out.display());
            2
        }
    }
}

#[allow(clippy::print_stdout)]
async fn serve(args: ServeArgs) -> u8 {
    if args.list_faults {
        for fault in Fault::ALL {
            println!("{:<24} {}", fault.name(), fault.description());
        }
        return 0;
    }
    let records = match &args.data {
        Some(path) => match calllogs_reference::data::load(path) {
            Ok(records) => Records::Given(records),
            Err(error) => {
                eprintln!("error: {error}");
                return 2;
            }
        },
        None => Records::Generated {
            count: args.records,
            seed: args.seed,
        },
    };
    let knobs = Knobs::default()
        .latency(Duration::from_millis(args.latency_ms))
        .error_rate(args.error_rate)
        .throttle_rate(args.throttle_rate)
        .retry_after_secs(args.retry_after)
        .script(args.script)
        .live_inserts(args.live_inserts)
        .page_size_cap(args.page_size_cap)
        .default_page_size(args.default_page_size)
        .past_last(args.past_last)
        .ignored_filters(args.ignore_filter)
        .compression(args.compress)
        .bandwidth(args.bandwidth);
    let config = ServerConfig::default()
        .host(args.host)
        .port(args.port)
        .token(args.token)
        .org_handle(args.org_handle)
        .records(records)
        .seed(args.seed)
        .knobs(knobs)
        .faults(args.fault)
        .history_end(args.end_at)
        .header_read_timeout(args.header_read_timeout)
        .max_connections(args.max_connections);
    let emulated = args.emulate;
    let config = match emulated {
        Some(server) => server.apply(config),
        None => config,
    };
    let faults = config.faults.clone();
    let server = match calllogs_reference::start(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: {error}");
            return 2;
        }
    };
    // Polled once before the banner, so that Ctrl-C is handled from the moment anyone can read that
    // the server runs (the handler is installed on the first poll).
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    let early =
        std::future::poll_fn(|cx| std::task::Poll::Ready(interrupted.as_mut().poll(cx))).await;
    let endpoint = format!("{}/{}", server.url(), unpod_calllogs::CALL_LOGS_PATH);
    let mut banner = format!(
        "serving the call-logs contract at {url}\n  endpoint:   {endpoint}\n  token:      {token}\n  \
         org handle: {org}\n  also:       org {foreign:?} (token {foreign_token:?}), for 403 tests\n",
        url = server.url(),
        token = server.token(),
        org = server.org_handle(),
        foreign = calllogs_reference::FOREIGN_ORG_HANDLE,
        foreign_token = calllogs_reference::FOREIGN_TOKEN,
    );
    if let Some(server) = emulated {
        banner.push_str(&format!("  EMULATES:   {}\n", server.name()));
    }
    for fault in faults {
        banner.push_str(&format!(
            "  FAULT:      {} ({})\n",
            fault.name(),
            fault.description()
        ));
    }
    banner.push_str(&format!(
        "try: curl -H 'Authorization: Token {}' -H 'Org-Handle: {}' '{endpoint}?page_size=2'\n",
        server.token(),
        server.org_handle(),
    ));
    // A closed stdout (`serve | head -1`) must not stop the server.
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    if early.is_pending() {
        let _ = interrupted.await;
    }
    server.shutdown().await;
    0
}
