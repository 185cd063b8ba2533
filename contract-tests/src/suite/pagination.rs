//! The pagination group.

use std::collections::HashSet;
use std::sync::Arc;

use proptest::strategy::{Just, Strategy};
use unpod_calllogs::{CallLog, CallLogPage, CallLogQuery};

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

/// Records of the unfiltered walk when the sample does not hold them all: the newest ones, whose
/// order the sample knows. It is walked beside the date windows so that an accepted date-filter
/// deviation leaves a walk that tests pagination alone.
const PREFIX: usize = 120;

/// What a walk reads: the window's every page, or (`whole` false) the pages of the unfiltered
/// query that hold the sample's newest records.
struct Window<'s> {
    query: CallLogQuery,
    expected: Vec<&'s CallLog>,
    whole: bool,
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
    let mut windows: Vec<Window<'_>> = walk_windows(sample)
        .into_iter()
        .map(|(query, expected)| Window {
            query,
            expected,
            whole: true,
        })
        .collect();
    if windows.iter().all(|w| w.query.start_date.is_some()) && sample.records.len() >= 2 {
        // Every record when the sample holds them all (so the last page is walked too), else the
        // newest ones.
        let whole = sample.records.len() as u64 == sample.count;
        windows.push(Window {
            query: CallLogQuery::new(),
            expected: sample
                .records
                .iter()
                .take(if whole { usize::MAX } else { PREFIX })
                .collect(),
            whole,
        });
    }
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
        sizes.extend((2..=len.min(60)).filter(|d| len.is_multiple_of(*d)).take(2));
        sizes.retain(|s| (1..=1000).contains(s) && len / s <= 60);
        sizes
    };
    let sizes: Vec<Vec<u32>> = windows
        .iter()
        .map(|w| sizes_for(w.expected.len()))
        .collect();
    let strategy = (0..windows.len())
        .prop_flat_map(move |w| (Just(w), proptest::sample::select(sizes[w].clone())));
    let cases = (run.options.cases / 4).clamp(3, 8);
    property(
        run,
        cases,
        if compare_order { 4 } else { 3 },
        strategy,
        |(w, size)| walk_once(run, &windows[*w], *size, compare_order),
    )
}

fn walk_once(
    run: &Run<'_>,
    window: &Window<'_>,
    size: u32,
    compare_order: bool,
) -> Result<(), Stop> {
    let walked = read_pages(run, window, size, !compare_order)?;
    let records = walked.records();
    let newest: Vec<&CallLog>;
    let expected: &[&CallLog] = if window.whole {
        &window.expected
    } else {
        let known = window.expected.len().max(records.len());
        newest = run.sample.records.iter().take(known).collect();
        &newest
    };
    if compare_order {
        same_sequence(&walked, &records, expected, size)
            .map_err(|stop| tie_marked(stop, &records, expected))
    } else {
        disjoint_complete_newest_first(&walked, &records, size, window.whole, expected)
    }
}

/// The pages of one walk, in order, with their requests and the `count` they agreed on.
struct Walked {
    pages: Vec<Arc<CallLogPage>>,
    curls: Vec<String>,
    count: u64,
}

impl Walked {
    fn records(&self) -> Vec<&CallLog> {
        self.pages.iter().flat_map(|p| p.data.iter()).collect()
    }

    /// A finding about the walk, shown by its first three requests.
    fn finding(&self, summary: String, expected: String, actual: String) -> Stop {
        found(Finding {
            summary,
            expected,
            actual,
            requests: self.curls.iter().take(3).cloned().collect(),
        })
    }
}

