//! The pagination group.

use std::collections::HashSet;

use proptest::strategy::{Just, Strategy};
use unpod_calllogs::{CallLog, CallLogQuery};

use crate::probe::Request;

use super::property::*;
use super::sample::*;
use super::*;

/// Windows of the sample with between 40 and 400 records, to walk page by page.
pub(super) fn walk_windows(sample: &Sample) -> Vec<(CallLogQuery, Vec<&CallLog>)> {
    let mut windows = Vec::new();
    let n = sample.records.len();
    for (from, len) in [(n / 10, 120), (n / 3, 300), (0, 45)] {
        let (Some(newest), Some(oldest)) = (
            sample.records.get(from),
            sample.records.get((from + len).min(n).saturating_sub(1)),
        ) else {
            continue;
        };
        let query = CallLogQuery::new()
            .start_date(oldest.creation_time)
            .end_date(newest.creation_time);
        if let Some(expected) = sample.expected(&query).filter(|e| e.len() >= 2) {
            windows.push((query, expected));
        }
    }
    if windows.is_empty() && !sample.records.is_empty() && sample.complete_after.is_none() {
        windows.push((CallLogQuery::new(), sample.records.iter().collect()));
    }
    windows
}

pub(super) fn walk(run: &Run<'_>) -> Checked {
    walk_pages(run, false)
}

pub(super) fn same_order(run: &Run<'_>) -> Checked {
    walk_pages(run, true)
}

fn walk_pages(run: &Run<'_>, compare_order: bool) -> Checked {
    let sample = &run.sample;
    let short = (sample.records.len() as u64) < sample.count.min(u64::from(SAMPLE_SIZE));
    if !compare_order && short {
        return Checked {
            findings: vec![Finding {
                summary: format!(
                    "a page of size {SAMPLE_SIZE} that is not the last holds fewer records"
                ),
                expected: format!(
                    "{} records (count {})",
                    sample.count.min(u64::from(SAMPLE_SIZE)),
                    sample.count
                ),
                actual: format!("{} records", sample.records.len()),
                requests: vec![sample.curl.clone()],
            }],
            ..Checked::default()
        };
    }
    let windows = walk_windows(sample);
    if windows.is_empty() {
        return Checked {
            skipped: Some("the sample holds no window to walk".to_owned()),
            ..Checked::default()
        };
    }
    let sizes_for = |len: usize| -> Vec<u32> {
        let len = len as u32;
        let mut sizes = vec![
            7,
            25,
            len,
            len.saturating_sub(1).max(1),
            150,
            (len / 3).max(1),
        ];
        sizes.extend((2..=len.min(60)).filter(|d| len % d == 0).take(2));
        sizes.retain(|s| (1..=1000).contains(s) && len / s <= 60);
        sizes
    };
    let sizes: Vec<Vec<u32>> = windows.iter().map(|(_, e)| sizes_for(e.len())).collect();
    let strategy = (0..windows.len())
        .prop_flat_map(move |w| (Just(w), proptest::sample::select(sizes[w].clone())));
    let cases = (run.options.cases / 4).clamp(3, 8);
    property(
        run,
        cases,
        if compare_order { 4 } else { 3 },
        strategy,
        |(w, size)| {
            let (query, expected) = &windows[*w];
            walk_once(run, query, *size, expected, compare_order)
        },
    )
}

