//! `run --openapi`: the invariant families of the call-logs checks, for any list operation an
//! OpenAPI document describes with the extensions of `docs/LIST-EXTENSIONS.md`.
//!
//! The run first walks the whole list, unfiltered, with the largest page size it may ask for: that
//! walk is the truth every other answer is compared with (filtered walks hold exactly its records
//! that match; walks with other page sizes hold exactly its records, in the declared order). The
//! values it sends come from the records it read. A check whose promise the document does not make
//! is skipped, with the promise it lacks; one that could not walk to the end is incomplete.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use proptest::prelude::RngCore;
use proptest::test_runner::TestRng;
use serde_json::Value;

use super::property::{Stop, found, runner, stop_for};
use super::{CheckResult, Checked, Fatal, Finding, Options, Report, result_of};
use crate::openapi::{
    Count, Filter, ListOperation, NO_MAX_PAGE_SIZE, NO_PAGE_SIZE, Op, Pagination, Path,
};
use crate::probe::{Auth, Exchange, Probe, Request};

/// Who the run is, beyond the target's headers.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Identity {
    /// The headers (among the target's) that carry the credentials of the document's security
    /// scheme: the auth check sends requests without them, and with them garbled.
    pub credentials: Vec<String>,
    /// Headers naming another identity the credentials may not read (e.g. `Org-Handle: other`):
    /// the isolation check sends them in place of the target's, and a made-up value of each.
    pub foreign: Vec<(String, String)>,
}

impl Identity {
    /// The credential headers' names and the other identity's headers.
    pub fn new(credentials: Vec<String>, foreign: Vec<(String, String)>) -> Self {
        Self {
            credentials,
            foreign,
        }
    }
}

/// A check of a list operation: id, what it asserts, and what runs it.
struct ListCheck {
    id: &'static str,
    description: &'static str,
    run: fn(&ListRun<'_>) -> Checked,
}

/// The checks, in the order they run (the passive check of every answer last).
const LIST_CHECKS: &[ListCheck] = &[
    ListCheck {
        id: "list.walks",
        description: "walks with other page sizes hold the full walk's records, each once, and the count",
        run: walks,
    },
    ListCheck {
        id: "list.order",
        description: "every walk is in the declared order (x-list.order)",
        run: order,
    },
    ListCheck {
        id: "list.full-pages",
        description: "pages of at most x-list.max-page-size records are full but the last",
        run: full_pages,
    },
    ListCheck {
        id: "list.cursor-ends",
        description: "a cursor or next-link walk ends, and never repeats a cursor",
        run: cursor_ends,
    },
    ListCheck {
        id: "list.past-last",
        description: "a page past the last is empty or an error, never records",
        run: past_last,
    },
    ListCheck {
        id: "list.filters-match",
        description: "every record of a filtered walk matches every filter sent (x-filter)",
        run: filters_match,
    },
    ListCheck {
        id: "list.filters-complete",
        description: "a filtered walk holds every record of the full walk that matches",
        run: filters_complete,
    },
    ListCheck {
        id: "list.enum-partitions",
        description: "the counts of an enum filter's values add up to the unfiltered count",
        run: enum_partitions,
    },
    ListCheck {
        id: "list.range-windows",
        description: "the counts of adjacent ranges add up to the unfiltered count",
        run: range_windows,
    },
    ListCheck {
        id: "list.invalid-values",
        description: "invalid values of declared parameters never get 5xx (4xx where x-list.rejects-invalid)",
        run: invalid_values,
    },
    ListCheck {
        id: "list.auth",
        description: "requests without the credentials, or with garbled ones, are refused (401/403)",
        run: auth,
    },
    ListCheck {
        id: "list.isolation",
        description: "another identity's headers, or made-up ones, are refused (4xx), never served records",
        run: isolation,
    },
    ListCheck {
        id: "list.responses",
        description: "every answer's status, content type and body are as the document declares",
        run: responses,
    },
];

/// The checks of `run --openapi`, in order: id and what each asserts.
pub fn list_checks() -> impl Iterator<Item = (&'static str, &'static str)> {
    LIST_CHECKS.iter().map(|c| (c.id, c.description))
}

/// Query parameters, in order, unencoded.
type Params = Vec<(String, String)>;

/// A walk: the records in the order served, and what the answers said along the way.
#[derive(Default)]
struct Walk {
    records: Vec<Value>,
    /// Records per page, in order.
    pages: Vec<usize>,
    /// The count each page gave, when the list has one.
    counts: Vec<u64>,
    /// Whether the walk reached the end (else it stopped on a finding or the budget).
    complete: bool,
    /// Cursors or next links that came twice.
    repeated: Option<String>,
    /// The `curl` lines of its requests (first and last few).
    requests: Vec<String>,
}

impl Walk {
    fn count(&self) -> Option<u64> {
        self.counts.first().copied()
    }

    fn shown(&self) -> Vec<String> {
        let n = self.requests.len();
        if n <= 4 {
            return self.requests.clone();
        }
        let mut shown = self.requests[..2].to_vec();
        shown.extend_from_slice(&self.requests[n - 2..]);
        shown
    }
}

struct ListRun<'a> {
    probe: &'a Probe,
    list: &'a ListOperation,
    document: &'a Value,
    identity: &'a Identity,
    options: &'a Options,
    /// The unfiltered walk with the largest page size, when it could be made.
    truth: Result<Walk, String>,
    /// What made the full walk fail, when it did: `list.walks` reports it.
    truth_failure: Option<Finding>,
    /// The truth's page size (`None`: the server's default).
    size: Option<u64>,
    /// The filtered walks of `list.filters-match`, kept for `list.filters-complete`.
    filtered: RefCell<Vec<(Params, Walk)>>,
    rng: RefCell<TestRng>,
}

/// Runs the checks of a list operation against the probe's target.
pub fn run_list(
    probe: &Probe,
    list: &ListOperation,
    document: &Value,
    identity: &Identity,
    options: &Options,
) -> Result<Report, Fatal> {
    run_list_with(probe, list, document, identity, options, |_| {})
}

