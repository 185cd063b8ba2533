//! A record's documented fields as data: each field's name, kind and value, in the contract's
//! order. The JSON writer, the CSV export, the walks' fingerprints, both bindings' records and
//! Arrow columns, and the contract suite's schema all read this table, so a new field is added
//! to [`CallLog`] and here, and nowhere else.

use chrono::{DateTime, Utc};

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::model::{CallLog, Seconds, format_timestamp};

/// What a field holds, as the schema, the columns and the bindings type it. Exhaustive on purpose:
/// a new kind is a compile error in every reader until each says how to handle it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A phone number in E.164 form (`null` read as absent).
    PhoneNumber,
    /// A [`crate::CallType`].
    CallType,
    /// A [`crate::CallStatus`].
    CallStatus,
    /// An instant, always present.
    Instant,
    /// An instant, `null` when the call was not answered.
    OptionalInstant,
    /// A duration in seconds (whole in the contract; a fraction is read and kept).
    Seconds,
    /// Free text (`null` read as absent).
    Text,
}

impl FieldKind {
    /// The kind's name, as the bindings' constants give it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PhoneNumber => "phone_number",
            Self::CallType => "call_type",
            Self::CallStatus => "call_status",
            Self::Instant => "instant",
            Self::OptionalInstant => "optional_instant",
            Self::Seconds => "seconds",
            Self::Text => "text",
        }
    }

    /// Whether a record read leniently may lack the value.
    pub fn nullable(self) -> bool {
        matches!(self, Self::PhoneNumber | Self::OptionalInstant | Self::Text)
    }
}

/// A field's value in a record. Exhaustive on purpose, as [`FieldKind`] is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldValue<'a> {
    /// Text: a number, an enum's value, a reason; `None` when absent.
    Text(Option<&'a str>),
    /// An instant; `None` when absent.
    Instant(Option<&'a DateTime<Utc>>),
    /// Seconds.
    Seconds(f64),
}

/// One documented field of a record.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Field {
    /// The name on the wire.
    pub name: &'static str,
    /// What it holds.
    pub kind: FieldKind,
    /// Its value in a record.
    pub value: fn(&CallLog) -> FieldValue<'_>,
}

/// The documented fields of a record, in the contract's order.
pub const FIELDS: &[Field] = &[
    Field {
        name: "source_number",
        kind: FieldKind::PhoneNumber,
        value: |r| FieldValue::Text(r.source_number.as_deref()),
    },
    Field {
        name: "destination_number",
        kind: FieldKind::PhoneNumber,
        value: |r| FieldValue::Text(r.destination_number.as_deref()),
    },
    Field {
        name: "call_type",
        kind: FieldKind::CallType,
        value: |r| FieldValue::Text(Some(r.call_type.as_str())),
    },
    Field {
        name: "call_status",
        kind: FieldKind::CallStatus,
        value: |r| FieldValue::Text(Some(r.call_status.as_str())),
    },
    Field {
        name: "creation_time",
        kind: FieldKind::Instant,
        value: |r| FieldValue::Instant(Some(&r.creation_time)),
    },
    Field {
        name: "start_time",
        kind: FieldKind::OptionalInstant,
        value: |r| FieldValue::Instant(r.start_time.as_ref()),
    },
    Field {
        name: "end_time",
        kind: FieldKind::OptionalInstant,
        value: |r| FieldValue::Instant(r.end_time.as_ref()),
    },
    Field {
        name: "call_duration",
        kind: FieldKind::Seconds,
        value: |r| FieldValue::Seconds(r.call_duration),
    },
    Field {
        name: "end_reason",
        kind: FieldKind::Text,
        value: |r| FieldValue::Text(r.end_reason.as_deref()),
    },
];

/// The documented fields' names, in the contract's order.
pub fn names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|field| field.name)
}

/// A record as the endpoint writes it: the documented fields in order, then the unknown ones.
impl Serialize for CallLog {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(FIELDS.len() + self.extra.len()))?;
        for field in FIELDS {
            match (field.value)(self) {
                FieldValue::Text(text) => map.serialize_entry(field.name, &text)?,
                FieldValue::Instant(time) => {
                    map.serialize_entry(field.name, &time.map(format_timestamp))?;
                }
                FieldValue::Seconds(seconds) => {
                    map.serialize_entry(field.name, &Seconds(seconds))?;
                }
            }
        }
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_a_record_is_listed_once_in_its_serialized_order() {
        let record = CallLog::new(
            crate::CallType::Inbound,
            crate::CallStatus::Missed,
            DateTime::<Utc>::UNIX_EPOCH,
        );
        let json = serde_json::to_string(&record).unwrap();
        let at: Vec<usize> = names()
            .map(|name| json.find(&format!("\"{name}\":")).expect(name))
            .collect();
        assert!(at.is_sorted(), "written in the order of FIELDS: {json}");
        let written = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&json);
        assert_eq!(written.unwrap().len(), FIELDS.len());
        assert_eq!((FIELDS[3].value)(&record), FieldValue::Text(Some("missed")));
    }
}
