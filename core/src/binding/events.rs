//! An [`Event`] as the one map of details both bindings hand their listeners: `name` always, and
//! the fields of its kind. Keys are snake_case and durations are in seconds; each binding spells
//! them in its language's style (Node: camelCase, durations in milliseconds as `...Ms`).

use serde_json::{Map, Value, json};

use crate::options::Event;

/// The keys of [`details`] whose values are durations in seconds.
pub const DURATION_KEYS: &[&str] = &["elapsed", "delay"];

/// The details of `event`.
pub fn details(event: &Event) -> Map<String, Value> {
    let mut details = Map::new();
    let mut set = |key: &str, value: Value| {
        details.insert(key.to_owned(), value);
    };
    set("name", json!(event.name()));
    match event {
        Event::Request { url, attempt } => {
            set("url", json!(url));
            set("attempt", json!(attempt));
        }
        Event::Response {
            url,
            status,
            request_id,
            elapsed,
        } => {
            set("url", json!(url));
            set("status", json!(status));
            set("request_id", json!(request_id));
            set("elapsed", json!(elapsed.as_secs_f64()));
        }
        Event::Retry {
            url,
            attempt,
            delay,
            error,
        } => {
            set("url", json!(url));
            set("attempt", json!(attempt));
            set("delay", json!(delay.as_secs_f64()));
            set("error", json!(error));
        }
        Event::Warning { message } => set("message", json!(message)),
    }
    details
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_event_has_its_name_and_durations_in_seconds() {
        let retry = details(&Event::Retry {
            url: "u".into(),
            attempt: 1,
            delay: Duration::from_millis(1500),
            error: "e".into(),
        });
        assert_eq!(retry["name"], "retry");
        assert_eq!(retry["delay"], 1.5);
        let warning = details(&Event::Warning {
            message: "m".into(),
        });
        assert_eq!(warning.keys().collect::<Vec<_>>(), ["message", "name"]);
    }
}