/// [`run_list`], telling `progress` about each check as it ends.
pub fn run_list_with(
    probe: &Probe,
    list: &ListOperation,
    document: &Value,
    identity: &Identity,
    options: &Options,
    mut progress: impl FnMut(&CheckResult),
) -> Result<Report, Fatal> {
    let started = Instant::now();
    let size = largest_size(list);
    let mut run = ListRun {
        probe,
        list,
        document,
        identity,
        options,
        truth: Err(String::new()),
        truth_failure: None,
        size,
        filtered: RefCell::new(Vec::new()),
        rng: RefCell::new(runner(options, 1, 0x115).new_rng()),
    };
    // The first page, as the server sizes it, must be a page: otherwise nothing can be tested.
    let first = probe
        .get(run.page_request(&[], None, 0, None))
        .map_err(|e| Fatal::Unreachable(e.to_string()))?;
    let lacks = if (200..300).contains(&first.status) {
        run.records(&first).err()
    } else {
        Some("not a 2xx status".to_owned())
    };
    if let Some(reason) = lacks {
        return Err(Fatal::NoRecords {
            status: first.status,
            reason,
            body: first.snippet.clone(),
        });
    }
    // The truth gets at most half the budget.
    probe.set_share(Some(probe.remaining() / 2));
    run.truth = match run.walk(&[], size) {
        Ok(walk) if walk.complete => Ok(walk),
        Ok(_) => Err("the full walk did not reach its end".to_owned()),
        Err(Stop::Budget(reason)) => Err(format!("the full walk stopped: {reason}")),
        Err(Stop::Found(finding)) => {
            let reason = format!("the full walk failed: {}", finding.summary);
            run.truth_failure = Some(*finding);
            Err(reason)
        }
    };
    probe.set_share(None);
    let selected = |id: &str| {
        let named = |names: &[String]| names.iter().any(|n| n == id || n == "list");
        (options.only.is_empty() || named(&options.only)) && !named(&options.skip)
    };
    let mut active_left = LIST_CHECKS.iter().filter(|c| selected(c.id)).count() as u64;
    let mut results = Vec::new();
    for check in LIST_CHECKS {
        let sent = probe.sent();
        let clock = Instant::now();
        let checked = if selected(check.id) {
            probe.set_share(Some(probe.remaining() / active_left.max(1)));
            active_left -= 1;
            let checked = (check.run)(&run);
            probe.set_share(None);
            checked
        } else {
            Checked::skipped("not selected")
        };
        let result = result_of(
            (check.id, "list", check.description),
            checked,
            probe.sent() - sent,
            clock,
            options,
        );
        progress(&result);
        results.push(result);
    }
    Ok(Report {
        target: probe.endpoint().to_owned(),
        seed: options.seed,
        checks: results,
        diagnosis: Vec::new(),
        diagnosis_incomplete: None,
        baseline: Vec::new(),
        requests: probe.sent(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The largest page size to ask for: the promised maximum, else the limit's schema maximum (at
/// most 1,000), else none (the server's default).
fn largest_size(list: &ListOperation) -> Option<u64> {
    let limit = list.pagination.limit()?;
    let schema_max = list
        .parameters
        .iter()
        .find(|(name, _)| name == limit)
        .and_then(|(_, schema)| schema["maximum"].as_u64());
    Some(list.max_page_size.or(schema_max).unwrap_or(100).min(1000))
}

fn finding(
    summary: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
    requests: Vec<String>,
) -> Finding {
    Finding {
        summary: summary.into(),
        expected: expected.into(),
        actual: actual.into(),
        requests,
    }
}

/// A record in one line, shortened.
fn shown(record: &Value) -> String {
    let text = record.to_string();
    match text.char_indices().nth(160) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

impl ListRun<'_> {
    fn send(&self, request: Request) -> Result<Arc<Exchange>, Stop> {
        self.probe
            .get(request.clone())
            .map_err(|error| stop_for(error, &request, self.probe))
    }

    /// The request for the page at `index` (0-based) of a page-number or offset walk, or for a
    /// cursor (`None`: the first page).
    fn page_request(
        &self,
        filters: &[(String, String)],
        size: Option<u64>,
        index: u64,
        cursor: Option<&str>,
    ) -> Request {
        let mut params = self.list.required.clone();
        params.extend_from_slice(filters);
        let limit = |params: &mut Vec<(String, String)>, limit: &Option<String>| {
            if let (Some(limit), Some(size)) = (limit, size) {
                params.push((limit.clone(), size.to_string()));
            }
        };
        match &self.list.pagination {
            Pagination::Page { page, limit: l } => {
                params.push((page.clone(), (index + 1).to_string()));
                limit(&mut params, l);
            }
            Pagination::Offset { offset, limit: l } => {
                params.push((offset.clone(), index.to_string()));
                limit(&mut params, l);
            }
            Pagination::Cursor {
                cursor: name,
                limit: l,
                ..
            } => {
                if let Some(cursor) = cursor {
                    params.push((name.clone(), cursor.to_owned()));
                }
                limit(&mut params, l);
            }
            Pagination::NextLink { .. } | Pagination::LinkHeader => {}
        }
        Request::new(params)
    }

    /// The records of an answer, or why it has none.
    fn records<'e>(&self, exchange: &'e Exchange) -> Result<&'e Vec<Value>, String> {
        let json = exchange.json.as_ref().ok_or("the body is not JSON")?;
        self.list
            .results
            .select(json)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("no array of records at {}", path_text(&self.list.results)))
    }

    /// The count an answer gives, when the list promises one.
    fn count(&self, exchange: &Exchange) -> Result<Option<u64>, String> {
        let Some(count) = &self.list.count else {
            return Ok(None);
        };
        let value = match count {
            Count::Body(path) => exchange
                .json
                .as_ref()
                .and_then(|j| path.select(j))
                .and_then(Value::as_u64),
            Count::Header(name) => exchange
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.trim().parse().ok()),
        };
        value
            .map(Some)
            .ok_or_else(|| "no count where x-list.count says".to_owned())
    }

    /// The next page of a cursor or link walk (`None`: the last page).
    fn next(&self, exchange: &Exchange) -> Result<Option<String>, String> {
        let from_body = |path: &Path| match exchange.json.as_ref().and_then(|j| path.select(j)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(format!("the next cursor is {other}, not a string")),
        };
        match &self.list.pagination {
            Pagination::Cursor { next, .. } | Pagination::NextLink { next } => from_body(next),
            Pagination::LinkHeader => Ok(exchange
                .headers
                .iter()
                .filter(|(n, _)| n == "link")
                .find_map(|(_, v)| next_link(v))),
            Pagination::Page { .. } | Pagination::Offset { .. } => Ok(None),
        }
    }

    /// A next link as a request, if it stays on the endpoint's origin (the headers, credentials
    /// included, never go elsewhere).
    fn follow(&self, link: &str, requests: &[String]) -> Result<Request, Stop> {
        let base = reqwest::Url::parse(self.probe.endpoint()).map_err(|e| {
            found(finding(
                "the endpoint's URL does not parse",
                "a URL",
                e.to_string(),
                Vec::new(),
            ))
        })?;
        let url = base.join(link).map_err(|e| {
            found(finding(
                "a next link is not a URL",
                "a URL",
                format!("{link:?}: {e}"),
                requests.to_vec(),
            ))
        })?;
        if url.origin() != base.origin() {
            return Err(found(finding(
                "a next link leaves the endpoint's origin",
                format!("a URL on {}", base.origin().ascii_serialization()),
                url.to_string(),
                requests.to_vec(),
            )));
        }
        Ok(Request::at(url.to_string()))
    }

    /// Walks the list with these filters and page size, to its end (or a finding, or the budget).
    fn walk(&self, filters: &[(String, String)], size: Option<u64>) -> Result<Walk, Stop> {
        let mut walk = Walk::default();
        let mut seen_next: HashSet<String> = HashSet::new();
        let mut request = self.page_request(filters, size, 0, None);
        loop {
            let exchange = self.send(request)?;
            walk.requests.push(exchange.curl.clone());
            let page = walk.pages.len() as u64;
            if page > 0
                && walk.count().is_none()
                && matches!(self.list.pagination, Pagination::Page { .. })
                && (400..500).contains(&exchange.status)
            {
                // A page-number walk without a count may end on an error (Django REST framework
                // answers 404 past the last page).
                walk.complete = true;
                return Ok(walk);
            }
            if exchange.status != 200 {
                return Err(found(finding(
                    format!("page {} of a walk got {}", page + 1, exchange.status),
                    "200 with a page of records",
                    super::property::answer_text(&exchange),
                    walk.shown(),
                )));
            }
            let records = self.records(&exchange).map_err(|e| {
                found(finding(
                    format!("page {} of a walk has no records list", page + 1),
                    format!("records at {}", path_text(&self.list.results)),
                    e,
                    walk.shown(),
                ))
            })?;
            let count = self.count(&exchange).map_err(|e| {
                found(finding(
                    format!("page {} of a walk has no count", page + 1),
                    "the count x-list.count promises",
                    e,
                    walk.shown(),
                ))
            })?;
            walk.counts.extend(count);
            walk.pages.push(records.len());
            walk.records.extend(records.iter().cloned());
            let done = match &self.list.pagination {
                Pagination::Page { .. } | Pagination::Offset { .. } => {
                    records.is_empty()
                        || walk.count().is_some_and(|c| walk.records.len() as u64 >= c)
                }
                _ => false,
            };
            if done {
                walk.complete = true;
                return Ok(walk);
            }
            request = match &self.list.pagination {
                Pagination::Page { .. } => self.page_request(filters, size, page + 1, None),
                Pagination::Offset { .. } => {
                    self.page_request(filters, size, walk.records.len() as u64, None)
                }
                _ => {
                    let next = self.next(&exchange).map_err(|e| {
                        found(finding(
                            "a page's next cursor is unreadable",
                            "a string, or none on the last page",
                            e,
                            walk.shown(),
                        ))
                    })?;
                    let Some(next) = next else {
                        walk.complete = true;
                        return Ok(walk);
                    };
                    if !seen_next.insert(next.clone()) {
                        walk.repeated = Some(next);
                        return Ok(walk);
                    }
                    match &self.list.pagination {
                        Pagination::Cursor { .. } => {
                            self.page_request(filters, size, 0, Some(&next))
                        }
                        _ => self.follow(&next, &walk.shown())?,
                    }
                }
            };
        }
    }

    fn truth(&self) -> Result<&Walk, Checked> {
        self.truth.as_ref().map_err(|reason| Checked {
            incomplete: Some(reason.clone()),
            ..Checked::default()
        })
    }

    fn random(&self, below: usize) -> usize {
        (self.rng.borrow_mut().next_u64() % below.max(1) as u64) as usize
    }
}

