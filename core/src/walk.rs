//! The rules of a walk over pages, without I/O: what a page means for the walk (learn the served
//! page size, check the page against `count`, drop records repeated by an insertion, detect a
//! repeated page and an unbounded walk, pin the window), and what to ask for next. The
//! [`Pager`](crate::Pager) sends the requests; the rules are in the
//! [pagination module's docs](crate::pagination).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use serde_json::Value;

use crate::error::{ContractViolation, Error, ViolationKind};
use crate::fields::{FIELDS, FieldValue};
use crate::model::{CallLog, CallLogPage};
use crate::query::{CallLogQuery, DateBound, FIRST_PAGE};

/// How a walk over pages behaves.
///
/// ```
/// let options = unpod_calllogs::PagerOptions::new().limit(5_000).prefetch(4);
/// assert_eq!((options.limit, options.prefetch), (Some(5_000), 4));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PagerOptions {
    /// Stop after this many records.
    pub limit: Option<u64>,
    /// How many of the following pages are requested while a page is consumed (0: none, one
    /// request at a time). Pages still come in order, each checked by the walk's rules; the walk
    /// never asks past the last page `count` calls for or past `limit`, and dropping it aborts
    /// every request in flight. Memory holds at most this many pages more.
    pub prefetch: usize,
}

impl PagerOptions {
    /// No limit, no prefetch: one request at a time, to the last record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stop after this many records (`None`: no limit).
    #[must_use]
    pub fn limit(mut self, limit: impl Into<Option<u64>>) -> Self {
        self.limit = limit.into();
        self
    }

    /// Request this many of the following pages while a page is consumed.
    #[must_use]
    pub fn prefetch(mut self, prefetch: usize) -> Self {
        self.prefetch = prefetch;
        self
    }
}

/// The state of one walk: the query of the next page, and what the pages so far established.
#[derive(Debug)]
pub(crate) struct Walk {
    /// The query the next request sends.
    pub(crate) query: CallLogQuery,
    pub(crate) options: PagerOptions,
    /// `count` as the last page reported it.
    pub(crate) count: Option<u64>,
    max_pages: u64,
    pages: u64,
    /// The fingerprints of the last page's records.
    pub(crate) previous: Vec<u64>,
    seen: HashSet<u64>,
    /// The first page was already handed to the caller (the walk resumes after it).
    pub(crate) held: bool,
    pub(crate) emitted: u64,
    pub(crate) done: bool,
}

/// Where a page puts the walk: how many of its records to hand on, and what comes next.
enum Step {
    /// Hand on the page's records after dropping this many repeated ones.
    Records { repeated: usize },
    /// The page was served at another offset than asked; fetch the walk's next query instead.
    Rebased,
}

impl Walk {
    /// A walk of `query` from its page (default 1) on.
    pub(crate) fn new(query: CallLogQuery, options: PagerOptions) -> Self {
        Self {
            query,
            options,
            count: None,
            max_pages: u64::MAX,
            pages: 0,
            previous: Vec::new(),
            seen: HashSet::new(),
            held: false,
            emitted: 0,
            done: false,
        }
    }

    pub(crate) fn end_on_violation(&mut self, error: &Error) {
        if matches!(error, Error::ServerContract(_)) {
            self.done = true;
        }
    }

    /// Takes in a page fetched for [`Walk::query`], applies the rules to it, and returns the
    /// records to hand on.
    pub(crate) fn accept(&mut self, page: CallLogPage) -> Result<Vec<CallLog>, Error> {
        let step = self.step(&page);
        let step = step.inspect_err(|e| self.end_on_violation(e))?;
        let Step::Records { repeated } = step else {
            return Ok(Vec::new());
        };
        let mut records = page.data;
        records.drain(..repeated);
        if let Some(limit) = self.options.limit {
            let room = limit.saturating_sub(self.emitted);
            if records.len() as u64 >= room {
                records.truncate(room as usize);
                self.done = true;
            }
        }
        self.emitted += records.len() as u64;
        Ok(records)
    }

