//! The checks, the run that applies them to an endpoint, and the diagnosis that follows.
//!
//! The suite first reads a sample (the newest 1,000 records). Every record newer than the oldest one
//! sampled is known, so for any query whose window lies in that stretch the exact answer is known
//! too: filters, date bounds and pagination are checked against it, not just for plausibility. The
//! property checks draw their queries from what the sample holds (observed types and statuses, exact
//! `creation_time`s, UTC midnights and the seconds before them, page sizes that do and do not divide
//! `count`), and shrink a failure to a minimal query.
//!
//! Each active check gets a fair share of the request budget (what is left, divided among the checks
//! still to run, less a reserve for the diagnosis); a check that spends its share stops and is
//! reported incomplete, never passed. After the checks, the diagnosis ([`diagnosis`]) tests
//! hypotheses about the server and names the deviations it finds, each with the failed checks it
//! explains.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crate::probe::{Exchange, Probe, ProbeError, Request};

mod auth;
pub mod diagnosis;
mod errors;
mod filters;
mod list;
mod pagination;
mod passive;
mod property;
mod registry;
mod sample;

pub use errors::INVALID_INPUTS;
pub use list::{Identity, list_checks, run_list, run_list_with};
pub use passive::record_rule_broken;
use property::{Stop, stop_for};
use registry::Kind;
pub use registry::{CHECKS, CheckInfo};
use sample::Sample;

/// Requests kept back from the checks for the diagnosis (at most a quarter of the budget).
const DIAGNOSIS_RESERVE: u64 = 60;
/// Findings kept per check.
const MAX_FINDINGS: usize = 5;

/// The exchanges of a run, as passive checks judge them.
type Log = [Arc<Exchange>];

/// A violation, with what is needed to see it again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
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

/// A finding that an accepted deviation explains.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct AcceptedFinding {
    /// The deviation's id.
    pub deviation: &'static str,
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
}

/// How a finding's summary ends when the answers it compares differ only among records that
/// share a `creation_time` (their instants, in order, are the same): what unstable ties do.
pub(crate) const TIES_ONLY: &str = " (only records sharing a creation_time differ)";

/// Whether two lists of records hold the same instants in the same order.
fn same_instants(a: &[&unpod_calllogs::CallLog], b: &[&unpod_calllogs::CallLog]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| a.creation_time == b.creation_time)
}

/// `stop`, its finding marked [`TIES_ONLY`] when `got` and `expected` hold the same instants in
/// the same order.
fn tie_marked(
    stop: Stop,
    got: &[&unpod_calllogs::CallLog],
    expected: &[&unpod_calllogs::CallLog],
) -> Stop {
    match stop {
        Stop::Found(mut finding) if same_instants(got, expected) => {
            finding.summary.push_str(TIES_ONLY);
            Stop::Found(finding)
        }
        other => other,
    }
}

/// How a check ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
#[non_exhaustive]
pub enum Outcome {
    /// No violation found.
    Passed,
    /// At least one violation that no accepted deviation explains.
    Failed,
    /// Violations, each explained by an accepted deviation (`--accept`, `--baseline`).
    Accepted,
    /// Not run, for this reason.
    Skipped(String),
    /// Stopped early (request budget), no violation found until then.
    Incomplete(String),
}

/// The result of one check.
#[derive(Clone, Debug, serde::Serialize)]
#[non_exhaustive]
pub struct CheckResult {
    /// The check's id.
    pub id: &'static str,
    /// Its group.
    pub group: &'static str,
    /// What it asserts.
    pub description: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// Its violations that no accepted deviation explains.
    pub findings: Vec<Finding>,
    /// Its violations that an accepted deviation explains.
    pub accepted: Vec<AcceptedFinding>,
    /// Requests it sent.
    pub requests: u64,
    /// Seconds it took.
    pub seconds: f64,
    /// The command that runs this check again with the same requests (failed or incomplete only).
    pub replay: Option<String>,
}

