//! The rules of a walk over pages, without I/O: what a page means for the walk (learn the served
//! page size, check the page against `count`, drop records repeated by an insertion, detect a
//! repeated page and an unbounded walk, pin the window), and what to ask for next. The
//! [`Pager`](crate::Pager) sends the requests; the rules are in the
//! [pagination module's docs](crate::pagination).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
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
    /// The last record handed on (or held by the caller), and the fingerprints of the records
    /// handed on before this page that share its `creation_time`: with newest-first order
    /// verified, a record can come back only among those.
    last: Option<CallLog>,
    ties: HashSet<u64>,
    /// How many records handed on share the last one's `creation_time`.
    tie_run: u64,
    /// Gather a group of records that share a `creation_time` again when a page boundary splits
    /// it and one of them comes twice (a server whose ties come in no stable order), instead of
    /// ending the walk.
    pub(crate) regather: bool,
    /// The group to gather again before the page in hand can be accepted.
    pub(crate) pending: Option<Regather>,
    /// The `creation_time` window applied here instead of by the server (a dialect whose server
    /// ignores `start_date`/`end_date`).
    pub(crate) local: Option<LocalWindow>,
    /// What the walk learned that the caller should hear of (a page size the server imposes).
    pub(crate) warnings: Vec<String>,
}

/// A `creation_time` window a walk applies itself: records newer than `through` are skipped, and
/// the first one older than `from` ends the walk (the order is verified newest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LocalWindow {
    pub(crate) from: Option<DateTime<Utc>>,
    pub(crate) through: Option<DateTime<Utc>>,
}

/// A group of records sharing a `creation_time` that a page boundary split: the page that showed
/// one of its records again, and the records at offsets `from..from + len`, which one page of
/// `query` holds.
#[derive(Debug)]
pub(crate) struct Regather {
    page: Option<CallLogPage>,
    pub(crate) query: CallLogQuery,
    from: u64,
    len: u64,
    /// How many of the group open `page`, after any shift's repeats.
    on_page: usize,
    repeated: usize,
}

