//! The records and bodies of the call-logs endpoint.
//!
//! Decoding is lenient where real servers have been seen to differ from the documentation (unknown
//! enum values, extra fields, fractional durations, nullable numbers); encoding always produces the
//! documented shape.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$vmeta:meta])* $variant:ident => $wire:literal,)+
        }
    ) => {
        $(#[$meta])*
        ///
        /// Values this version does not know are kept verbatim in `Other` and written back unchanged.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value outside the documented set, kept as the server sent it.
            Other(String),
        }

        impl $name {
            /// The documented values, in the contract's order.
            pub const DOCUMENTED: &'static [$name] = &[$($name::$variant),+];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(value) => value,
                }
            }

            /// Whether this is one of the documented values.
            pub fn is_documented(&self) -> bool {
                !matches!(self, Self::Other(_))
            }

            /// The documented values joined for messages: `a, b, c`.
            pub fn documented_list() -> String {
                [$($wire),+].join(", ")
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($wire => Self::$variant,)+
                    _ => Self::Other(value),
                }
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(OpenEnumVisitor::<Self>::default())
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "description": concat!(
                        "Documented values: ", $($wire, " "),+,
                        "; readers keep any other value."
                    ),
                    "examples": [$($wire),+],
                })
            }
        }
    };
}

struct OpenEnumVisitor<T>(std::marker::PhantomData<T>);

impl<T> Default for OpenEnumVisitor<T> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T: From<String> + for<'a> From<&'a str>> Visitor<'_> for OpenEnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        Ok(T::from(value))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<T, E> {
        Ok(T::from(value))
    }
}

open_enum! {
    /// The direction of a call.
    CallType {
        /// A call the organization received.
        Inbound => "inbound",
        /// A call the organization placed.
        Outbound => "outbound",
    }
}

open_enum! {
    /// The outcome of a call.
    CallStatus {
        /// The call was answered and ended normally.
        Completed => "completed",
        /// The call was not answered.
        Missed => "missed",
        /// The call could not be placed or broke off.
        Failed => "failed",
        /// Nobody picked up before the ringing timed out.
        NoAnswer => "no-answer",
    }
}

/// Parses a timestamp as servers send it: RFC 3339 with any offset, or a date-time without an offset
/// (taken as UTC), with `T` or a space between date and time.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Some(time) = parse_plain_utc(text.as_bytes()) {
        return Some(time);
    }
    if let Ok(aware) = DateTime::parse_from_rfc3339(text) {
        return Some(aware.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// The common shape, `2026-02-07T05:57:00Z`, without the general parser's cost.
fn parse_plain_utc(text: &[u8]) -> Option<DateTime<Utc>> {
    let [
        y0,
        y1,
        y2,
        y3,
        b'-',
        m0,
        m1,
        b'-',
        d0,
        d1,
        b'T',
        h0,
        h1,
        b':',
        n0,
        n1,
        b':',
        s0,
        s1,
        b'Z',
    ] = *text
    else {
        return None;
    };
    let digits = |pair: &[u8]| -> Option<u32> {
        pair.iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    let year = digits(&[y0, y1, y2, y3])? as i32;
    chrono::NaiveDate::from_ymd_opt(year, digits(&[m0, m1])?, digits(&[d0, d1])?)?
        .and_hms_opt(digits(&[h0, h1])?, digits(&[n0, n1])?, digits(&[s0, s1])?)
        .map(|naive| naive.and_utc())
}

/// Formats a timestamp the way the contract writes them: RFC 3339, UTC, `Z`, fraction only when set.
pub fn format_timestamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// One call, as the endpoint returns it.
///
/// Build one with [`CallLog::new`] and set the fields that apply:
///
/// ```
/// use unpod_calllogs::{CallLog, CallStatus, CallType};
/// let created = "2026-02-01T09:30:00Z".parse().unwrap();
/// let mut call = CallLog::new(CallType::Outbound, CallStatus::NoAnswer, created);
/// call.end_reason = Some("no_answer".to_owned());
/// assert_eq!(call.call_duration, 0.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CallLog {
    /// The number that initiated the call (E.164).
    pub source_number: Option<String>,
    /// The number that received the call (E.164).
    pub destination_number: Option<String>,
    /// The direction of the call.
    pub call_type: CallType,
    /// The outcome of the call.
    pub call_status: CallStatus,
    /// When the call was created or scheduled; the key the endpoint orders and filters by.
    pub creation_time: DateTime<Utc>,
    /// When the call was answered; `None` when it never was.
    pub start_time: Option<DateTime<Utc>>,
    /// When the call ended; `None` exactly when `start_time` is.
    pub end_time: Option<DateTime<Utc>>,
    /// Seconds between `start_time` and `end_time`; `0` when unanswered. Servers have sent fractions.
    pub call_duration: f64,
    /// Why the call ended, e.g. `caller_hangup`, `no_answer`.
    pub end_reason: Option<String>,
    /// Fields this version does not know, kept as sent.
    pub extra: Map<String, Value>,
}

impl CallLog {
    /// A call that was never answered: no numbers, times or end reason, duration 0, no other
    /// fields.
    pub fn new(call_type: CallType, call_status: CallStatus, creation_time: DateTime<Utc>) -> Self {
        Self {
            source_number: None,
            destination_number: None,
            call_type,
            call_status,
            creation_time,
            start_time: None,
            end_time: None,
            call_duration: 0.0,
            end_reason: None,
            extra: Map::new(),
        }
    }
}

/// A duration of whole seconds as an integer (as the contract writes it), or `None` for a fraction
/// or a value too large to be exact. Every writer of `call_duration` follows this rule.
pub fn whole_seconds(seconds: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (seconds.fract() == 0.0 && seconds.abs() < EXACT).then_some(seconds as i64)
}

/// A `call_duration` as every writer serialises it: whole seconds as an integer, as the contract
/// documents them, a fraction as a number.
pub struct Seconds(pub f64);

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match whole_seconds(self.0) {
            Some(whole) => serializer.serialize_i64(whole),
            None => serializer.serialize_f64(self.0),
        }
    }
}

