//! The endpoint: authentication, the query's rules, the page, and the knobs and faults that
//! change them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use serde::Serialize;
use serde_json::Value;
use unpod_calllogs::model::PAGE_MESSAGE;
use unpod_calllogs::query::DEFAULT_PAGE_SIZE;
use unpod_calllogs::{CallLog, CallLogQuery, DateBound, ErrorBody};

use crate::config::{Filter, Knobs, PastLast};
use crate::data::{self, SplitMix64};
use crate::fault::Fault;
use crate::store::{Selection, Store};

/// The most pages the `cache-ignores-credentials` fault keeps.
const MAX_CACHED_PAGES: usize = 10_000;

pub(crate) struct Org {
    pub(crate) store: RwLock<Store>,
}

pub(crate) struct App {
    pub(crate) orgs: HashMap<String, Org>,
    pub(crate) grants: HashMap<String, Vec<String>>,
    pub(crate) main_org: String,
    pub(crate) knobs: Knobs,
    pub(crate) faults: Vec<Fault>,
    pub(crate) seed: u64,
    pub(crate) requests: Arc<AtomicU64>,
    pub(crate) in_flight: AtomicU64,
    pub(crate) peak: Arc<AtomicU64>,
    pub(crate) live: Mutex<(SplitMix64, Vec<String>)>,
    pub(crate) history_end: chrono::DateTime<chrono::Utc>,
    /// Pages by query string (the `cache-ignores-credentials` fault), at most [`MAX_CACHED_PAGES`].
    pub(crate) cache: Mutex<HashMap<String, Vec<u8>>>,
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, Bytes::from(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorBody::new(status.as_u16(), message);
    json(status, serde_json::to_vec(&body).unwrap_or_default())
}

/// Why a request is refused: a status and a message, made into an answer by `App::refuse`.
struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

/// An error in the shape of a stock Django REST framework answer (`{"detail": ...}`), which the
/// contract's error schema does not allow.
fn detail_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "detail": message.into() });
    json(status, serde_json::to_vec(&body).unwrap_or_default())
}

#[derive(Serialize)]
struct PageView<'a, T: Serialize> {
    count: u64,
    status_code: u16,
    message: &'a str,
    data: Vec<T>,
}

