//! `calllogs-contract run`: the suite against a target, its progress, its report and its exit status.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::probe::{DEFAULT_MAX_REQUESTS, Limits, Probe, Target};
use crate::report::{self, Format};
use crate::suite::{self, Event, Outcome, Report};
use calllogs_reference::{Emulation, Fault, ServerConfig};
use clap::Args;
use unpod_calllogs::{BASE_URL_ENV, ORG_HANDLE_ENV, SecretToken, TOKEN_ENV};

/// Exit statuses of `run`, as `--help` lists them.
pub const EXIT_CODES: &str = "Exit status:
  0  every selected check ran to its end and passed, or failed only in ways accepted deviations
     explain (--accept, --baseline)
  1  a check found a violation of the contract that no accepted deviation explains, or the
     diagnosis named a deviation that is not accepted (informational ones aside); with
     --fail-on-fixed, also an accepted deviation that no longer occurs
  2  usage error, or the endpoint could not be read at all (no answer, or no page for a plain request)
  3  no violation found, but a check could not run to its end (its share of --max-requests ran out);
     --allow-incomplete makes this 0
A report file (--output) is written whatever the status, 2 included.";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The server to test, e.g. https://staging.example.com [env: UNPOD_BASE_URL]. Without either,
    /// the embedded reference server is started and tested.
    #[arg(long)]
    pub(super) base_url: Option<String>,
    /// The API token [env: UNPOD_PLATFORM_TOKEN].
    #[arg(long)]
    pub(super) token: Option<String>,
    /// The organization the token reads [env: UNPOD_ORG_HANDLE].
    #[arg(long)]
    pub(super) org_handle: Option<String>,
    /// An extra header for every request, `Name: value` (repeatable), e.g. 'Product-Id: unpod.ai'.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub(super) headers: Vec<String>,
    /// An existing organization the token may not read, to check for 403.
    #[arg(long)]
    pub(super) foreign_org_handle: Option<String>,
    /// Test the list operation this OpenAPI 3.0/3.1 document (JSON or YAML) describes, with the
    /// extensions of docs/LIST-EXTENSIONS.md, instead of the call-logs contract; credentials as
    /// --header. Without a target, the embedded reference server (its credentials added).
    #[arg(long, value_name = "DOC")]
    pub(super) openapi: Option<PathBuf>,
    /// With --openapi: the operationId (or `GET /path`) of the list operation, when the document
    /// has several.
    #[arg(long, value_name = "OPERATION_ID", requires = "openapi")]
    pub(super) operation: Option<String>,
    /// With --openapi: a header naming another identity the credentials may not read, `Name:
    /// value` (repeatable), e.g. 'Org-Handle: other-org', for the isolation check.
    #[arg(
        long = "foreign-header",
        value_name = "NAME: VALUE",
        requires = "openapi"
    )]
    pub(super) foreign_headers: Vec<String>,
    /// Generated cases per property check.
    #[arg(long, default_value_t = suite::DEFAULT_CASES, value_parser = clap::value_parser!(u32).range(1..))]
    pub(super) cases: u32,
    /// Seed of every random choice; the same seed replays the same requests.
    #[arg(long, default_value_t = suite::DEFAULT_SEED)]
    pub(super) seed: u64,
    /// Requests at most over the whole run, shared fairly among the checks.
    #[arg(long, default_value_t = DEFAULT_MAX_REQUESTS, value_parser = clap::value_parser!(u64).range(1..))]
    pub(super) max_requests: u64,
    /// Requests per second at most (default: 10, unlimited on loopback).
    #[arg(long, value_parser = positive_number, allow_negative_numbers = true)]
    pub(super) rps: Option<f64>,
    /// Seconds allowed for one request.
    #[arg(long, default_value = "10", value_parser = timeout_secs, allow_negative_numbers = true)]
    pub(super) timeout: Duration,
    /// The largest body read of one answer (default: the clients' limit); a larger one fails the
    /// check that asked for it.
    #[arg(long, value_name = "BYTES", default_value_t = unpod_calllogs::DEFAULT_MAX_BODY_BYTES,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub(super) max_body_bytes: usize,
    /// Run only this check or group (repeatable).
    #[arg(long, value_name = "CHECK")]
    pub(super) only: Vec<String>,
    /// Skip this check or group (repeatable).
    #[arg(long, value_name = "CHECK")]
    pub(super) skip: Vec<String>,
    /// Exit 0 rather than 3 when no violation was found but a check could not run to its end.
    #[arg(long)]
    pub(super) allow_incomplete: bool,
    /// Accept this known deviation (repeatable; ids as the diagnosis names them, see
    /// `calllogs-contract deviations`): the findings it explains are reported as accepted, not
    /// failed. Only findings it explains: anything else in the same check still fails.
    #[arg(long, value_name = "DEVIATION")]
    pub(super) accept: Vec<String>,
    /// Accept every deviation named in this JSON report of an earlier run (`--format json`).
    #[arg(long, value_name = "REPORT.json")]
    pub(super) baseline: Option<PathBuf>,
    /// Exit 1 when an accepted deviation no longer occurs (the server got fixed: the baseline is
    /// stale).
    #[arg(long)]
    pub(super) fail_on_fixed: bool,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub(super) format: Format,
    /// Write the report here instead of standard output (whatever the exit status).
    #[arg(long)]
    pub(super) output: Option<PathBuf>,
    /// Embedded server only: how many records it holds.
    #[arg(long)]
    pub(super) records: Option<usize>,
    /// Embedded server only: break one invariant on purpose (see `serve --list-faults`).
    #[arg(long, value_name = "NAME")]
    pub(super) fault: Option<Fault>,
    /// Embedded server only: behave like a real server (unpod-v2 or drf-pagination; see `serve`).
    #[arg(long, value_name = "SERVER")]
    pub(super) emulate: Option<Emulation>,
}

