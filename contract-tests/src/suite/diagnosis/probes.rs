//! The hypotheses' tests: each sends a few requests of its own and says what it saw.

use std::collections::BTreeSet;

use unpod_calllogs::{CallLog, CallLogQuery, DateBound};

use super::Evidence;
use crate::probe::{Auth, Exchange, Request};
use crate::suite::Run;
use crate::suite::property::{Stop, page_of, send};
use crate::suite::sample::SAMPLE_SIZE;

/// The query that puts `parameter` to the test, and whether a record lies outside it: a value or
/// bound taken from the sample that some sampled records do not match.
fn probe_query(run: &Run<'_>, parameter: &str) -> Option<CallLogQuery> {
    let records = &run.sample.records;
    let middle = records.get(records.len() / 2)?;
    let query = CallLogQuery::new().page_size(SAMPLE_SIZE);
    let query = match parameter {
        "call_type" => query.call_type(middle.call_type.clone()),
        "call_status" => query.call_status(middle.call_status.clone()),
        "start_date" => query.start_date(middle.creation_time),
        _ => query.end_date(middle.creation_time),
    }
    .allow_undocumented_values();
    records.iter().any(|r| !query.matches(r)).then_some(query)
}

/// A filter is ignored when the filtered answer has the unfiltered `count` and holds a record
/// outside the filter.
pub(super) fn ignored_filter(
    run: &Run<'_>,
    parameter: &'static str,
) -> Result<Option<Evidence>, Stop> {
    let Some(query) = probe_query(run, parameter) else {
        return Ok(None);
    };
    let (page, exchange) = page_of(run, &query)?;
    let outside = page.data.iter().find(|r| {
        query
            .unmatched_filter(r)
            .is_some_and(|(p, _)| p == parameter)
    });
    Ok(match outside {
        Some(record) if page.count == run.sample.count => Evidence::new(
            format!(
                "{} answered count {} (the same as with no filter) with records outside it, e.g. {}",
                query.to_query_string(),
                page.count,
                crate::suite::property::brief(record)
            ),
            &[&exchange],
        ),
        _ => None,
    })
}

/// The day of a bound in the form the public Unpod v2 code reads: `DD-MM-YYYY HH:MM:SS`.
fn legacy_day(bound: &DateBound) -> String {
    bound
        .first_instant()
        .format("%d-%m-%Y 00:00:00")
        .to_string()
}

/// Dates read from `start_time`/`end_time`: a `start_time` on the day of the sample's middle
/// record narrows the answer.
pub(super) fn legacy_date_params(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let Some(query) = probe_query(run, "start_date") else {
        return Ok(None);
    };
    let Some(bound) = query.start_date else {
        return Ok(None);
    };
    let day = legacy_day(&DateBound::Date(bound.first_instant().date_naive()));
    let exchange = send(
        run,
        Request::new([("page_size", "1".to_owned()), ("start_time", day.clone())]),
    )?;
    let Some(page) = exchange.page.as_deref() else {
        return Ok(None);
    };
    Ok((page.count < run.sample.count)
        .then(|| {
            Evidence::new(
                format!(
                    "start_time={day} answered count {} of {}: the server reads it",
                    page.count, run.sample.count
                ),
                &[&exchange],
            )
        })
        .flatten())
}

/// A cap: the sample page is short while `count` says more, and the page after it, at the size
/// served, holds the records that follow (so `count` is not simply one too high).
pub(super) fn page_size_cap(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let served = run.sample.records.len() as u64;
    if served == 0 || served >= run.sample.count.min(u64::from(SAMPLE_SIZE)) {
        return Ok(None);
    }
    let query = CallLogQuery::new().page_size(served as u32).page(2);
    let (page, exchange) = page_of(run, &query)?;
    Ok((!page.data.is_empty() && run.sample.records.iter().all(|r| !page.data.contains(r)))
        .then(|| {
            Evidence::new(
                format!(
                    "page_size={SAMPLE_SIZE} served {served} records with count {}; page 2 of size {served} holds the next ones",
                    run.sample.count
                ),
                &[&exchange],
            )
            .map(|evidence| evidence.with_bound(served))
        })
        .flatten())
}

pub(super) fn default_page_size(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let exchange = send(run, Request::new::<&str, &str>([]))?;
    let Some(page) = exchange.page.as_deref() else {
        return Ok(None);
    };
    let served = page.data.len() as u64;
    let documented = page
        .count
        .min(u64::from(unpod_calllogs::query::DEFAULT_PAGE_SIZE));
    Ok((served != documented && served < page.count)
        .then(|| {
            Evidence::new(
                format!(
                    "a request without page_size got {served} records (count {})",
                    page.count
                ),
                &[&exchange],
            )
        })
        .flatten())
}