struct Timestamp(DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;
        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                parse_timestamp(text)
                    .map(Timestamp)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
            }
        }
        deserializer.deserialize_str(TimestampVisitor)
    }
}

enum Field {
    SourceNumber,
    DestinationNumber,
    CallType,
    CallStatus,
    CreationTime,
    StartTime,
    EndTime,
    CallDuration,
    EndReason,
    Other(String),
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "source_number" => Field::SourceNumber,
                    "destination_number" => Field::DestinationNumber,
                    "call_type" => Field::CallType,
                    "call_status" => Field::CallStatus,
                    "creation_time" => Field::CreationTime,
                    "start_time" => Field::StartTime,
                    "end_time" => Field::EndTime,
                    "call_duration" => Field::CallDuration,
                    "end_reason" => Field::EndReason,
                    other => Field::Other(other.to_owned()),
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for CallLog {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CallLogVisitor;
        impl<'de> Visitor<'de> for CallLogVisitor {
            type Value = CallLog;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a call log object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CallLog, A::Error> {
                let mut source_number = None;
                let mut destination_number = None;
                let mut call_type = None;
                let mut call_status = None;
                let mut creation_time = None;
                let mut start_time = None;
                let mut end_time = None;
                let mut call_duration = None;
                let mut end_reason = None;
                let mut extra = Map::new();
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::SourceNumber => source_number = map.next_value()?,
                        Field::DestinationNumber => destination_number = map.next_value()?,
                        Field::CallType => call_type = Some(map.next_value()?),
                        Field::CallStatus => call_status = Some(map.next_value()?),
                        Field::CreationTime => {
                            creation_time = Some(map.next_value::<Timestamp>()?.0)
                        }
                        Field::StartTime => {
                            start_time = map.next_value::<Option<Timestamp>>()?.map(|t| t.0)
                        }
                        Field::EndTime => {
                            end_time = map.next_value::<Option<Timestamp>>()?.map(|t| t.0)
                        }
                        Field::CallDuration => call_duration = map.next_value::<Option<f64>>()?,
                        Field::EndReason => end_reason = map.next_value()?,
                        Field::Other(name) => {
                            extra.insert(name, map.next_value()?);
                        }
                    }
                }
                Ok(CallLog {
                    source_number,
                    destination_number,
                    call_type: call_type.ok_or_else(|| de::Error::missing_field("call_type"))?,
                    call_status: call_status
                        .ok_or_else(|| de::Error::missing_field("call_status"))?,
                    creation_time: creation_time
                        .ok_or_else(|| de::Error::missing_field("creation_time"))?,
                    start_time,
                    end_time,
                    call_duration: call_duration.unwrap_or(0.0),
                    end_reason,
                    extra,
                })
            }
        }
        deserializer.deserialize_map(CallLogVisitor)
    }
}