    /// Applies the walk's rules to a page: learns the served page size, checks the page's length
    /// against `count`, detects repeats and the bound, pins the window, and moves to the next page.
    fn step(&mut self, page: &CallLogPage) -> Result<Step, Error> {
        self.pages += 1;
        if self.pages > self.max_pages {
            return Err(ContractViolation::new(
                ViolationKind::Unbounded,
                format!(
                    "the walk needed more than {} pages although the first page counted {} records; its count keeps growing or its pages never end",
                    self.max_pages,
                    self.count.unwrap_or(0)
                ),
            )
            .into());
        }
        let number = self.query.page_number();
        let asked = self.query.effective_page_size();
        let len = page.data.len() as u64;
        let first = self.count.is_none();
        if first {
            let served = served_page_size(&self.query, page);
            if served != asked {
                log::warn!(
                    "the server serves {served} records a page although {asked} were asked for; walking on with page_size={served}"
                );
                let offset = u64::from(number.saturating_sub(FIRST_PAGE)) * u64::from(asked);
                self.query.page_size = Some(served);
                if number != FIRST_PAGE {
                    if self.held {
                        // The caller has these records. A server that offsets pages by the size
                        // served (Django REST framework) continues after them; one that offsets
                        // by the size asked would serve them again: that shows as a repeat.
                        let fingerprints: Vec<u64> = page.data.iter().map(fingerprint).collect();
                        self.seen.insert(digest(&fingerprints));
                    }
                    return self.rebase(offset, served, page.count);
                }
            }
            let size = u64::from(self.query.effective_page_size());
            self.max_pages = page
                .count
                .div_ceil(size)
                .saturating_mul(2)
                .saturating_add(crate::defaults::SPARE_PAGES);
        }
        let size = u64::from(self.query.effective_page_size());
        let offset = u64::from(number.saturating_sub(FIRST_PAGE)) * size;
        let expected = page.count.saturating_sub(offset).min(size);
        if len != expected {
            return Err(mismatch(number, size, len, page.count, expected));
        }
        if len == 0 {
            self.done = true;
            return Ok(Step::Records { repeated: 0 });
        }
        let fingerprints: Vec<u64> = page.data.iter().map(fingerprint).collect();
        let growth = self
            .count
            .map_or(0, |before| page.count.saturating_sub(before));
        if !self.seen.insert(digest(&fingerprints)) && growth == 0 {
            return Err(ContractViolation::new(
                ViolationKind::RepeatedPage,
                format!(
                    "page {number} holds the same records as a page before it while count stayed {}: the server ignores `page`",
                    page.count
                ),
            )
            .into());
        }
        if first && number == FIRST_PAGE && self.query.end_date.is_none() {
            self.query.end_date = Some(DateBound::DateTime(page.data[0].creation_time));
        }
        let repeated = overlap(&self.previous, &fingerprints, growth);
        self.count = Some(page.count);
        self.done = !has_next_page(number, size, page.count, page.data.len());
        self.previous = fingerprints;
        if !self.done {
            self.query.page = Some(number + 1);
        }
        Ok(Step::Records { repeated })
    }

    /// Moves a walk that started at `offset` onto pages of the served size, when `offset` falls on
    /// one of their boundaries; the page in hand came from another offset and is not used.
    fn rebase(&mut self, offset: u64, served: u32, count: u64) -> Result<Step, Error> {
        let page = offset / u64::from(served) + 1;
        match u32::try_from(page) {
            Ok(page) if offset % u64::from(served) == 0 => {
                self.query.page = Some(page);
                self.pages = 0;
                Ok(Step::Rebased)
            }
            _ => Err(ContractViolation::new(
                ViolationKind::PageMismatch,
                format!(
                    "the walk starts at record {offset} of {count}, which is no page boundary of the {served} records a page the server serves"
                ),
            )
            .into()),
        }
    }
}

fn mismatch(number: u32, size: u64, len: u64, count: u64, expected: u64) -> Error {
    ContractViolation::new(
        ViolationKind::PageMismatch,
        format!(
            "page {number} of size {size} holds {len} records where count {count} calls for {expected}; walking on would {} records",
            if len < expected { "lose" } else { "repeat or invent" }
        ),
    )
    .into()
}

