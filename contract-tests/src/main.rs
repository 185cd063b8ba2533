//! `calllogs-contract`: the reference server and the contract suite of the call-logs API.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use calllogs_reference::{Fault, Knobs, Records, ServerConfig};
use clap::{Args, Parser, Subcommand};

/// Test servers against the Unpod call-logs contract, or serve the reference implementation.
#[derive(Debug, Parser)]
#[command(name = "calllogs-contract", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the reference implementation of the contract until interrupted.
    Serve(ServeArgs),
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
    #[arg(long, default_value_t = 1000)]
    records: usize,
    /// Seed of the generated records and of the knobs' random decisions.
    #[arg(long, default_value_t = 42)]
    seed: u64,
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
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share (0..1) of requests answered 429.
    #[arg(long, default_value_t = 0.0)]
    throttle_rate: f64,
    /// Retry-After of 429 answers, in seconds.
    #[arg(long, default_value_t = 1)]
    retry_after: u64,
    /// New calls added before each request is answered.
    #[arg(long, default_value_t = 0)]
    live_inserts: u32,
    /// Break one invariant of the contract on purpose (see --list-faults).
    #[arg(long, value_name = "NAME")]
    fault: Option<Fault>,
    /// List the fault modes and exit.
    #[arg(long)]
    list_faults: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
    }
}

#[allow(clippy::print_stdout)]
async fn serve(args: ServeArgs) -> ExitCode {
    if args.list_faults {
        for fault in Fault::ALL {
            println!("{:<24} {}", fault.name(), fault.description());
        }
        return ExitCode::SUCCESS;
    }
    let records = match &args.data {
        Some(path) => match calllogs_reference::data::load(path) {
            Ok(records) => Records::Given(records),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        },
        None => Records::Generated {
            count: args.records,
            seed: args.seed,
        },
    };
    let config = ServerConfig {
        host: args.host,
        port: args.port,
        token: args.token,
        org_handle: args.org_handle,
        records,
        seed: args.seed,
        knobs: Knobs {
            latency: Duration::from_millis(args.latency_ms),
            error_rate: args.error_rate,
            throttle_rate: args.throttle_rate,
            retry_after_secs: args.retry_after,
            script: Vec::new(),
            live_inserts: args.live_inserts,
        },
        fault: args.fault,
    };
    let server = match calllogs_reference::start(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    println!("serving the call-logs contract at {}", server.url());
    println!(
        "  endpoint:   {}/{}",
        server.url(),
        unpod_calllogs::CALL_LOGS_PATH
    );
    println!("  token:      {}", server.token());
    println!("  org handle: {}", server.org_handle());
    println!(
        "  also:       org {:?} (token {:?}), for 403 tests",
        calllogs_reference::FOREIGN_ORG_HANDLE,
        calllogs_reference::FOREIGN_TOKEN
    );
    if let Some(fault) = args.fault {
        println!("  FAULT:      {} ({})", fault.name(), fault.description());
    }
    println!(
        "try: curl -H 'Authorization: Token {}' -H 'Org-Handle: {}' '{}/{}?page_size=2'",
        server.token(),
        server.org_handle(),
        server.url(),
        unpod_calllogs::CALL_LOGS_PATH
    );
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}