/// What a run was asked to do.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// Generated cases per property check.
    pub cases: u32,
    /// Seed of every random choice; the same seed replays the same requests.
    pub seed: u64,
    /// Run only these checks (all when empty).
    pub only: Vec<String>,
    /// Do not run these checks.
    pub skip: Vec<String>,
    /// Deviations known and accepted (ids of [`diagnosis::deviation_ids`]): their findings are
    /// reported as accepted, not failed.
    pub accept: Vec<String>,
    /// The command line that replays this run, without `--only` (the token as
    /// `$UNPOD_PLATFORM_TOKEN`); `--only <check>` is appended for each check's replay line.
    pub replay: String,
}

/// Generated cases per property check unless told.
pub const DEFAULT_CASES: u32 = 32;
/// The seed unless told.
pub const DEFAULT_SEED: u64 = 42;

impl Default for Options {
    fn default() -> Self {
        Self {
            cases: DEFAULT_CASES,
            seed: DEFAULT_SEED,
            only: Vec::new(),
            skip: Vec::new(),
            accept: Vec::new(),
            replay: format!("calllogs-contract run --seed {DEFAULT_SEED}"),
        }
    }
}

impl Options {
    unpod_calllogs::__setters! {
        cases: u32,
        seed: u64,
        only: Vec<String> => into,
        skip: Vec<String> => into,
        accept: Vec<String> => into,
        replay: String => into,
    }
}

/// The result of a run.
#[derive(Clone, Debug, serde::Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The endpoint's base URL.
    pub target: String,
    /// The seed.
    pub seed: u64,
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
    /// The deviations from the contract the diagnosis named, with their evidence.
    pub diagnosis: Vec<diagnosis::Deviation>,
    /// Why the diagnosis could not test every hypothesis, when it could not.
    pub diagnosis_incomplete: Option<String>,
    /// What became of each accepted deviation.
    pub baseline: Vec<diagnosis::Baseline>,
    /// Requests sent in all.
    pub requests: u64,
    /// Seconds the run took.
    pub seconds: f64,
}

impl Report {
    /// Whether no check failed and every deviation named is accepted or informational.
    pub fn passed(&self) -> bool {
        self.count(|o| *o == Outcome::Failed) == 0 && self.unaccepted().next().is_none()
    }

    /// The deviations named that are neither accepted nor informational.
    pub fn unaccepted(&self) -> impl Iterator<Item = &diagnosis::Deviation> {
        self.diagnosis
            .iter()
            .filter(|d| !d.accepted && !d.informational)
    }

    /// The accepted deviations that were tested and no longer occur.
    pub fn fixed(&self) -> impl Iterator<Item = &diagnosis::Baseline> {
        self.baseline
            .iter()
            .filter(|b| b.status == diagnosis::BaselineStatus::Gone)
    }

    /// Whether every selected check ran to its end.
    pub fn complete(&self) -> bool {
        self.count(|o| matches!(o, Outcome::Incomplete(_))) == 0
    }

    /// How many checks ended as `wanted` says.
    pub fn count(&self, wanted: impl Fn(&Outcome) -> bool) -> usize {
        self.checks.iter().filter(|c| wanted(&c.outcome)).count()
    }
}

/// What the run reports while it goes, for a progress display.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A check starts; `index` counts from 0 over [`CHECKS`].
    Started {
        /// The check.
        check: &'a CheckInfo,
        /// Its place.
        index: usize,
        /// Requests sent so far.
        sent: u64,
    },
    /// A check has ended.
    Finished(&'a CheckResult),
    /// The checks are done; the diagnosis runs.
    Diagnosing,
}

/// Why a run could not test anything.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Fatal {
    /// The endpoint did not answer, or its answer was larger than the body limit.
    #[error("cannot read the endpoint: {0}")]
    Unreachable(String),
    /// A plain request with the given credentials was not answered with a page.
    #[error("a plain request got {status}, not a page of call logs: {body}{}", header_hint(*.status, .body))]
    NoPage {
        /// The status.
        status: u16,
        /// The body's beginning.
        body: String,
    },
    /// A plain request to a list operation (`run --openapi`) was not answered with a page of its
    /// records.
    #[error("a plain request got {status}, not a page of the list's records ({reason}): {body}{}", header_hint(*.status, .body))]
    NoRecords {
        /// The status.
        status: u16,
        /// What the answer lacks: a 2xx status, a JSON body, the records where the document says.
        reason: String,
        /// The body's beginning.
        body: String,
    },
}

