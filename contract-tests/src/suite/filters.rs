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
                return Err(found(Finding {
                    summary: format!(
                        "the answer to {} is not the set of matching records",
                        describe(query)
                    ),
                    expected: format!("count {} and those records, newest first", expected.len()),
                    actual: format!(
                        "count {}, {} records; missing {missing:?}; unexpected {extra:?}",
                        page.count,
                        got.len()
                    ),
                    requests: vec![exchange.curl.clone()],
                }));
            }
            Ok(())
        },
    )
}

pub(super) fn partition(run: &Run<'_>) -> Checked {
    let mut checked = Checked::default();
    let count = |query: CallLogQuery| -> Result<(u64, String), Stop> {
        let (page, exchange) = page_of(run, &query.page_size(1))?;
        Ok((page.count, exchange.curl.clone()))
    };
    let outcome = (|| -> Result<(), Stop> {
        let (total, total_curl) = count(CallLogQuery::new())?;
        let mut sums: Vec<(&str, Vec<(u64, String)>)> = Vec::new();
        let types = CallType::DOCUMENTED
            .iter()
            .map(|t| count(CallLogQuery::new().call_type(t.clone())));
        sums.push(("call types", types.collect::<Result<_, _>>()?));
        let statuses = CallStatus::DOCUMENTED
            .iter()
            .map(|s| count(CallLogQuery::new().call_status(s.clone())));
        sums.push(("call statuses", statuses.collect::<Result<_, _>>()?));
        let middle = run
            .sample
            .records
            .get(run.sample.records.len() / 2)
            .map(|r| r.creation_time.date_naive());
        if let Some(day) = middle {
            let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
            let windows = vec![
                count(CallLogQuery::new().end_date(day))?,
                count(CallLogQuery::new().start_date(next))?,
            ];
            sums.push(("the date windows up to and after a day", windows));
        }
        for (what, parts) in &sums {
            let sum: u64 = parts.iter().map(|(c, _)| c).sum();
            if sum != total {
                let mut requests = vec![total_curl.clone()];
                requests.extend(parts.iter().map(|(_, curl)| curl.clone()));
                checked.findings.push(Finding {
                    summary: format!("the counts of {what} do not add up to the total"),
                    expected: format!("a sum of {total}"),
                    actual: format!(
                        "{} = {sum}",
                        parts
                            .iter()
                            .map(|(c, _)| c.to_string())
                            .collect::<Vec<_>>()
                            .join(" + ")
                    ),
                    requests,
                });
            }
        }
        if let Some(record) = run.sample.records.first() {
            let narrow = CallLogQuery::new()
                .call_type(record.call_type.clone())
                .call_status(record.call_status.clone())
                .start_date(record.creation_time)
                .end_date(record.creation_time)
                .allow_undocumented_values();
            let wider = CallLogQuery {
                call_status: None,
                ..narrow.clone()
            };
            let (narrow_count, narrow_curl) = count(narrow.clone())?;
            let (wider_count, wider_curl) = count(wider)?;
            if narrow_count > wider_count || narrow_count == 0 {
                checked.findings.push(Finding {
                    summary: "adding a filter raised count, or a record seen unfiltered is missing under its own filters".to_owned(),
                    expected: format!("1 <= count({}) <= count(without call_status)", describe(&narrow)),
                    actual: format!("{narrow_count} and {wider_count}"),
                    requests: vec![narrow_curl, wider_curl],
                });
            }
        }
        Ok(())
    })();
    if let Err(stop) = outcome {
        checked.absorb(stop);
    }
    checked
}