pub fn timeout_secs(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    unpod_calllogs::binding::coerce::timeout_from_secs(seconds)
        .map_err(|_| format!("must be a positive, finite number of seconds (got {text})"))
}

pub fn positive_number(text: &str) -> Result<f64, String> {
    let number: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if number.is_finite() && number > 0.0 {
        Ok(number)
    } else {
        Err(format!("must be a positive, finite number (got {text})"))
    }
}

pub fn share(text: &str) -> Result<f64, String> {
    let number: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&number) {
        Ok(number)
    } else {
        Err(format!("must be a share between 0 and 1 (got {text})"))
    }
}

/// Where the target came from, for the first line of the run.
enum Source {
    Flag,
    Env,
    Embedded,
}

/// What `run` was given, checked: the target, its credentials and the headers.
struct Plan {
    base_url: Option<String>,
    source: Source,
    /// The token and organization, when a target is set.
    credentials: Option<(SecretToken, String)>,
    headers: Vec<(String, String)>,
    /// The accepted deviations: `--accept` and the baseline's, each once.
    accept: Vec<String>,
}

/// The deviations a JSON report names.
fn baseline_deviations(path: &std::path::Path) -> Result<Vec<String>, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("--baseline {shown}: {e}"))?;
    let report: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("--baseline {shown} is not a JSON report (--format json): {e}"))?;
    if let Some(error) = report.get("error").and_then(|e| e.as_str()) {
        return Err(format!(
            "--baseline {shown} is the report of a run that could not test anything: {error}"
        ));
    }
    let Some(deviations) = report.get("diagnosis").and_then(|d| d.as_array()) else {
        return Err(format!(
            "--baseline {shown} has no \"diagnosis\" list: it is not a report of `run --format json`"
        ));
    };
    deviations
        .iter()
        .map(|d| {
            d.get("id")
                .and_then(|id| id.as_str())
                .map(str::to_owned)
                .ok_or_else(|| format!("--baseline {shown}: a deviation without an id: {d}"))
        })
        .collect()
}