/// A hint when a 400 to a plain request names a header the server wants (the public Unpod code
/// requires `Product-Id`, which the contract does not document).
fn header_hint(status: u16, body: &str) -> String {
    let names_header = status == 400 && body.to_ascii_lowercase().contains("header");
    if names_header {
        " (the server seems to require a header the contract does not name: pass it with --header 'Name: value')".to_owned()
    } else {
        String::new()
    }
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

struct Run<'a> {
    probe: &'a Probe,
    options: &'a Options,
    sample: Sample,
    /// The accepted deviations that hold, with their evidence.
    accepted: Vec<diagnosis::Confirmed>,
    /// The check running.
    check: Cell<&'static str>,
}

impl Run<'_> {
    /// The accepted deviation that explains `finding` of the running check, if any.
    fn accepting(&self, finding: &Finding) -> Option<&'static str> {
        self.accepting_in(finding, &self.requests_by_curl())
    }

    /// The run's requests by the `curl` line that shows each (empty when nothing is accepted, as
    /// then no finding needs them).
    fn requests_by_curl(&self) -> HashMap<String, Request> {
        if self.accepted.is_empty() {
            return HashMap::new();
        }
        self.probe
            .log()
            .iter()
            .map(|e| (e.curl.clone(), e.request.clone()))
            .collect()
    }

    /// [`Run::accepting`], the requests behind the finding found in `requests`.
    fn accepting_in(
        &self,
        finding: &Finding,
        requests: &HashMap<String, Request>,
    ) -> Option<&'static str> {
        if self.accepted.is_empty() {
            return None;
        }
        let shown: Vec<&Request> = finding
            .requests
            .iter()
            .filter_map(|curl| requests.get(curl))
            .collect();
        let check = self.check.get();
        self.accepted
            .iter()
            .find(|c| c.explains(check, finding, &shown))
            .map(|c| c.id())
    }

    /// `checked` with each finding an accepted deviation explains moved to `accepted`.
    fn sort_out(&self, mut checked: Checked) -> Checked {
        let requests = self.requests_by_curl();
        let (accepted, unexplained): (Vec<_>, Vec<_>) = std::mem::take(&mut checked.findings)
            .into_iter()
            .map(|finding| (self.accepting_in(&finding, &requests), finding))
            .partition(|(deviation, _)| deviation.is_some());
        checked.findings = unexplained.into_iter().map(|(_, f)| f).collect();
        checked
            .accepted
            .extend(accepted.into_iter().filter_map(|(deviation, finding)| {
                deviation.map(|deviation| AcceptedFinding { deviation, finding })
            }));
        checked
    }
}

/// What a check function found, and whether it had to stop early.
#[derive(Default)]
struct Checked {
    findings: Vec<Finding>,
    accepted: Vec<AcceptedFinding>,
    incomplete: Option<String>,
    skipped: Option<String>,
}

impl Checked {
    fn skipped(reason: &str) -> Self {
        Self {
            skipped: Some(reason.to_owned()),
            ..Self::default()
        }
    }

    /// Takes in why the check stopped: a finding, or an incomplete run.
    fn absorb(&mut self, stop: Stop) {
        match stop {
            Stop::Budget(reason) => self.incomplete = Some(reason),
            Stop::Found(finding) => self.findings.push(*finding),
        }
    }

    fn record_probe_error(&mut self, error: ProbeError, request: &Request, probe: &Probe) {
        self.absorb(stop_for(error, request, probe));
    }
}

fn selected(options: &Options, check: &CheckInfo) -> bool {
    let named = |names: &[String]| names.iter().any(|n| n == check.id || n == check.group);
    (options.only.is_empty() || named(&options.only)) && !named(&options.skip)
}