/// Where a page puts the walk: how many of its records to hand on, and what comes next.
enum Step {
    /// Hand on the page's records after dropping this many repeated ones.
    Records { repeated: usize },
    /// The page was served at another offset than asked; fetch the walk's next query instead.
    Rebased,
    /// A group of records sharing a `creation_time` must be fetched whole first.
    Regather(Box<Regather>),
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
            last: None,
            ties: HashSet::new(),
            tie_run: 0,
            regather: false,
            pending: None,
            local: None,
            warnings: Vec::new(),
        }
    }

    /// Takes the query's date filters out of what is sent and applies them to the records here
    /// (for a server that ignores them). Such a walk is never pinned: the server would ignore the
    /// pin too, and the shifts it would prevent are undone by the overlap rule.
    pub(crate) fn apply_dates_locally(&mut self) {
        self.local = Some(LocalWindow {
            from: self.query.start_date.take().map(|b| b.first_instant()),
            through: self.query.end_date.take().map(|b| b.last_instant()),
        });
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
        let repeated = match step.inspect_err(|e| self.end_on_violation(e))? {
            Step::Records { repeated } => repeated,
            Step::Rebased => return Ok(Vec::new()),
            Step::Regather(mut regather) => {
                regather.page = Some(page);
                self.pending = Some(*regather);
                return Ok(Vec::new());
            }
        };
        let mut records = page.data;
        records.drain(..repeated);
        if let Some(window) = self.local {
            if let Some(through) = window.through {
                let newer = records.partition_point(|r| r.creation_time > through);
                records.drain(..newer);
            }
            if let Some(from) = window.from {
                let inside = records.partition_point(|r| r.creation_time >= from);
                if inside < records.len() {
                    records.truncate(inside);
                    self.done = true;
                }
            }
        }
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
                self.warnings.push(format!(
                    "the server serves {served} records a page although {asked} were asked for; walking on with page_size={served}"
                ));
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
        if let Some(before) = self.count.filter(|before| page.count < *before) {
            return Err(count_fell(number, before, page.count));
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
        if first && number == FIRST_PAGE && self.query.end_date.is_none() && self.local.is_none() {
            self.query.end_date = Some(DateBound::DateTime(page.data[0].creation_time));
        }
        let repeated = overlap(&self.previous, &fingerprints, growth);
        let after_shift = (&page.data[repeated..], &fingerprints[repeated..]);
        if let Err(error) = self.check_order_and_repeats(number, after_shift.0, after_shift.1) {
            return self.regather_for(error, offset, repeated, after_shift.0);
        }
        self.count = Some(page.count);
        self.done = !has_next_page(number, size, page.count, page.data.len());
        self.previous = fingerprints;
        if !self.done {
            self.query.page = Some(number + 1);
        }
        Ok(Step::Records { repeated })
    }

    /// Checks that `records` (a page's, past any shift's repeats) go on newest first from the last
    /// record handed on, and that none of them is one already handed on; then remembers the last
    /// and the records that share its `creation_time`.
    fn check_order_and_repeats(
        &mut self,
        number: u32,
        records: &[CallLog],
        fingerprints: &[u64],
    ) -> Result<(), Error> {
        let mut before = self.last.as_ref();
        for (place, record) in records.iter().enumerate() {
            if let Some(previous) = before.filter(|p| record.creation_time > p.creation_time) {
                return Err(out_of_order(number, place, previous, record));
            }
            before = Some(record);
        }
        let tie = self.last.as_ref().map(|last| last.creation_time);
        for (place, (record, fingerprint)) in records.iter().zip(fingerprints).enumerate() {
            if Some(record.creation_time) != tie {
                break;
            }
            if self.ties.contains(fingerprint) {
                return Err(repeated_record(number, place, record));
            }
        }
        let Some(newest_last) = records.last() else {
            return Ok(());
        };
        if tie != Some(newest_last.creation_time) {
            self.ties.clear();
            self.tie_run = 0;
        }
        let time = newest_last.creation_time;
        let trailing = records.iter().rev().take_while(|r| r.creation_time == time);
        self.tie_run += trailing.count() as u64;
        self.ties.extend(
            records
                .iter()
                .zip(fingerprints)
                .rev()
                .take_while(|(r, _)| r.creation_time == time)
                .map(|(_, f)| *f),
        );
        self.last = Some(newest_last.clone());
        Ok(())
    }

    /// The page that gathers again the group of records whose repeat `error` reports, when the
    /// walk may ([`Walk::regather`]) and the group ends on this page; otherwise `error`.
    fn regather_for(
        &self,
        error: Error,
        offset: u64,
        repeated: usize,
        records: &[CallLog],
    ) -> Result<Step, Error> {
        let is_repeat =
            matches!(&error, Error::ServerContract(v) if v.kind == ViolationKind::RepeatedRecord);
        let Some(time) = self.last.as_ref().map(|last| last.creation_time) else {
            return Err(error);
        };
        let on_page = records
            .iter()
            .take_while(|r| r.creation_time == time)
            .count();
        if !self.regather || !is_repeat || on_page == records.len() {
            return Err(error);
        }
        let Some(from) = (offset + repeated as u64).checked_sub(self.tie_run) else {
            return Err(error);
        };
        let len = self.tie_run + on_page as u64;
        let Some((page, size)) = covering_page(from, len) else {
            return Err(error);
        };
        let query = self.query.clone().page(page).page_size(size);
        Ok(Step::Regather(Box::new(Regather {
            page: None,
            query,
            from,
            len,
            on_page,
            repeated,
        })))
    }

    /// Accepts the page a [`Regather`] held back, the records of its group that were not handed on
    /// yet (from `covering`, the page of `regather.query`) in place of those it showed.
    pub(crate) fn regathered(
        &mut self,
        regather: Regather,
        covering: &CallLogPage,
    ) -> Result<Vec<CallLog>, Error> {
        let Regather {
            page,
            query,
            from,
            len,
            on_page,
            repeated,
        } = regather;
        let Some(mut page) = page else {
            return Ok(Vec::new());
        };
        let time = self.last.as_ref().map(|last| last.creation_time);
        let start = from
            - u64::from(query.page_number() - FIRST_PAGE) * u64::from(query.effective_page_size());
        let group: Vec<&CallLog> = covering
            .data
            .iter()
            .skip(start as usize)
            .take(len as usize)
            .collect();
        let missing: Vec<CallLog> = group
            .iter()
            .filter(|r| !self.ties.contains(&fingerprint(r)))
            .map(|r| (*r).clone())
            .collect();
        let whole =
            group.len() as u64 == len && group.iter().all(|r| Some(r.creation_time) == time);
        if !whole || missing.len() != on_page {
            let number = self.query.page_number();
            let first = &page.data[repeated];
            self.done = true;
            return Err(repeated_record(number, 0, first));
        }
        let message = format!(
            "page {}: the {len} records created at {} came in another order than on the page before it; the walk read them again in one page and hands on the {on_page} it had not (a server whose equal creation_times have no stable order)",
            self.query.page_number(),
            time.map(|t| crate::model::format_timestamp(&t))
                .unwrap_or_default(),
        );
        page.data.splice(repeated..repeated + on_page, missing);
        self.pages -= 1;
        let records = self.accept(page)?;
        self.warnings.push(message);
        Ok(records)
    }

    /// Moves a walk that started at `offset` onto pages of the served size, when `offset` falls on
    /// one of their boundaries; the page in hand came from another offset and is not used.
    fn rebase(&mut self, offset: u64, served: u32, count: u64) -> Result<Step, Error> {
        let page = offset / u64::from(served) + 1;
        match u32::try_from(page) {
            Ok(page) if offset.is_multiple_of(u64::from(served)) => {
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

/// A page number and size whose page holds the offsets `from..from + len` (a page of at least
/// `len` records whose boundaries fall outside them), at most [`MAX_REGATHER_PAGE`] records.
fn covering_page(from: u64, len: u64) -> Option<(u32, u32)> {
    (len..=MAX_REGATHER_PAGE.min(from + len))
        .find(|size| from / size == (from + len - 1) / size)
        .and_then(|size| {
            Some((
                u32::try_from(from / size + 1).ok()?,
                u32::try_from(size).ok()?,
            ))
        })
}

/// The largest page a walk asks for to gather a split group again.
const MAX_REGATHER_PAGE: u64 = 10_000;

fn out_of_order(number: u32, place: usize, previous: &CallLog, record: &CallLog) -> Error {
    let mut violation = ContractViolation::new(
        ViolationKind::Order,
        format!(
            "page {number}, record {}: creation_time {} comes after {}, which is older: the server does not list records newest first, and the walk's pages and window rest on that order",
            place + 1,
            crate::model::format_timestamp(&record.creation_time),
            crate::model::format_timestamp(&previous.creation_time),
        ),
    );
    violation.page = Some(number);
    violation.record = serde_json::to_string(record).ok();
    violation.previous_record = serde_json::to_string(previous).ok();
    violation.into()
}

fn repeated_record(number: u32, place: usize, record: &CallLog) -> Error {
    let mut violation = ContractViolation::new(
        ViolationKind::RepeatedRecord,
        format!(
            "page {number}, record {}: the same record (creation_time {}) was already handed on from an earlier page of this walk; a record it hides is missing (records that share a creation_time in no stable order, or a page window off by one; exact duplicates in the data look the same when a page boundary falls between them)",
            place + 1,
            crate::model::format_timestamp(&record.creation_time),
        ),
    );
    violation.page = Some(number);
    violation.record = serde_json::to_string(record).ok();
    violation.into()
}

fn count_fell(number: u32, before: u64, now: u64) -> Error {
    let mut violation = ContractViolation::new(
        ViolationKind::CountChanged,
        format!(
            "page {number} counts {now} records where the page before it counted {before}: records left the walk's window while it ran, so the pages moved and records would be skipped"
        ),
    );
    violation.page = Some(number);
    violation.into()
}

fn mismatch(number: u32, size: u64, len: u64, count: u64, expected: u64) -> Error {
    let mut violation = ContractViolation::new(
        ViolationKind::PageMismatch,
        format!(
            "page {number} of size {size} holds {len} records where count {count} calls for {expected}; walking on would {} records",
            if len < expected {
                "lose"
            } else {
                "repeat or invent"
            }
        ),
    );
    violation.page = Some(number);
    violation.into()
}

/// The page size a server served for `page`, which `query` asked for: the size asked, or the
/// page's length when it is shorter although `count` says records remain beyond it (a server that
/// caps `page_size` or has another default), or longer when no `page_size` was sent (a server
/// whose default is larger than the contract's).
pub fn served_page_size(query: &CallLogQuery, page: &CallLogPage) -> u32 {
    let asked = query.effective_page_size();
    let len = page.data.len() as u64;
    let offset = u64::from(query.page_number().saturating_sub(FIRST_PAGE)) * u64::from(asked);
    let capped = len > 0 && len < u64::from(asked) && offset.saturating_add(len) < page.count;
    let larger_default = query.page_size.is_none() && len > u64::from(asked);
    match u32::try_from(len) {
        Ok(served) if capped || larger_default => served,
        _ => asked,
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
    // Each value as words: absent or present, then a text's bytes and length, an instant's seconds
    // and nanoseconds.
    for field in FIELDS {
        match (field.value)(record) {
            FieldValue::Text(None) | FieldValue::Instant(None) => hasher.add(0),
            FieldValue::Text(Some(text)) => {
                hasher.add(1);
                hasher.write(text.as_bytes());
                hasher.add(text.len() as u64);
            }
            FieldValue::Instant(Some(time)) => {
                hasher.add(1);
                hasher.add(time.timestamp() as u64);
                hasher.add(u64::from(time.timestamp_subsec_nanos()));
            }
            FieldValue::Seconds(seconds) => hasher.add(seconds.to_bits()),
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
    /// Eight bytes a word, the last word padded with zeros (callers that need to tell `"a"` from
    /// `"a\0"` add the length, as `str`'s hash adds its terminator).
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut tail = [0u8; 8];
            tail[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(tail));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn write_isize(&mut self, word: isize) {
        self.add(word as u64);
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