/// An option's value: the flag's, else the variable's. Set but empty, either is a usage error
/// naming it: an unset CI secret is often an empty string, and reading it as unset would test
/// something else (the embedded server instead of the target) and pass.
pub(super) fn given(
    flag: &Option<String>,
    name: &str,
    variable: &str,
) -> Result<Option<String>, String> {
    let (value, from) = match flag {
        Some(value) => (Some(value.clone()), format!("--{name}")),
        None => match std::env::var(variable) {
            Ok(value) => (Some(value), variable.to_owned()),
            Err(std::env::VarError::NotPresent) => (None, String::new()),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(format!("{variable} is not valid UTF-8"));
            }
        },
    };
    match value {
        Some(value) if value.trim().is_empty() => Err(format!(
            "{from} is set but empty (an unset CI secret?): give it a value, or unset it"
        )),
        value => Ok(value),
    }
}

/// Ends a run that cannot test anything: the message on stderr, and the report file (when asked
/// for) holding the error, so that CI always has a file to show.
pub(super) fn fail(args: &RunArgs, token: Option<&SecretToken>, message: &str) -> u8 {
    let message = token.map_or_else(|| message.to_owned(), |t| t.scrub(message));
    eprintln!("error: {message}");
    if let Some(path) = &args.output {
        let rendered = report::fatal(args.format, &message);
        if let Err(error) = std::fs::write(path, rendered) {
            eprintln!("error: {}: {error}", path.display());
        }
    }
    2
}

fn plan(args: &RunArgs) -> Result<Plan, String> {
    let unknown = suite::unknown_checks(&[args.only.clone(), args.skip.clone()].concat());
    if !unknown.is_empty() {
        return Err(format!(
            "unknown checks: {} (see `calllogs-contract checks`)",
            unknown.join(", ")
        ));
    }
    let mut accept = args.accept.clone();
    if let Some(path) = &args.baseline {
        accept.extend(baseline_deviations(path)?);
    }
    let mut seen = std::collections::HashSet::new();
    accept.retain(|id| seen.insert(id.clone()));
    let unknown = suite::diagnosis::unknown_deviations(&accept);
    if !unknown.is_empty() {
        return Err(format!(
            "unknown deviations: {} (known: {})",
            unknown.join(", "),
            suite::diagnosis::deviation_ids().join(", ")
        ));
    }
    let mut headers = Vec::new();
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(format!("--header {header:?} is not `Name: value`"));
        };
        let (name, value) = (name.trim(), value.trim());
        if let Err(rule) = unpod_calllogs::query::extra_header(name, value) {
            return Err(format!(
                "--header {name:?}: {rule} (the token comes from --token or {TOKEN_ENV}, the organization from --org-handle)"
            ));
        }
        headers.push((name.to_owned(), value.to_owned()));
    }
    let base_url = given(&args.base_url, "base-url", BASE_URL_ENV)?;
    if let Some(url) = &base_url {
        // The clients' rule and message, before anything else is said about the target.
        unpod_calllogs::transport::endpoint_url(url)?;
    }
    let source = match (&args.base_url, &base_url) {
        (Some(_), _) => Source::Flag,
        (None, Some(_)) => Source::Env,
        (None, None) => Source::Embedded,
    };
    let embedded_only = args.records.is_some() || args.fault.is_some() || args.emulate.is_some();
    if base_url.is_some() && embedded_only {
        return Err(format!(
            "--records, --fault and --emulate are for the embedded server, but a target is set ({}): unset {BASE_URL_ENV} or drop them",
            base_url.as_deref().unwrap_or_default()
        ));
    }
    let credentials = match &base_url {
        None => None,
        Some(_) => {
            let token = given(&args.token, "token", TOKEN_ENV)?;
            let org_handle = given(&args.org_handle, "org-handle", ORG_HANDLE_ENV)?;
            let (Some(token), Some(org_handle)) = (token, org_handle) else {
                return Err(format!(
                    "a target needs --token (or {TOKEN_ENV}) and --org-handle (or {ORG_HANDLE_ENV})"
                ));
            };
            Some((SecretToken::new(token), org_handle))
        }
    };
    Ok(Plan {
        base_url,
        source,
        credentials,
        headers,
        accept,
    })
}