impl JsonSchema for CallLog {
    fn schema_name() -> Cow<'static, str> {
        "CallLog".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let call_type = generator.subschema_for::<CallType>();
        let call_status = generator.subschema_for::<CallStatus>();
        json_schema!({
            "type": "object",
            "description": "One call. Readers keep fields they do not know.",
            "properties": {
                "source_number": {
                    "type": ["string", "null"],
                    "description": "The number that initiated the call (E.164).",
                },
                "destination_number": {
                    "type": ["string", "null"],
                    "description": "The number that received the call (E.164).",
                },
                "call_type": call_type,
                "call_status": call_status,
                "creation_time": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When the call was created; the order and filter key.",
                },
                "start_time": {
                    "type": ["string", "null"],
                    "format": "date-time",
                    "description": "When the call was answered; null when it never was.",
                },
                "end_time": {
                    "type": ["string", "null"],
                    "format": "date-time",
                    "description": "When the call ended; null exactly when start_time is.",
                },
                "call_duration": {
                    "type": ["number", "null"],
                    "minimum": 0,
                    "description": "Seconds from start_time to end_time; 0 when unanswered.",
                },
                "end_reason": {
                    "type": ["string", "null"],
                    "description": "Why the call ended, e.g. caller_hangup, no_answer.",
                },
            },
            "required": ["call_type", "call_status", "creation_time"],
            "additionalProperties": true,
        })
    }
}

/// One page of call logs: the 200 body of the endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct CallLogPage {
    /// How many call logs match the filters across all pages (not the length of `data`).
    pub count: u64,
    /// The HTTP status, repeated in the body.
    #[serde(default = "ok_status")]
    pub status_code: u16,
    /// A human-readable message, e.g. `Call logs fetched successfully`.
    #[serde(default)]
    pub message: String,
    /// The records of this page, newest `creation_time` first.
    pub data: Vec<CallLog>,
}

fn ok_status() -> u16 {
    200
}

impl CallLogPage {
    /// A page from the body the endpoint sends. The body's UTF-8 is checked once, as a whole, before
    /// it is parsed: parsed from bytes, each string would be checked on its own, a sixth of the
    /// decoding's time. A body that is not UTF-8 is parsed from its bytes, for the parser's error,
    /// which says where.
    ///
    /// ```
    /// let page = unpod_calllogs::CallLogPage::from_body(br#"{"count": 0, "data": []}"#).unwrap();
    /// assert_eq!((page.count, page.data.len()), (0, 0));
    /// ```
    pub fn from_body(body: &[u8]) -> Result<Self, serde_json::Error> {
        match std::str::from_utf8(body) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(body),
        }
    }
}

/// The message the contract's server sends with every page.
pub const PAGE_MESSAGE: &str = "Call logs fetched successfully";

/// The body of an error answer. Servers put the human-readable text in `message` or in `detail`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The HTTP status, repeated in the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What went wrong, as some servers call it; may be a string or a structure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
    /// Any other field, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorBody {
    /// An error body in the contract's shape.
    pub fn new(status_code: u16, message: impl Into<String>) -> Self {
        Self {
            status_code: Some(status_code),
            message: Some(message.into()),
            ..Self::default()
        }
    }

    /// The human-readable text: `message`, else `detail`.
    pub fn text(&self) -> Option<String> {
        match (&self.message, &self.detail) {
            (Some(message), _) => Some(message.clone()),
            (None, Some(Value::String(detail))) => Some(detail.clone()),
            (None, Some(detail)) => Some(detail.to_string()),
            (None, None) => None,
        }
    }
}
