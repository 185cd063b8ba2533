//! The query of the endpoint: its parameters, their rules, and its query string.

use std::fmt;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, TimeZone, Utc};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use serde::Serialize;

use crate::model::{CallStatus, CallType, format_timestamp, parse_timestamp};

/// The first page number.
pub const FIRST_PAGE: u32 = 1;
/// The largest page number a query can carry, the bound of its type (the schema's `page` maximum;
/// a larger one is refused before it is sent, and the reference server answers it 400).
pub const MAX_PAGE: u32 = u32::MAX;
/// The page size a server uses when none is sent.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// The largest page size the contract allows.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// The query parameters of the contract, in its order.
pub const PARAMETERS: &[&str] = &[
    "page",
    "page_size",
    "start_date",
    "end_date",
    "call_type",
    "call_status",
];
/// What a filter parameter filters, as the OpenAPI extension `x-filter` states it
/// (`docs/LIST-EXTENSIONS.md`): the record's field, the comparison, and how a date-only value of a
/// bound on an instant extends. [`Filters::unmatched`] applies exactly these rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterRule {
    /// The query parameter.
    pub parameter: &'static str,
    /// The record's field it compares.
    pub field: &'static str,
    /// The comparison: the record's field `op` the value (`eq`, `gte`, `lte`, ...).
    pub op: &'static str,
    /// For a date-only value on an instant: `start-of-day` or `end-of-day` (UTC).
    pub date_only: Option<&'static str>,
    /// Whether text compares without regard to ASCII case (servers store `FAILED` and match it
    /// to `failed`).
    pub case_insensitive: bool,
}

/// The filters of the contract, in its order.
pub const FILTER_RULES: &[FilterRule] = &[
    FilterRule {
        parameter: "start_date",
        field: "creation_time",
        op: "gte",
        date_only: Some("start-of-day"),
        case_insensitive: false,
    },
    FilterRule {
        parameter: "end_date",
        field: "creation_time",
        op: "lte",
        date_only: Some("end-of-day"),
        case_insensitive: false,
    },
    FilterRule {
        parameter: "call_type",
        field: "call_type",
        op: "eq",
        date_only: None,
        case_insensitive: true,
    },
    FilterRule {
        parameter: "call_status",
        field: "call_status",
        op: "eq",
        date_only: None,
        case_insensitive: true,
    },
];

/// The rule of a filter parameter.
pub fn filter_rule(parameter: &str) -> Option<&'static FilterRule> {
    FILTER_RULES.iter().find(|rule| rule.parameter == parameter)
}

/// The header that names the organization.
pub const ORG_HANDLE_HEADER: &str = "org-handle";

/// Checks an extra header: a valid name and value, and neither `Authorization` nor `Org-Handle`,
/// which the client sets from its token and org handle (so nothing can replace them silently).
pub fn extra_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let header =
        HeaderName::try_from(name).map_err(|_| format!("{name:?} is not a valid header name"))?;
    if header == AUTHORIZATION || header == ORG_HANDLE_HEADER {
        return Err(format!(
            "the {name} header is set from the client's {} and cannot be replaced",
            if header == AUTHORIZATION {
                "token"
            } else {
                "org handle"
            }
        ));
    }
    let value = HeaderValue::try_from(value)
        .map_err(|_| format!("the value of header {name} has characters a header cannot carry"))?;
    Ok((header, value))
}

/// A bound of a date filter: a whole UTC day, or an instant.
///
/// As `start_date` a day means its first instant (00:00:00 UTC); as `end_date` it means the whole
/// day, up to but not including 00:00:00 UTC of the next day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateBound {
    /// A calendar day, in UTC.
    Date(NaiveDate),
    /// An instant, normalised to UTC.
    DateTime(DateTime<Utc>),
}

impl DateBound {
    /// Parses `2026-02-01`, `2026-02-01T05:30:00Z`, any RFC 3339 offset, or a date-time without an
    /// offset (UTC). A `+` that a query string decoded into a space is read back as `+`.
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Some(Self::Date(date));
        }
        parse_timestamp(text)
            .or_else(|| {
                let (head, offset) = text.rsplit_once(' ')?;
                let offset_like = offset.len() >= 2 && offset.as_bytes()[0].is_ascii_digit();
                offset_like
                    .then(|| parse_timestamp(&format!("{head}+{offset}")))
                    .flatten()
            })
            .map(Self::DateTime)
    }

    /// The earliest instant the bound admits when used as `start_date`.
    pub fn first_instant(&self) -> DateTime<Utc> {
        match self {
            Self::Date(date) => date.and_time(chrono::NaiveTime::MIN).and_utc(),
            Self::DateTime(time) => *time,
        }
    }

    /// The latest instant the bound admits when used as `end_date` (inclusive).
    pub fn last_instant(&self) -> DateTime<Utc> {
        match self {
            Self::Date(date) => date
                .checked_add_days(Days::new(1))
                .map(|next| {
                    next.and_time(chrono::NaiveTime::MIN).and_utc() - TimeDelta::nanoseconds(1)
                })
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            Self::DateTime(time) => *time,
        }
    }
}