/// Runs the selected checks against the probe's target, then the diagnosis.
pub fn run(probe: &Probe, options: &Options) -> Result<Report, Fatal> {
    run_with(probe, options, |_| {})
}

/// [`run`], telling `progress` what happens as it happens.
pub fn run_with(
    probe: &Probe,
    options: &Options,
    mut progress: impl FnMut(Event<'_>),
) -> Result<Report, Fatal> {
    let started = Instant::now();
    let mut run = Run {
        probe,
        options,
        sample: Sample::take(probe)?,
        accepted: Vec::new(),
        check: Cell::new(""),
    };
    // Accepted deviations are tested first: only those that hold explain findings.
    let (confirmed, baseline) = diagnosis::confirm(&run, &options.accept);
    run.accepted = confirmed;
    let reserve = DIAGNOSIS_RESERVE.min(probe.remaining() / 4);
    let mut active_left = CHECKS
        .iter()
        .filter(|c| c.is_active() && selected(options, c))
        .count() as u64;
    let mut results = Vec::new();
    for (index, check) in CHECKS.iter().enumerate() {
        let sent = probe.sent();
        progress(Event::Started { check, index, sent });
        let clock = Instant::now();
        run.check.set(check.id);
        let checked = if !selected(options, check) {
            Checked::skipped("not selected")
        } else {
            match check.kind {
                Kind::Active(_)
                    if run.sample.unreadable && matches!(check.group, "filters" | "pagination") =>
                {
                    active_left -= 1;
                    Checked::skipped("the first page could not be read (see schema.page)")
                }
                Kind::Active(check_fn) => {
                    let share = probe.remaining().saturating_sub(reserve) / active_left;
                    active_left -= 1;
                    probe.set_share(Some(share));
                    let checked = check_fn(&run);
                    probe.set_share(None);
                    checked
                }
                Kind::Passive(check_fn) => Checked {
                    findings: check_fn(&probe.log()),
                    ..Checked::default()
                },
            }
        };
        let checked = run.sort_out(checked);
        let result = result_of(
            (check.id, check.group, check.description),
            checked,
            probe.sent() - sent,
            clock,
            options,
        );
        progress(Event::Finished(&result));
        results.push(result);
    }
    progress(Event::Diagnosing);
    let (diagnosis, diagnosis_incomplete) = diagnosis::diagnose(&run, &results);
    Ok(Report {
        target: probe.target().base_url.clone(),
        seed: options.seed,
        checks: results,
        diagnosis,
        diagnosis_incomplete,
        baseline,
        requests: probe.sent(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A check's result: its `(id, group, description)` and what it found.
fn result_of(
    (id, group, description): (&'static str, &'static str, &'static str),
    checked: Checked,
    requests: u64,
    clock: Instant,
    options: &Options,
) -> CheckResult {
    let outcome = match (
        checked.skipped,
        checked.findings.is_empty(),
        checked.incomplete,
        checked.accepted.is_empty(),
    ) {
        (Some(reason), ..) => Outcome::Skipped(reason),
        (None, false, ..) => Outcome::Failed,
        (None, true, Some(reason), _) => Outcome::Incomplete(reason),
        (None, true, None, false) => Outcome::Accepted,
        (None, true, None, true) => Outcome::Passed,
    };
    let replay = matches!(outcome, Outcome::Failed | Outcome::Incomplete(_))
        .then(|| format!("{} --only {id}", options.replay));
    let mut findings = checked.findings;
    findings.truncate(MAX_FINDINGS);
    let mut accepted = checked.accepted;
    accepted.dedup_by(|a, b| a.deviation == b.deviation && a.finding.summary == b.finding.summary);
    accepted.truncate(MAX_FINDINGS);
    CheckResult {
        id,
        group,
        description,
        outcome,
        findings,
        accepted,
        requests,
        seconds: clock.elapsed().as_secs_f64(),
        replay,
    }
}
