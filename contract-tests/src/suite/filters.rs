//! The filters group.

use chrono::{Days, FixedOffset};
use proptest::strategy::{Just, Strategy};
use unpod_calllogs::{CallLog, CallLogQuery, CallStatus, CallType, DateBound};

use crate::probe::Request;

use super::property::*;
use super::sample::*;
use super::*;

pub(super) fn matching(run: &Run<'_>) -> Checked {
    property(
        run,
        run.options.cases,
        1,
        filter_strategy(&run.sample, false),
        |query| {
            let (page, exchange) = page_of(run, query)?;
            if let Some(record) = page.data.iter().find(|r| !query.matches(r)) {
                return Err(found(Finding {
                    summary: format!(
                        "a record outside the filters came back for {}",
                        describe(query)
                    ),
                    expected: "only records matching every filter".to_owned(),
                    actual: brief(record),
                    requests: vec![exchange.curl.clone()],
                }));
            }
            Ok(())
        },
    )
}

pub(super) fn complete(run: &Run<'_>) -> Checked {
    property(
        run,
        run.options.cases,
        2,
        filter_strategy(&run.sample, true),
        |query| {
            let Some(expected) = run.sample.expected(query) else {
                return Ok(());
            };
            let (page, exchange) = page_of(run, query)?;
            let got: Vec<&CallLog> = page.data.iter().collect();
            if got != expected || page.count != expected.len() as u64 {
                let missing: Vec<String> = expected
                    .iter()
                    .filter(|r| !got.contains(r))
                    .take(2)
                    .map(|r| brief(r))
                    .collect();
                let extra: Vec<String> = got
                    .iter()
                    .filter(|r| !expected.contains(r))
                    .take(2)
                    .map(|r| brief(r))
                    .collect();
                let same_records = missing.is_empty()
                    && extra.is_empty()
                    && got.len() == expected.len()
                    && page.count == expected.len() as u64;
                let (summary, actual) = if same_records {
                    // Only the order differs: say where, not "nothing missing, nothing extra".
                    let at = got
                        .iter()
                        .zip(&expected)
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    (
                        format!(
                            "the answer to {} holds the matching records in another order",
                            describe(query)
                        ),
                        format!(
                            "count {}, the same records; at place {at}: {} where {} belongs",
                            page.count,
                            brief(got[at]),
                            brief(expected[at])
                        ),
                    )
                } else {
                    (
                        format!(
                            "the answer to {} is not the set of matching records",
                            describe(query)
                        ),
                        format!(
                            "count {}, {} records; missing {}; unexpected {}",
                            page.count,
                            got.len(),
                            listed(&missing),
                            listed(&extra)
                        ),
                    )
                };
                let finding = found(Finding {
                    summary,
                    expected: format!("count {} and those records, newest first", expected.len()),
                    actual,
                    requests: vec![exchange.curl.clone()],
                });
                if page.count != expected.len() as u64 {
                    return Err(finding);
                }
                return Err(tie_marked(finding, &got, &expected));
            }
            Ok(())
        },
    )
}

/// How a query is spelled: the offset its date-times are written at (`None`: `Z`), whether they
/// carry a fraction when they have none, and a parameter added.
#[derive(Clone, Debug)]
pub(super) struct Spelling {
    offset_minutes: Option<i32>,
    fraction: bool,
    extra: Extra,
}

