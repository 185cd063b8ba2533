//! Records as JavaScript receives them: UTF-8 JSON in a Buffer, times in epoch milliseconds (one
//! `JSON.parse` and a `new Date(ms)` per time on the JavaScript side), unknown fields under
//! `extra`.

use napi::bindgen_prelude::Buffer;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use unpod_calllogs::CallLog;
use unpod_calllogs::fields::{FIELDS, FieldValue};

fn millis(time: &chrono::DateTime<chrono::Utc>) -> f64 {
    time.timestamp_millis() as f64
}

/// A record as JavaScript receives it: times in epoch milliseconds, unknown fields under `extra`.
struct JsRecord<'a>(&'a CallLog);

impl serde::Serialize for JsRecord<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(FIELDS.len() + 1))?;
        for field in FIELDS {
            match (field.value)(self.0) {
                FieldValue::Text(text) => map.serialize_entry(field.name, &text)?,
                FieldValue::Instant(time) => map.serialize_entry(field.name, &time.map(millis))?,
                FieldValue::Seconds(seconds) => map.serialize_entry(field.name, &seconds)?,
            }
        }
        map.serialize_entry("extra", &self.0.extra)?;
        map.end()
    }
}

struct JsRecords<'a>(&'a [CallLog]);

impl serde::Serialize for JsRecords<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for record in self.0 {
            seq.serialize_element(&JsRecord(record))?;
        }
        seq.end()
    }
}

/// The records as a Buffer of JSON.
pub fn records_json(records: &[CallLog]) -> Buffer {
    serde_json::to_vec(&JsRecords(records))
        .unwrap_or_else(|_| b"[]".to_vec())
        .into()
}
