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

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::stream::Stream;
use tokio::task::JoinHandle;

use crate::client::Client;
pub use crate::defaults::{DEFAULT_PREFETCH, SPARE_PAGES};
use crate::error::Error;
use crate::model::{CallLog, CallLogPage};
use crate::query::{CallLogQuery, FIRST_PAGE};
pub use crate::walk::PagerOptions;
use crate::walk::Walk;
pub use crate::walk::{has_next_page, next_page_query, served_page_size};

/// How far a walk (reading all, exporting) has come, after each page.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct WalkProgress {
    /// Records so far (for an export, those of an interrupted run it resumes included).
    pub records: u64,
    /// How many records the walk will hold, when the server can tell (`None` otherwise).
    pub total: Option<u64>,
    /// Requests sent so far.
    pub requests: u64,
    /// The `creation_time` of the last record so far.
    pub down_to: Option<String>,
}

/// A page requested ahead: its number and the request.
type InFlight = (u32, JoinHandle<Result<CallLogPage, Error>>);

/// Walks the pages of a query one request at a time. See the [module docs](self) for its rules.
pub struct Pager {
    client: Client,
    walk: Walk,
    in_flight: VecDeque<InFlight>,
    /// The process whose runtime runs the requests in flight.
    pid: u32,
    /// Requests sent so far (pages read ahead included).
    requests: u64,
    /// Records handed on so far, and the `creation_time` of the last one.
    handed: u64,
    down_to: Option<chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Debug for Pager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("query", &self.walk.query)
            .field("count", &self.walk.count)
            .field("emitted", &self.walk.emitted)
            .field("done", &self.walk.done)
            .finish()
    }
}

impl Drop for Pager {
    fn drop(&mut self) {
        self.abort_in_flight();
    }
}

impl Pager {
    /// A walk of `query` from its page (default 1) on.
    pub fn new(client: Client, query: CallLogQuery, options: PagerOptions) -> Self {
        let mut walk = Walk::new(query, options);
        if client.dialect().applies_dates() {
            walk.apply_dates_locally();
        }
        walk.regather = client.dialect().unstable_ties();
        Self {
            client,
            walk,
            in_flight: VecDeque::new(),
            pid: std::process::id(),
            requests: 0,
            handed: 0,
            down_to: None,
        }
    }

    /// How far the walk has come: the records [`Pager::next_page`] handed on, `count`, the
    /// requests sent.
    pub fn progress(&self) -> WalkProgress {
        WalkProgress {
            records: self.handed,
            total: self.count(),
            requests: self.requests,
            down_to: self.down_to.as_ref().map(crate::model::format_timestamp),
        }
    }

    /// How many requests the walk has sent (pages read ahead included; a retry is part of its
    /// request).
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// The query the next request will send (its page number and size, and once pinned, its
    /// `end_date`).
    pub fn next_query(&self) -> &CallLogQuery {
        &self.walk.query
    }

    /// `count` as the last page reported it.
    pub fn count(&self) -> Option<u64> {
        self.walk.count
    }

    /// Whether the walk has ended.
    pub fn is_done(&self) -> bool {
        self.walk.done
    }

