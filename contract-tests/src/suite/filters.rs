//! The filters group.

use chrono::Days;
use unpod_calllogs::{CallLog, CallLogQuery, CallStatus, CallType};

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
