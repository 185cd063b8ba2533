//! The sample of the newest records, and the queries and windows drawn from it.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::strategy::{BoxedStrategy, Strategy};
use unpod_calllogs::{CallLog, CallLogQuery, CallStatus, CallType, DateBound};

use crate::probe::{Probe, Request};

use super::*;

pub(super) const SAMPLE_SIZE: u32 = 1000;

/// The newest records, and how far back they are complete.
pub(super) struct Sample {
    pub(super) records: Vec<CallLog>,
    pub(super) curl: String,
    /// The first page could not be read as a page (its schema is broken): nothing depends on it.
    pub(super) unreadable: bool,
    pub(super) count: u64,
    /// Every record with a `creation_time` after this one is in `records`; `None`: all are.
    pub(super) complete_after: Option<DateTime<Utc>>,
}

impl Sample {
    /// Reads the newest records: the first request of every run. No answer, or an answer that is
    /// not a 200, ends the run before any check.
    pub(super) fn take(probe: &Probe) -> Result<Self, Fatal> {
        let first = probe
            .get(Request::new([("page_size", SAMPLE_SIZE.to_string())]))
            .map_err(|e| Fatal::Unreachable(e.to_string()))?;
        if first.status != 200 {
            return Err(Fatal::NoPage {
                status: first.status,
                body: first.snippet.clone(),
            });
        }
        let (count, records) = first
            .page
            .as_deref()
            .map_or((0, Vec::new()), |page| (page.count, page.data.clone()));
        let complete_after = (count > records.len() as u64)
            .then(|| records.last().map(|r| r.creation_time))
            .flatten();
        Ok(Self {
            curl: first.curl.clone(),
            unreadable: first.page.is_none(),
            count,
            records,
            complete_after,
        })
    }

    /// The exact answer to a filter, when its window lies where the sample is complete.
    pub(super) fn expected(&self, query: &CallLogQuery) -> Option<Vec<&CallLog>> {
        if let Some(edge) = self.complete_after {
            let start = query.start_date?.first_instant();
            if start <= edge {
                return None;
            }
        }
        Some(self.records.iter().filter(|r| query.matches(r)).collect())
    }

    /// Bounds worth testing, oldest first: days seen, exact times (of midnights, the second before
    /// them, tie runs, and a spread of others), and instants just off a record.
    pub(super) fn bounds(&self) -> Vec<DateBound> {
        let mut bounds = Vec::new();
        let step = (self.records.len() / 24).max(1);
        for (i, record) in self.records.iter().enumerate() {
            let time = record.creation_time;
            let clock = time.format("%H:%M:%S%.f").to_string();
            let tie = self
                .records
                .get(i + 1)
                .is_some_and(|n| n.creation_time == time);
            if clock == "00:00:00" || clock == "23:59:59" || tie || i % step == 0 {
                bounds.push(DateBound::DateTime(time));
                bounds.push(DateBound::Date(time.date_naive()));
            }
            if i % step == step / 2 {
                bounds.push(DateBound::DateTime(time + TimeDelta::milliseconds(500)));
            }
        }
        bounds.sort_by_key(|b| (b.first_instant(), matches!(b, DateBound::DateTime(_))));
        bounds.dedup();
        bounds
    }
}

/// Filters drawn from the sample. With `complete_only`, the start bound lies where the sample is
/// complete, so that the exact answer is known.
pub(super) fn filter_strategy(
    sample: &Sample,
    complete_only: bool,
) -> impl Strategy<Value = CallLogQuery> + use<> {
    let mut bounds = sample.bounds();
    if complete_only && let Some(edge) = sample.complete_after {
        bounds.retain(|b| b.first_instant() > edge);
    }
    let start_required = complete_only && sample.complete_after.is_some();
    let types: Vec<Option<CallType>> = std::iter::once(None)
        .chain(CallType::DOCUMENTED.iter().cloned().map(Some))
        .collect();
    let statuses: Vec<Option<CallStatus>> = std::iter::once(None)
        .chain(CallStatus::DOCUMENTED.iter().cloned().map(Some))
        .collect();
    let n = bounds.len().max(1);
    let start: BoxedStrategy<Option<usize>> = if start_required {
        (0..n).prop_map(Some).boxed()
    } else {
        proptest::option::weighted(0.7, 0..n).boxed()
    };
    (
        proptest::sample::select(types),
        proptest::sample::select(statuses),
        start,
        proptest::option::weighted(0.7, 0..n),
    )
        .prop_map(move |(call_type, call_status, start, end)| {
            let (start, end) = match (start, end) {
                (Some(s), Some(e)) if s > e => (Some(e), Some(s)),
                other => other,
            };
            let pick = |i: Option<usize>| i.and_then(|i| bounds.get(i).copied());
            let mut query = CallLogQuery::new().page_size(SAMPLE_SIZE);
            query.call_type = call_type;
            query.call_status = call_status;
            query.start_date = pick(start);
            query.end_date = pick(end);
            if query.validate().is_err() {
                query.end_date = None;
            }
            query
        })
}