/// The page size a server served for `page`, which `query` asked for: the size asked, or the
/// page's length when it is shorter although `count` says records remain beyond it (a server that
/// caps `page_size` or has another default).
pub fn served_page_size(query: &CallLogQuery, page: &CallLogPage) -> u32 {
    let asked = query.effective_page_size();
    let len = page.data.len() as u64;
    let offset = u64::from(query.page_number().saturating_sub(FIRST_PAGE)) * u64::from(asked);
    if len > 0 && len < u64::from(asked) && offset.saturating_add(len) < page.count {
        len as u32
    } else {
        asked
    }
}

/// Whether a page of `len` records, number `page_number` of size `page_size` in a result of
/// `count` records, has a page after it: it is full, and not the page `ceil(count / page_size)`.
pub fn has_next_page(page_number: u32, page_size: u64, count: u64, len: usize) -> bool {
    len as u64 >= page_size
        && len > 0
        && u64::from(page_number) < count.div_ceil(page_size)
        && page_number < u32::MAX
}

/// The query of the page after `page`, which `query` fetched, at the size the server served;
/// `None` when `page` is the last. After a page past the first that came back shorter than asked,
/// the next one is taken to start where a server that offsets pages by the size it serves (Django
/// REST framework) starts it; a walk ([`crate::CallLogs::pages_after`]) checks that assumption.
pub fn next_page_query(query: &CallLogQuery, page: &CallLogPage) -> Option<CallLogQuery> {
    let number = query.page_number();
    let size = served_page_size(query, page);
    has_next_page(number, u64::from(size), page.count, page.data.len())
        .then(|| query.clone().page(number + 1).page_size(size))
}

pub(crate) fn digest(fingerprints: &[u64]) -> u64 {
    let mut hasher = FxHasher::default();
    fingerprints.iter().for_each(|f| hasher.write_u64(*f));
    hasher.finish()
}

/// The length of the longest run, at most `limit` long, that ends `previous` and starts `page`.
fn overlap(previous: &[u64], page: &[u64], limit: u64) -> usize {
    let longest = previous.len().min(page.len()).min(limit as usize);
    (1..=longest)
        .rev()
        .find(|&k| page[..k] == previous[previous.len() - k..])
        .unwrap_or(0)
}

/// A 64-bit digest of every field of a record, unknown ones included: cheaper to keep and compare
/// than the record itself.
pub(crate) fn fingerprint(record: &CallLog) -> u64 {
    let mut hasher = FxHasher::default();
    for field in FIELDS {
        match (field.value)(record) {
            FieldValue::Text(text) => text.hash(&mut hasher),
            FieldValue::Instant(time) => time.hash(&mut hasher),
            FieldValue::Seconds(seconds) => seconds.to_bits().hash(&mut hasher),
        }
    }
    for (key, value) in &record.extra {
        key.hash(&mut hasher);
        hash_value(value, &mut hasher);
    }
    hasher.finish()
}

fn hash_value(value: &Value, hasher: &mut FxHasher) {
    std::mem::discriminant(value).hash(hasher);
    match value {
        Value::Null => {}
        Value::Bool(b) => b.hash(hasher),
        Value::Number(n) => n.to_string().hash(hasher),
        Value::String(s) => s.hash(hasher),
        Value::Array(items) => items.iter().for_each(|item| hash_value(item, hasher)),
        Value::Object(fields) => fields.iter().for_each(|(key, item)| {
            key.hash(hasher);
            hash_value(item, hasher);
        }),
    }
}