impl fmt::Display for DateBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            Self::DateTime(time) => f.write_str(&format_timestamp(time)),
        }
    }
}

impl From<NaiveDate> for DateBound {
    fn from(date: NaiveDate) -> Self {
        Self::Date(date)
    }
}

impl<Tz: TimeZone> From<DateTime<Tz>> for DateBound {
    fn from(time: DateTime<Tz>) -> Self {
        Self::DateTime(time.with_timezone(&Utc))
    }
}

impl Serialize for DateBound {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The filters of a query, ready to check records against (see [`CallLogQuery::unmatched_filter`]).
#[derive(Clone, Copy, Debug)]
pub struct Filters<'q> {
    query: &'q CallLogQuery,
    from: Option<DateTime<Utc>>,
    through: Option<DateTime<Utc>>,
}

impl Filters<'_> {
    /// The first filter `record` does not satisfy, as the parameter and the value sent.
    pub fn unmatched(&self, record: &crate::CallLog) -> Option<(&'static str, String)> {
        let query = self.query;
        if let Some(t) = query
            .call_type
            .as_ref()
            .filter(|t| !t.as_str().eq_ignore_ascii_case(record.call_type.as_str()))
        {
            return Some(("call_type", t.to_string()));
        }
        if let Some(s) = query
            .call_status
            .as_ref()
            .filter(|s| !s.as_str().eq_ignore_ascii_case(record.call_status.as_str()))
        {
            return Some(("call_status", s.to_string()));
        }
        if self.from.is_some_and(|from| record.creation_time < from) {
            return query.start_date.map(|b| ("start_date", b.to_string()));
        }
        if self
            .through
            .is_some_and(|through| record.creation_time > through)
        {
            return query.end_date.map(|b| ("end_date", b.to_string()));
        }
        None
    }
}

/// A query parameter that breaks a rule of the contract. Raised before any request is sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("invalid `{parameter}`: {rule}{}", .value.as_ref().map(|v| format!(" (got {v:?})")).unwrap_or_default())]
pub struct InvalidQuery {
    /// The parameter's wire name, e.g. `page_size`.
    pub parameter: &'static str,
    /// The rule it breaks, e.g. `must be between 1 and 1000`.
    pub rule: String,
    /// The offending value as text, when there is one.
    pub value: Option<String>,
}

impl InvalidQuery {
    fn new(parameter: &'static str, rule: impl Into<String>, value: impl fmt::Display) -> Self {
        Self {
            parameter,
            rule: rule.into(),
            value: Some(value.to_string()),
        }
    }
}

/// The parameters of one request, all optional. Build it with the chained setters, check it with
/// [`CallLogQuery::validate`], write it with [`CallLogQuery::to_query_string`].
///
/// ```
/// use unpod_calllogs::{CallLogQuery, CallStatus, CallType};
/// let query = CallLogQuery::new()
///     .call_type(CallType::Outbound)
///     .call_status(CallStatus::Completed)
///     .start_date("2026-02-01".parse::<chrono::NaiveDate>().unwrap())
///     .end_date("2026-02-07".parse::<chrono::NaiveDate>().unwrap())
///     .page_size(100);
/// query.validate().unwrap();
/// assert_eq!(
///     query.to_query_string(),
///     "page_size=100&start_date=2026-02-01&end_date=2026-02-07&call_type=outbound&call_status=completed"
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CallLogQuery {
    /// Page number, from 1 (server default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Records per page, 1 to 1000 (server default 20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Lower bound on `creation_time`, inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<DateBound>,
    /// Upper bound on `creation_time`, inclusive; a date covers its whole UTC day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<DateBound>,
    /// Only calls in this direction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_type: Option<CallType>,
    /// Only calls with this outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_status: Option<CallStatus>,
    /// Send `call_type` / `call_status` values outside the documented set (e.g. `busy`, which some
    /// servers store) instead of rejecting them. Not sent to the server.
    #[serde(skip)]
    pub allow_undocumented_values: bool,
    /// Parameters the contract does not define, sent as given after the contract's own (e.g.
    /// `start_time=03-02-2026 00:00:00` for a server that reads that). Records are not checked
    /// against them: their meaning is the server's.
    #[serde(skip)]
    pub extra_query: Vec<(String, String)>,
    /// Headers sent with this query's requests, after (and over) the client's own extra headers.
    #[serde(skip)]
    pub extra_headers: Vec<(String, String)>,
    /// The time allowed for each attempt of this query's requests, instead of the client's.
    #[serde(skip)]
    pub timeout: Option<std::time::Duration>,
    /// Retries of this query's requests, instead of the client's (at most [`crate::MAX_RETRIES`]).
    #[serde(skip)]
    pub max_retries: Option<u32>,
}

