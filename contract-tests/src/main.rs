//! `calllogs-contract`: the reference server and the contract suite of the call-logs API.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use calllogs_contract::probe::{Limits, Probe, Target};
use calllogs_contract::{report, schema, suite};
use calllogs_reference::{Fault, Knobs, Records, ServerConfig};
use clap::{Args, Parser, Subcommand, ValueEnum};
use unpod_calllogs::SecretToken;

/// Test servers against the Unpod call-logs contract, or serve the reference implementation.
#[derive(Debug, Parser)]
#[command(name = "calllogs-contract", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Test an endpoint against the contract (the embedded reference server when no --base-url).
    Run(RunArgs),
    /// List the checks with their ids.
    Checks,
    /// Write the JSON Schemas and the OpenAPI document.
    Schema(SchemaArgs),
    /// Serve the reference implementation of the contract until interrupted.
    Serve(ServeArgs),
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

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
    Junit,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The server to test, e.g. https://staging.example.com. Without it, the embedded reference
    /// server is started and tested.
    #[arg(long)]
    base_url: Option<String>,
    /// The API token.
    #[arg(long, env = "UNPOD_PLATFORM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The organization the token reads.
    #[arg(long, env = "UNPOD_ORG_HANDLE")]
    org_handle: Option<String>,
    /// An extra header for every request, `Name: value` (repeatable), e.g. 'Product-Id: unpod.ai'.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// An existing organization the token may not read, to check for 403.
    #[arg(long)]
    foreign_org_handle: Option<String>,
    /// Generated cases per property check.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    cases: u32,
    /// Seed of every random choice; the same seed replays the same requests.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Requests at most over the whole run.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    max_requests: u64,
    /// Requests per second at most (default: 10, unlimited on loopback).
    #[arg(long, value_parser = positive_number, allow_negative_numbers = true)]
    rps: Option<f64>,
    /// Seconds allowed for one request.
    #[arg(long, default_value = "10", value_parser = timeout_secs, allow_negative_numbers = true)]
    timeout: Duration,
    /// Run only this check or group (repeatable).
    #[arg(long, value_name = "CHECK")]
    only: Vec<String>,
    /// Skip this check or group (repeatable).
    #[arg(long, value_name = "CHECK")]
    skip: Vec<String>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Embedded server only: how many records it holds.
    #[arg(long, default_value_t = 1000, conflicts_with = "base_url")]
    records: usize,
    /// Embedded server only: break one invariant on purpose (see `serve --list-faults`).
    #[arg(long, value_name = "NAME", conflicts_with = "base_url")]
    fault: Option<Fault>,
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
    #[arg(long, default_value_t = 0.0, value_parser = share, allow_negative_numbers = true)]
    error_rate: f64,
    /// Share (0..1) of requests answered 429.
    #[arg(long, default_value_t = 0.0, value_parser = share, allow_negative_numbers = true)]
    throttle_rate: f64,
    /// Retry-After of 429 answers, in seconds.
    #[arg(long, default_value_t = 1)]
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
    /// Break one invariant of the contract on purpose (see --list-faults).
    #[arg(long, value_name = "NAME")]
    fault: Option<Fault>,
    /// Seconds a connection may take to send a request's head, or stay idle, before it is closed.
    #[arg(long, default_value = "10", value_parser = timeout_secs, allow_negative_numbers = true)]
    header_read_timeout: Duration,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, default_value_t = calllogs_reference::DEFAULT_MAX_CONNECTIONS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_connections: usize,
    /// List the fault modes and exit.
    #[arg(long)]
    list_faults: bool,
}

#[allow(clippy::print_stdout)]
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
        Command::Run(args) => run(&runtime, args),
        Command::Checks => {
            for check in suite::CHECKS {
                println!("{:<22} {}", check.id, check.description);
            }
            ExitCode::SUCCESS
        }
        Command::Schema(args) => write_schema(&args),
    }
}

fn write_schema(args: &SchemaArgs) -> ExitCode {
    match schema::write(&args.out, args.check) {
        Ok(stale) if args.check && !stale.is_empty() => {
            eprintln!(
                "stale in {}: {}; regenerate with `calllogs-contract schema --out {}`",
                args.out.display(),
                stale.join(", "),
                args.out.display()
            );
            ExitCode::from(1)
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
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {}: {error}", args.out.display());
            ExitCode::from(2)
        }
    }
}

