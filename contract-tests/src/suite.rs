//! The checks, and the run that applies them to an endpoint.
//!
//! The suite first reads a sample (the newest 1,000 records). Every record newer than the oldest one
//! sampled is known, so for any query whose window lies in that stretch the exact answer is known
//! too: filters, date bounds and pagination are checked against it, not just for plausibility. The
//! property checks draw their queries from what the sample holds (observed types and statuses, exact
//! `creation_time`s, UTC midnights and the seconds before them, page sizes that do and do not divide
//! `count`), and shrink a failure to a minimal query.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::IsTerminal;
use std::time::Instant;

use chrono::{DateTime, Days, TimeDelta, Utc};
use proptest::strategy::{BoxedStrategy, Just, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use unpod_calllogs::{CallLog, CallLogQuery, CallStatus, CallType, DateBound};

use crate::probe::{Auth, Exchange, Probe, ProbeError, Request};
use crate::schema;

/// A check: a stable id, its group, and what it asserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckInfo {
    /// Stable id, e.g. `filters.match`.
    pub id: &'static str,
    /// Group: schema, filters, pagination, data, auth, errors.
    pub group: &'static str,
    /// One line.
    pub description: &'static str,
}

macro_rules! checks {
    ($($id:literal, $group:literal: $description:literal;)+) => {
        /// Every check, in the order they run.
        pub const CHECKS: &[CheckInfo] = &[$(CheckInfo { id: $id, group: $group, description: $description }),+];
    };
}

checks! {
    "filters.match", "filters": "every record returned matches every filter sent (type, status, inclusive date bounds, date-only end_date covering its UTC day)";
    "filters.complete", "filters": "a filtered query returns exactly the known matching records, in order, and count equals their number";
    "filters.partition", "filters": "counts of the call types and of the statuses add up to the total; adjacent date windows add up; a filter never raises count";
    "pagination.walk", "pagination": "walking every page: sizes exact, count stable, pages disjoint, union equal to count, newest first";
    "pagination.same-order", "pagination": "the concatenated pages are the same sequence for every page size";
    "pagination.past-last", "pagination": "a page past the last is empty (200, same count) or 404, never records";
    "pagination.repeatable", "pagination": "the same request twice gives the same page, ties included";
    "auth.missing-token", "auth": "no token gives 401 with WWW-Authenticate: Token";
    "auth.bad-token", "auth": "an invalid token gives 401 and no data";
    "auth.unknown-org", "auth": "an unknown Org-Handle gives 403 or 404 and never data";
    "auth.foreign-org", "auth": "an organization the token may not read gives 403 (needs --foreign-org-handle)";
    "errors.invalid-input", "errors": "every invalid input of the contract gives 400 with a JSON error body";
    "errors.no-5xx", "errors": "no request of the suite gets a 5xx";
    "data.rules", "data": "records keep the cross-field rules: nulls of unanswered calls, end >= start >= creation, duration = end - start, E.164 numbers";
    "schema.page", "schema": "every 200 body matches the strict page schema";
    "schema.error", "schema": "every error body is JSON matching the error schema";
    "schema.content-type", "schema": "every answer is application/json";
    "schema.status-code", "schema": "the body's status_code equals the HTTP status";
}

/// A violation, with what is needed to see it again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// What went wrong, in one line.
    pub summary: String,
    /// What the contract requires.
    pub expected: String,
    /// What the server did.
    pub actual: String,
    /// The requests that show it, as `curl` lines (the token replaced by a placeholder).
    pub requests: Vec<String>,
}

/// How a check ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum Outcome {
    /// No violation found.
    Passed,
    /// At least one violation.
    Failed,
    /// Not run, for this reason.
    Skipped(String),
    /// Stopped early (request budget), no violation found until then.
    Incomplete(String),
}

/// The result of one check.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckResult {
    /// The check's id.
    pub id: &'static str,
    /// Its group.
    pub group: &'static str,
    /// What it asserts.
    pub description: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// Its violations.
    pub findings: Vec<Finding>,
    /// Requests it sent.
    pub requests: u64,
    /// Seconds it took.
    pub seconds: f64,
}

/// What a run was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Generated cases per property check.
    pub cases: u32,
    /// Seed of every random choice; the same seed replays the same requests.
    pub seed: u64,
    /// Run only these checks (all when empty).
    pub only: Vec<String>,
    /// Do not run these checks.
    pub skip: Vec<String>,
}

/// The result of a run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    /// The endpoint's base URL.
    pub target: String,
    /// The seed.
    pub seed: u64,
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
    /// Requests sent in all.
    pub requests: u64,
    /// Seconds the run took.
    pub seconds: f64,
}

impl Report {
    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.outcome != Outcome::Failed)
    }
}

/// Why a run could not test anything.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fatal {
    /// The endpoint did not answer.
    #[error("cannot reach the endpoint: {0}")]
    Unreachable(String),
    /// A plain request with the given credentials was not answered with a page.
    #[error("a plain request got {status}, not a page of call logs: {body}")]
    NoPage {
        /// The status.
        status: u16,
        /// The body's beginning.
        body: String,
    },
}

/// Marks an unknown check name in `--only` / `--skip`.
pub fn unknown_checks(names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| {
            !CHECKS
                .iter()
                .any(|c| c.id == n.as_str() || c.group == n.as_str())
        })
        .cloned()
        .collect()
}

