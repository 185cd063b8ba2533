//! Auto-pagination: pages one at a time ([`Pager`]), records as a stream ([`CallLogStream`]), and
//! everything at once ([`CallLogs::collect_all`](crate::CallLogs::collect_all)).
//!
//! # Stop rules
//!
//! A walk ends at the first of: a page shorter than `page_size`, an empty page, the page numbered
//! `ceil(count / page_size)`, a page identical to the one before (a server ignoring `page`), or the
//! record limit. None of them trusts the server to behave, so no walk can spin.
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

use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::client::Client;
use crate::error::Error;
use crate::model::{CallLog, CallLogPage};
use crate::query::{CallLogQuery, DateBound, FIRST_PAGE};

/// How a walk over pages behaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PagerOptions {
    /// Stop after this many records.
    pub limit: Option<u64>,
    /// Request page N+1 as soon as page N has arrived, so that it loads while page N is consumed.
    pub read_ahead: bool,
}

/// Walks the pages of a query one request at a time. See the [module docs](self) for its rules.
pub struct Pager {
    client: Client,
    query: CallLogQuery,
    options: PagerOptions,
    count: Option<u64>,
    previous: Vec<u64>,
    emitted: u64,
    done: bool,
    prefetch: Option<JoinHandle<Result<CallLogPage, Error>>>,
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
        if let Some(task) = self.prefetch.take() {
            task.abort();
        }
    }
}

impl Pager {
    /// A walk of `query` from its page (default 1) on.
    pub fn new(client: Client, query: CallLogQuery, options: PagerOptions) -> Self {
        Self {
            client,
            query,
            options,
            count: None,
            previous: Vec::new(),
            emitted: 0,
            done: false,
            prefetch: None,
        }
    }

    /// The query the next request will send (its page number and, once pinned, its `end_date`).
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

    /// The records of the next page, or `None` once the walk has ended. After an error the walk
    /// can be resumed by calling this again: the same page is requested.
    pub async fn next_page(&mut self) -> Result<Option<Vec<CallLog>>, Error> {
        while !self.done {
            let page = match self.prefetch.take() {
                Some(task) => task.await.map_err(|e| {
                    Error::Connection(format!("the read-ahead request failed: {e}"))
                })?,
                None => self.client.fetch(&self.query).await,
            }?;
            let records = self.accept(page);
            if self.options.read_ahead && !self.done {
                let client = self.client.clone();
                let query = self.query.clone();
                self.prefetch = Some(tokio::spawn(async move { client.fetch(&query).await }));
            }
            if !records.is_empty() {
                return Ok(Some(records));
            }
        }
        Ok(None)
    }

    /// Takes in a page fetched for [`Pager::next_query`] (for a caller that already fetched it with
    /// `list`), applies the walk's rules to it, and returns the records to hand on. It sends
    /// nothing: read-ahead starts with the next [`Pager::next_page`].
    pub fn accept(&mut self, page: CallLogPage) -> Vec<CallLog> {
        let page_number = self.query.page_number();
        let page_size = u64::from(self.query.effective_page_size());
        let mut records = page.data;
        let fingerprints: Vec<u64> = records.iter().map(fingerprint).collect();
        if records.is_empty() || fingerprints == self.previous {
            self.done = true;
            return Vec::new();
        }
        if self.count.is_none() && page_number == FIRST_PAGE && self.query.end_date.is_none() {
            self.query.end_date = Some(DateBound::DateTime(records[0].creation_time));
        }
        let growth = self
            .count
            .map_or(0, |before| page.count.saturating_sub(before));
        let repeated = overlap(&self.previous, &fingerprints, growth);
        self.count = Some(page.count);
        self.done = !has_next_page(page_number, page_size, page.count, records.len());
        self.previous = fingerprints;
        records.drain(..repeated);
        if let Some(limit) = self.options.limit {
            let room = limit.saturating_sub(self.emitted);
            if records.len() as u64 >= room {
                records.truncate(room as usize);
                self.done = true;
            }
        }
        self.emitted += records.len() as u64;
        if !self.done {
            self.query.page = Some(page_number + 1);
        }
        records
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

/// The query of the page after `page`, which `query` fetched; `None` when `page` is the last.
pub fn next_page_query(query: &CallLogQuery, page: &CallLogPage) -> Option<CallLogQuery> {
    let number = query.page_number();
    let size = u64::from(query.effective_page_size());
    has_next_page(number, size, page.count, page.data.len()).then(|| query.clone().page(number + 1))
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
    all.reserve(pager.count().unwrap_or(0).saturating_sub(all.len() as u64) as usize);
    while let Some(records) = pager.next_page().await? {
        all.extend(records);
    }
    Ok(all)
}

/// The pages after the first, fetched concurrently; `None` when they are not the consistent
/// continuation of the first (a page of another `count` or of the wrong length).
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
    let mut records = Vec::with_capacity(count.saturating_sub(page_size) as usize);
    while let Some((number, page)) = pages.try_next().await? {
        let before = u64::from(number - 1) * page_size;
        let expected = count.saturating_sub(before).min(page_size);
        if page.count != count || page.data.len() as u64 != expected {
            return Ok(None);
        }
        records.extend(page.data);
    }
    Ok(Some(records))
}