pub(super) fn past_last(
    run: &Run<'_>,
    deviates: fn(&Exchange) -> bool,
) -> Result<Option<Evidence>, Stop> {
    // A size below the caps servers use, so that the page is past the last at the size served.
    const SIZE: u32 = 50;
    let last = run.sample.count.div_ceil(u64::from(SIZE));
    let Ok(page) = u32::try_from(last + 1) else {
        return Ok(None);
    };
    let query = CallLogQuery::new().page_size(SIZE).page(page);
    let exchange = send(run, Request::from_query(&query))?;
    Ok(deviates(&exchange)
        .then(|| {
            Evidence::new(
                format!(
                    "page {page} of size {SIZE} (count {}) got {}{}",
                    run.sample.count,
                    exchange.status,
                    match exchange.records().len() {
                        0 => String::new(),
                        n => format!(" with {n} records"),
                    }
                ),
                &[&exchange],
            )
        })
        .flatten())
}

pub(super) fn answered_200(
    run: &Run<'_>,
    auth: Auth,
    what: &str,
) -> Result<Option<Evidence>, Stop> {
    // A URL no other request asks, so that no cache keyed by the URL alone can answer it.
    let exchange = send(run, fresh_url("1").with_auth(auth))?;
    Ok((exchange.status == 200)
        .then(|| {
            Evidence::new(
                format!(
                    "{what} got 200 with count {}",
                    exchange.page.as_ref().map_or(0, |p| p.count)
                ),
                &[&exchange],
            )
        })
        .flatten())
}

/// A request for page 1 of this size, spelled as no check spells it (`page` after `page_size`).
fn fresh_url(page_size: &str) -> Request {
    Request::new([("page_size", page_size), ("page", "1")])
}

/// A cache keyed by the URL alone: a URL asked without a token is refused (so tokens are
/// checked), yet once the token has asked it, the same URL without a token gets the token's page.
pub(super) fn url_keyed_cache(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let request = fresh_url("2");
    let before = send(run, request.clone().with_auth(Auth::NoToken))?;
    if before.status == 200 {
        return Ok(None);
    }
    let own = send(run, request.clone())?;
    let after = send(run, request.with_auth(Auth::NoToken))?;
    let same_page =
        after.status == 200 && !own.records().is_empty() && after.records() == own.records();
    Ok(same_page
        .then(|| {
            Evidence::new(
                format!(
                    "without a token the URL got {}; after the token asked it, the same URL without a token got 200 with the token's page",
                    before.status
                ),
                &[&before, &own, &after],
            )
        })
        .flatten())
}

/// A date-time's offset dropped: the same instant written at -08:00 selects other records than
/// written in UTC.
pub(super) fn offsets_ignored(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let records = &run.sample.records;
    let Some(middle) = records.get(records.len() / 2) else {
        return Ok(None);
    };
    let instant = middle.creation_time;
    let utc = unpod_calllogs::model::format_timestamp(&instant);
    let Some(zone) = chrono::FixedOffset::west_opt(8 * 3600) else {
        return Ok(None);
    };
    let pacific = instant
        .with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S%.f%:z")
        .to_string();
    let [at_utc, at_offset] = [utc, pacific.clone()].map(|end| {
        send(
            run,
            Request::new([("page_size", "1".to_owned()), ("end_date", end)]),
        )
    });
    let (at_utc, at_offset) = (at_utc?, at_offset?);
    let count = |e: &Exchange| e.page.as_ref().map(|p| p.count);
    Ok((count(&at_utc).is_some() && count(&at_offset).is_some() && count(&at_utc) != count(&at_offset))
        .then(|| {
            Evidence::new(
                format!(
                    "end_date={pacific} (the same instant as in UTC) answered count {} where UTC answered {}",
                    count(&at_offset).unwrap_or_default(),
                    count(&at_utc).unwrap_or_default()
                ),
                &[&at_utc, &at_offset],
            )
        })
        .flatten())
}

/// An empty filter applied as a value: `call_type=` answered with no records, where unknown
/// values are refused (so it is not the unknown-value deviation) and records exist.
pub(super) fn empty_value_applied(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    if run.sample.records.is_empty() {
        return Ok(None);
    }
    let unknown = send(run, Request::new([("call_type", "sideways")]))?;
    if unknown.status == 200 {
        return Ok(None);
    }
    let empty = send(run, Request::new([("call_type", "")]))?;
    Ok((empty.status == 200 && empty.page.as_ref().is_some_and(|p| p.count == 0))
        .then(|| {
            Evidence::new(
                "call_type= (empty) got 200 with count 0: the empty value is matched, not read as absent",
                &[&unknown, &empty],
            )
        })
        .flatten())
}

pub(super) fn unknown_enum_answered(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    for (parameter, value) in [("call_type", "sideways"), ("call_status", "busy")] {
        let exchange = send(run, Request::new([(parameter, value)]))?;
        if exchange.status == 200 {
            return Ok(Evidence::new(
                format!(
                    "{parameter}={value} got 200 with {} records (count {})",
                    exchange.records().len(),
                    exchange.page.as_ref().map_or(0, |p| p.count)
                ),
                &[&exchange],
            ));
        }
    }
    Ok(None)
}