const SAMPLE_SIZE: u32 = 1000;
const MAX_FINDINGS: usize = 5;

/// The newest records, and how far back they are complete.
struct Sample {
    records: Vec<CallLog>,
    curl: String,
    /// The first page could not be read as a page (its schema is broken): nothing depends on it.
    unreadable: bool,
    count: u64,
    /// Every record with a `creation_time` after this one is in `records`; `None`: all are.
    complete_after: Option<DateTime<Utc>>,
}

impl Sample {
    /// The exact answer to a filter, when its window lies where the sample is complete.
    fn expected(&self, query: &CallLogQuery) -> Option<Vec<&CallLog>> {
        if let Some(edge) = self.complete_after {
            let start = query.start_date?.first_instant();
            if start <= edge {
                return None;
            }
        }
        Some(self.records.iter().filter(|r| query.matches(r)).collect())
    }

    /// Bounds worth testing, oldest first: days seen, exact times (of midnights, the second before
    /// them, tie runs, and a spread of others), and instants just off a record.
    fn bounds(&self) -> Vec<DateBound> {
        let mut bounds = Vec::new();
        let step = (self.records.len() / 24).max(1);
        for (i, record) in self.records.iter().enumerate() {
            let time = record.creation_time;
            let clock = time.format("%H:%M:%S%.f").to_string();
            let tie = self
                .records
                .get(i + 1)
                .is_some_and(|n| n.creation_time == time);
            if clock == "00:00:00" || clock == "23:59:59" || tie || i % step == 0 {
                bounds.push(DateBound::DateTime(time));
                bounds.push(DateBound::Date(time.date_naive()));
            }
            if i % step == step / 2 {
                bounds.push(DateBound::DateTime(time + TimeDelta::milliseconds(500)));
            }
        }
        bounds.sort_by_key(|b| (b.first_instant(), matches!(b, DateBound::DateTime(_))));
        bounds.dedup();
        bounds
    }
}

struct Run<'a> {
    probe: &'a Probe,
    options: &'a Options,
    sample: Sample,
}