fn path_text(path: &Path) -> String {
    if path.0.is_empty() {
        "$".to_owned()
    } else {
        format!("$.{}", path.0.join("."))
    }
}

/// The `rel="next"` target of a `Link` header value.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (target, params) = link.split_once(';')?;
        let rel = params.split(';').any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p == "rel=\"next\"" || p == "rel=next"
        });
        rel.then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

/// The records of `walk` that are not in `expected` and those of `expected` not in it (as
/// multisets of their JSON), each up to a few.
fn differences(walk: &[Value], expected: &[Value]) -> (Vec<String>, Vec<String>) {
    let mut left: BTreeMap<String, i64> = BTreeMap::new();
    for record in expected {
        *left.entry(record.to_string()).or_default() += 1;
    }
    let mut extra = Vec::new();
    for record in walk {
        match left.get_mut(&record.to_string()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => extra.push(shown(record)),
        }
    }
    let missing = left
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(text, _)| {
            serde_json::from_str(text).map_or_else(|_| text.clone(), |v: Value| shown(&v))
        })
        .collect();
    (extra, missing)
}

/// A page size for another walk of the truth's records, at most `pages` pages: where the list
/// declares an order, one that puts a page boundary inside a run of records equal on it (where an
/// unstable order loses or repeats records), else one that does not divide the count.
fn other_size(run: &ListRun<'_>, truth: &Walk, pages: usize, taken: &[u64]) -> Option<u64> {
    let count = truth.records.len();
    let smallest = count.div_ceil(pages.max(1)).max(1);
    let largest = run.size.map_or(count, |s| s as usize).min(count.max(1));
    if smallest > largest {
        return None;
    }
    let sizes = smallest as u64..=largest as u64;
    let ties = ties(run, &truth.records);
    let splits = |s: &u64| {
        ties.iter().any(|&(first, last)| {
            (first as u64 + 1..=last as u64).any(|end| end.is_multiple_of(*s))
        })
    };
    let mut candidates: Vec<u64> = sizes.clone().filter(|s| !taken.contains(s)).collect();
    if candidates.is_empty() {
        return None;
    }
    let start = run.random(candidates.len());
    candidates.rotate_left(start);
    candidates
        .iter()
        .copied()
        .find(|s| !ties.is_empty() && splits(s))
        .or_else(|| {
            candidates
                .iter()
                .copied()
                .find(|s| !(count as u64).is_multiple_of(*s) || *s == 1)
        })
        .or(candidates.first().copied())
}