fn timeout_secs(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    unpod_calllogs::timeout_from_secs(seconds)
        .map_err(|_| format!("must be a positive, finite number of seconds (got {text})"))
}

fn positive_number(text: &str) -> Result<f64, String> {
    let number: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if number.is_finite() && number > 0.0 {
        Ok(number)
    } else {
        Err(format!("must be a positive, finite number (got {text})"))
    }
}

fn share(text: &str) -> Result<f64, String> {
    let number: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&number) {
        Ok(number)
    } else {
        Err(format!("must be a share between 0 and 1 (got {text})"))
    }
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn run(runtime: &tokio::runtime::Runtime, args: RunArgs) -> ExitCode {
    let unknown = suite::unknown_checks(&[args.only.clone(), args.skip.clone()].concat());
    if !unknown.is_empty() {
        return usage(format!(
            "unknown checks: {} (see `calllogs-contract checks`)",
            unknown.join(", ")
        ));
    }
    let mut headers = Vec::new();
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return usage(format!("--header {header:?} is not `Name: value`"));
        };
        let (name, value) = (name.trim(), value.trim());
        if let Err(rule) = unpod_calllogs::query::extra_header(name, value) {
            return usage(format!(
                "--header {name:?}: {rule} (the token comes from --token or UNPOD_PLATFORM_TOKEN, the organization from --org-handle)"
            ));
        }
        headers.push((name.to_owned(), value.to_owned()));
    }
    let mut _server = None;
    let target = match &args.base_url {
        Some(base_url) => {
            let (Some(token), Some(org_handle)) = (args.token.clone(), args.org_handle.clone())
            else {
                return usage(
                    "--base-url needs --token (or UNPOD_PLATFORM_TOKEN) and --org-handle",
                );
            };
            Target {
                base_url: base_url.clone(),
                token: SecretToken::new(token),
                org_handle,
                foreign_org_handle: args.foreign_org_handle.clone(),
                headers,
            }
        }
        None => {
            let config = ServerConfig {
                fault: args.fault,
                ..ServerConfig::seeded(args.records, args.seed)
            };
            let server = match runtime.block_on(calllogs_reference::start(config)) {
                Ok(server) => server,
                Err(error) => return usage(error),
            };
            let target = Target {
                base_url: server.url().to_owned(),
                token: SecretToken::new(server.token()),
                org_handle: server.org_handle().to_owned(),
                foreign_org_handle: Some(calllogs_reference::FOREIGN_ORG_HANDLE.to_owned()),
                headers,
            };
            _server = Some(server);
            target
        }
    };
    let loopback = reqwest::Url::parse(&target.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .is_some_and(|h| {
            h == "localhost"
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
                || h == "[::1]"
        });
    let limits = Limits {
        max_requests: args.max_requests,
        rps: args.rps.or((!loopback).then_some(10.0)),
        timeout: args.timeout,
    };
    // Whatever the server echoed, the token never reaches a report, in any format.
    let token = target.token.clone();
    let probe = match Probe::new(runtime.handle().clone(), target, limits) {
        Ok(probe) => probe,
        Err(error) => return usage(error),
    };
    let options = suite::Options {
        cases: args.cases,
        seed: args.seed,
        only: args.only,
        skip: args.skip,
    };
    let report = match suite::run(&probe, &options) {
        Ok(report) => report,
        Err(fatal) => return usage(token.scrub(&fatal.to_string())),
    };
    let rendered = token.scrub(&match args.format {
        Format::Text => report::text(&report),
        Format::Json => report::json(&report),
        Format::Junit => report::junit(&report),
    });
    match &args.output {
        Some(path) => {
            if let Err(error) = std::fs::write(path, &rendered) {
                return usage(format!("{}: {error}", path.display()));
            }
            print!(
                "{}",
                token.scrub(
                    &report::text(&report)
                        .lines()
                        .last()
                        .map(|l| format!("{l}\n"))
                        .unwrap_or_default()
                )
            );
        }
        None => print!("{rendered}"),
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
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
            script: args.script,
            live_inserts: args.live_inserts,
            page_size_cap: args.page_size_cap,
            default_page_size: args.default_page_size,
            past_last: args.past_last,
            ignored_filters: args.ignore_filter,
        },
        fault: args.fault,
        header_read_timeout: args.header_read_timeout,
        max_connections: args.max_connections,
    };
    let server = match calllogs_reference::start(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
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
    if let Some(fault) = args.fault {
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
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}