type CheckFn = fn(&Run<'_>) -> Checked;

/// What a check function found, and whether it had to stop early.
#[derive(Default)]
struct Checked {
    findings: Vec<Finding>,
    incomplete: Option<String>,
    skipped: Option<String>,
}

impl Checked {
    fn record_probe_error(&mut self, error: &ProbeError, request: &Request, probe: &Probe) {
        match error {
            ProbeError::Budget(_) => self.incomplete = Some(error.to_string()),
            ProbeError::Transport(message) => self.findings.push(Finding {
                summary: "the endpoint did not answer".to_owned(),
                expected: "an HTTP answer".to_owned(),
                actual: message.clone(),
                requests: vec![probe.curl(request)],
            }),
        }
    }
}

fn active(id: &str) -> Option<CheckFn> {
    Some(match id {
        "filters.match" => filters_match,
        "filters.complete" => filters_complete,
        "filters.partition" => filters_partition,
        "pagination.walk" => |run| pagination_walk(run, false),
        "pagination.same-order" => |run| pagination_walk(run, true),
        "pagination.past-last" => pagination_past_last,
        "pagination.repeatable" => pagination_repeatable,
        "auth.missing-token" => auth_missing_token,
        "auth.bad-token" => auth_bad_token,
        "auth.unknown-org" => auth_unknown_org,
        "auth.foreign-org" => auth_foreign_org,
        "errors.invalid-input" => errors_invalid_input,
        _ => return None,
    })
}

type Log = [std::sync::Arc<Exchange>];
type PassiveFn = fn(&Log) -> Vec<Finding>;

fn passive(id: &str) -> Option<PassiveFn> {
    Some(match id {
        "errors.no-5xx" => no_5xx,
        "data.rules" => data_rules,
        "schema.page" => schema_page,
        "schema.error" => schema_error,
        "schema.content-type" => content_type,
        "schema.status-code" => status_code,
        _ => return None,
    })
}

fn selected(options: &Options, check: &CheckInfo) -> bool {
    let named = |names: &[String]| names.iter().any(|n| n == check.id || n == check.group);
    (options.only.is_empty() || named(&options.only)) && !named(&options.skip)
}

/// Runs the selected checks against the probe's target.
pub fn run(probe: &Probe, options: &Options) -> Result<Report, Fatal> {
    let started = Instant::now();
    let first = probe
        .get(Request::new([("page_size", SAMPLE_SIZE.to_string())]))
        .map_err(|e| Fatal::Unreachable(e.to_string()))?;
    if first.status != 200 {
        return Err(Fatal::NoPage {
            status: first.status,
            body: first.snippet.clone(),
        });
    }
    let unreadable = first.page.is_none();
    let page = first
        .page
        .as_deref()
        .cloned()
        .unwrap_or(unpod_calllogs::CallLogPage {
            count: 0,
            status_code: 200,
            message: String::new(),
            data: Vec::new(),
        });
    let complete_after = (page.count > page.data.len() as u64)
        .then(|| page.data.last().map(|r| r.creation_time))
        .flatten();
    let run = Run {
        probe,
        options,
        sample: Sample {
            curl: first.curl.clone(),
            unreadable,
            count: page.count,
            records: page.data,
            complete_after,
        },
    };
    let progress = std::io::stderr().is_terminal();
    let mut results = Vec::new();
    let total = CHECKS.len();
    for (index, check) in CHECKS.iter().enumerate() {
        if progress {
            eprint!(
                "\r\x1b[2K[{}/{total}] {} ({} requests)",
                index + 1,
                check.id,
                probe.sent()
            );
        }
        let before = probe.sent();
        let clock = Instant::now();
        let checked = if !selected(options, check) {
            Checked {
                skipped: Some("not selected".to_owned()),
                ..Checked::default()
            }
        } else if let Some(check_fn) = active(check.id) {
            if run.sample.unreadable && matches!(check.group, "filters" | "pagination") {
                Checked {
                    skipped: Some("the first page could not be read (see schema.page)".to_owned()),
                    ..Checked::default()
                }
            } else {
                check_fn(&run)
            }
        } else if let Some(check_fn) = passive(check.id) {
            Checked {
                findings: check_fn(&probe.log()),
                ..Checked::default()
            }
        } else {
            Checked::default()
        };
        let outcome = match (
            &checked.skipped,
            checked.findings.is_empty(),
            &checked.incomplete,
        ) {
            (Some(reason), _, _) => Outcome::Skipped(reason.clone()),
            (None, false, _) => Outcome::Failed,
            (None, true, Some(reason)) => Outcome::Incomplete(reason.clone()),
            (None, true, None) => Outcome::Passed,
        };
        let mut findings = checked.findings;
        findings.truncate(MAX_FINDINGS);
        results.push(CheckResult {
            id: check.id,
            group: check.group,
            description: check.description,
            outcome,
            findings,
            requests: probe.sent() - before,
            seconds: clock.elapsed().as_secs_f64(),
        });
    }
    if progress {
        eprint!("\r\x1b[2K");
    }
    Ok(Report {
        target: probe.target().base_url.clone(),
        seed: options.seed,
        checks: results,
        requests: probe.sent(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

// ---------------------------------------------------------------------------------------------
// Property machinery

fn runner(options: &Options, cases: u32, salt: u64) -> TestRunner {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&options.seed.to_le_bytes());
    seed[8..16].copy_from_slice(&salt.to_le_bytes());
    let config = Config {
        cases: cases.max(1),
        max_shrink_iters: 64,
        failure_persistence: None,
        max_global_rejects: 10_000,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

/// Runs a property; a failure is shrunk and reported by the finding its last (minimal) failing
/// case recorded.
fn property<S: Strategy>(
    run: &Run<'_>,
    cases: u32,
    salt: u64,
    strategy: S,
    test: impl Fn(&S::Value) -> Result<(), Box<Finding>>,
) -> Checked
where
    S::Value: std::fmt::Debug,
{
    let last_failure: RefCell<Option<Finding>> = RefCell::new(None);
    let budget_spent = RefCell::new(None);
    let result = runner(run.options, cases, salt).run(&strategy, |value| {
        if budget_spent.borrow().is_some() {
            return Ok(());
        }
        match test(&value) {
            Ok(()) => Ok(()),
            Err(finding) if finding.summary == BUDGET => {
                *budget_spent.borrow_mut() = Some(finding.actual);
                Ok(())
            }
            Err(finding) => {
                let reason = finding.summary.clone();
                *last_failure.borrow_mut() = Some(*finding);
                Err(TestCaseError::fail(reason))
            }
        }
    });
    let mut checked = Checked {
        incomplete: budget_spent.into_inner(),
        ..Checked::default()
    };
    if let Err(TestError::Fail(_, _)) = result {
        checked.findings.extend(last_failure.into_inner());
    }
    checked
}

const BUDGET: &str = "budget";

/// Sends a request; a missing answer becomes the finding that ends the case.
fn send(run: &Run<'_>, request: Request) -> Result<std::sync::Arc<Exchange>, Box<Finding>> {
    run.probe.get(request.clone()).map_err(|error| {
        Box::new(match error {
            ProbeError::Budget(_) => Finding {
                summary: BUDGET.to_owned(),
                expected: String::new(),
                actual: error.to_string(),
                requests: Vec::new(),
            },
            ProbeError::Transport(message) => Finding {
                summary: "the endpoint did not answer".to_owned(),
                expected: "an HTTP answer".to_owned(),
                actual: message,
                requests: vec![run.probe.curl(&request)],
            },
        })
    })
}

/// Sends a query that the contract must answer with a page, and reads the page.
fn page_of(
    run: &Run<'_>,
    query: &CallLogQuery,
) -> Result<
    (
        std::sync::Arc<unpod_calllogs::CallLogPage>,
        std::sync::Arc<Exchange>,
    ),
    Box<Finding>,
> {
    let exchange = send(run, Request::from_query(query))?;
    match exchange.page.clone() {
        Some(page) => Ok((page, exchange)),
        None => Err(Box::new(Finding {
            summary: format!("a valid query got {} instead of a page", exchange.status),
            expected: "200 with a page of call logs".to_owned(),
            actual: format!("{}: {}", exchange.status, exchange.snippet),
            requests: vec![exchange.curl.clone()],
        })),
    }
}

/// An answer in one line: its status and the beginning of its body.
fn answer_text(exchange: &Exchange) -> String {
    let body: String = exchange.snippet.chars().take(160).collect();
    format!("{}: {body}", exchange.status)
}

fn describe(query: &CallLogQuery) -> String {
    let text = query.to_query_string();
    if text.is_empty() {
        "no parameters".to_owned()
    } else {
        text
    }
}

fn brief(record: &CallLog) -> String {
    format!(
        "{{creation_time: {}, call_type: {}, call_status: {}, source_number: {}}}",
        unpod_calllogs::model::format_timestamp(&record.creation_time),
        record.call_type,
        record.call_status,
        record.source_number.as_deref().unwrap_or("null")
    )
}

/// Filters drawn from the sample. With `complete_only`, the start bound lies where the sample is
/// complete, so that the exact answer is known.
fn filter_strategy(
    sample: &Sample,
    complete_only: bool,
) -> impl Strategy<Value = CallLogQuery> + use<> {
    let mut bounds = sample.bounds();
    if complete_only {
        if let Some(edge) = sample.complete_after {
            bounds.retain(|b| b.first_instant() > edge);
        }
    }
    let start_required = complete_only && sample.complete_after.is_some();
    let types: Vec<Option<CallType>> = std::iter::once(None)
        .chain(CallType::DOCUMENTED.iter().cloned().map(Some))
        .collect();
    let statuses: Vec<Option<CallStatus>> = std::iter::once(None)
        .chain(CallStatus::DOCUMENTED.iter().cloned().map(Some))
        .collect();
    let n = bounds.len().max(1);
    let start: BoxedStrategy<Option<usize>> = if start_required {
        (0..n).prop_map(Some).boxed()
    } else {
        proptest::option::weighted(0.7, 0..n).boxed()
    };
    (
        proptest::sample::select(types),
        proptest::sample::select(statuses),
        start,
        proptest::option::weighted(0.7, 0..n),
    )
        .prop_map(move |(call_type, call_status, start, end)| {
            let (start, end) = match (start, end) {
                (Some(s), Some(e)) if s > e => (Some(e), Some(s)),
                other => other,
            };
            let pick = |i: Option<usize>| i.and_then(|i| bounds.get(i).copied());
            let mut query = CallLogQuery {
                call_type,
                call_status,
                start_date: pick(start),
                end_date: pick(end),
                page_size: Some(SAMPLE_SIZE),
                ..CallLogQuery::default()
            };
            if query.validate().is_err() {
                query.end_date = None;
            }
            query
        })
}

// ---------------------------------------------------------------------------------------------
// filters

fn filters_match(run: &Run<'_>) -> Checked {
    property(
        run,
        run.options.cases,
        1,
        filter_strategy(&run.sample, false),
        |query| {
            let (page, exchange) = page_of(run, query)?;
            if let Some(record) = page.data.iter().find(|r| !query.matches(r)) {
                return Err(Box::new(Finding {
                    summary: format!(
                        "a record outside the filters came back for {}",
                        describe(query)
                    ),
                    expected: "only records matching every filter".to_owned(),
                    actual: brief(record),
                    requests: vec![exchange.curl.clone()],
                }));
            }
            Ok(())
        },
    )
}

fn filters_complete(run: &Run<'_>) -> Checked {
    property(
        run,
        run.options.cases,
        2,
        filter_strategy(&run.sample, true),
        |query| {
            let Some(expected) = run.sample.expected(query) else {
                return Ok(());
            };
            let (page, exchange) = page_of(run, query)?;
            let got: Vec<&CallLog> = page.data.iter().collect();
            if got != expected || page.count != expected.len() as u64 {
                let missing: Vec<String> = expected
                    .iter()
                    .filter(|r| !got.contains(r))
                    .take(2)
                    .map(|r| brief(r))
                    .collect();
                let extra: Vec<String> = got
                    .iter()
                    .filter(|r| !expected.contains(r))
                    .take(2)
                    .map(|r| brief(r))
                    .collect();
                return Err(Box::new(Finding {
                    summary: format!(
                        "the answer to {} is not the set of matching records",
                        describe(query)
                    ),
                    expected: format!("count {} and those records, newest first", expected.len()),
                    actual: format!(
                        "count {}, {} records; missing {missing:?}; unexpected {extra:?}",
                        page.count,
                        got.len()
                    ),
                    requests: vec![exchange.curl.clone()],
                }));
            }
            Ok(())
        },
    )
}

fn filters_partition(run: &Run<'_>) -> Checked {
    let mut checked = Checked::default();
    let count = |query: CallLogQuery| -> Result<(u64, String), Box<Finding>> {
        let (page, exchange) = page_of(run, &query.page_size(1))?;
        Ok((page.count, exchange.curl.clone()))
    };
    let outcome = (|| -> Result<(), Box<Finding>> {
        let (total, total_curl) = count(CallLogQuery::new())?;
        let mut sums: Vec<(&str, Vec<(u64, String)>)> = Vec::new();
        let types = CallType::DOCUMENTED
            .iter()
            .map(|t| count(CallLogQuery::new().call_type(t.clone())));
        sums.push(("call types", types.collect::<Result<_, _>>()?));
        let statuses = CallStatus::DOCUMENTED
            .iter()
            .map(|s| count(CallLogQuery::new().call_status(s.clone())));
        sums.push(("call statuses", statuses.collect::<Result<_, _>>()?));
        let middle = run
            .sample
            .records
            .get(run.sample.records.len() / 2)
            .map(|r| r.creation_time.date_naive());
        if let Some(day) = middle {
            let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
            let windows = vec![
                count(CallLogQuery::new().end_date(day))?,
                count(CallLogQuery::new().start_date(next))?,
            ];
            sums.push(("the date windows up to and after a day", windows));
        }
        for (what, parts) in &sums {
            let sum: u64 = parts.iter().map(|(c, _)| c).sum();
            if sum != total {
                let mut requests = vec![total_curl.clone()];
                requests.extend(parts.iter().map(|(_, curl)| curl.clone()));
                checked.findings.push(Finding {
                    summary: format!("the counts of {what} do not add up to the total"),
                    expected: format!("a sum of {total}"),
                    actual: format!(
                        "{} = {sum}",
                        parts
                            .iter()
                            .map(|(c, _)| c.to_string())
                            .collect::<Vec<_>>()
                            .join(" + ")
                    ),
                    requests,
                });
            }
        }
        if let Some(record) = run.sample.records.first() {
            let narrow = CallLogQuery::new()
                .call_type(record.call_type.clone())
                .call_status(record.call_status.clone())
                .start_date(record.creation_time)
                .end_date(record.creation_time)
                .allow_undocumented_values();
            let wider = CallLogQuery {
                call_status: None,
                ..narrow.clone()
            };
            let (narrow_count, narrow_curl) = count(narrow.clone())?;
            let (wider_count, wider_curl) = count(wider)?;
            if narrow_count > wider_count || narrow_count == 0 {
                checked.findings.push(Finding {
                    summary: "adding a filter raised count, or a record seen unfiltered is missing under its own filters".to_owned(),
                    expected: format!("1 <= count({}) <= count(without call_status)", describe(&narrow)),
                    actual: format!("{narrow_count} and {wider_count}"),
                    requests: vec![narrow_curl, wider_curl],
                });
            }
        }
        Ok(())
    })();
    if let Err(finding) = outcome {
        if finding.summary == BUDGET {
            checked.incomplete = Some(finding.actual);
        } else {
            checked.findings.push(*finding);
        }
    }
    checked
}

// ---------------------------------------------------------------------------------------------
// pagination

/// Windows of the sample with between 40 and 400 records, to walk page by page.
fn walk_windows(sample: &Sample) -> Vec<(CallLogQuery, Vec<&CallLog>)> {
    let mut windows = Vec::new();
    let n = sample.records.len();
    for (from, len) in [(n / 10, 120), (n / 3, 300), (0, 45)] {
        let (Some(newest), Some(oldest)) = (
            sample.records.get(from),
            sample.records.get((from + len).min(n).saturating_sub(1)),
        ) else {
            continue;
        };
        let query = CallLogQuery::new()
            .start_date(oldest.creation_time)
            .end_date(newest.creation_time);
        if let Some(expected) = sample.expected(&query).filter(|e| e.len() >= 2) {
            windows.push((query, expected));
        }
    }
    if windows.is_empty() && !sample.records.is_empty() && sample.complete_after.is_none() {
        windows.push((CallLogQuery::new(), sample.records.iter().collect()));
    }
    windows
}

fn pagination_walk(run: &Run<'_>, compare_order: bool) -> Checked {
    let sample = &run.sample;
    let short = (sample.records.len() as u64) < sample.count.min(u64::from(SAMPLE_SIZE));
    if !compare_order && short {
        return Checked {
            findings: vec![Finding {
                summary: format!(
                    "a page of size {SAMPLE_SIZE} that is not the last holds fewer records"
                ),
                expected: format!(
                    "{} records (count {})",
                    sample.count.min(u64::from(SAMPLE_SIZE)),
                    sample.count
                ),
                actual: format!("{} records", sample.records.len()),
                requests: vec![sample.curl.clone()],
            }],
            ..Checked::default()
        };
    }
    let windows = walk_windows(sample);
    if windows.is_empty() {
        return Checked {
            skipped: Some("the sample holds no window to walk".to_owned()),
            ..Checked::default()
        };
    }
    let sizes_for = |len: usize| -> Vec<u32> {
        let len = len as u32;
        let mut sizes = vec![
            7,
            25,
            len,
            len.saturating_sub(1).max(1),
            150,
            (len / 3).max(1),
        ];
        sizes.extend((2..=len.min(60)).filter(|d| len % d == 0).take(2));
        sizes.retain(|s| (1..=1000).contains(s) && len / s <= 60);
        sizes
    };
    let sizes: Vec<Vec<u32>> = windows.iter().map(|(_, e)| sizes_for(e.len())).collect();
    let strategy = (0..windows.len())
        .prop_flat_map(move |w| (Just(w), proptest::sample::select(sizes[w].clone())));
    let cases = (run.options.cases / 4).clamp(3, 8);
    property(
        run,
        cases,
        if compare_order { 4 } else { 3 },
        strategy,
        |(w, size)| {
            let (query, expected) = &windows[*w];
            walk_once(run, query, *size, expected, compare_order)
        },
    )
}

fn walk_once(
    run: &Run<'_>,
    window: &CallLogQuery,
    size: u32,
    expected: &[&CallLog],
    compare_order: bool,
) -> Result<(), Box<Finding>> {
    let mut received = Vec::new();
    let mut curls = Vec::new();
    let mut count = None;
    let mut page_number = 1u32;
    loop {
        let query = window.clone().page(page_number).page_size(size);
        let (page, exchange) = page_of(run, &query)?;
        curls.push(exchange.curl.clone());
        let fail = |summary: String, expected: String, actual: String, curls: &[String]| {
            Err(Box::new(Finding {
                summary,
                expected,
                actual,
                requests: curls.iter().rev().take(3).rev().cloned().collect(),
            }))
        };
        let total = *count.get_or_insert(page.count);
        if page.count != total {
            return fail(
                format!("count changed between pages of {}", describe(&query)),
                format!("count {total} on every page"),
                format!("count {} on page {page_number}", page.count),
                &curls,
            );
        }
        let pages = total.div_ceil(u64::from(size));
        let last = u64::from(page_number) >= pages;
        let want = if last {
            total.saturating_sub((pages.max(1) - 1) * u64::from(size))
        } else {
            u64::from(size)
        };
        if !compare_order && page.data.len() as u64 != want {
            return fail(
                format!("page {page_number} of size {size} has the wrong length"),
                format!("{want} records (count {total})"),
                format!("{} records", page.data.len()),
                &curls,
            );
        }
        received.push(page);
        if last || page_number >= 200 {
            break;
        }
        page_number += 1;
    }
    let total = count.unwrap_or(0);
    let walked: Vec<&CallLog> = received.iter().flat_map(|p| p.data.iter()).collect();
    if compare_order {
        let same =
            walked.len() == expected.len() && walked.iter().zip(expected).all(|(a, b)| a == b);
        if !same {
            let at = walked
                .iter()
                .zip(expected)
                .position(|(a, b)| a != b)
                .unwrap_or(walked.len().min(expected.len()));
            return Err(Box::new(Finding {
                summary: format!(
                    "pages of {size} concatenate to another sequence than pages of {SAMPLE_SIZE}"
                ),
                expected: format!(
                    "{} records; at place {at}: {}",
                    expected.len(),
                    expected.get(at).map(|r| brief(r)).unwrap_or_default()
                ),
                actual: format!(
                    "{} records; at place {at}: {}",
                    walked.len(),
                    walked.get(at).map(|r| brief(r)).unwrap_or_default()
                ),
                requests: curls.into_iter().take(3).collect(),
            }));
        }
        return Ok(());
    }
    let mut seen = HashSet::new();
    if let Some(repeat) = walked
        .iter()
        .find(|r| !seen.insert(serde_json::to_string(r).unwrap_or_default()))
    {
        return Err(Box::new(Finding {
            summary: format!("a record appears on two pages of size {size}"),
            expected: "disjoint pages".to_owned(),
            actual: brief(repeat),
            requests: curls.into_iter().take(3).collect(),
        }));
    }
    if walked.len() as u64 != total {
        return Err(Box::new(Finding {
            summary: format!("the pages of size {size} hold another number of records than count"),
            expected: format!("{total} records"),
            actual: format!("{}", walked.len()),
            requests: curls.into_iter().take(3).collect(),
        }));
    }
    if let Some(pair) = walked
        .windows(2)
        .find(|w| w[0].creation_time < w[1].creation_time)
    {
        return Err(Box::new(Finding {
            summary: "records are not newest first".to_owned(),
            expected: "creation_time never increasing along the pages".to_owned(),
            actual: format!("{} before {}", brief(pair[0]), brief(pair[1])),
            requests: curls.into_iter().take(3).collect(),
        }));
    }
    Ok(())
}

fn pagination_past_last(run: &Run<'_>) -> Checked {
    let mut checked = Checked::default();
    let mut cases: Vec<(CallLogQuery, u64)> = Vec::new();
    let total_pages = run.sample.count.div_ceil(u64::from(SAMPLE_SIZE));
    if let Ok(next) = u32::try_from(total_pages + 1) {
        cases.push((
            CallLogQuery::new().page_size(SAMPLE_SIZE).page(next),
            run.sample.count,
        ));
    }
    for (window, expected) in walk_windows(&run.sample).into_iter().take(2) {
        let size = 7u32;
        let last = (expected.len() as u64).div_ceil(u64::from(size)) as u32;
        cases.push((
            window.clone().page_size(size).page(last + 1),
            expected.len() as u64,
        ));
        cases.push((window.page_size(size).page(last + 4), expected.len() as u64));
    }
    for (query, count) in cases {
        let request = Request::from_query(&query);
        let exchange = match run.probe.get(request.clone()) {
            Ok(exchange) => exchange,
            Err(error) => {
                checked.record_probe_error(&error, &request, run.probe);
                break;
            }
        };
        let page = exchange.page.as_deref();
        let ok = match (page, exchange.status) {
            (_, 404) => true,
            (Some(page), 200) => page.data.is_empty() && page.count == count,
            _ => false,
        };
        if !ok {
            checked.findings.push(Finding {
                summary: format!(
                    "page {} is past the last, yet {}",
                    query.page_number(),
                    match &page {
                        Some(p) if !p.data.is_empty() =>
                            format!("it holds {} records", p.data.len()),
                        Some(p) => format!("its count is {}", p.count),
                        None => format!("it got {}", exchange.status),
                    }
                ),
                expected: format!("200 with no records and count {count}, or 404"),
                actual: answer_text(&exchange),
                requests: vec![exchange.curl.clone()],
            });
        }
    }
    checked
}

fn pagination_repeatable(run: &Run<'_>) -> Checked {
    let mut checked = Checked::default();
    let records = &run.sample.records;
    let mut queries = vec![CallLogQuery::new().page_size(SAMPLE_SIZE)];
    if let Some(tie) = records
        .windows(2)
        .position(|w| w[0].creation_time == w[1].creation_time)
    {
        let size = (tie + 1) as u32;
        queries.push(CallLogQuery::new().page_size(size));
        queries.push(CallLogQuery::new().page_size(size).page(2));
    }
    for query in queries {
        let request = Request::from_query(&query);
        let answers: Result<Vec<_>, _> = (0..2).map(|_| run.probe.get(request.clone())).collect();
        let answers = match answers {
            Ok(answers) => answers,
            Err(error) => {
                checked.record_probe_error(&error, &request, run.probe);
                break;
            }
        };
        let first = answers[0].records();
        let mut differs = answers[1].records() != first;
        if query.page_size == Some(SAMPLE_SIZE) && query.page.is_none() {
            differs |= first != *records;
        }
        if differs {
            checked.findings.push(Finding {
                summary: format!(
                    "the same request ({}) gave different pages",
                    describe(&query)
                ),
                expected: "the same records in the same order every time".to_owned(),
                actual: "records or their order differ between answers".to_owned(),
                requests: vec![answers[0].curl.clone()],
            });
        }
    }
    checked
}

// ---------------------------------------------------------------------------------------------
// auth and errors

fn expect_status(run: &Run<'_>, request: Request, allowed: &[u16], what: &str) -> Checked {
    let mut checked = Checked::default();
    match run.probe.get(request.clone()) {
        Ok(exchange) => {
            let leaked = !exchange.records().is_empty();
            if !allowed.contains(&exchange.status) || leaked {
                checked.findings.push(Finding {
                    summary: format!(
                        "{what} got {}{}",
                        exchange.status,
                        if leaked { " with records" } else { "" }
                    ),
                    expected: format!(
                        "{} and no records",
                        allowed
                            .iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                    actual: answer_text(&exchange),
                    requests: vec![exchange.curl.clone()],
                });
            } else if allowed == [401]
                && exchange
                    .www_authenticate
                    .as_deref()
                    .is_none_or(|h| !h.trim().to_ascii_lowercase().starts_with("token"))
            {
                checked.findings.push(Finding {
                    summary: format!("{what} got 401 without WWW-Authenticate: Token"),
                    expected: "WWW-Authenticate: Token".to_owned(),
                    actual: format!("{:?}", exchange.www_authenticate),
                    requests: vec![exchange.curl.clone()],
                });
            }
        }
        Err(error) => checked.record_probe_error(&error, &request, run.probe),
    }
    checked
}

fn auth_missing_token(run: &Run<'_>) -> Checked {
    expect_status(
        run,
        Request::new::<&str, &str>([]).with_auth(Auth::NoToken),
        &[401],
        "a request without a token",
    )
}

fn auth_bad_token(run: &Run<'_>) -> Checked {
    let token = format!("calllogs-contract-invalid-{}", run.options.seed);
    expect_status(
        run,
        Request::new::<&str, &str>([]).with_auth(Auth::Token(token)),
        &[401],
        "a request with an invalid token",
    )
}

fn auth_unknown_org(run: &Run<'_>) -> Checked {
    let org = format!("calllogs-contract-no-such-org-{}", run.options.seed);
    expect_status(
        run,
        Request::new::<&str, &str>([]).with_auth(Auth::Org(org)),
        &[403, 404],
        "an unknown Org-Handle",
    )
}

fn auth_foreign_org(run: &Run<'_>) -> Checked {
    match &run.probe.target().foreign_org_handle {
        Some(org) => expect_status(
            run,
            Request::new::<&str, &str>([]).with_auth(Auth::Org(org.clone())),
            &[403],
            "another organization's handle",
        ),
        None => Checked {
            skipped: Some("no --foreign-org-handle given".to_owned()),
            ..Checked::default()
        },
    }
}

/// Inputs the contract answers with 400.
pub const INVALID_INPUTS: &[(&str, &str)] = &[
    ("page", "0"),
    ("page", "-1"),
    ("page", "abc"),
    ("page", "1.5"),
    ("page_size", "0"),
    ("page_size", "1001"),
    ("page_size", "ten"),
    ("call_type", "sideways"),
    ("call_status", "busy"),
    ("start_date", "not-a-date"),
    ("end_date", "2026-13-45"),
];

fn errors_invalid_input(run: &Run<'_>) -> Checked {
    let mut checked = Checked::default();
    let mut requests: Vec<(String, Request)> = INVALID_INPUTS
        .iter()
        .map(|(k, v)| (format!("{k}={v}"), Request::new([(*k, *v)])))
        .collect();
    requests.push((
        "start_date after end_date".to_owned(),
        Request::new([("start_date", "2026-02-08"), ("end_date", "2026-02-07")]),
    ));
    requests.push((
        "no Org-Handle".to_owned(),
        Request::new::<&str, &str>([]).with_auth(Auth::NoOrg),
    ));
    for (what, request) in requests {
        let exchange = match run.probe.get(request.clone()) {
            Ok(exchange) => exchange,
            Err(error) => {
                checked.record_probe_error(&error, &request, run.probe);
                break;
            }
        };
        let json_body = exchange.json.as_ref().is_some_and(|b| b.is_object());
        if exchange.status != 400 || !json_body {
            checked.findings.push(Finding {
                summary: format!(
                    "invalid input ({what}) got {}{}",
                    exchange.status,
                    if json_body {
                        ""
                    } else {
                        " without a JSON body"
                    }
                ),
                expected: "400 with a JSON error body".to_owned(),
                actual: answer_text(&exchange),
                requests: vec![exchange.curl.clone()],
            });
        }
    }
    checked
}

// ---------------------------------------------------------------------------------------------
// passive checks over every exchange

fn each(
    log: &Log,
    mut judge: impl FnMut(&Exchange) -> Option<(String, String, String)>,
) -> Vec<Finding> {
    log.iter()
        .filter_map(|exchange| {
            judge(exchange).map(|(summary, expected, actual)| Finding {
                summary,
                expected,
                actual,
                requests: vec![exchange.curl.clone()],
            })
        })
        .take(MAX_FINDINGS)
        .collect()
}

fn no_5xx(log: &Log) -> Vec<Finding> {
    each(log, |e| {
        (e.status >= 500).then(|| {
            (
                format!("a request got {}", e.status),
                "no 5xx".to_owned(),
                e.snippet.chars().take(160).collect(),
            )
        })
    })
}

fn content_type(log: &Log) -> Vec<Finding> {
    each(log, |e| {
        let ok = e.content_type.as_deref().is_some_and(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
        (!ok).then(|| {
            (
                format!("a {} answer is not JSON by its Content-Type", e.status),
                "application/json".to_owned(),
                format!("{:?}", e.content_type),
            )
        })
    })
}

fn status_code(log: &Log) -> Vec<Finding> {
    each(log, |e| {
        let body = e.json.as_ref()?.get("status_code")?.as_u64();
        (body != Some(u64::from(e.status))).then(|| {
            (
                "the body's status_code differs from the HTTP status".to_owned(),
                e.status.to_string(),
                format!("{body:?}"),
            )
        })
    })
}

fn validate_all(
    log: &Log,
    schema: &serde_json::Value,
    pick: impl Fn(&Exchange) -> bool,
    what: &str,
) -> Vec<Finding> {
    let validator = schema::validator(schema);
    each(log, |e| {
        if !pick(e) {
            return None;
        }
        let Some(body) = &e.json else {
            return Some((
                format!("a {} body is not JSON", e.status),
                format!("{what} as JSON"),
                e.snippet.chars().take(160).collect(),
            ));
        };
        let error = validator.iter_errors(body).next()?;
        Some((
            format!(
                "a {} body breaks the {what} schema at {}",
                e.status,
                error.instance_path()
            ),
            format!(
                "{what} per schema/{}",
                if what == "page" {
                    "call-log-page.schema.json"
                } else {
                    "error-body.schema.json"
                }
            ),
            error.to_string(),
        ))
    })
}

fn schema_page(log: &Log) -> Vec<Finding> {
    validate_all(log, &schema::page_strict(), |e| e.status == 200, "page")
}

fn schema_error(log: &Log) -> Vec<Finding> {
    validate_all(log, &schema::error_strict(), |e| e.status >= 400, "error")
}

/// The cross-field rules of one record; the first one broken, if any.
pub fn record_rule_broken(r: &CallLog) -> Option<String> {
    for (field, number) in [
        ("source_number", &r.source_number),
        ("destination_number", &r.destination_number),
    ] {
        if let Some(number) = number.as_deref().filter(|n| !schema::is_e164(n)) {
            return Some(format!("{field} {number:?} is not E.164"));
        }
    }
    match (r.start_time, r.end_time) {
        (None, None) => {
            if r.call_duration != 0.0 {
                return Some(format!(
                    "an unanswered call has call_duration {}",
                    r.call_duration
                ));
            }
            if r.call_status == CallStatus::Completed {
                return Some("a completed call has no start_time".to_owned());
            }
        }
        (Some(start), Some(end)) => {
            if end < start {
                return Some("end_time is before start_time".to_owned());
            }
            if start < r.creation_time {
                return Some("start_time is before creation_time".to_owned());
            }
            let seconds = (end - start).num_seconds() as f64;
            if r.call_duration != seconds {
                return Some(format!(
                    "call_duration is {} but end_time - start_time is {seconds} s",
                    r.call_duration
                ));
            }
            if matches!(r.call_status, CallStatus::Missed | CallStatus::NoAnswer) {
                return Some(format!("a {} call has a start_time", r.call_status));
            }
        }
        _ => return Some("exactly one of start_time and end_time is null".to_owned()),
    }
    None
}

fn data_rules(log: &Log) -> Vec<Finding> {
    let mut reported = HashSet::new();
    each(log, |e| {
        e.records().iter().find_map(|record| {
            let broken = record_rule_broken(record)?;
            reported.insert(broken.clone()).then(|| {
                (
                    broken,
                    "the contract's cross-field rules".to_owned(),
                    brief(record),
                )
            })
        })
    })
}