/// The runs of consecutive records equal on every key of the declared order, as (first, last)
/// positions.
fn ties(run: &ListRun<'_>, records: &[Value]) -> Vec<(usize, usize)> {
    let Some(keys) = &run.list.order else {
        return Vec::new();
    };
    let key = |r: &Value| -> Vec<Value> {
        keys.iter()
            .map(|k| k.field.select(r).cloned().unwrap_or(Value::Null))
            .collect()
    };
    let mut runs = Vec::new();
    let mut first = 0;
    for i in 1..=records.len() {
        if i == records.len() || key(&records[i]) != key(&records[first]) {
            if i - first > 1 {
                runs.push((first, i - 1));
            }
            first = i;
        }
    }
    runs
}

fn walks(run: &ListRun<'_>) -> Checked {
    if let Some(failure) = &run.truth_failure {
        return Checked {
            findings: vec![failure.clone()],
            ..Checked::default()
        };
    }
    let truth = match run.truth() {
        Ok(truth) => truth,
        Err(checked) => return checked,
    };
    // The full walk itself must hold as many records as it counts (the same count on every page);
    // where the operation takes no page size, that walk is the only one there is, and its order is
    // the order check's.
    let mut checked = Checked {
        findings: walk_findings(truth, truth, run.size.unwrap_or(0)),
        ..Checked::default()
    };
    if !checked.findings.is_empty() || run.list.pagination.limit().is_none() {
        return checked;
    }
    let mut taken = vec![run.size.unwrap_or(0)];
    for pages in [40, 12, 4] {
        let Some(size) = other_size(run, truth, pages, &taken) else {
            continue;
        };
        taken.push(size);
        match run.walk(&[], Some(size)) {
            Ok(walk) => checked.findings.extend(walk_findings(&walk, truth, size)),
            Err(stop) => checked.absorb(stop),
        }
        if !checked.findings.is_empty() || checked.incomplete.is_some() {
            break;
        }
    }
    checked
}

/// What is wrong with a walk of page size `size`, compared with the truth.
fn walk_findings(walk: &Walk, truth: &Walk, size: u64) -> Vec<Finding> {
    let mut findings = Vec::new();
    let requests = walk.shown();
    let (extra, missing) = differences(&walk.records, &truth.records);
    if !extra.is_empty() || !missing.is_empty() {
        findings.push(finding(
            format!(
                "a walk with page size {size} holds {} records the full walk does not (or holds twice), and misses {}",
                extra.len(),
                missing.len()
            ),
            format!(
                "the {} records of the full walk, each once",
                truth.records.len()
            ),
            format!(
                "extra: [{}]; missing: [{}]",
                extra.into_iter().take(3).collect::<Vec<_>>().join(", "),
                missing.into_iter().take(3).collect::<Vec<_>>().join(", ")
            ),
            requests.clone(),
        ));
    }
    if let Some(count) = walk.count() {
        if walk.counts.iter().any(|c| *c != count) {
            findings.push(finding(
                "the count changes from page to page",
                format!("{count} on every page"),
                format!("{:?}", walk.counts),
                requests.clone(),
            ));
        } else if count != walk.records.len() as u64 {
            findings.push(finding(
                "the count is not the number of records a walk holds",
                format!("{} records", walk.records.len()),
                format!("count {count}"),
                requests.clone(),
            ));
        }
    }
    findings
}

