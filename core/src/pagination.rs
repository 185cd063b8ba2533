//! Auto-pagination: pages one at a time ([`Pager`]), records as a stream ([`CallLogStream`]), and
//! everything at once ([`CallLogs::collect_all`](crate::CallLogs::collect_all)).
//!
//! # Stop rules
//!
//! A walk ends at the page numbered `ceil(count / page_size)`, at a page shorter than the page
//! size that `count` agrees is the last, at an empty page past the end, or at the record limit.
//! Everything else a server can do ends it with an [`Error::ServerContract`], never silently and
//! never in a loop:
//!
//! * **The page size is learned, not assumed.** Servers cap `page_size` silently (Django REST
//!   framework's `max_page_size`) or use another default than 20. When the first page of a walk is
//!   shorter than asked while `count` says records remain beyond it, the size it holds is the size
//!   the server serves: the walk logs one warning and goes on with that size, sent explicitly, its
//!   page numbers re-based to it.
//! * **Every later page is checked against `count`**: it must hold exactly
//!   `min(page_size, count - offset)` records. A page short in the middle of a walk would lose
//!   records, so it is an error ([`ViolationKind::PageMismatch`]).
//! * **A page that comes back again** while `count` has not grown means the server ignores `page`
//!   ([`ViolationKind::RepeatedPage`]).
//! * **A hard bound**: a walk takes at most twice the pages the first `count` calls for, plus
//!   [`SPARE_PAGES`] (room for calls arriving during the walk); a server whose `count` keeps
//!   growing is stopped there ([`ViolationKind::Unbounded`]).
//!
//! Memory grows with the records received, never with a `count` a server claims.
//!
//! # Calls arriving while a walk runs
//!
//! Pages are windows at fixed offsets (`(page - 1) * page_size`) into a list ordered newest first,
//! so a call created during a walk would push every later record one place down and the walk would
//! see one record twice. Two things prevent that:
//!
//! 1. **The window is pinned.** A walk that starts at page 1 with no `end_date` sends, from page 2
//!    on, `end_date` set to the `creation_time` of the newest record on page 1. Calls created after
//!    that instant fall outside the query, so the offsets of the records being walked do not move.
//! 2. **Shifts that still happen are detected and undone.** A call can still land inside the pinned
//!    window (one created in the same instant as the newest record, or a late-arriving log). Every
//!    page repeats `count`; when it grows by `d` between two pages, the window has moved down by at
//!    most `d` places, and the first records of the new page are the last ones of the page before.
//!    The walk drops the longest such overlap (at most `d`), so nothing is repeated. Nothing is
//!    skipped either: insertions only move records later, never earlier.
//!
//! A walk that starts past page 1, or that has an `end_date` already, is not pinned (the user's
//! window is kept as given); the overlap check still applies.

use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::client::Client;
use crate::error::{ContractViolation, Error, ViolationKind};
use crate::model::{CallLog, CallLogPage};
use crate::query::{CallLogQuery, DateBound, FIRST_PAGE};

/// Pages a walk may take beyond twice what its first `count` calls for.
pub const SPARE_PAGES: u64 = 8;

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

/// The prefetch window of walks in the bindings unless given: as many pages in flight as
/// `collect_all` fetches at once by default ([`crate::DEFAULT_CONCURRENCY`]), so a walk never
/// loads a server more than fetching everything at once already does, while hiding round trips
/// of up to four times a page's processing time.
pub const DEFAULT_PREFETCH: usize = crate::DEFAULT_CONCURRENCY;

/// A page requested ahead: its number and the request.
type InFlight = (u32, JoinHandle<Result<CallLogPage, Error>>);

/// Walks the pages of a query one request at a time. See the [module docs](self) for its rules.
pub struct Pager {
    client: Client,
    query: CallLogQuery,
    options: PagerOptions,
    count: Option<u64>,
    max_pages: u64,
    pages: u64,
    previous: Vec<u64>,
    seen: HashSet<u64>,
    /// The first page was already handed to the caller (the walk resumes after it).
    held: bool,
    emitted: u64,
    done: bool,
    in_flight: VecDeque<InFlight>,
}

impl std::fmt::Debug for Pager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("query", &self.query)
            .field("count", &self.count)
            .field("emitted", &self.emitted)
            .field("done", &self.done)
            .finish()
    }
}

impl Drop for Pager {
    fn drop(&mut self) {
        self.abort_in_flight();
    }
}

