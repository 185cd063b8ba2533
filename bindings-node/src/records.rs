//! Records as JavaScript receives them: one UTF-8 JSON array of columns in a Buffer, the core's
//! fields in their order and then `extra` (the unknown fields of each record, `null` when it has
//! none); times in epoch milliseconds, whole seconds as integers. The JavaScript side parses it
//! with one `JSON.parse` and builds each record as one object literal, so that every record has
//! the same shape and each time is a `new Date(ms)` from the start (a field that changes from a
//! number to a `Date` after parsing costs V8 a change of the object's layout per record).

use napi::bindgen_prelude::Buffer;
use serde::ser::{SerializeSeq, Serializer};
use unpod_calllogs::CallLog;
use unpod_calllogs::fields::{FIELDS, Field, FieldValue};
use unpod_calllogs::model::Seconds;

fn millis(time: &chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_millis()
}

/// One field of every record.
struct Column<'a>(&'a Field, &'a [CallLog]);

impl serde::Serialize for Column<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(field, records) = *self;
        let mut seq = serializer.serialize_seq(Some(records.len()))?;
        for record in records {
            match (field.value)(record) {
                FieldValue::Text(text) => seq.serialize_element(&text)?,
                FieldValue::Instant(time) => seq.serialize_element(&time.map(millis))?,
                FieldValue::Seconds(seconds) => seq.serialize_element(&Seconds(seconds))?,
            }
        }
        seq.end()
    }
}

/// Each record's unknown fields, `null` where there are none.
struct Extras<'a>(&'a [CallLog]);

impl serde::Serialize for Extras<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for record in self.0 {
            seq.serialize_element(&(!record.extra.is_empty()).then_some(&record.extra))?;
        }
        seq.end()
    }
}

struct Columns<'a>(&'a [CallLog]);

impl serde::Serialize for Columns<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(FIELDS.len() + 1))?;
        for field in FIELDS {
            seq.serialize_element(&Column(field, self.0))?;
        }
        seq.serialize_element(&Extras(self.0))?;
        seq.end()
    }
}

/// About what a record takes in the columns (numbers, times and reasons of the usual lengths): the
/// buffer is sized once for the page instead of doubled as it fills.
const RECORD_BYTES: usize = 160;

/// The records as a Buffer of JSON columns.
pub fn records_json(records: &[CallLog]) -> napi::Result<Buffer> {
    let mut json = Vec::with_capacity(records.len() * RECORD_BYTES + 64);
    serde_json::to_writer(&mut json, &Columns(records))
        .map(|()| Buffer::from(json))
        .map_err(|e| napi::Error::from_reason(format!("records as JSON: {e}")))
}