impl CallLogQuery {
    /// An empty query: the server's defaults, no filters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `page`.
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Sets `page_size`.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Sets `start_date` from a `NaiveDate`, any `DateTime`, or a [`DateBound`].
    pub fn start_date(mut self, bound: impl Into<DateBound>) -> Self {
        self.start_date = Some(bound.into());
        self
    }

    /// Sets `end_date` from a `NaiveDate`, any `DateTime`, or a [`DateBound`].
    pub fn end_date(mut self, bound: impl Into<DateBound>) -> Self {
        self.end_date = Some(bound.into());
        self
    }

    /// Sets `call_type`.
    pub fn call_type(mut self, call_type: impl Into<CallType>) -> Self {
        self.call_type = Some(call_type.into());
        self
    }

    /// Sets `call_status`.
    pub fn call_status(mut self, call_status: impl Into<CallStatus>) -> Self {
        self.call_status = Some(call_status.into());
        self
    }

    /// Lets `call_type` / `call_status` carry values outside the documented set.
    pub fn allow_undocumented_values(mut self) -> Self {
        self.allow_undocumented_values = true;
        self
    }

    /// Adds a parameter the contract does not define (it cannot name one that it does).
    pub fn extra_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_query.push((name.into(), value.into()));
        self
    }

    /// Adds a header for this query's requests (neither `Authorization` nor `Org-Handle`).
    pub fn extra_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers.push((name.into(), value.into()));
        self
    }

    /// Sets the time allowed for each attempt of this query's requests.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the retries of this query's requests.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = Some(max_retries);
        self
    }

    /// The page this query asks for (its `page`, or 1).
    pub fn page_number(&self) -> u32 {
        self.page.unwrap_or(FIRST_PAGE)
    }

    /// The page size this query asks for (its `page_size`, or the server default of 20).
    pub fn effective_page_size(&self) -> u32 {
        self.page_size.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    /// Checks every rule of the contract; the error names the first parameter that breaks one.
    pub fn validate(&self) -> Result<(), InvalidQuery> {
        if let Some(page) = self.page.filter(|&page| page < FIRST_PAGE) {
            return Err(InvalidQuery::new("page", "must be an integer >= 1", page));
        }
        if let Some(size) = self
            .page_size
            .filter(|size| !(1..=MAX_PAGE_SIZE).contains(size))
        {
            return Err(InvalidQuery::new(
                "page_size",
                format!("must be an integer between 1 and {MAX_PAGE_SIZE}"),
                size,
            ));
        }
        if !self.allow_undocumented_values {
            if let Some(call_type) = self.call_type.as_ref().filter(|t| !t.is_documented()) {
                return Err(InvalidQuery::new(
                    "call_type",
                    format!("must be one of {}", CallType::documented_list()),
                    call_type,
                ));
            }
            if let Some(status) = self.call_status.as_ref().filter(|s| !s.is_documented()) {
                return Err(InvalidQuery::new(
                    "call_status",
                    format!("must be one of {}", CallStatus::documented_list()),
                    status,
                ));
            }
        }
        if let (Some(start), Some(end)) = (&self.start_date, &self.end_date)
            && start.first_instant() > end.last_instant()
        {
            return Err(InvalidQuery::new(
                "start_date",
                format!("must not be after end_date ({end})"),
                start,
            ));
        }
        if let Some((name, _)) = self
            .extra_query
            .iter()
            .find(|(name, _)| name.is_empty() || PARAMETERS.contains(&name.as_str()))
        {
            return Err(InvalidQuery::new(
                "extra_query",
                "must not be empty or name a parameter of the contract (set that parameter itself, so that records are checked against it)",
                name,
            ));
        }
        for (name, value) in &self.extra_headers {
            extra_header(name, value).map_err(|rule| InvalidQuery {
                parameter: "extra_headers",
                rule,
                value: Some(name.clone()),
            })?;
        }
        Ok(())
    }

    /// Whether a record satisfies every filter of the query. See [`CallLogQuery::unmatched_filter`].
    pub fn matches(&self, record: &crate::CallLog) -> bool {
        self.unmatched_filter(record).is_none()
    }

    /// The first filter a record does not satisfy, as the parameter's name and the value sent;
    /// `None` when it satisfies them all. Type and status compare without regard to ASCII case
    /// (servers store `FAILED` and match it to `failed`); date bounds are inclusive, and a
    /// date-only `end_date` covers its whole UTC day. Pagination is not a filter, and
    /// `extra_query` parameters are not checked.
    pub fn unmatched_filter(&self, record: &crate::CallLog) -> Option<(&'static str, String)> {
        self.filters().unmatched(record)
    }

    /// The query's filters with their bounds worked out once, for checking many records.
    pub fn filters(&self) -> Filters<'_> {
        Filters {
            query: self,
            from: self.start_date.map(|b| b.first_instant()),
            through: self.end_date.map(|b| b.last_instant()),
        }
    }

    /// The query string, without the leading `?`: parameters in the contract's order, unset ones
    /// left out, dates as `YYYY-MM-DD`, date-times in UTC with a `Z`.
    pub fn to_query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        let page = self.page.map(|v| v.to_string());
        let page_size = self.page_size.map(|v| v.to_string());
        let start = self.start_date.map(|v| v.to_string());
        let end = self.end_date.map(|v| v.to_string());
        let pairs = [
            ("page", page.as_deref()),
            ("page_size", page_size.as_deref()),
            ("start_date", start.as_deref()),
            ("end_date", end.as_deref()),
            ("call_type", self.call_type.as_ref().map(CallType::as_str)),
            (
                "call_status",
                self.call_status.as_ref().map(CallStatus::as_str),
            ),
        ];
        for (name, value) in pairs {
            if let Some(value) = value {
                out.append_pair(name, value);
            }
        }
        for (name, value) in &self.extra_query {
            out.append_pair(name, value);
        }
        out.finish()
    }

    /// Reads a query string (without the `?`) as a server does: unknown parameters are ignored, the
    /// last of repeated ones wins, and a value that cannot be read is an error naming its parameter.
    /// The result is not yet validated (see [`CallLogQuery::validate`]).
    pub fn from_query_string(query: &str) -> Result<Self, InvalidQuery> {
        Self::from_pairs(form_urlencoded::parse(query.as_bytes()))
    }

    /// Reads parameters given as text, as [`CallLogQuery::from_query_string`] does (for bindings
    /// that receive them from another language). Not yet validated.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, InvalidQuery> {
        let mut out = Self::default();
        for (name, value) in pairs {
            let value = value.as_ref();
            match name.as_ref() {
                "page" => out.page = Some(parse_page_number("page", value)?),
                "page_size" => out.page_size = Some(parse_page_number("page_size", value)?),
                "start_date" => out.start_date = Some(parse_bound("start_date", value)?),
                "end_date" => out.end_date = Some(parse_bound("end_date", value)?),
                "call_type" => out.call_type = Some(CallType::from(value)),
                "call_status" => out.call_status = Some(CallStatus::from(value)),
                _ => {}
            }
        }
        Ok(out)
    }
}

fn parse_page_number(parameter: &'static str, text: &str) -> Result<u32, InvalidQuery> {
    let invalid = || InvalidQuery::new(parameter, "must be an integer", text);
    let number: i128 = text.trim().parse().map_err(|_| invalid())?;
    if number < 0 {
        return Err(InvalidQuery::new(
            parameter,
            "must be an integer >= 1",
            text,
        ));
    }
    // MAX_PAGE is the bound of the page number's type: what does not fit is too large.
    u32::try_from(number).map_err(|_| {
        InvalidQuery::new(
            parameter,
            format!("must be an integer no larger than {MAX_PAGE}"),
            text,
        )
    })
}

fn parse_bound(parameter: &'static str, text: &str) -> Result<DateBound, InvalidQuery> {
    DateBound::parse(text).ok_or_else(|| {
        InvalidQuery::new(
            parameter,
            "must be an ISO 8601 date (2026-02-01) or date-time (2026-02-01T05:30:00Z)",
            text,
        )
    })
}
