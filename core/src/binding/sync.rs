//! A sync as both bindings start it: its settings by name (one JSON object, the core's names,
//! durations in seconds), the run with an optional progress callback, and its summary and progress
//! as JSON. A new setting is a field of [`SyncSettings`] and a line here.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::binding::coerce::whole_number;
use crate::binding::{OnProgress, spelled};
use crate::client::Client;
use crate::error::Error;
use crate::query::{CallLogQuery, DateBound};
use crate::sync::handover::{Handed, handover};
use crate::sync::{Progress, Summary, Sync, SyncSettings, destination};

/// The settings given in seconds.
pub const DURATIONS: &[&str] = &["settle", "lookback", "window"];

/// A setting's name as a binding's users write it: camelCase in Node, with `Ms` for a duration.
pub fn setting_name(binding: &str, name: &str) -> String {
    let spelled = spelled(binding, name);
    if binding == "node" && DURATIONS.contains(&name) {
        format!("{spelled}Ms")
    } else {
        spelled
    }
}

fn number(binding: &str, name: &str, value: &Value, min: u64, max: u64) -> Result<u64, Error> {
    let shown = setting_name(binding, name);
    match value.as_f64() {
        Some(value) => whole_number(&shown, value, min, max),
        None => Err(Error::Config(format!(
            "{shown} must be a number (got {value})"
        ))),
    }
}

fn duration(binding: &str, name: &str, value: &Value) -> Result<Duration, Error> {
    let shown = setting_name(binding, name);
    value
        .as_f64()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| {
            Error::Config(format!(
                "{shown} must be a duration of 0 or more (got {value})"
            ))
        })
}

/// The settings in `options` (a JSON object of [`SyncSettings::NAMES`]; `null` means the
/// default), each checked; an unknown name is an error that lists the known ones.
pub fn settings(binding: &str, options: &str) -> Result<SyncSettings, Error> {
    let options: Map<String, Value> = serde_json::from_str(options)
        .map_err(|e| Error::Config(format!("the sync's settings are not an object: {e}")))?;
    let mut settings = SyncSettings::default();
    for (name, value) in options {
        if value.is_null() {
            continue;
        }
        let text = || {
            value.as_str().map(str::to_owned).ok_or_else(|| {
                Error::Config(format!("{} must be a string", setting_name(binding, &name)))
            })
        };
        settings = match name.as_str() {
            "table" => settings.table(text()?),
            "settle" => settings.settle(duration(binding, &name, &value)?),
            "lookback" => settings.lookback(duration(binding, &name, &value)?),
            "window" => settings.window(duration(binding, &name, &value)?),
            "max_records" => settings.max_records(number(binding, &name, &value, 1, 1 << 53)?),
            "max_pages" => settings.max_pages(number(binding, &name, &value, 1, 1 << 53)?),
            "page_size" => {
                let most = u64::from(crate::query::MAX_PAGE_SIZE);
                settings.page_size(number(binding, &name, &value, 1, most)? as u32)
            }
            "prefetch" => {
                let most = crate::defaults::MAX_CONCURRENCY as u64;
                settings.prefetch(number(binding, &name, &value, 0, most)? as usize)
            }
            "until" => {
                let text = text()?;
                let until = DateBound::parse(&text).ok_or_else(|| {
                    Error::Config(format!(
                        "{} must be a date or an ISO 8601 date-time (got {text:?})",
                        setting_name(binding, &name)
                    ))
                })?;
                settings.until(until.last_instant())
            }
            _ => {
                let known: Vec<String> = SyncSettings::NAMES
                    .iter()
                    .map(|name| setting_name(binding, name))
                    .collect();
                return Err(Error::Config(format!(
                    "sync got an unknown setting {:?}; known: {}",
                    setting_name(binding, &name),
                    known.join(", ")
                )));
            }
        };
    }
    Ok(settings)
}

/// Runs a sync of `query`'s records into `destination` (as [`destination::open`] reads it) once,
/// and returns its summary as JSON.
pub async fn run(
    client: Client,
    destination: String,
    query: CallLogQuery,
    settings: SyncSettings,
    on_progress: Option<OnProgress>,
) -> Result<String, Error> {
    let mut builder = Sync::builder(client, destination::open(&destination)?)
        .query(query)
        .settings(settings);
    if let Some(tell) = on_progress {
        builder = builder.on_progress(move |progress: &Progress| tell(json(progress)));
    }
    let summary: Summary = builder.build()?.run().await?;
    Ok(json(&summary))
}

/// A sync of `query`'s records whose batches go to the caller ([`crate::sync::handover`]): their
/// receiver, and the run, which ends with its summary as JSON after the last batch is taken (or
/// with an error once the receiver is dropped). `state` is the JSON the last batch of an earlier
/// run carried (`None`: a first run).
pub fn handed(
    client: Client,
    query: CallLogQuery,
    settings: SyncSettings,
    state: Option<&str>,
) -> Result<
    (
        tokio::sync::mpsc::Receiver<Handed>,
        impl Future<Output = Result<String, Error>> + Send + 'static,
    ),
    Error,
> {
    let state = state
        .map(|text| {
            serde_json::from_str(text)
                .map_err(|e| Error::Destination(format!("the sync state given is unreadable: {e}")))
        })
        .transpose()?;
    let (destination, receiver) = handover(state);
    let mut sync = Sync::builder(client, Box::new(destination))
        .query(query)
        .settings(settings)
        .build()?;
    Ok((receiver, async move { Ok(json(&sync.run().await?)) }))
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_by_name_and_refused_in_the_bindings_spelling() {
        let settings = settings(
            "python",
            r#"{"settle": 1.5, "max_records": 10, "until": "2026-02-01", "table": null}"#,
        )
        .unwrap();
        assert_eq!(settings.settle, Duration::from_millis(1500));
        assert_eq!(settings.max_records, 10);
        assert_eq!(settings.table, crate::sync::DEFAULT_TABLE);
        let refused = |binding, options| super::settings(binding, options).unwrap_err().to_string();
        assert!(refused("node", r#"{"lookback": -1}"#).contains("lookbackMs"));
        assert!(refused("node", r#"{"max_records": 0.5}"#).contains("maxRecords"));
        assert!(refused("python", r#"{"max_record": 5}"#).contains("known: table, settle"));
        assert!(refused("python", r#"{"until": "soon"}"#).contains("until"));
    }
}