/// The multiply-rotate hash of rustc (FxHash): a few cycles per eight bytes. Not resistant to
/// crafted collisions, which do not matter here: a collision can only end a walk early or drop a
/// record that is also identical in position to one already seen.
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(tail));
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::model::{CallStatus, CallType};

    /// `n` distinct records, newest first, the first `first` seconds older than the newest of all.
    fn records(first: i64, n: usize) -> Vec<CallLog> {
        (0..n as i64)
            .map(|i| {
                let at = Utc.timestamp_opt(1_700_000_000 - first - i, 0).unwrap();
                CallLog::new(CallType::Inbound, CallStatus::Completed, at)
            })
            .collect()
    }

    fn page(count: u64, data: Vec<CallLog>) -> CallLogPage {
        CallLogPage {
            count,
            status_code: 200,
            message: String::new(),
            data,
        }
    }

    fn kind(error: Error) -> ViolationKind {
        match error {
            Error::ServerContract(violation) => violation.kind,
            other => panic!("not a contract violation: {other}"),
        }
    }

    #[test]
    fn a_walk_moves_page_by_page_pins_its_window_and_ends_at_the_last() {
        let mut walk = Walk::new(CallLogQuery::new().page_size(2), PagerOptions::new());
        let first = records(0, 2);
        let newest = first[0].creation_time;
        assert_eq!(walk.accept(page(5, first)).unwrap().len(), 2);
        assert_eq!(walk.query.page_number(), 2);
        assert_eq!(walk.query.end_date, Some(DateBound::DateTime(newest)));
        assert_eq!(walk.accept(page(5, records(2, 2))).unwrap().len(), 2);
        assert_eq!(walk.accept(page(5, records(4, 1))).unwrap().len(), 1);
        assert!(walk.done);
    }

    #[test]
    fn a_short_page_in_the_middle_is_a_page_mismatch() {
        let mut walk = Walk::new(CallLogQuery::new().page_size(2), PagerOptions::new());
        walk.accept(page(6, records(0, 2))).unwrap();
        let error = walk.accept(page(6, records(2, 1))).unwrap_err();
        assert_eq!(kind(error), ViolationKind::PageMismatch);
    }

    #[test]
    fn the_same_page_again_with_the_same_count_is_a_repeated_page() {
        let mut walk = Walk::new(CallLogQuery::new().page_size(2), PagerOptions::new());
        walk.accept(page(6, records(0, 2))).unwrap();
        let error = walk.accept(page(6, records(0, 2))).unwrap_err();
        assert_eq!(kind(error), ViolationKind::RepeatedPage);
    }

    #[test]
    fn records_shifted_by_an_insertion_are_handed_on_once() {
        let mut walk = Walk::new(CallLogQuery::new().page_size(3), PagerOptions::new());
        let all = records(0, 7);
        walk.accept(page(6, all[..3].to_vec())).unwrap();
        // One call arrived: count grew by one and page 2 starts with the last record of page 1.
        let next = walk.accept(page(7, all[2..5].to_vec())).unwrap();
        assert_eq!(next, all[3..5].to_vec());
    }

    #[test]
    fn a_capped_first_page_teaches_the_served_size() {
        let mut walk = Walk::new(CallLogQuery::new().page_size(10), PagerOptions::new());
        walk.accept(page(9, records(0, 4))).unwrap();
        assert_eq!(walk.query.effective_page_size(), 4);
        assert_eq!(walk.query.page_number(), 2);
    }

    #[test]
    fn the_limit_truncates_and_ends_the_walk() {
        let options = PagerOptions::new().limit(3);
        let mut walk = Walk::new(CallLogQuery::new().page_size(2), options);
        assert_eq!(walk.accept(page(10, records(0, 2))).unwrap().len(), 2);
        assert_eq!(walk.accept(page(10, records(2, 2))).unwrap().len(), 1);
        assert!(walk.done);
    }

    #[test]
    fn a_count_that_keeps_growing_is_stopped_at_the_bound() {
        let mut walk = Walk::new(CallLogQuery::new().page_size(1), PagerOptions::new());
        let mut error = None;
        for i in 0..100 {
            if let Err(e) = walk.accept(page(1 + i as u64, records(i, 1))) {
                error = Some(e);
                break;
            }
        }
        assert_eq!(
            kind(error.expect("the walk never stopped")),
            ViolationKind::Unbounded
        );
    }

    #[test]
    fn next_page_query_uses_the_served_size_and_stops_at_the_last() {
        let query = CallLogQuery::new().page_size(10);
        let next = next_page_query(&query, &page(9, records(0, 4))).unwrap();
        assert_eq!((next.page_number(), next.effective_page_size()), (2, 4));
        assert!(next_page_query(&query, &page(4, records(0, 4))).is_none());
    }

    #[test]
    fn overlap_is_the_longest_run_within_the_limit() {
        assert_eq!(overlap(&[1, 2, 3], &[2, 3, 4], 5), 2);
        assert_eq!(overlap(&[1, 2, 3], &[2, 3, 4], 1), 0);
        assert_eq!(overlap(&[1, 2, 3], &[3, 4], 1), 1);
        assert_eq!(overlap(&[], &[1], 3), 0);
    }
}
