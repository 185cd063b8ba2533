//! Property checks (proptest over queries), and sending requests from checks.

use std::cell::RefCell;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use unpod_calllogs::{CallLog, CallLogQuery};

use crate::probe::{Exchange, Probe, ProbeError, Request};

use super::*;

pub(super) fn runner(options: &Options, cases: u32, salt: u64) -> TestRunner {
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

/// Why a case or a check stopped before its end.
pub(super) enum Stop {
    /// The check's share of the request budget is spent: it is incomplete, not failed.
    Budget(String),
    /// A violation.
    Found(Box<Finding>),
}

/// A violation, as the reason to stop.
pub(super) fn found(finding: Finding) -> Stop {
    Stop::Found(Box::new(finding))
}

/// Runs a property; a failure is shrunk and reported by the finding its last (minimal) failing
/// case recorded. A spent budget ends the property as incomplete. A case whose finding an
/// accepted deviation explains is noted as accepted and passes, so that the search (and the
/// shrinking) goes on for findings that nothing accepted explains.
pub(super) fn property<S: Strategy>(
    run: &Run<'_>,
    cases: u32,
    salt: u64,
    strategy: S,
    test: impl Fn(&S::Value) -> Result<(), Stop>,
) -> Checked
where
    S::Value: std::fmt::Debug,
{
    let last_failure: RefCell<Option<Finding>> = RefCell::new(None);
    let accepted: RefCell<Vec<AcceptedFinding>> = RefCell::new(Vec::new());
    let budget_spent = RefCell::new(None);
    let result = runner(run.options, cases, salt).run(&strategy, |value| {
        if budget_spent.borrow().is_some() {
            return Ok(());
        }
        match test(&value) {
            Ok(()) => Ok(()),
            Err(Stop::Budget(reason)) => {
                *budget_spent.borrow_mut() = Some(reason);
                Ok(())
            }
            Err(Stop::Found(finding)) => {
                if let Some(deviation) = run.accepting(&finding) {
                    let mut accepted = accepted.borrow_mut();
                    if accepted.len() < MAX_FINDINGS {
                        accepted.push(AcceptedFinding {
                            deviation,
                            finding: *finding,
                        });
                    }
                    return Ok(());
                }
                let reason = finding.summary.clone();
                *last_failure.borrow_mut() = Some(*finding);
                Err(TestCaseError::fail(reason))
            }
        }
    });
    let mut checked = Checked {
        incomplete: budget_spent.into_inner(),
        accepted: accepted.into_inner(),
        ..Checked::default()
    };
    if let Err(TestError::Fail(_, _)) = result {
        checked.findings.extend(last_failure.into_inner());
    }
    checked
}

/// Sends a request; no answer (or no budget left) is the reason to stop.
pub(super) fn send(run: &Run<'_>, request: Request) -> Result<Arc<Exchange>, Stop> {
    run.probe
        .get(request.clone())
        .map_err(|error| stop_for(error, &request, run.probe))
}

/// What a request that got no answer means for the check that sent it.
pub(super) fn stop_for(error: ProbeError, request: &Request, probe: &Probe) -> Stop {
    match error {
        ProbeError::Transport(message) => found(Finding {
            summary: "the endpoint did not answer".to_owned(),
            expected: "an HTTP answer".to_owned(),
            actual: message,
            requests: vec![probe.curl(request)],
        }),
        ProbeError::TooLarge(status, limit) => found(Finding {
            summary: "an answer's body is larger than the clients accept".to_owned(),
            expected: format!("a body of at most {limit} bytes"),
            actual: format!("{status}, with more than {limit} bytes (not read on)"),
            requests: vec![probe.curl(request)],
        }),
        budget => Stop::Budget(budget.to_string()),
    }
}

/// Sends a query that the contract must answer with a page, and reads the page.
pub(super) fn page_of(
    run: &Run<'_>,
    query: &CallLogQuery,
) -> Result<(Arc<unpod_calllogs::CallLogPage>, Arc<Exchange>), Stop> {
    let exchange = send(run, Request::from_query(query))?;
    match exchange.page.clone() {
        Some(page) => Ok((page, exchange)),
        None => Err(found(Finding {
            summary: format!("a valid query got {} instead of a page", exchange.status),
            expected: "200 with a page of call logs".to_owned(),
            actual: format!("{}: {}", exchange.status, exchange.snippet),
            requests: vec![exchange.curl.clone()],
        })),
    }
}

/// An answer in one line: its status and the beginning of its body.
pub(super) fn answer_text(exchange: &Exchange) -> String {
    let body: String = exchange.snippet.chars().take(160).collect();
    format!("{}: {body}", exchange.status)
}

pub(super) fn describe(query: &CallLogQuery) -> String {
    let text = query.to_query_string();
    if text.is_empty() {
        "no parameters".to_owned()
    } else {
        text
    }
}

pub(super) fn brief(record: &CallLog) -> String {
    format!(
        "{{creation_time: {}, call_type: {}, call_status: {}, source_number: {}}}",
        unpod_calllogs::model::format_timestamp(&record.creation_time),
        record.call_type,
        record.call_status,
        record.source_number.as_deref().unwrap_or("null")
    )
}