/// A value as the shell reads it back.
pub(super) fn quoted(value: &str) -> String {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@".contains(c))
    {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// The command that replays this run (the suite appends `--only <check>`): every option that
/// decides which requests are sent, the token as `$UNPOD_PLATFORM_TOKEN`.
fn replay_command(args: &RunArgs, plan: &Plan, target: &Target) -> String {
    let mut words = vec!["calllogs-contract".to_owned(), "run".to_owned()];
    let mut option = |name: &str, value: &str| {
        words.push(name.to_owned());
        words.push(quoted(value));
    };
    match &plan.base_url {
        Some(url) => {
            option("--base-url", url);
            option("--org-handle", &target.org_handle);
            if let Some(org) = &target.foreign_org_handle {
                option("--foreign-org-handle", org);
            }
            for (name, value) in &target.headers {
                option("--header", &format!("{name}: {value}"));
            }
        }
        None => {
            option(
                "--records",
                &args
                    .records
                    .unwrap_or(calllogs_reference::DEFAULT_RECORDS)
                    .to_string(),
            );
            if let Some(fault) = args.fault {
                option("--fault", fault.name());
            }
            if let Some(server) = args.emulate {
                option("--emulate", server.name());
            }
            for (name, value) in &target.headers {
                option("--header", &format!("{name}: {value}"));
            }
        }
    }
    option("--cases", &args.cases.to_string());
    option("--seed", &args.seed.to_string());
    option("--max-requests", &args.max_requests.to_string());
    option("--timeout", &args.timeout.as_secs_f64().to_string());
    if args.max_body_bytes != unpod_calllogs::DEFAULT_MAX_BODY_BYTES {
        option("--max-body-bytes", &args.max_body_bytes.to_string());
    }
    if let Some(rps) = args.rps {
        option("--rps", &rps.to_string());
    }
    for deviation in &plan.accept {
        option("--accept", deviation);
    }
    let command = words.join(" ");
    if plan.base_url.is_some() {
        format!("{command} --token \"${TOKEN_ENV}\"")
    } else {
        command
    }
}

/// The embedded reference server, as `--records`, `--fault`, `--emulate` and `--seed` make it.
pub(super) fn embedded(
    runtime: &tokio::runtime::Runtime,
    args: &RunArgs,
) -> Result<calllogs_reference::ServerHandle, String> {
    let config = ServerConfig::seeded(
        args.records.unwrap_or(calllogs_reference::DEFAULT_RECORDS),
        args.seed,
    )
    .faults(Vec::from_iter(args.fault));
    let config = match args.emulate {
        Some(server) => server.apply(config),
        None => config,
    };
    runtime
        .block_on(calllogs_reference::start(config))
        .map_err(|error| error.to_string())
}

/// The request limits: `--max-requests`, `--timeout`, `--max-body-bytes`, and `--rps` (10 unless
/// the target is on loopback).
pub(super) fn limits(args: &RunArgs, base_url: &str) -> Limits {
    let loopback = reqwest::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .is_some_and(|h| {
            h == "localhost"
                || h.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
    Limits::default()
        .max_requests(args.max_requests)
        .rps(args.rps.or((!loopback).then_some(10.0)))
        .timeout(args.timeout)
        .max_body_bytes(args.max_body_bytes)
}

/// The target to test: the remote endpoint, or the embedded reference server started here (kept
/// running as long as the returned handle lives).
fn target(
    runtime: &tokio::runtime::Runtime,
    args: &RunArgs,
    plan: &Plan,
) -> Result<(Target, Option<calllogs_reference::ServerHandle>), String> {
    let target = match (&plan.base_url, &plan.credentials) {
        (Some(base_url), Some((token, org_handle))) => {
            Target::new(base_url.clone(), token.clone(), org_handle.clone())
                .foreign_org_handle(args.foreign_org_handle.clone())
                .headers(plan.headers.clone())
        }
        _ => {
            let server = embedded(runtime, args)?;
            let target = Target::new(
                server.url(),
                SecretToken::new(server.token()),
                server.org_handle(),
            )
            .foreign_org_handle(calllogs_reference::FOREIGN_ORG_HANDLE.to_owned())
            .headers(plan.headers.clone());
            return Ok((target, Some(server)));
        }
    };
    Ok((target, None))
}

pub fn run(runtime: &tokio::runtime::Runtime, args: RunArgs) -> u8 {
    if let Some(path) = &args.openapi {
        return super::list::run(runtime, &args, path);
    }
    let plan = match plan(&args) {
        Ok(plan) => plan,
        Err(message) => return fail(&args, None, &message),
    };
    let (target, _server) = match target(runtime, &args, &plan) {
        Ok(target) => target,
        Err(message) => return fail(&args, None, &message),
    };
    eprintln!(
        "calllogs-contract: testing {} ({})",
        target.base_url,
        match plan.source {
            Source::Flag => "from --base-url".to_owned(),
            Source::Env => format!("from {BASE_URL_ENV}"),
            Source::Embedded => format!(
                "the embedded reference server: neither --base-url nor {BASE_URL_ENV} is set"
            ),
        }
    );
    let limits = limits(&args, &target.base_url);
    let options = suite::Options::default()
        .cases(args.cases)
        .seed(args.seed)
        .only(args.only.clone())
        .skip(args.skip.clone())
        .accept(plan.accept.clone())
        .replay(replay_command(&args, &plan, &target));
    // Whatever the server echoed, the token never reaches a report, in any format.
    let token = target.token.clone();
    let probe = match Probe::new(runtime.handle().clone(), target, limits) {
        Ok(probe) => probe,
        Err(error) => return fail(&args, Some(&token), &error),
    };
    let report = match run_with_progress(&probe, &options) {
        Ok(report) => report,
        Err(fatal) => return fail(&args, Some(&token), &fatal.to_string()),
    };
    let policy = report::Policy {
        allow_incomplete: args.allow_incomplete,
        fail_on_fixed: args.fail_on_fixed,
    };
    let rendered = token.scrub(&report::render(args.format, &report, policy));
    match &args.output {
        Some(path) => {
            if let Err(error) = std::fs::write(path, &rendered) {
                return fail(&args, Some(&token), &format!("{}: {error}", path.display()));
            }
            println!("{}", token.scrub(&report::summary(&report)));
        }
        None => print!("{rendered}"),
    }
    exit_status(&report, policy)
}

pub(super) fn exit_status(report: &Report, policy: report::Policy) -> u8 {
    if !report.passed() || (policy.fail_on_fixed && report.fixed().next().is_some()) {
        1
    } else if !report.complete() && !policy.allow_incomplete {
        3
    } else {
        0
    }
}

/// Runs the suite, showing its progress on stderr: a bar on a terminal; elsewhere (CI) one line per
/// check as it ends, so that a long run is never silent.
fn run_with_progress(probe: &Probe, options: &suite::Options) -> Result<Report, suite::Fatal> {
    if !std::io::stderr().is_terminal() {
        return suite::run_with(probe, options, |event| {
            if let Event::Finished(result) = event
                && result.outcome != Outcome::Skipped("not selected".to_owned())
            {
                eprintln!("{}", report::check_line(result));
            }
        });
    }
    let bar = indicatif::ProgressBar::new(suite::CHECKS.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let result = suite::run_with(probe, options, |event| match event {
        Event::Started { check, index, sent } => {
            bar.set_position(index as u64);
            bar.set_message(format!("{} ({sent} requests)", check.id));
        }
        Event::Finished(result) => bar.println(report::check_line(result)),
        Event::Diagnosing => bar.set_message("diagnosis"),
    });
    bar.finish_and_clear();
    result
}