/// Where a page puts the walk: how many of its records to hand on, and what comes next.
enum Step {
    /// Hand on the page's records after dropping this many repeated ones.
    Records { repeated: usize },
    /// The page was served at another offset than asked; fetch the walk's next query instead.
    Rebased,
}

impl Pager {
    /// A walk of `query` from its page (default 1) on.
    pub fn new(client: Client, query: CallLogQuery, options: PagerOptions) -> Self {
        Self {
            client,
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
            in_flight: VecDeque::new(),
        }
    }

    /// The query the next request will send (its page number and size, and once pinned, its
    /// `end_date`).
    pub fn next_query(&self) -> &CallLogQuery {
        &self.query
    }

    /// `count` as the last page reported it.
    pub fn count(&self) -> Option<u64> {
        self.count
    }

    /// Whether the walk has ended.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The records of the next page, or `None` once the walk has ended. After an error of the
    /// network or the server's status the walk can be resumed by calling this again: the same page
    /// is requested. After an [`Error::ServerContract`] the walk has ended.
    pub async fn next_page(&mut self) -> Result<Option<Vec<CallLog>>, Error> {
        while !self.done {
            let number = self.query.page_number();
            let page = match self.in_flight.pop_front() {
                Some((asked, task)) if asked == number => task.await.map_err(|e| {
                    Error::Connection(format!("the request read ahead failed: {e}"))
                })?,
                stale => {
                    // Nothing ahead, or the walk moved elsewhere (it was re-based, or resumed
                    // after an error): what is in flight is not what it needs.
                    if let Some((_, task)) = stale {
                        task.abort();
                    }
                    self.abort_in_flight();
                    self.client.fetch(&self.query).await
                }
            };
            let page = page.inspect_err(|e| self.end_on_violation(e))?;
            let records = self.accept(page)?;
            self.fill_window();
            if !records.is_empty() {
                return Ok(Some(records));
            }
        }
        Ok(None)
    }

    /// Requests the pages after the one the walk asks for next, up to the prefetch window, the last
    /// page `count` calls for, and the pages `limit` still needs.
    fn fill_window(&mut self) {
        let (Some(count), false) = (self.count, self.done) else {
            self.abort_in_flight();
            return;
        };
        let size = u64::from(self.query.effective_page_size());
        let next = self.query.page_number();
        let mut remaining = count.saturating_sub(u64::from(next - FIRST_PAGE) * size);
        if let Some(limit) = self.options.limit {
            remaining = remaining.min(limit.saturating_sub(self.emitted));
        }
        // The page the walk asks for next is requested too, so that it is on its way at once.
        let wanted = remaining.div_ceil(size).min(self.options.prefetch as u64) as usize;
        while self.in_flight.len() < wanted {
            let Some(page) = u32::try_from(self.in_flight.len())
                .ok()
                .and_then(|ahead| next.checked_add(ahead))
            else {
                return;
            };
            let client = self.client.clone();
            let mut query = self.query.clone();
            query.page = Some(page);
            let task = tokio::spawn(async move { client.fetch(&query).await });
            self.in_flight.push_back((page, task));
        }
    }

    fn abort_in_flight(&mut self) {
        for (_, task) in self.in_flight.drain(..) {
            task.abort();
        }
    }

    fn end_on_violation(&mut self, error: &Error) {
        if matches!(error, Error::ServerContract(_)) {
            self.done = true;
        }
    }