/// Upper case selects what lower case does, and less than everything (so it is not an ignored
/// filter).
pub(super) fn case_insensitive_enums(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let Some(query) = probe_query(run, "call_type") else {
        return Ok(None);
    };
    let Some(value) = query.call_type.as_ref().map(|t| t.as_str().to_owned()) else {
        return Ok(None);
    };
    let lower = send(
        run,
        Request::new([("page_size", "1"), ("call_type", value.as_str())]),
    )?;
    let upper_value = value.to_ascii_uppercase();
    let upper = send(
        run,
        Request::new([("page_size", "1"), ("call_type", upper_value.as_str())]),
    )?;
    let count = |e: &Exchange| e.page.as_ref().map(|p| p.count);
    let same = upper.status == 200
        && count(&upper) == count(&lower)
        && count(&lower).is_some_and(|c| c > 0 && c < run.sample.count);
    Ok(same
        .then(|| {
            Evidence::new(
                format!(
                    "call_type={upper_value} got 200 with the count of call_type={value} ({})",
                    count(&lower).unwrap_or(0)
                ),
                &[&lower, &upper],
            )
        })
        .flatten())
}

pub(super) fn page_size_out_of_range(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let mut accepted = Vec::new();
    for size in ["0", "1001"] {
        let exchange = send(run, Request::new([("page_size", size)]))?;
        if exchange.status == 200 {
            accepted.push((size, exchange));
        }
    }
    if accepted.is_empty() {
        return Ok(None);
    }
    let observed = accepted
        .iter()
        .map(|(size, e)| {
            format!(
                "page_size={size} got 200 with {} records",
                e.records().len()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let exchanges: Vec<&Exchange> = accepted.iter().map(|(_, e)| e.as_ref()).collect();
    Ok(Evidence::new(observed, &exchanges))
}

/// The same first page asked twice more: records in another order, where only records sharing a
/// `creation_time` changed places.
pub(super) fn unordered_ties(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let records = &run.sample.records;
    let has_ties = records
        .windows(2)
        .any(|w| w[0].creation_time == w[1].creation_time);
    if !has_ties {
        return Ok(None);
    }
    let query = CallLogQuery::new().page_size(SAMPLE_SIZE);
    for _ in 0..2 {
        let (page, exchange) = page_of(run, &query)?;
        let times = |r: &[CallLog]| r.iter().map(|r| r.creation_time).collect::<Vec<_>>();
        if page.data != *records && times(&page.data) == times(records) {
            return Ok(Evidence::new(
                "the same request gave the records that share a creation_time in another order",
                &[&exchange],
            ));
        }
    }
    Ok(None)
}

/// Without the extra headers given (`--header`), a plain request gets a 400 that names one.
pub(super) fn required_header(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let headers = &run.probe.target().headers;
    if headers.is_empty() {
        return Ok(None);
    }
    let exchange = send(
        run,
        Request::new([("page_size", "1")]).with_auth(Auth::Bare),
    )?;
    let body = exchange.snippet.to_ascii_lowercase();
    let named = headers
        .iter()
        .find(|(name, _)| body.contains(&name.to_ascii_lowercase()));
    Ok(match named {
        Some((name, _)) if exchange.status == 400 => Evidence::new(
            format!(
                "without the {name} header a plain request got 400: {}",
                exchange.snippet
            ),
            &[&exchange],
        ),
        _ => None,
    })
}

/// A finding from the sample alone (no request): `observed` of the records, when there is one.
fn in_sample(run: &Run<'_>, observed: Option<String>) -> Result<Option<Evidence>, Stop> {
    Ok(observed.map(|observed| Evidence {
        observed,
        requests: vec![run.sample.curl.clone()],
        bound: None,
    }))
}

pub(super) fn extra_fields(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let fields: BTreeSet<&str> = run
        .sample
        .records
        .iter()
        .flat_map(|r| r.extra.keys().map(String::as_str))
        .collect();
    let observed = (!fields.is_empty()).then(|| {
        format!(
            "fields {}",
            fields.into_iter().collect::<Vec<_>>().join(", ")
        )
    });
    in_sample(run, observed)
}

pub(super) fn fractional_durations(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let record = run
        .sample
        .records
        .iter()
        .find(|r| r.call_duration.fract() != 0.0);
    in_sample(
        run,
        record.map(|r| {
            format!(
                "call_duration {} in {}",
                r.call_duration,
                crate::suite::property::brief(r)
            )
        }),
    )
}

pub(super) fn undocumented_values(run: &Run<'_>) -> Result<Option<Evidence>, Stop> {
    let values: BTreeSet<String> = run
        .sample
        .records
        .iter()
        .flat_map(|r| {
            let call_type =
                (!r.call_type.is_documented()).then(|| format!("call_type {}", r.call_type));
            let status =
                (!r.call_status.is_documented()).then(|| format!("call_status {}", r.call_status));
            call_type.into_iter().chain(status)
        })
        .collect();
    let observed = (!values.is_empty()).then(|| values.into_iter().collect::<Vec<_>>().join(", "));
    in_sample(run, observed)
}