fn order(run: &ListRun<'_>) -> Checked {
    let Some(keys) = &run.list.order else {
        return Checked::skipped("no x-list.order");
    };
    let truth = match run.truth() {
        Ok(truth) => truth,
        Err(checked) => return checked,
    };
    let mut checked = Checked::default();
    let out_of_order = |walk: &Walk| {
        walk.records.windows(2).position(|pair| {
            keys.iter()
                .map(|key| {
                    let ordering = compare(
                        key.field.select(&pair[0]).unwrap_or(&Value::Null),
                        key.field.select(&pair[1]).unwrap_or(&Value::Null),
                    );
                    if key.descending {
                        ordering.map(Ordering::reverse)
                    } else {
                        ordering
                    }
                })
                .find(|o| *o != Some(Ordering::Equal))
                .flatten()
                == Some(Ordering::Greater)
        })
    };
    if let Some(at) = out_of_order(truth) {
        checked.findings.push(finding(
            "records are not in the declared order",
            keys.iter()
                .map(|k| {
                    format!(
                        "{} {}",
                        path_text(&k.field),
                        if k.descending { "desc" } else { "asc" }
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            format!(
                "record {} then record {}: {} then {}",
                at + 1,
                at + 2,
                shown(&truth.records[at]),
                shown(&truth.records[at + 1])
            ),
            truth.shown(),
        ));
    }
    checked
}

fn full_pages(run: &ListRun<'_>) -> Checked {
    let Some(max) = run.list.max_page_size else {
        return Checked::skipped(NO_MAX_PAGE_SIZE);
    };
    if run.list.pagination.limit().is_none() {
        return Checked::skipped(NO_PAGE_SIZE);
    }
    let truth = match run.truth() {
        Ok(truth) => truth,
        Err(checked) => return checked,
    };
    let mut checked = Checked::default();
    let size = run.size.unwrap_or(max).min(max) as usize;
    // As many records as the count says, where that is more than the walk found.
    let total = (truth.count().unwrap_or(0) as usize).max(truth.records.len());
    if let Some((page, served)) = truth
        .pages
        .iter()
        .enumerate()
        .find(|(page, served)| **served < size.min(total.saturating_sub(page * size)))
    {
        checked.findings.push(finding(
            format!("page {} holds fewer records than asked", page + 1),
            format!(
                "{} records (x-list.max-page-size is {max})",
                size.min(total - page * size)
            ),
            format!("{served} records"),
            truth.shown(),
        ));
    }
    checked
}

fn cursor_ends(run: &ListRun<'_>) -> Checked {
    if matches!(
        run.list.pagination,
        Pagination::Page { .. } | Pagination::Offset { .. }
    ) {
        return Checked::skipped("pages by number or offset");
    }
    let truth = match &run.truth {
        Ok(truth) => truth,
        Err(reason) if reason.contains("did not reach") => {
            return Checked {
                findings: vec![finding(
                    "a cursor walk never ended",
                    "a last page without a next cursor",
                    reason.clone(),
                    Vec::new(),
                )],
                ..Checked::default()
            };
        }
        Err(_) => return run.truth().err().unwrap_or_default(),
    };
    let mut checked = Checked::default();
    if let Some(repeated) = &truth.repeated {
        checked.findings.push(finding(
            "a cursor walk came back to a cursor it had followed",
            "every next cursor new",
            format!("{repeated:?} again"),
            truth.shown(),
        ));
    }
    checked
}

fn past_last(run: &ListRun<'_>) -> Checked {
    if !matches!(
        run.list.pagination,
        Pagination::Page { .. } | Pagination::Offset { .. }
    ) {
        return Checked::skipped("pages by cursor or next links");
    }
    let truth = match run.truth() {
        Ok(truth) => truth,
        Err(checked) => return checked,
    };
    let mut checked = Checked::default();
    // The page after the last one that held records (0-based), or the offset after the last record.
    let past = match run.list.pagination {
        Pagination::Page { .. } => (truth.pages.iter().filter(|n| **n > 0).count() as u64).max(1),
        _ => truth.records.len() as u64,
    };
    match run.send(run.page_request(&[], run.size, past, None)) {
        Ok(exchange) => {
            let served = run.records(&exchange).map_or(0, Vec::len);
            if (200..300).contains(&exchange.status) && served > 0 {
                checked.findings.push(finding(
                    "a page past the last holds records",
                    "no records, or a 4xx",
                    format!("{} with {served} records", exchange.status),
                    vec![exchange.curl.clone()],
                ));
            }
        }
        Err(stop) => checked.absorb(stop),
    }
    checked
}

/// A value of `filter` drawn from the records, as the parameter is sent, that the parameter's
/// schema allows (its pattern, its bounds): a parameter whose schema restricts how a value is
/// written is sent values written so.
fn draw(run: &ListRun<'_>, filter: &Filter, records: &[Value]) -> Option<String> {
    let schema = run.parameter_schema(&filter.parameter);
    let validator = jsonschema::draft202012::new(schema).ok();
    (0..6)
        .filter_map(|_| draw_any(run, filter, records))
        .find(|text| validator.as_ref().is_none_or(|v| fits(v, schema, text)))
}

/// Whether a query parameter's text is valid under its schema (numbers read as numbers).
fn fits(validator: &jsonschema::Validator, schema: &Value, text: &str) -> bool {
    let value = match schema["type"].as_str() {
        Some("integer" | "number") => match serde_json::from_str::<Value>(text) {
            Ok(number @ Value::Number(_)) => number,
            _ => return false,
        },
        _ => Value::String(text.to_owned()),
    };
    validator.is_valid(&value)
}

/// A value of `filter` drawn from the records, in one of the forms the filter reads.
fn draw_any(run: &ListRun<'_>, filter: &Filter, records: &[Value]) -> Option<String> {
    if let Some(values) = &filter.values {
        let value = &values[run.random(values.len())];
        return Some(wire(value));
    }
    let present: Vec<&Value> = records
        .iter()
        .filter_map(|r| filter.field.select(r))
        .filter(|v| !v.is_null())
        .collect();
    if present.is_empty() {
        return None;
    }
    let value = present[run.random(present.len())];
    let text = wire(value);
    Some(match filter.op {
        Op::Eq => text,
        Op::In => {
            let other = wire(present[run.random(present.len())]);
            format!("{text},{other}")
        }
        Op::Prefix => text.chars().take(1 + run.random(3)).collect(),
        Op::Contains => {
            let chars: Vec<char> = text.chars().collect();
            let start = run.random(chars.len());
            chars[start..(start + 3).min(chars.len())].iter().collect()
        }
        Op::Gte | Op::Gt | Op::Lte | Op::Lt => match instant(value) {
            Some(at) => {
                let formats = formats(run.parameter_schema(&filter.parameter));
                let dates = formats.contains(&"date");
                let times = formats.is_empty() || formats.contains(&"date-time");
                match (dates, times, run.random(3)) {
                    (true, false, _) | (true, true, 0) => at.date_naive().to_string(),
                    // The same instant at another offset: the filter must read the offset.
                    (_, true, 1) => at
                        .with_timezone(&FixedOffset::east_opt(5 * 3600 + 1800)?)
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
                    _ => text,
                }
            }
            None => text,
        },
    })
}

/// A JSON value as a query parameter writes it.
fn wire(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn instant(value: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A parameter's value as a bound on an instant: a date-time, or a date as `date-only` says.
fn bound(filter: &Filter, text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let start = day.and_hms_opt(0, 0, 0)?.and_utc();
    Some(match filter.end_of_day {
        Some(true) => start + Duration::days(1) - Duration::microseconds(1),
        _ => start,
    })
}

/// Orders two record values: numbers as numbers, instants as instants, other strings as text.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(x), Value::String(y)) => match (instant(a), instant(b)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => Some(x.cmp(y)),
        },
        _ => None,
    }
}

/// Whether a record matches a filter sent with `text`.
fn matches(filter: &Filter, record: &Value, text: &str) -> bool {
    let Some(value) = filter.field.select(record).filter(|v| !v.is_null()) else {
        return false;
    };
    let fold = |s: &str| {
        if filter.case_insensitive {
            s.to_ascii_lowercase()
        } else {
            s.to_owned()
        }
    };
    let equal = |wanted: &str| match (instant(value), DateTime::parse_from_rfc3339(wanted)) {
        (Some(at), Ok(wanted)) => at == wanted.with_timezone(&Utc),
        _ => fold(&wire(value)) == fold(wanted),
    };
    let ordering = || match (value, instant(value)) {
        (_, Some(at)) => bound(filter, text).map(|b| at.cmp(&b)),
        (Value::Number(n), None) => n.as_f64()?.partial_cmp(&text.parse::<f64>().ok()?),
        (_, None) => Some(wire(value).as_str().cmp(text)),
    };
    match filter.op {
        Op::Eq => equal(text),
        Op::In => text.split(',').any(equal),
        Op::Prefix => fold(&wire(value)).starts_with(&fold(text)),
        Op::Contains => wire(value).to_lowercase().contains(&text.to_lowercase()),
        Op::Gte => ordering().is_some_and(Ordering::is_ge),
        Op::Gt => ordering().is_some_and(Ordering::is_gt),
        Op::Lte => ordering().is_some_and(Ordering::is_le),
        Op::Lt => ordering().is_some_and(Ordering::is_lt),
    }
}

fn filters_match(run: &ListRun<'_>) -> Checked {
    if run.list.filters.is_empty() {
        return Checked::skipped("no parameter has x-filter");
    }
    let truth = match run.truth() {
        Ok(truth) => truth,
        Err(checked) => return checked,
    };
    let mut checked = Checked::default();
    let cases = run.options.cases.clamp(1, 64) as usize;
    'cases: for case in 0..cases {
        // Each filter alone in turn, then pairs of them on different fields (two bounds of one
        // field may cross, which a server may refuse).
        let filters = &run.list.filters;
        let mut chosen: Vec<&Filter> = vec![&filters[case % filters.len()]];
        if case >= filters.len() {
            let other = &filters[run.random(filters.len())];
            if other.field != chosen[0].field {
                chosen.push(other);
            }
        }
        let mut sent = Vec::new();
        for filter in chosen {
            match draw(run, filter, &truth.records) {
                Some(value) => sent.push((filter.parameter.clone(), value)),
                None => continue 'cases,
            }
        }
        let walk = match run.walk(&sent, run.size) {
            Ok(walk) => walk,
            Err(stop) => {
                checked.absorb(stop);
                break;
            }
        };
        let unmatched = walk.records.iter().find(|record| {
            sent.iter().any(|(name, text)| {
                run.list
                    .filters
                    .iter()
                    .filter(|f| &f.parameter == name)
                    .any(|f| !matches(f, record, text))
            })
        });
        if let Some(record) = unmatched {
            checked.findings.push(finding(
                format!("a record does not match {}", query_text(&sent)),
                "only records that match every filter sent",
                shown(record),
                walk.shown(),
            ));
            break;
        }
        run.filtered.borrow_mut().push((sent, walk));
    }
    checked
}

fn query_text(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn filters_complete(run: &ListRun<'_>) -> Checked {
    if run.list.filters.is_empty() {
        return Checked::skipped("no parameter has x-filter");
    }
    let truth = match run.truth() {
        Ok(truth) => truth,
        Err(checked) => return checked,
    };
    let filtered = run.filtered.borrow();
    if filtered.is_empty() {
        return Checked {
            incomplete: Some("list.filters-match made no filtered walk to compare".to_owned()),
            ..Checked::default()
        };
    }
    let mut checked = Checked::default();
    for (sent, walk) in filtered.iter() {
        let expected: Vec<Value> = truth
            .records
            .iter()
            .filter(|record| {
                sent.iter().all(|(name, text)| {
                    run.list
                        .filters
                        .iter()
                        .filter(|f| &f.parameter == name)
                        .all(|f| matches(f, record, text))
                })
            })
            .cloned()
            .collect();
        let (_, missing) = differences(&walk.records, &expected);
        if !missing.is_empty() {
            checked.findings.push(finding(
                format!(
                    "{} records that match {} are missing",
                    missing.len(),
                    query_text(sent)
                ),
                format!("the {} matching records of the full walk", expected.len()),
                format!(
                    "{} records; missing: [{}]",
                    walk.records.len(),
                    missing.into_iter().take(3).collect::<Vec<_>>().join(", ")
                ),
                walk.shown(),
            ));
            break;
        }
    }
    checked
}

/// The count a query gives on its first page (size 1 where the size can be set).
fn count_of(run: &ListRun<'_>, params: &[(String, String)]) -> Result<(u64, String), Stop> {
    let exchange = run.send(run.page_request(params, Some(1), 0, None))?;
    let count = (exchange.status == 200)
        .then(|| run.count(&exchange).ok().flatten())
        .flatten();
    count.map(|c| (c, exchange.curl.clone())).ok_or_else(|| {
        found(finding(
            format!("{} got no count", query_text(params)),
            "200 with the count x-list.count promises",
            super::property::answer_text(&exchange),
            vec![exchange.curl.clone()],
        ))
    })
}

fn enum_partitions(run: &ListRun<'_>) -> Checked {
    let enums: Vec<&Filter> = run
        .list
        .filters
        .iter()
        .filter(|f| f.op == Op::Eq && f.values.is_some())
        .collect();
    if enums.is_empty() || run.list.count.is_none() {
        return Checked::skipped("no eq filter with schema.enum, or no x-list.count");
    }
    let truth = match run.truth() {
        Ok(truth) => truth,
        Err(checked) => return checked,
    };
    let total = truth.records.len() as u64;
    let mut checked = Checked::default();
    for filter in enums {
        let mut sum = 0;
        let mut requests = Vec::new();
        for value in filter.values.iter().flatten() {
            match count_of(run, &[(filter.parameter.clone(), wire(value))]) {
                Ok((count, curl)) => {
                    sum += count;
                    requests.push(curl);
                }
                Err(stop) => {
                    checked.absorb(stop);
                    return checked;
                }
            }
        }
        if sum != total {
            checked.findings.push(finding(
                format!("the counts of {}'s values do not add up", filter.parameter),
                format!("{total} (the unfiltered walk)"),
                format!("{sum}"),
                requests,
            ));
        }
    }
    checked
}

fn range_windows(run: &ListRun<'_>) -> Checked {
    let pairs: Vec<(&Filter, &Filter)> = run
        .list
        .filters
        .iter()
        .filter(|f| matches!(f.op, Op::Gte | Op::Gt))
        .filter_map(|low| {
            let high = run.list.filters.iter().find(|g| {
                g.field == low.field
                    && matches!(
                        (low.op, g.op),
                        (Op::Gte, Op::Lt) | (Op::Gt, Op::Lte) | (Op::Gte, Op::Lte)
                    )
            })?;
            Some((low, high))
        })
        .collect();
    if pairs.is_empty() || run.list.count.is_none() {
        return Checked::skipped("no gte/lte pair of filters on one field, or no x-list.count");
    }
    let truth = match run.truth() {
        Ok(truth) => truth,
        Err(checked) => return checked,
    };
    let total = truth.records.len() as u64;
    let mut checked = Checked::default();
    for (low, high) in pairs {
        for _ in 0..3 {
            let Some(value) = draw(run, low, &truth.records) else {
                break;
            };
            // Below the split: [.., v) for gte/lt and (v, ..] for gt/lte are complements; for
            // gte/lte with a date-only pair, the day before; else the overlap at v is taken off.
            let below = match (low.op, high.op, low.end_of_day, high.end_of_day) {
                (Op::Gte, Op::Lte, Some(false), Some(true))
                    if NaiveDate::parse_from_str(&value, "%Y-%m-%d").is_ok() =>
                {
                    NaiveDate::parse_from_str(&value, "%Y-%m-%d")
                        .ok()
                        .and_then(|d| d.pred_opt())
                        .map(|d| d.to_string())
                }
                (Op::Gte, Op::Lte, ..) => None,
                _ => Some(value.clone()),
            };
            let mut requests = Vec::new();
            let mut counts = Vec::new();
            let mut windows = vec![
                vec![(low.parameter.clone(), value.clone())],
                vec![(
                    high.parameter.clone(),
                    below.clone().unwrap_or(value.clone()),
                )],
            ];
            if below.is_none() {
                windows.push(vec![
                    (low.parameter.clone(), value.clone()),
                    (high.parameter.clone(), value.clone()),
                ]);
            }
            for window in &windows {
                match count_of(run, window) {
                    Ok((count, curl)) => {
                        counts.push(count);
                        requests.push(curl);
                    }
                    Err(stop) => {
                        checked.absorb(stop);
                        return checked;
                    }
                }
            }
            let sum = counts[0] + counts[1] - counts.get(2).copied().unwrap_or(0);
            if sum != total {
                checked.findings.push(finding(
                    format!(
                        "{} and {} around {value} do not add up to the whole",
                        low.parameter, high.parameter
                    ),
                    format!("{total} (the unfiltered walk)"),
                    format!("{counts:?} make {sum}"),
                    requests,
                ));
                return checked;
            }
        }
    }
    checked
}

/// The formats a parameter's schema allows (its own, or those of its `anyOf`/`oneOf`).
fn formats(schema: &Value) -> Vec<&str> {
    std::iter::once(&schema["format"])
        .chain(
            ["anyOf", "oneOf"]
                .iter()
                .flat_map(|k| schema[*k].as_array().into_iter().flatten())
                .map(|s| &s["format"]),
        )
        .filter_map(Value::as_str)
        .collect()
}

/// Values a parameter's schema rules out, each with what it breaks.
fn invalid(schema: &Value) -> Vec<(String, &'static str)> {
    let mut values = Vec::new();
    let kind = schema["type"].as_str().unwrap_or_default();
    if schema["enum"].is_array() {
        values.push(("not-a-listed-value".to_owned(), "not in schema.enum"));
    }
    if matches!(kind, "integer" | "number") {
        values.push(("a7".to_owned(), "not a number"));
        if let Some(minimum) = schema["minimum"].as_f64() {
            values.push((format!("{}", minimum - 1.0), "below schema.minimum"));
        }
    }
    if formats(schema)
        .iter()
        .any(|f| matches!(*f, "date" | "date-time"))
    {
        values.push(("2026-13-45".to_owned(), "not a date or date-time"));
    }
    values
}

fn invalid_values(run: &ListRun<'_>) -> Checked {
    let strict = run.list.rejects_invalid;
    let cases: Vec<(String, String, &'static str)> = run
        .list
        .parameters
        .iter()
        .flat_map(|(name, schema)| {
            invalid(schema)
                .into_iter()
                .map(move |(value, rule)| (name.clone(), value, rule))
        })
        .collect();
    if cases.is_empty() {
        return Checked::skipped("no query parameter whose schema rules values out");
    }
    let mut checked = Checked::default();
    for (name, value, rule) in cases {
        let mut params: Params = run.list.required.clone();
        params.retain(|(n, _)| *n != name);
        params.push((name.clone(), value.clone()));
        let exchange = match run.send(Request::new(params)) {
            Ok(exchange) => exchange,
            Err(stop) => {
                checked.absorb(stop);
                break;
            }
        };
        let refused = (400..500).contains(&exchange.status);
        if exchange.status >= 500 || (strict && !refused) {
            checked.findings.push(finding(
                format!("{name}={value} ({rule}) got {}", exchange.status),
                if strict {
                    "a 4xx (x-list.rejects-invalid)"
                } else {
                    "anything but a 5xx"
                },
                super::property::answer_text(&exchange),
                vec![exchange.curl.clone()],
            ));
        }
    }
    checked
}

fn auth(run: &ListRun<'_>) -> Checked {
    if !run.list.secured {
        return Checked::skipped("no security declared");
    }
    let credentials = &run.identity.credentials;
    if credentials.is_empty() {
        return Checked::skipped(
            "no credentials given (--header with the security scheme's header)",
        );
    }
    let garbled = credentials
        .iter()
        .map(|name| (name.clone(), "garbled-credentials-0x5eed".to_owned()))
        .collect();
    refused(
        run,
        [
            (
                Auth::Without(credentials.clone()),
                "a request without credentials",
            ),
            (Auth::With(garbled), "a request with garbled credentials"),
        ],
        |status| matches!(status, 401 | 403),
        "401 or 403",
    )
}

/// Sends the first page with each of these credentials; an answer `refusal` does not accept is a
/// finding.
fn refused<const N: usize>(
    run: &ListRun<'_>,
    attempts: [(Auth, &str); N],
    refusal: fn(u16) -> bool,
    expected: &str,
) -> Checked {
    let mut checked = Checked::default();
    let first = run.page_request(&[], run.size, 0, None);
    for (auth, what) in attempts {
        match run.send(first.clone().with_auth(auth)) {
            Ok(exchange) if !refusal(exchange.status) => {
                let served = run.records(&exchange).map_or(0, Vec::len);
                checked.findings.push(finding(
                    format!("{what} got {} ({served} records)", exchange.status),
                    expected,
                    super::property::answer_text(&exchange),
                    vec![exchange.curl.clone()],
                ));
            }
            Ok(_) => {}
            Err(stop) => {
                checked.absorb(stop);
                break;
            }
        }
    }
    checked
}

fn isolation(run: &ListRun<'_>) -> Checked {
    let foreign = &run.identity.foreign;
    if foreign.is_empty() {
        return Checked::skipped("no other identity given (--foreign-header)");
    }
    let made_up = foreign
        .iter()
        .map(|(name, _)| (name.clone(), format!("made-up-{:x}", run.options.seed)))
        .collect();
    refused(
        run,
        [
            (Auth::With(foreign.clone()), "another identity's headers"),
            (Auth::With(made_up), "made-up identity headers"),
        ],
        |status| (400..500).contains(&status),
        "a 4xx",
    )
}

impl ListRun<'_> {
    /// A query parameter's schema (`null` when the document gives none).
    fn parameter_schema(&self, name: &str) -> &Value {
        self.list
            .parameters
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&Value::Null, |(_, schema)| schema)
    }

    /// The operation's object in the document.
    fn operation(&self) -> &Value {
        &self.document["paths"][&self.list.path]["get"]
    }
}

fn responses(run: &ListRun<'_>) -> Checked {
    let declared = &run.operation()["responses"];
    let mut validators: BTreeMap<String, Option<jsonschema::Validator>> = BTreeMap::new();
    let mut checked = Checked::default();
    for exchange in run.probe.log() {
        let status = exchange.status.to_string();
        let range = format!("{}XX", &status[..1]);
        let Some((key, response)) = [status.as_str(), range.as_str(), "default"]
            .into_iter()
            .find_map(|key| {
                declared
                    .as_object()?
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
            })
        else {
            checked.findings.push(finding(
                format!("status {status} is not among the operation's responses"),
                format!(
                    "one of {}",
                    declared
                        .as_object()
                        .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                ),
                super::property::answer_text(&exchange),
                vec![exchange.curl.clone()],
            ));
            continue;
        };
        let Some(content) = response["content"].as_object().filter(|c| !c.is_empty()) else {
            continue;
        };
        let json = content
            .iter()
            .find(|(media, _)| media.contains("json"))
            .map(|(_, m)| m);
        let Some(media) = json else { continue };
        let content_type = exchange.content_type.as_deref().unwrap_or_default();
        if !content_type.to_ascii_lowercase().contains("json") {
            checked.findings.push(finding(
                format!("a {status} answer is not JSON"),
                "a JSON content type, as the document declares",
                format!("Content-Type: {content_type:?}"),
                vec![exchange.curl.clone()],
            ));
            continue;
        }
        let validator = validators
            .entry(key.clone())
            .or_insert_with(|| validator(run.document, &media["schema"]));
        let (Some(validator), Some(body)) = (validator.as_ref(), exchange.json.as_ref()) else {
            continue;
        };
        if let Some(error) = validator.iter_errors(body).next() {
            checked.findings.push(finding(
                format!("a {status} body is not as the document's schema says"),
                "a body that validates against the declared schema",
                format!("{} at {}", error, error.instance_path()),
                vec![exchange.curl.clone()],
            ));
        }
        if checked.findings.len() >= super::MAX_FINDINGS {
            break;
        }
    }
    checked
}

/// A validator of a response schema of `document`, its `#/components/...` references resolved
/// (OpenAPI 3.0's `nullable` read as a `null` type).
fn validator(document: &Value, schema: &Value) -> Option<jsonschema::Validator> {
    let mut root = match schema {
        Value::Object(object) => Value::Object(object.clone()),
        Value::Bool(_) => return None,
        _ => return None,
    };
    root["components"] = document["components"].clone();
    if document["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.0"))
    {
        nullable(&mut root);
    }
    jsonschema::draft202012::new(&root).ok()
}