pub(super) fn walk_once(
    run: &Run<'_>,
    window: &CallLogQuery,
    size: u32,
    expected: &[&CallLog],
    compare_order: bool,
) -> Result<(), Stop> {
    let mut received = Vec::new();
    let mut curls = Vec::new();
    let mut count = None;
    let mut page_number = 1u32;
    loop {
        let query = window.clone().page(page_number).page_size(size);
        let (page, exchange) = page_of(run, &query)?;
        curls.push(exchange.curl.clone());
        let fail = |summary: String, expected: String, actual: String, curls: &[String]| {
            Err(found(Finding {
                summary,
                expected,
                actual,
                requests: curls.iter().rev().take(3).rev().cloned().collect(),
            }))
        };
        let total = *count.get_or_insert(page.count);
        if page.count != total {
            return fail(
                format!("count changed between pages of {}", describe(&query)),
                format!("count {total} on every page"),
                format!("count {} on page {page_number}", page.count),
                &curls,
            );
        }
        let pages = total.div_ceil(u64::from(size));
        let last = u64::from(page_number) >= pages;
        let want = if last {
            total.saturating_sub((pages.max(1) - 1) * u64::from(size))
        } else {
            u64::from(size)
        };
        if !compare_order && page.data.len() as u64 != want {
            return fail(
                format!("page {page_number} of size {size} has the wrong length"),
                format!("{want} records (count {total})"),
                format!("{} records", page.data.len()),
                &curls,
            );
        }
        received.push(page);
        if last || page_number >= 200 {
            break;
        }
        page_number += 1;
    }
    let total = count.unwrap_or(0);
    let walked: Vec<&CallLog> = received.iter().flat_map(|p| p.data.iter()).collect();
    if compare_order {
        let same =
            walked.len() == expected.len() && walked.iter().zip(expected).all(|(a, b)| a == b);
        if !same {
            let at = walked
                .iter()
                .zip(expected)
                .position(|(a, b)| a != b)
                .unwrap_or(walked.len().min(expected.len()));
            return Err(found(Finding {
                summary: format!(
                    "pages of {size} concatenate to another sequence than pages of {SAMPLE_SIZE}"
                ),
                expected: format!(
                    "{} records; at place {at}: {}",
                    expected.len(),
                    expected.get(at).map(|r| brief(r)).unwrap_or_default()
                ),
                actual: format!(
                    "{} records; at place {at}: {}",
                    walked.len(),
                    walked.get(at).map(|r| brief(r)).unwrap_or_default()
                ),
                requests: curls.into_iter().take(3).collect(),
            }));
        }
        return Ok(());
    }
    let mut seen = HashSet::new();
    if let Some(repeat) = walked
        .iter()
        .find(|r| !seen.insert(serde_json::to_string(r).unwrap_or_default()))
    {
        return Err(found(Finding {
            summary: format!("a record appears on two pages of size {size}"),
            expected: "disjoint pages".to_owned(),
            actual: brief(repeat),
            requests: curls.into_iter().take(3).collect(),
        }));
    }
    if walked.len() as u64 != total {
        return Err(found(Finding {
            summary: format!("the pages of size {size} hold another number of records than count"),
            expected: format!("{total} records"),
            actual: format!("{}", walked.len()),
            requests: curls.into_iter().take(3).collect(),
        }));
    }
    if let Some(pair) = walked
        .windows(2)
        .find(|w| w[0].creation_time < w[1].creation_time)
    {
        return Err(found(Finding {
            summary: "records are not newest first".to_owned(),
            expected: "creation_time never increasing along the pages".to_owned(),
            actual: format!("{} before {}", brief(pair[0]), brief(pair[1])),
            requests: curls.into_iter().take(3).collect(),
        }));
    }
    Ok(())
}

pub(super) fn past_last(run: &Run<'_>) -> Checked {
    let mut checked = Checked::default();
    let mut cases: Vec<(CallLogQuery, u64)> = Vec::new();
    let total_pages = run.sample.count.div_ceil(u64::from(SAMPLE_SIZE));
    if let Ok(next) = u32::try_from(total_pages + 1) {
        cases.push((
            CallLogQuery::new().page_size(SAMPLE_SIZE).page(next),
            run.sample.count,
        ));
    }
    for (window, expected) in walk_windows(&run.sample).into_iter().take(2) {
        let size = 7u32;
        let last = (expected.len() as u64).div_ceil(u64::from(size)) as u32;
        cases.push((
            window.clone().page_size(size).page(last + 1),
            expected.len() as u64,
        ));
        cases.push((window.page_size(size).page(last + 4), expected.len() as u64));
    }
    for (query, count) in cases {
        let request = Request::from_query(&query);
        let exchange = match run.probe.get(request.clone()) {
            Ok(exchange) => exchange,
            Err(error) => {
                checked.record_probe_error(error, &request, run.probe);
                break;
            }
        };
        let page = exchange.page.as_deref();
        let ok = match (page, exchange.status) {
            (_, 404) => true,
            (Some(page), 200) => page.data.is_empty() && page.count == count,
            _ => false,
        };
        if !ok {
            checked.findings.push(Finding {
                summary: format!(
                    "page {} is past the last, yet {}",
                    query.page_number(),
                    match &page {
                        Some(p) if !p.data.is_empty() =>
                            format!("it holds {} records", p.data.len()),
                        Some(p) => format!("its count is {}", p.count),
                        None => format!("it got {}", exchange.status),
                    }
                ),
                expected: format!("200 with no records and count {count}, or 404"),
                actual: answer_text(&exchange),
                requests: vec![exchange.curl.clone()],
            });
        }
    }
    checked
}

pub(super) fn repeatable(run: &Run<'_>) -> Checked {
    let mut checked = Checked::default();
    let records = &run.sample.records;
    let mut queries = vec![CallLogQuery::new().page_size(SAMPLE_SIZE)];
    if let Some(tie) = records
        .windows(2)
        .position(|w| w[0].creation_time == w[1].creation_time)
    {
        let size = (tie + 1) as u32;
        queries.push(CallLogQuery::new().page_size(size));
        queries.push(CallLogQuery::new().page_size(size).page(2));
    }
    for query in queries {
        let request = Request::from_query(&query);
        let answers: Result<Vec<_>, _> = (0..2).map(|_| run.probe.get(request.clone())).collect();
        let answers = match answers {
            Ok(answers) => answers,
            Err(error) => {
                checked.record_probe_error(error, &request, run.probe);
                break;
            }
        };
        let first = answers[0].records();
        let mut differs = answers[1].records() != first;
        if query.page_size == Some(SAMPLE_SIZE) && query.page.is_none() {
            differs |= first != *records;
        }
        if differs {
            checked.findings.push(Finding {
                summary: format!(
                    "the same request ({}) gave different pages",
                    describe(&query)
                ),
                expected: "the same records in the same order every time".to_owned(),
                actual: "records or their order differ between answers".to_owned(),
                requests: vec![answers[0].curl.clone()],
            });
        }
    }
    checked
}
