//! Checks that judge every exchange of the run: schemas, data rules, no 5xx.

use std::collections::HashSet;

use unpod_calllogs::{CallLog, CallStatus};

use crate::probe::Exchange;
use crate::schema;

use super::property::*;
use super::*;

pub(super) fn each(
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
        .collect()
}

pub(super) fn no_5xx(log: &Log) -> Vec<Finding> {
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

pub(super) fn content_type(log: &Log) -> Vec<Finding> {
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

pub(super) fn status_code(log: &Log) -> Vec<Finding> {
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

pub(super) fn validate_all(
    log: &Log,
    schema: &serde_json::Value,
    pick: impl Fn(&Exchange) -> bool,
    what: &str,
) -> Vec<Finding> {
    let validator = schema::validator(schema);
    let expected = format!(
        "{what} per schema/{}",
        if what == "page" {
            "call-log-page.schema.json"
        } else {
            "error-body.schema.json"
        }
    );
    // Each way a body breaks the schema once (by keyword and place, record indices aside), so
    // that no kind of violation hides behind another, nor behind one that is accepted.
    let mut reported = HashSet::new();
    let mut findings = Vec::new();
    for exchange in log.iter().filter(|e| pick(e)) {
        let finding = |summary: String, actual: String| Finding {
            summary,
            expected: expected.clone(),
            actual,
            requests: vec![exchange.curl.clone()],
        };
        let Some(body) = &exchange.json else {
            if reported.insert(String::new()) {
                findings.push(finding(
                    format!("a {} body is not JSON", exchange.status),
                    exchange.snippet.chars().take(160).collect(),
                ));
            }
            continue;
        };
        for error in validator.iter_errors(body) {
            let place = error.instance_path().to_string();
            let keyword = error.kind().keyword().to_owned();
            let shape: String = place
                .split('/')
                .map(|step| {
                    if step.parse::<u64>().is_ok() {
                        "*"
                    } else {
                        step
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            if reported.insert(format!("{shape} {keyword}")) {
                findings.push(finding(
                    format!(
                        "a {} body breaks the {what} schema at {place} ({keyword})",
                        exchange.status
                    ),
                    error.to_string(),
                ));
            }
        }
    }
    findings
}

/// Whether a schema finding is about `field` breaking `keyword` (`field` empty: any place).
pub(crate) fn breaks_schema(finding: &Finding, field: &str, keyword: &str) -> bool {
    finding.summary.ends_with(&format!("{field} ({keyword})"))
}

pub(super) fn page_schema(log: &Log) -> Vec<Finding> {
    validate_all(log, &schema::page_strict(), |e| e.status == 200, "page")
}

pub(super) fn error_schema(log: &Log) -> Vec<Finding> {
    validate_all(log, &schema::error_strict(), |e| e.status >= 400, "error")
}

/// How a data finding says that call_duration differs from end_time - start_time by a fraction of
/// a second only (as real servers' fractional durations do).
pub(crate) const FRACTION_OVER: &str =
    "differs by a fraction of a second from end_time - start_time";

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
            if r.call_duration != seconds && (r.call_duration - seconds).abs() < 1.0 {
                return Some(format!(
                    "call_duration {} {FRACTION_OVER} ({seconds} s)",
                    r.call_duration
                ));
            }
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

pub(super) fn data_rules(log: &Log) -> Vec<Finding> {
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