pub(crate) async fn call_logs(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let number = app.requests.fetch_add(1, Ordering::SeqCst);
    let in_flight = app.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    app.peak.fetch_max(in_flight, Ordering::SeqCst);
    if !app.knobs.latency.is_zero() {
        tokio::time::sleep(app.knobs.latency).await;
    }
    let response = match app.injected_failure(number) {
        Some(response) => response,
        None => {
            app.insert_live_calls();
            app.answer(&headers, raw_query.as_deref().unwrap_or(""), number)
        }
    };
    app.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

impl App {
    fn injected_failure(&self, number: u64) -> Option<Response> {
        let knobs = &self.knobs;
        let scripted = usize::try_from(number)
            .ok()
            .and_then(|n| knobs.script.get(n).copied());
        let mut rng = SplitMix64::new(self.seed ^ number.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let status = scripted.or_else(|| {
            let roll = rng.unit();
            if roll < knobs.error_rate {
                Some(if number.is_multiple_of(2) { 500 } else { 503 })
            } else if roll < knobs.error_rate + knobs.throttle_rate {
                Some(429)
            } else {
                None
            }
        })?;
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = error(status, "injected failure");
        if status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(knobs.retry_after_secs),
            );
        }
        Some(response)
    }

    fn insert_live_calls(&self) {
        let knobs = &self.knobs;
        if knobs.live_inserts == 0 && knobs.late_inserts == 0 {
            return;
        }
        let Some(org) = self.orgs.get(&self.main_org) else {
            return;
        };
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        let (rng, numbers) = &mut *live;
        let mut store = org.store.write().unwrap_or_else(PoisonError::into_inner);
        for _ in 0..knobs.live_inserts {
            let newest = store.newest().unwrap_or(self.history_end);
            // Half the new calls share the newest instant: the hardest case for a paging client.
            let step = TimeDelta::seconds(rng.below(2) as i64);
            let call = data::call_at(rng, numbers, newest + step);
            store.append(call);
        }
        let late_by = knobs.late_by.as_secs().max(1);
        for _ in 0..knobs.late_inserts {
            let newest = store.newest().unwrap_or(self.history_end);
            let back = TimeDelta::seconds(rng.below(late_by + 1) as i64);
            let call = data::call_at(rng, numbers, newest - back);
            store.insert(call);
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// An error answer, in the contract's shape unless a fault reshapes it.
    fn fail(&self, status: StatusCode, message: impl Into<String>) -> Response {
        if self.has(Fault::ErrorDetailOnly) {
            detail_error(status, message)
        } else {
            error(status, message)
        }
    }

    /// The answer to a refused request; a 401 says which scheme authenticates.
    fn refuse(&self, refusal: Refusal) -> Response {
        let mut response = self.fail(refusal.status, refusal.message);
        if refusal.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        response
    }

    fn answer(&self, headers: &HeaderMap, raw_query: &str, number: u64) -> Response {
        let cached = self.has(Fault::CacheIgnoresCredentials).then(|| {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.get(raw_query).cloned()
        });
        if let Some(Some(body)) = cached {
            return self.page_answer(body);
        }
        let org = match self.authorize(headers) {
            Ok(Some(org)) => org,
            Ok(None) => return self.page_response(0, Vec::new()),
            Err(refusal) => return self.refuse(refusal),
        };
        let query = match self.read_query(raw_query) {
            Ok(query) => query,
            Err(refusal) => return self.refuse(refusal),
        };
        let store = org.store.read().unwrap_or_else(PoisonError::into_inner);
        let matches = store.select(&self.selection(&query, raw_query));
        let size = query
            .page_size
            .or(self.knobs.default_page_size)
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .min(self.knobs.page_size_cap.unwrap_or(u32::MAX)) as usize;
        let take = if self.has(Fault::PageSizeCapped) {
            size.min(100)
        } else {
            size
        };
        let page = query.page_number() as usize;
        let mut skip = (page - 1).saturating_mul(size);
        if page > 1 && skip >= matches.len() {
            match self.knobs.past_last {
                PastLast::Empty => {}
                PastLast::BadRequest => return self.fail(StatusCode::BAD_REQUEST, "Invalid page."),
                PastLast::NotFound => return self.fail(StatusCode::NOT_FOUND, "Invalid page."),
            }
        }
        let mut take = take;
        if self.has(Fault::PageWindowOverlap) && page > 1 {
            skip -= 1;
        }
        if self.has(Fault::PageWindowGap) && page > 1 {
            skip += 1;
        }
        if self.has(Fault::LastPageRepeat)
            && page > 1
            && skip < matches.len()
            && skip + size >= matches.len()
        {
            // As long as the page asked for, one record early.
            take = take.min(matches.len() - skip);
            skip -= 1;
        }
        if self.has(Fault::PastLastPageRepeats) && skip >= matches.len() && !matches.is_empty() {
            skip = (matches.len() - 1) / size * size;
        }
        let count = matches.len() as u64 + u64::from(self.has(Fault::CountOffByOne))
            - u64::from(self.has(Fault::CountDrifts) && page > 1 && !matches.is_empty());
        let records: Vec<&CallLog> = if self.has(Fault::OldestFirst) {
            matches.oldest_first(skip, take).collect()
        } else if self.has(Fault::UnstableTies) {
            let mut all: Vec<(usize, &CallLog)> =
                matches.newest_first(0, usize::MAX).enumerate().collect();
            let mut rng = SplitMix64::new(number);
            let keys: Vec<u64> = (0..all.len()).map(|_| rng.next_u64()).collect();
            all.sort_by(|(a, x), (b, y)| {
                y.creation_time
                    .cmp(&x.creation_time)
                    .then(keys[*a].cmp(&keys[*b]))
            });
            all.into_iter()
                .skip(skip)
                .take(take)
                .map(|(_, r)| r)
                .collect()
        } else {
            matches.newest_first(skip, take).collect()
        };
        let body = self.page_body(count, records);
        if self.has(Fault::CacheIgnoresCredentials) {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            // Bounded, as a real cache is: past the bound, new URLs are answered uncached.
            if cache.len() < MAX_CACHED_PAGES {
                cache.insert(raw_query.to_owned(), body.clone());
            }
        }
        self.page_answer(body)
    }

    /// The organization the request may read; `None` for an unknown one that is answered with
    /// an empty page; or the error answer.
    fn authorize(&self, headers: &HeaderMap) -> Result<Option<&Org>, Refusal> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("token"))
            .map(|(_, token)| token.trim());
        let grant = token.and_then(|token| self.grants.get(token));
        if grant.is_none() && !self.has(Fault::AuthBypass) {
            return Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                match token {
                    None => "Authentication credentials were not provided.",
                    Some(_) => "Invalid token.",
                },
            ));
        }
        if let Some(name) = self
            .knobs
            .required_header
            .as_deref()
            .filter(|name| !headers.contains_key(*name))
        {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("the {name} header is required"),
            ));
        }
        let Some(handle) = headers
            .get("org-handle")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
        else {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "the Org-Handle header is required",
            ));
        };
        let Some(org) = self.orgs.get(handle) else {
            if self.has(Fault::UnknownOrgEmpty) {
                return Ok(None);
            }
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("no organization has the handle {handle:?}"),
            ));
        };
        let allowed = grant.is_none_or(|orgs| orgs.iter().any(|o| o == handle));
        if !allowed && !self.has(Fault::ForeignOrgReadable) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                format!("this token has no access to the organization {handle:?}"),
            ));
        }
        Ok(Some(org))
    }

    /// The query, read and checked as the contract says (or as the knobs and faults bend it).
    fn read_query(&self, raw_query: &str) -> Result<CallLogQuery, Refusal> {
        let offsets_dropped;
        let raw_query = if self.has(Fault::OffsetIgnored) {
            offsets_dropped = without_offsets(raw_query);
            offsets_dropped.as_str()
        } else {
            raw_query
        };
        let mut query = CallLogQuery::from_query_string(raw_query).map_err(|invalid| {
            let crash = self.has(Fault::InvalidPageCrashes)
                && matches!(invalid.parameter, "page" | "page_size");
            let status = if crash {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            Refusal::new(status, invalid.to_string())
        })?;
        if self.knobs.case_insensitive_enums {
            query.call_type = query
                .call_type
                .map(|t| t.as_str().to_ascii_lowercase().into());
            query.call_status = query
                .call_status
                .map(|s| s.as_str().to_ascii_lowercase().into());
        }
        let empty_value = |value: Option<&str>| value.is_some_and(str::is_empty);
        query.allow_undocumented_values = self.has(Fault::InvalidFilterIgnored)
            || (self.has(Fault::EmptyValueApplied)
                && (empty_value(query.call_type.as_ref().map(|t| t.as_str()))
                    || empty_value(query.call_status.as_ref().map(|s| s.as_str()))));
        let page_size = query.page_size;
        if self.knobs.page_size_unbounded {
            query.page_size = None;
        }
        query
            .validate()
            .map_err(|invalid| Refusal::new(StatusCode::BAD_REQUEST, invalid.to_string()))?;
        query.page_size = page_size;
        Ok(query)
    }

    /// What the query selects, less the filters the server ignores.
    fn selection<'q>(&self, query: &'q CallLogQuery, raw_query: &str) -> Selection<'q> {
        let applied = |filter: Filter| !self.knobs.ignored_filters.contains(&filter);
        let (legacy_from, legacy_through) = if self.knobs.legacy_date_params {
            legacy_dates(raw_query)
        } else {
            (None, None)
        };
        Selection {
            call_type: query
                .call_type
                .as_ref()
                .filter(|_| !self.has(Fault::IgnoreCallType) && applied(Filter::CallType)),
            call_status: query
                .call_status
                .as_ref()
                .filter(|_| !self.has(Fault::IgnoreCallStatus) && applied(Filter::CallStatus)),
            from: query
                .start_date
                .filter(|_| applied(Filter::StartDate))
                .map(|bound| {
                    let exclusive = self.has(Fault::StartDateExclusive);
                    bound.first_instant() + TimeDelta::nanoseconds(i64::from(exclusive))
                })
                .or(legacy_from),
            through: query
                .end_date
                .filter(|_| applied(Filter::EndDate))
                .map(|bound| match bound {
                    DateBound::Date(_) if self.has(Fault::EndDateExcludesDay) => {
                        bound.first_instant()
                    }
                    _ => bound.last_instant(),
                })
                .or(legacy_through),
        }
    }

    fn page_response(&self, count: u64, records: Vec<&CallLog>) -> Response {
        self.page_answer(self.page_body(count, records))
    }

    fn page_body(&self, count: u64, records: Vec<&CallLog>) -> Vec<u8> {
        let status_code = if self.has(Fault::StatusCodeMismatch) {
            201
        } else {
            200
        };
        let mangled = self.has(Fault::DurationAsString)
            || self.has(Fault::DurationMismatch)
            || self.knobs.real_world_records;
        let body = if mangled {
            let data = records.into_iter().map(|r| self.mangle(r)).collect();
            serde_json::to_vec(&PageView {
                count,
                status_code,
                message: PAGE_MESSAGE,
                data,
            })
        } else {
            serde_json::to_vec(&PageView {
                count,
                status_code,
                message: PAGE_MESSAGE,
                data: records,
            })
        };
        body.unwrap_or_default()
    }

    fn page_answer(&self, body: Vec<u8>) -> Response {
        let mut response = json(StatusCode::OK, body);
        if self.has(Fault::ContentTypeText) {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
        }
        response
    }

    fn mangle(&self, record: &CallLog) -> Value {
        let mut value = serde_json::to_value(record).unwrap_or_default();
        let duration = record.call_duration;
        let answered = record.start_time.is_some();
        value["call_duration"] = if self.has(Fault::DurationAsString) {
            Value::from(duration.to_string())
        } else if self.has(Fault::DurationMismatch) && answered {
            Value::from(duration as u64 + 1)
        } else if self.knobs.real_world_records && answered {
            Value::from(duration + 0.5)
        } else {
            Value::from(duration as u64)
        };
        if self.knobs.real_world_records {
            value["product_id"] = Value::from("unpod.ai");
            value["bridge"] = Value::Null;
        }
        value
    }
}