/// Reads every page of `window` at `size` (at most 200; of a window that is not `whole`, those
/// that hold its records): `count` must be the window's and stay the same, and with
/// `check_lengths` each page must hold exactly what `count` calls for.
fn read_pages(
    run: &Run<'_>,
    window: &Window<'_>,
    size: u32,
    check_lengths: bool,
) -> Result<Walked, Stop> {
    let mut walked = Walked {
        pages: Vec::new(),
        curls: Vec::new(),
        count: 0,
    };
    for page_number in 1..=200u32 {
        let query = window.query.clone().page(page_number).page_size(size);
        let (page, exchange) = page_of(run, &query)?;
        walked.curls.push(exchange.curl.clone());
        let recent = |curls: &[String]| curls.iter().rev().take(3).rev().cloned().collect();
        let known = if window.whole {
            window.expected.len() as u64
        } else {
            run.sample.count
        };
        if page_number == 1 && page.count != known {
            // Known at once: the walk stops here rather than read pages of another answer.
            return Err(found(Finding {
                summary: format!(
                    "the count of {} is not its number of records",
                    describe(&query)
                ),
                expected: format!("count {known}"),
                actual: format!("count {}", page.count),
                requests: recent(&walked.curls),
            }));
        }
        if page_number == 1 {
            walked.count = page.count;
        } else if page.count != walked.count {
            return Err(found(Finding {
                summary: format!("count changed between pages of {}", describe(&query)),
                expected: format!("count {} on every page", walked.count),
                actual: format!("count {} on page {page_number}", page.count),
                requests: recent(&walked.curls),
            }));
        }
        let pages = walked.count.div_ceil(u64::from(size));
        let last = u64::from(page_number) >= pages;
        let want = if last {
            walked
                .count
                .saturating_sub((pages.max(1) - 1) * u64::from(size))
        } else {
            u64::from(size)
        };
        if check_lengths && page.data.len() as u64 != want {
            return Err(found(Finding {
                summary: format!("page {page_number} of size {size} has the wrong length"),
                expected: format!("{want} records (count {})", walked.count),
                actual: format!("{} records", page.data.len()),
                requests: recent(&walked.curls),
            }));
        }
        walked.pages.push(page);
        let read_enough = !window.whole
            && u64::from(page_number) * u64::from(size) >= window.expected.len() as u64;
        if last || read_enough {
            break;
        }
    }
    Ok(walked)
}

/// The concatenated pages are the sequence the sample holds.
fn same_sequence(
    walked: &Walked,
    records: &[&CallLog],
    expected: &[&CallLog],
    size: u32,
) -> Result<(), Stop> {
    if records.len() == expected.len() && records.iter().zip(expected).all(|(a, b)| a == b) {
        return Ok(());
    }
    let at = records
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(records.len().min(expected.len()));
    let shown = |list: &[&CallLog]| {
        format!(
            "{} records; at place {at}: {}",
            list.len(),
            list.get(at)
                .map_or_else(|| "nothing (the sequence ends)".to_owned(), |r| brief(r))
        )
    };
    Err(walked.finding(
        format!("pages of {size} concatenate to another sequence than pages of {SAMPLE_SIZE}"),
        shown(expected),
        shown(records),
    ))
}

/// The pages are disjoint, hold `count` records together (when the walk read them all), and run
/// newest first. Only a repeat can come of unstable ties (then the instants are those `expected`
/// holds, in its order), and only it is marked so.
fn disjoint_complete_newest_first(
    walked: &Walked,
    records: &[&CallLog],
    size: u32,
    whole: bool,
    expected: &[&CallLog],
) -> Result<(), Stop> {
    let mut seen = HashSet::new();
    if let Some(repeat) = records
        .iter()
        .find(|r| !seen.insert(serde_json::to_string(r).unwrap_or_default()))
    {
        let finding = walked.finding(
            format!("a record appears on two pages of size {size}"),
            "disjoint pages".to_owned(),
            brief(repeat),
        );
        return Err(tie_marked(finding, records, expected));
    }
    if whole && records.len() as u64 != walked.count {
        return Err(walked.finding(
            format!("the pages of size {size} hold another number of records than count"),
            format!("{} records", walked.count),
            format!("{}", records.len()),
        ));
    }
    if let Some(pair) = records
        .windows(2)
        .find(|w| w[0].creation_time < w[1].creation_time)
    {
        return Err(walked.finding(
            "records are not newest first".to_owned(),
            "creation_time never increasing along the pages".to_owned(),
            format!("{} before {}", brief(pair[0]), brief(pair[1])),
        ));
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
        let [first, second] = [0, 1].map(|i| answers[i].records().iter().collect::<Vec<_>>());
        let mut differs = first != second;
        let mut ties_only = same_instants(&first, &second);
        if query.page_size == Some(SAMPLE_SIZE) && query.page.is_none() {
            let sampled: Vec<&CallLog> = records.iter().collect();
            differs |= first != sampled;
            ties_only &= same_instants(&first, &sampled);
        }
        if differs {
            let mut summary = format!(
                "the same request ({}) gave different pages",
                describe(&query)
            );
            if ties_only {
                summary.push_str(TIES_ONLY);
            }
            checked.findings.push(Finding {
                summary,
                expected: "the same records in the same order every time".to_owned(),
                actual: "records or their order differ between answers".to_owned(),
                requests: vec![answers[0].curl.clone()],
            });
        }
    }
    checked
}