    /// The records of the next page, or `None` once the walk has ended. After an error of the
    /// network or the server's status the walk can be resumed by calling this again: the same page
    /// is requested. After an [`Error::ServerContract`] the walk has ended.
    pub async fn next_page(&mut self) -> Result<Option<Vec<CallLog>>, Error> {
        self.forget_another_process();
        while !self.walk.done {
            let number = self.walk.query.page_number();
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
                    self.requests += 1;
                    self.client.fetch(&self.walk.query).await
                }
            };
            let page = page.inspect_err(|e| self.walk.end_on_violation(e))?;
            let mut records = self.accept(page)?;
            if let Some(regather) = self.walk.pending.take() {
                self.requests += 1;
                let covering = self.client.fetch(&regather.query).await;
                let covering = covering.inspect_err(|e| self.walk.end_on_violation(e))?;
                records = self.walk.regathered(regather, &covering)?;
                self.tell_warnings();
            }
            self.fill_window();
            if let Some(last) = records.last() {
                self.handed += records.len() as u64;
                self.down_to = Some(last.creation_time);
                return Ok(Some(records));
            }
        }
        Ok(None)
    }

    /// Requests the pages after the one the walk asks for next, up to the prefetch window, the last
    /// page `count` calls for, and the pages `limit` still needs.
    fn fill_window(&mut self) {
        let walk = &self.walk;
        let (Some(count), false) = (walk.count, walk.done) else {
            self.abort_in_flight();
            return;
        };
        let size = u64::from(walk.query.effective_page_size());
        let next = walk.query.page_number();
        let mut remaining = count.saturating_sub(u64::from(next - FIRST_PAGE) * size);
        if let Some(limit) = walk.options.limit {
            remaining = remaining.min(limit.saturating_sub(walk.emitted));
        }
        // The page the walk asks for next is requested too, so that it is on its way at once.
        let wanted = remaining.div_ceil(size).min(walk.options.prefetch as u64) as usize;
        while self.in_flight.len() < wanted {
            let Some(page) = u32::try_from(self.in_flight.len())
                .ok()
                .and_then(|ahead| next.checked_add(ahead))
            else {
                return;
            };
            let client = self.client.clone();
            let mut query = self.walk.query.clone();
            query.page = Some(page);
            let task = tokio::spawn(async move { client.fetch(&query).await });
            self.requests += 1;
            self.in_flight.push_back((page, task));
        }
    }

    fn abort_in_flight(&mut self) {
        self.forget_another_process();
        for (_, task) in self.in_flight.drain(..) {
            task.abort();
        }
    }

    /// In a process forked while pages were read ahead, those requests run on the parent's
    /// runtime, which has no threads here: they would never finish. The walk forgets them (they are
    /// the parent's to finish or drop) and asks again from this process.
    fn forget_another_process(&mut self) {
        let pid = std::process::id();
        if self.pid != pid {
            self.in_flight.drain(..).for_each(std::mem::forget);
            self.pid = pid;
        }
    }

    /// Takes in a page fetched for [`Pager::next_query`] (for a caller that already fetched it with
    /// `list`), applies the walk's rules to it, and returns the records to hand on. It sends
    /// nothing: read-ahead starts with the next [`Pager::next_page`].
    pub fn accept(&mut self, page: CallLogPage) -> Result<Vec<CallLog>, Error> {
        let records = self.walk.accept(page);
        self.tell_warnings();
        records
    }

    fn tell_warnings(&mut self) {
        for warning in std::mem::take(&mut self.walk.warnings) {
            self.client.warn(warning);
        }
    }
}

/// A walk that resumes after `page`, which `query` fetched and the caller already holds.
pub(crate) fn after_held(
    client: Client,
    query: CallLogQuery,
    page: CallLogPage,
    options: PagerOptions,
) -> Result<Pager, Error> {
    from_first(client, query, page, options).map(|(pager, _)| pager)
}

/// [`after_held`], with the records of `page` the walk hands on.
pub(crate) fn from_first(
    client: Client,
    query: CallLogQuery,
    page: CallLogPage,
    options: PagerOptions,
) -> Result<(Pager, Vec<CallLog>), Error> {
    let mut pager = Pager::new(client, query, options);
    pager.walk.held = true;
    let records = pager.accept(page)?;
    Ok((pager, records))
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

/// The walk of `pager`, each page's records handed to `take` as they pass the walk's rules, and
/// `progress` told after each page.
pub(crate) async fn each_page(
    mut pager: Pager,
    mut progress: impl FnMut(&WalkProgress) + Send,
    mut take: impl FnMut(Vec<CallLog>) + Send,
) -> Result<(), Error> {
    while let Some(records) = pager.next_page().await? {
        take(records);
        progress(&pager.progress());
    }
    Ok(())
}