/// The query with the offset of each date-time bound replaced by `Z` (the `offset-ignored` fault).
fn without_offsets(raw_query: &str) -> String {
    let pairs = form_urlencoded::parse(raw_query.as_bytes()).map(|(name, value)| {
        let bound = matches!(name.as_ref(), "start_date" | "end_date");
        let offset = value
            .len()
            .checked_sub(6)
            .filter(|&at| value.is_char_boundary(at))
            .map(|at| value.split_at(at))
            .filter(|(time, offset)| {
                time.contains(['T', 't'])
                    && offset.starts_with(['+', '-'])
                    && offset.as_bytes()[3] == b':'
            });
        let value = match offset {
            Some((time, _)) if bound => format!("{time}Z"),
            _ => value.into_owned(),
        };
        (name, value)
    });
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `start_time` / `end_time` in `DD-MM-YYYY HH:MM:SS` (the public Unpod v2 code), as bounds on
/// `creation_time`; a value in another form is ignored, as that code ignores it.
fn legacy_dates(
    raw_query: &str,
) -> (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
) {
    let mut bounds = (None, None);
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        let parsed = chrono::NaiveDateTime::parse_from_str(&value, "%d-%m-%Y %H:%M:%S")
            .ok()
            .map(|t| t.and_utc());
        match name.as_ref() {
            "start_time" => bounds.0 = parsed,
            "end_time" => bounds.1 = parsed,
            _ => {}
        }
    }
    bounds
}