    /// Takes in a page fetched for [`Pager::next_query`] (for a caller that already fetched it with
    /// `list`), applies the walk's rules to it, and returns the records to hand on. It sends
    /// nothing: read-ahead starts with the next [`Pager::next_page`].
    pub fn accept(&mut self, page: CallLogPage) -> Result<Vec<CallLog>, Error> {
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
                .saturating_add(SPARE_PAGES);
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

/// A walk that resumes after `page`, which `query` fetched and the caller already holds.
pub(crate) fn after_held(
    client: Client,
    query: CallLogQuery,
    page: CallLogPage,
    options: PagerOptions,
) -> Result<Pager, Error> {
    let mut pager = Pager::new(client, query, options);
    pager.held = true;
    pager.accept(page)?;
    Ok(pager)
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

fn digest(fingerprints: &[u64]) -> u64 {
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
fn fingerprint(record: &CallLog) -> u64 {
    let mut hasher = FxHasher::default();
    record.source_number.hash(&mut hasher);
    record.destination_number.hash(&mut hasher);
    record.call_type.hash(&mut hasher);
    record.call_status.hash(&mut hasher);
    record.creation_time.hash(&mut hasher);
    record.start_time.hash(&mut hasher);
    record.end_time.hash(&mut hasher);
    record.call_duration.to_bits().hash(&mut hasher);
    record.end_reason.hash(&mut hasher);
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

/// The records of a walk, as a `Stream`. Made by [`CallLogs::stream`](crate::CallLogs::stream).
///
/// After an error the stream ends.
pub struct CallLogStream {
    records: std::vec::IntoIter<CallLog>,
    state: StreamState,
}

type PageFuture = BoxFuture<'static, (Pager, Result<Option<Vec<CallLog>>, Error>)>;

enum StreamState {
    Idle(Box<Pager>),
    Fetching(PageFuture),
    Done,
}

impl std::fmt::Debug for CallLogStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallLogStream")
            .field("buffered", &self.records.len())
            .finish()
    }
}

impl CallLogStream {
    pub(crate) fn new(pager: Pager) -> Self {
        Self {
            records: Vec::new().into_iter(),
            state: StreamState::Idle(Box::new(pager)),
        }
    }
}

impl Stream for CallLogStream {
    type Item = Result<CallLog, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(record) = self.records.next() {
                return Poll::Ready(Some(Ok(record)));
            }
            match std::mem::replace(&mut self.state, StreamState::Done) {
                StreamState::Idle(mut pager) => {
                    self.state = StreamState::Fetching(Box::pin(async move {
                        let page = pager.next_page().await;
                        (*pager, page)
                    }));
                }
                StreamState::Fetching(mut fetching) => match fetching.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.state = StreamState::Fetching(fetching);
                        return Poll::Pending;
                    }
                    Poll::Ready((pager, Ok(Some(records)))) => {
                        self.records = records.into_iter();
                        self.state = StreamState::Idle(Box::new(pager));
                    }
                    Poll::Ready((_, Ok(None))) => return Poll::Ready(None),
                    Poll::Ready((_, Err(error))) => return Poll::Ready(Some(Err(error))),
                },
                StreamState::Done => return Poll::Ready(None),
            }
        }
    }
}

pub(crate) async fn collect_all(
    client: &Client,
    query: CallLogQuery,
    concurrency: usize,
) -> Result<Vec<CallLog>, Error> {
    let mut pager = Pager::new(client.clone(), query.clone(), PagerOptions::default());
    let mut all = pager.next_page().await?.unwrap_or_default();
    if concurrency > 1 && !pager.is_done() {
        if let Some(rest) = fetch_rest_concurrently(client, &pager, concurrency).await? {
            all.extend(rest);
            return Ok(all);
        }
        log::debug!("pages changed while they were fetched concurrently; walking them in order");
        pager = Pager::new(client.clone(), query, PagerOptions::default());
        all.clear();
    }
    while let Some(records) = pager.next_page().await? {
        all.extend(records);
    }
    Ok(all)
}

/// The pages after the first, fetched concurrently; `None` when they are not the consistent
/// continuation of the first (a page of another `count` or of the wrong length, or one that
/// repeats another): the ordered walk then finds out what is wrong.
async fn fetch_rest_concurrently(
    client: &Client,
    pager: &Pager,
    concurrency: usize,
) -> Result<Option<Vec<CallLog>>, Error> {
    let (Some(count), next) = (pager.count(), pager.next_query()) else {
        return Ok(None);
    };
    let page_size = u64::from(next.effective_page_size());
    let first = next.page_number();
    let last = count.div_ceil(page_size).min(u64::from(u32::MAX)) as u32;
    let mut pages = stream::iter(first..=last)
        .map(|number| {
            let query = next.clone().page(number);
            async move { client.fetch(&query).await.map(|page| (number, page)) }
        })
        .buffered(concurrency);
    let mut records = Vec::new();
    let mut seen = HashSet::from([digest(pager.previous.as_slice())]);
    while let Some((number, page)) = pages.try_next().await? {
        let before = u64::from(number - 1) * page_size;
        let expected = count.saturating_sub(before).min(page_size);
        let fingerprints: Vec<u64> = page.data.iter().map(fingerprint).collect();
        if page.count != count
            || page.data.len() as u64 != expected
            || !seen.insert(digest(&fingerprints))
        {
            return Ok(None);
        }
        records.extend(page.data);
    }
    Ok(Some(records))
}