/// A parameter added to a query without changing what it asks.
#[derive(Clone, Debug)]
enum Extra {
    None,
    /// This filter, not set, sent with an empty value.
    Empty(&'static str),
    /// Each parameter set is sent twice, another value first.
    Repeated,
}

/// Offsets worth writing a date-time at: both signs, half hours, the extremes.
const OFFSETS: &[i32] = &[0, 330, -480, 840, -720, 345, -210];

fn spelling_strategy() -> impl Strategy<Value = Spelling> {
    let offset = proptest::option::weighted(0.8, proptest::sample::select(OFFSETS));
    let extra = proptest::prop_oneof![
        2 => Just(Extra::None),
        1 => proptest::sample::select(&["call_type", "call_status", "start_date", "end_date"][..])
            .prop_map(Extra::Empty),
        1 => Just(Extra::Repeated),
    ];
    (offset, proptest::bool::ANY, extra).prop_map(|(offset_minutes, fraction, extra)| Spelling {
        offset_minutes,
        fraction,
        extra,
    })
}

impl Spelling {
    /// A date-time bound written this way.
    fn instant(&self, bound: &DateBound) -> Option<String> {
        let DateBound::DateTime(time) = bound else {
            return None;
        };
        let fraction = if time.timestamp_subsec_nanos() != 0 {
            time.format("%.f").to_string()
        } else if self.fraction {
            ".000".to_owned()
        } else {
            String::new()
        };
        Some(match self.offset_minutes {
            None => format!("{}{fraction}Z", time.format("%Y-%m-%dT%H:%M:%S")),
            Some(minutes) => {
                let zone = FixedOffset::east_opt(minutes * 60)?;
                let local = time.with_timezone(&zone);
                format!(
                    "{}{fraction}{}",
                    local.format("%Y-%m-%dT%H:%M:%S"),
                    local.format("%:z")
                )
            }
        })
    }

    /// The request for `query`, spelled this way.
    fn request(&self, query: &CallLogQuery) -> Request {
        let bounds = [
            ("start_date", query.start_date),
            ("end_date", query.end_date),
        ];
        let mut params: Vec<(String, String)> = Request::from_query(query)
            .params
            .into_iter()
            .map(|(name, value)| {
                let written = bounds
                    .iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, bound)| bound.as_ref())
                    .and_then(|bound| self.instant(bound));
                (name, written.unwrap_or(value))
            })
            .collect();
        match self.extra {
            Extra::None => {}
            Extra::Empty(name) => {
                if !params.iter().any(|(n, _)| n == name) {
                    params.push((name.to_owned(), String::new()));
                }
            }
            Extra::Repeated => {
                params = params
                    .into_iter()
                    .flat_map(|(name, value)| {
                        let decoy = decoy(&name, &value);
                        [(name.clone(), decoy), (name, value)]
                    })
                    .collect();
            }
        }
        Request::new(params)
    }
}

/// Whether a 400 is an answer the contract allows to `request`: it sends an empty value or a
/// parameter twice (forms the contract does not define; see `filters.forms`).
fn may_be_refused(request: &Request) -> bool {
    let mut names = std::collections::HashSet::new();
    request
        .params
        .iter()
        .any(|(name, value)| value.is_empty() || !names.insert(name))
}

/// Another valid value for a parameter, to send before its own.
fn decoy(name: &str, value: &str) -> String {
    let other = |values: &[&str]| {
        values
            .iter()
            .find(|v| **v != value)
            .map_or_else(String::new, |v| (*v).to_owned())
    };
    match name {
        "call_type" => other(
            &CallType::DOCUMENTED
                .iter()
                .map(CallType::as_str)
                .collect::<Vec<_>>(),
        ),
        "call_status" => other(
            &CallStatus::DOCUMENTED
                .iter()
                .map(CallStatus::as_str)
                .collect::<Vec<_>>(),
        ),
        "start_date" | "end_date" => other(&["2000-01-01", "2000-01-02"]),
        _ => other(&["1", "2"]),
    }
}

pub(super) fn forms(run: &Run<'_>) -> Checked {
    property(
        run,
        run.options.cases,
        5,
        (filter_strategy(&run.sample, true), spelling_strategy()),
        |(query, spelling)| {
            let Some(expected) = run.sample.expected(query) else {
                return Ok(());
            };
            let request = spelling.request(query);
            let exchange = send(run, request.clone())?;
            if exchange.status == 400 && may_be_refused(&request) {
                return Ok(());
            }
            let got: Vec<&CallLog> = exchange.records().iter().collect();
            let count = exchange.page.as_ref().map(|p| p.count);
            if count == Some(expected.len() as u64) && got == expected {
                return Ok(());
            }
            let finding = found(Finding {
                summary: format!(
                    "{} spelled as {} got another answer than the query asks for",
                    describe(query),
                    request_text(&request)
                ),
                expected: format!(
                    "count {} and those records, newest first{}",
                    expected.len(),
                    if may_be_refused(&request) {
                        ", or 400"
                    } else {
                        ""
                    }
                ),
                actual: match count {
                    Some(count) => format!("count {count}, {} records", got.len()),
                    None => answer_text(&exchange),
                },
                requests: vec![exchange.curl.clone()],
            });
            if count != Some(expected.len() as u64) {
                return Err(finding);
            }
            Err(tie_marked(finding, &got, &expected))
        },
    )
}

