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
        .take(MAX_FINDINGS)
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

pub(super) fn page_schema(log: &Log) -> Vec<Finding> {
    validate_all(log, &schema::page_strict(), |e| e.status == 200, "page")
}

pub(super) fn error_schema(log: &Log) -> Vec<Finding> {
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
