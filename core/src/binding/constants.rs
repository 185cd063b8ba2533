//! The defaults and lists the core owns, as one table that both bindings export under these
//! names and test against: durations in seconds, lists as lists of strings.

use serde_json::{Value, json};

use crate::defaults::{
    DEFAULT_CONCURRENCY, DEFAULT_MAX_RETRIES, DEFAULT_PREFETCH, DEFAULT_TIMEOUT,
    DEFAULT_WALK_PAGE_SIZE, MAX_CONCURRENCY, MAX_RETRIES,
};
use crate::dialect::Dialect;
use crate::error::{Error, ViolationKind};
use crate::fields;
use crate::model::{CallStatus, CallType};
use crate::options::Event;
use crate::query::{MAX_PAGE_SIZE, PARAMETERS};
use crate::sync::{Summary, SyncSettings};

/// The default of every sync setting that has one, durations in seconds.
fn sync_defaults() -> Value {
    let d = SyncSettings::default();
    json!({
        "table": d.table,
        "settle": d.settle.as_secs_f64(),
        "lookback": d.lookback.as_secs_f64(),
        "max_records": d.max_records,
        "max_pages": d.max_pages,
        "page_size": d.page_size,
        "window": d.window.as_secs_f64(),
        "prefetch": d.prefetch,
    })
}

/// Every constant a binding exports: `(NAME, value)`.
pub fn constants() -> Vec<(&'static str, Value)> {
    vec![
        ("DEFAULT_TIMEOUT", json!(DEFAULT_TIMEOUT.as_secs_f64())),
        ("DEFAULT_MAX_RETRIES", json!(DEFAULT_MAX_RETRIES)),
        ("MAX_RETRIES", json!(MAX_RETRIES)),
        ("DEFAULT_WALK_PAGE_SIZE", json!(DEFAULT_WALK_PAGE_SIZE)),
        ("MAX_PAGE_SIZE", json!(MAX_PAGE_SIZE)),
        ("DEFAULT_CONCURRENCY", json!(DEFAULT_CONCURRENCY)),
        ("MAX_CONCURRENCY", json!(MAX_CONCURRENCY)),
        ("DEFAULT_PREFETCH", json!(DEFAULT_PREFETCH)),
        (
            "CALL_TYPES",
            json!(
                CallType::DOCUMENTED
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
            ),
        ),
        (
            "CALL_STATUSES",
            json!(
                CallStatus::DOCUMENTED
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
            ),
        ),
        ("ERROR_KINDS", json!(Error::KINDS)),
        (
            "VIOLATION_KINDS",
            json!(
                ViolationKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
            ),
        ),
        ("PARAMETERS", json!(PARAMETERS)),
        (
            "DIALECTS",
            json!(Dialect::ALL.iter().map(|d| d.name()).collect::<Vec<_>>()),
        ),
        ("EVENTS", json!(Event::NAMES)),
        (
            "EVENT_DURATION_KEYS",
            json!(crate::binding::events::DURATION_KEYS),
        ),
        ("RECORD_FIELDS", json!(fields::names().collect::<Vec<_>>())),
        ("SYNC_SETTINGS", json!(SyncSettings::NAMES)),
        ("SYNC_DURATIONS", json!(crate::binding::sync::DURATIONS)),
        ("SYNC_DEFAULTS", sync_defaults()),
        ("SYNC_SUMMARY_FIELDS", json!(Summary::field_names())),
        (
            "RECORD_FIELD_KINDS",
            Value::Object(
                fields::FIELDS
                    .iter()
                    .map(|f| (f.name.to_owned(), json!(f.kind.as_str())))
                    .collect(),
            ),
        ),
    ]
}