/// A request's parameters as sent, unencoded.
fn request_text(request: &Request) -> String {
    let pairs: Vec<String> = request
        .params
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    pairs.join("&")
}

/// Records in a finding: `none`, or each in braces.
fn listed(records: &[String]) -> String {
    if records.is_empty() {
        "none".to_owned()
    } else {
        records.join(", ")
    }
}

pub(super) fn partition(run: &Run<'_>) -> Checked {
    let mut checked = Checked::default();
    let outcome = sums_add_up(run).and_then(|mut findings| {
        findings.extend(narrowing_never_raises(run)?);
        Ok(findings)
    });
    match outcome {
        Ok(findings) => checked.findings = findings,
        Err(stop) => checked.absorb(stop),
    }
    checked
}

/// The `count` of a query (asked with a page of one), and its request.
fn counted(run: &Run<'_>, query: CallLogQuery) -> Result<(u64, String), Stop> {
    let (page, exchange) = page_of(run, &query.page_size(1))?;
    Ok((page.count, exchange.curl.clone()))
}

/// The counts of the call types, of the statuses, and of the date windows before and after a day
/// each add up to the total.
fn sums_add_up(run: &Run<'_>) -> Result<Vec<Finding>, Stop> {
    let (total, total_curl) = counted(run, CallLogQuery::new())?;
    let mut sums: Vec<(&str, Vec<(u64, String)>)> = Vec::new();
    let types = CallType::DOCUMENTED
        .iter()
        .map(|t| counted(run, CallLogQuery::new().call_type(t.clone())));
    sums.push(("call types", types.collect::<Result<_, _>>()?));
    let statuses = CallStatus::DOCUMENTED
        .iter()
        .map(|s| counted(run, CallLogQuery::new().call_status(s.clone())));
    sums.push(("call statuses", statuses.collect::<Result<_, _>>()?));
    let records = &run.sample.records;
    if let Some(day) = records
        .get(records.len() / 2)
        .map(|r| r.creation_time.date_naive())
    {
        let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
        let windows = vec![
            counted(run, CallLogQuery::new().end_date(day))?,
            counted(run, CallLogQuery::new().start_date(next))?,
        ];
        sums.push(("the date windows up to and after a day", windows));
    }
    let findings = sums.into_iter().filter_map(|(what, parts)| {
        let sum: u64 = parts.iter().map(|(c, _)| c).sum();
        (sum != total).then(|| {
            let terms: Vec<String> = parts.iter().map(|(c, _)| c.to_string()).collect();
            let mut requests = vec![total_curl.clone()];
            requests.extend(parts.into_iter().map(|(_, curl)| curl));
            Finding {
                summary: format!("the counts of {what} do not add up to the total"),
                expected: format!("a sum of {total}"),
                actual: format!("{} = {sum}", terms.join(" + ")),
                requests,
            }
        })
    });
    Ok(findings.collect())
}

/// Narrowed to the newest record's own type, status and instant, the count is at least 1 and no
/// more than without the status filter.
fn narrowing_never_raises(run: &Run<'_>) -> Result<Option<Finding>, Stop> {
    let Some(record) = run.sample.records.first() else {
        return Ok(None);
    };
    let narrow = CallLogQuery::new()
        .call_type(record.call_type.clone())
        .call_status(record.call_status.clone())
        .start_date(record.creation_time)
        .end_date(record.creation_time)
        .allow_undocumented_values();
    let mut wider = narrow.clone();
    wider.call_status = None;
    let (narrow_count, narrow_curl) = counted(run, narrow.clone())?;
    let (wider_count, wider_curl) = counted(run, wider)?;
    Ok((narrow_count > wider_count || narrow_count == 0).then(|| Finding {
        summary: "adding a filter raised count, or a record seen unfiltered is missing under its own filters".to_owned(),
        expected: format!("1 <= count({}) <= count(without call_status)", describe(&narrow)),
        actual: format!("{narrow_count} and {wider_count}"),
        requests: vec![narrow_curl, wider_curl],
    }))
}
