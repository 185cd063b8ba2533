//! A core error as the one map of details both bindings build their exception from: `message`
//! and `kind` (an entry of [`Error::KINDS`]) always, and the fields of its kind. Keys are
//! snake_case; each binding spells them in its language's style.

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::export::Stopped;

/// The details of `error`. An absent optional detail is `null`, so every key of a kind is there.
pub fn details(error: &Error) -> Map<String, Value> {
    let mut details = Map::new();
    let mut set = |key: &str, value: Value| {
        details.insert(key.to_owned(), value);
    };
    set("message", json!(error.to_string()));
    set("kind", json!(error.kind()));
    match error {
        Error::Api(api) => {
            set("status", json!(api.status));
            set("body", json!(api.body));
            set("request_id", json!(api.request_id));
            set(
                "retry_after",
                json!(api.retry_after.map(|d| d.as_secs_f64())),
            );
        }
        Error::Decode(decode) => {
            set("status", json!(decode.status));
            set("body", json!(decode.body_snippet));
        }
        Error::InvalidQuery(invalid) => {
            set("parameter", json!(invalid.parameter));
            set("rule", json!(invalid.rule));
            set("value", json!(invalid.value));
        }
        Error::ServerContract(violation) => {
            set("violation", json!(violation.kind.as_str()));
            set("parameter", json!(violation.parameter));
            set("value", json!(violation.value));
            set("record", json!(violation.record));
            set("previous_record", json!(violation.previous_record));
            set("page", json!(violation.page));
        }
        _ => {}
    }
    details
}

/// The details of an export that stopped: those of its error, with `rows_written` (the records
/// its partial file holds) and `partial` (that file's path), and a message that says both.
pub fn stopped(stopped: &Stopped) -> Map<String, Value> {
    let mut details = details(&stopped.error);
    let partial = stopped.partial.display().to_string();
    let message = format!(
        "{} (the export stopped after {} records, which are in {partial}; an export with resume continues it)",
        stopped.error, stopped.records
    );
    details.insert("message".into(), json!(message));
    details.insert("rows_written".into(), json!(stopped.records));
    details.insert("partial".into(), json!(partial));
    details
}

/// The error a binding reports for a panic caught at its boundary: a configuration error that asks
/// to be reported, never a crash.
pub fn panic(payload: &(dyn std::any::Any + Send)) -> Error {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".to_owned());
    Error::config(format!(
        "internal error in unpod-calllogs (please report it): {message}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    #[test]
    fn every_kind_has_its_details_and_null_for_what_is_absent() {
        let api = Error::Api(Box::new(ApiError::new(429, "slow down")));
        let details = details(&api);
        assert_eq!(details["kind"], "rate_limit");
        assert_eq!(details["status"], 429);
        assert_eq!(details["request_id"], Value::Null);
        assert!(details.contains_key("retry_after"));
        let timeout = super::details(&Error::Timeout(std::time::Duration::from_secs(1)));
        assert_eq!(
            timeout.keys().collect::<Vec<_>>(),
            ["kind", "message"],
            "a timeout has no details beyond its message"
        );
    }

    #[test]
    fn a_panic_payload_becomes_a_config_error_naming_it() {
        let error = panic(&"boom");
        assert_eq!(error.kind(), "config");
        assert!(error.to_string().contains("boom"));
    }
}