/// OpenAPI 3.0's `nullable: true`, as JSON Schema says it.
fn nullable(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            for value in object.values_mut() {
                nullable(value);
            }
            if object.remove("nullable") == Some(Value::Bool(true)) {
                match object.get("type").cloned() {
                    Some(Value::String(kind)) => {
                        object.insert("type".to_owned(), serde_json::json!([kind, "null"]));
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(object));
                        object.insert(
                            "anyOf".to_owned(),
                            serde_json::json!([inner, {"type": "null"}]),
                        );
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(op: Op, end_of_day: Option<bool>) -> Filter {
        Filter {
            parameter: "p".to_owned(),
            field: Path(vec!["t".to_owned()]),
            op,
            case_insensitive: true,
            end_of_day,
            values: None,
        }
    }

    #[test]
    fn filters_compare_instants_as_instants_and_dates_as_their_day() {
        let record = json!({"t": "2026-02-01T10:00:00Z"});
        let lte_day = filter(Op::Lte, Some(true));
        assert!(matches(&lte_day, &record, "2026-02-01"));
        assert!(!matches(
            &filter(Op::Lte, Some(false)),
            &record,
            "2026-02-01"
        ));
        assert!(matches(
            &filter(Op::Gte, None),
            &record,
            "2026-02-01T15:30:00+05:30"
        ));
        assert!(!matches(
            &filter(Op::Gt, None),
            &record,
            "2026-02-01T15:30:00+05:30"
        ));
        assert!(matches(
            &filter(Op::Eq, None),
            &record,
            "2026-02-01T10:00:00.000Z"
        ));
        assert!(!matches(
            &filter(Op::Gte, None),
            &json!({"t": null}),
            "2026-02-01"
        ));
        let text = json!({"t": "Completed"});
        assert!(matches(&filter(Op::Eq, None), &text, "completed"));
        assert!(matches(&filter(Op::In, None), &text, "missed,COMPLETED"));
        assert!(matches(&filter(Op::Prefix, None), &text, "com"));
        assert!(matches(&filter(Op::Contains, None), &text, "PLET"));
        let number = json!({"t": 10});
        assert!(matches(&filter(Op::Lt, None), &number, "10.5"));
        assert!(!matches(&filter(Op::Gt, None), &number, "10"));
    }

    #[test]
    fn link_headers_and_differences() {
        assert_eq!(
            next_link("<https://a/x?page=1>; rel=\"prev\", <https://a/x?page=3>; rel=\"next\""),
            Some("https://a/x?page=3".to_owned())
        );
        assert_eq!(next_link("<https://a/x>; rel=\"last\""), None);
        let (extra, missing) = differences(
            &[json!({"a": 1}), json!({"a": 1}), json!({"a": 2})],
            &[json!({"a": 1}), json!({"a": 3})],
        );
        assert_eq!(extra, ["{\"a\":1}", "{\"a\":2}"]);
        assert_eq!(missing, ["{\"a\":3}"]);
    }

    #[test]
    fn nullable_becomes_a_null_type() {
        let mut schema = json!({"properties": {"a": {"type": "string", "nullable": true}, "b": {"$ref": "#/x", "nullable": true}}});
        nullable(&mut schema);
        assert_eq!(schema["properties"]["a"]["type"], json!(["string", "null"]));
        assert_eq!(
            schema["properties"]["b"]["anyOf"][1],
            json!({"type": "null"})
        );
    }
}
