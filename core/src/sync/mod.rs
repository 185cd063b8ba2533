//! Keeping a table of call logs in step with the server: resumable, exactly once, in windows of
//! `creation_time`.
//!
//! ```no_run
//! # async fn example() -> Result<(), unpod_calllogs::Error> {
//! use unpod_calllogs::sync::{Sync, SyncSettings, destination};
//! use unpod_calllogs::{CallLogQuery, CallType, Client};
//!
//! let client = Client::from_env()?;
//! let summary = Sync::builder(client, destination::open("calls.db")?)
//!     .query(CallLogQuery::new().call_type(CallType::Inbound))
//!     .settings(SyncSettings::default().max_records(20_000))
//!     .build()?
//!     .run()
//!     .await?;
//! println!("{} new, {} updated in {} windows", summary.new, summary.updated, summary.windows);
//! # Ok(())
//! # }
//! ```
//!
//! # How a run goes
//!
//! 1. **The range.** A run keeps `[from, until]` of `creation_time` in step. `until` is pinned when
//!    the run begins, at `now - settle` (whole seconds; [`SyncSettings::until`] can set it
//!    earlier): calls of the last `settle` may still be being written, and the next run reads them.
//!    `from` is the end of the last complete run less the `lookback` (calls whose logs arrived late
//!    are read again), never before the query's `start_date`; on a first run, the `start_date`, or
//!    the whole history.
//! 2. **Windows, newest first.** The range is read in closed windows `[low, high]`, from `until`
//!    down. Each is a verified walk (every check of the client's walks, and the client's dialect),
//!    whose first page tells the window's `count`: a window that would take more than
//!    `max_records` records or `max_pages` pages is halved (at least) before its records are
//!    read, and the next window's span adapts to what this one held. Adjacent windows share their
//!    boundary instant, so an instant is never split between two windows.
//! 3. **Exactly once.** Each window's records are written in one transaction together with the
//!    state that says how far down the run has come: the window holds exactly the server's
//!    records after it (new ones inserted, changed ones updated by their key, ones the server no
//!    longer has deleted). A process killed at any moment leaves the table and its state
//!    consistent; the next run finishes the unfinished run first, then starts a new one.
//! 4. **A window that cannot be split** (more records than `max_records` in one second) and a
//!    server that cannot window at all (a dialect that applies the date filters on the client,
//!    such as `unpod-v2`, whose walks read from the newest record down) are read in one walk and
//!    written in chunks of at least `max_records` records, cut between two instants: memory and
//!    transactions stay bounded, and a killed run resumes from the last chunk written. The page
//!    bound does not apply to such a walk: the server gives no way to honour it.
//!
//! Records are keyed as [`key`] describes. [`destination`] lists what they can be written to.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::client::Client;
use crate::defaults::{
    DEFAULT_PREFETCH, DEFAULT_SYNC_LOOKBACK, DEFAULT_SYNC_MAX_PAGES, DEFAULT_SYNC_MAX_RECORDS,
    DEFAULT_SYNC_PAGE_SIZE, DEFAULT_SYNC_SETTLE, DEFAULT_SYNC_WINDOW,
};
use crate::error::{ContractViolation, Error, ViolationKind};
use crate::model::{CallLog, CallLogPage, format_timestamp};
use crate::pagination::{Pager, PagerOptions, from_first};
use crate::query::{CallLogQuery, DateBound, InvalidQuery, MAX_PAGE_SIZE};

pub mod destination;
pub mod handover;
pub mod key;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use destination::{Batch, Counts, DEFAULT_TABLE, Destination, Run, Span, State};

/// The settings of a sync. Every one has a default ([`crate::defaults`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SyncSettings {
    /// The table written into (default [`DEFAULT_TABLE`]).
    pub table: String,
    /// How long before the present a run stops (default [`DEFAULT_SYNC_SETTLE`]).
    pub settle: Duration,
    /// How far before the last run's end each run reads again (default [`DEFAULT_SYNC_LOOKBACK`]).
    pub lookback: Duration,
    /// The most records of one window (default [`DEFAULT_SYNC_MAX_RECORDS`]).
    pub max_records: u64,
    /// The most pages of one window (default [`DEFAULT_SYNC_MAX_PAGES`]).
    pub max_pages: u64,
    /// The page size asked for (default [`DEFAULT_SYNC_PAGE_SIZE`]).
    pub page_size: u32,
    /// The span of the first window (default [`DEFAULT_SYNC_WINDOW`]).
    pub window: Duration,
    /// Stop at this instant rather than `now - settle`, if it is earlier.
    pub until: Option<DateTime<Utc>>,
    /// Pages read ahead within a window (default [`DEFAULT_PREFETCH`]).
    pub prefetch: usize,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            table: DEFAULT_TABLE.to_owned(),
            settle: DEFAULT_SYNC_SETTLE,
            lookback: DEFAULT_SYNC_LOOKBACK,
            max_records: DEFAULT_SYNC_MAX_RECORDS,
            max_pages: DEFAULT_SYNC_MAX_PAGES,
            page_size: DEFAULT_SYNC_PAGE_SIZE,
            window: DEFAULT_SYNC_WINDOW,
            until: None,
            prefetch: DEFAULT_PREFETCH,
        }
    }
}

impl SyncSettings {
    crate::__setters! {
        table: String => into,
        settle: Duration,
        lookback: Duration,
        max_records: u64,
        max_pages: u64,
        page_size: u32,
        window: Duration,
        until: Option<DateTime<Utc>> => into,
        prefetch: usize,
    }

    /// Every setting's name, as the bindings and the command line take them.
    pub const NAMES: &'static [&'static str] = &[
        "table",
        "settle",
        "lookback",
        "max_records",
        "max_pages",
        "page_size",
        "window",
        "until",
        "prefetch",
    ];

    /// Checks each setting's range; the error names the setting and its rule.
    pub fn validate(&self) -> Result<(), Error> {
        let rule = |name: &str, rule: &str| Err(Error::Config(format!("{name}: {rule}")));
        destination::check_table(&self.table)?;
        if self.max_records == 0 {
            return rule("max_records", "must be at least 1");
        }
        if self.max_pages == 0 {
            return rule("max_pages", "must be at least 1");
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return rule("page_size", &format!("must be in 1..={MAX_PAGE_SIZE}"));
        }
        if self.window < Duration::from_secs(1) {
            return rule("window", "must be at least 1 second");
        }
        if self.prefetch > crate::defaults::MAX_CONCURRENCY {
            let most = crate::defaults::MAX_CONCURRENCY;
            return rule("prefetch", &format!("must be at most {most}"));
        }
        for (name, duration) in [("settle", self.settle), ("lookback", self.lookback)] {
            if TimeDelta::from_std(duration).is_err() {
                return rule(name, "is out of range");
            }
        }
        Ok(())
    }
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Windows (and chunks) written, each in one transaction.
    pub windows: u64,
    /// Records the table did not hold.
    pub new: u64,
    /// Records it held with other values.
    pub updated: u64,
    /// Records it held as they are.
    pub unchanged: u64,
    /// Records it held that the server no longer has.
    pub deleted: u64,
    /// Requests sent (a retry is part of its request).
    pub requests: u64,
    /// How long the run took, in seconds.
    pub elapsed: f64,
    /// Whether the run finished a run that had stopped before its end.
    pub resumed: bool,
    /// The oldest `creation_time` the run covered (`None`: the whole history).
    pub start: Option<String>,
    /// The newest `creation_time` it covered.
    pub until: String,
}

impl Summary {
    /// A run of `run` that has done nothing yet.
    fn of(run: &Run, resumed: bool) -> Self {
        Self {
            windows: 0,
            new: 0,
            updated: 0,
            unchanged: 0,
            deleted: 0,
            requests: 0,
            elapsed: 0.0,
            resumed,
            start: run.from.as_ref().map(format_timestamp),
            until: format_timestamp(&run.until),
        }
    }

    /// The names of a summary's fields, as the bindings hand them out.
    pub fn field_names() -> Vec<String> {
        let run = Run {
            from: None,
            until: DateTime::<Utc>::UNIX_EPOCH,
            done_down_to: None,
        };
        match serde_json::to_value(Self::of(&run, false)) {
            Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

/// How far a run has come, after each window written.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Progress {
    /// Windows written so far.
    pub windows: u64,
    /// Records read so far.
    pub records: u64,
    /// How many records the run's range holds, when the server can tell (`None` otherwise).
    pub total: Option<u64>,
    /// Requests sent so far.
    pub requests: u64,
    /// The oldest instant written so far.
    pub down_to: String,
    /// What the window just written changed.
    pub counts: Counts,
}

type OnProgress = Arc<dyn Fn(&Progress) + Send + std::marker::Sync>;

/// Builds a [`Sync`].
pub struct SyncBuilder {
    client: Client,
    destination: Box<dyn Destination>,
    query: CallLogQuery,
    settings: SyncSettings,
    on_progress: Option<OnProgress>,
}

impl std::fmt::Debug for SyncBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncBuilder")
            .field("destination", &self.destination.describe())
            .field("query", &self.query)
            .field("settings", &self.settings)
            .finish()
    }
}

impl SyncBuilder {
    /// The filters of what is synced: `call_type`, `call_status`, and `start_date` as the oldest
    /// instant ever synced. `end_date`, `page` and `page_size` are not filters of a sync.
    #[must_use]
    pub fn query(mut self, query: CallLogQuery) -> Self {
        self.query = query;
        self
    }

    /// The settings.
    #[must_use]
    pub fn settings(mut self, settings: SyncSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Called after each window written.
    #[must_use]
    pub fn on_progress(
        mut self,
        f: impl Fn(&Progress) + Send + std::marker::Sync + 'static,
    ) -> Self {
        self.on_progress = Some(Arc::new(f));
        self
    }

    /// The sync, once its query and settings are checked.
    pub fn build(self) -> Result<Sync, Error> {
        self.query.validate()?;
        for (parameter, given) in [
            ("end_date", self.query.end_date.is_some()),
            ("page", self.query.page.is_some()),
            ("page_size", self.query.page_size.is_some()),
        ] {
            if given {
                return Err(Error::InvalidQuery(InvalidQuery {
                    parameter,
                    rule: format!(
                        "a sync keeps everything up to now less the settle time in step; {parameter} is not one of its filters (export or iterate for a fixed range)"
                    ),
                    value: None,
                }));
            }
        }
        self.settings.validate()?;
        let start = self.query.start_date.as_ref().map(DateBound::first_instant);
        let mut query = self.query;
        query.start_date = None;
        Ok(Sync {
            client: self.client,
            destination: std::sync::Mutex::new(Some(self.destination)),
            query,
            start,
            settings: self.settings,
            on_progress: self.on_progress,
        })
    }
}

/// A sync of call logs into a destination. Made by [`Sync::builder`]; each [`Sync::run`] keeps the
/// table in step once more. See the [module docs](self).
pub struct Sync {
    client: Client,
    /// `None` only while a call of it runs off the async threads (behind a lock so that the sync
    /// can be shared by the futures of one run).
    destination: std::sync::Mutex<Option<Box<dyn Destination>>>,
    /// The filters, without dates.
    query: CallLogQuery,
    /// The oldest instant synced (the query's `start_date`).
    start: Option<DateTime<Utc>>,
    settings: SyncSettings,
    on_progress: Option<OnProgress>,
}

impl std::fmt::Debug for Sync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sync")
            .field("stream", &self.stream())
            .field("settings", &self.settings)
            .finish()
    }
}

/// The first instant of the second that holds `time`.
fn whole_second(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

/// The span of the window after one of `span` that held `count` records, aiming at three
/// quarters of `most`: at most eight times longer, at least one second.
pub fn next_span(span: TimeDelta, count: u64, most: u64) -> TimeDelta {
    let target = (most * 3 / 4).max(1) as f64;
    let factor = (target / count.max(1) as f64).clamp(0.0, 8.0);
    let seconds = (span.num_milliseconds() as f64 / 1000.0 * factor).floor();
    TimeDelta::seconds((seconds as i64).clamp(1, 100 * 366 * 86_400))
}

/// The span to try instead of one of `span` that holds `count` records, more than `most`: short
/// enough for `count` spread evenly, and at most half.
pub fn shrunk_span(span: TimeDelta, count: u64, most: u64) -> TimeDelta {
    next_span(span, count, most)
        .min(span / 2)
        .max(TimeDelta::seconds(1))
}

/// What a window holds as its first page tells it: the records, and the pages they take at the
/// size the server serves (a first page shorter than asked while more remain is a cap).
fn window_load(page: &CallLogPage, asked: u32) -> (u64, u64) {
    let held = page.data.len() as u64;
    let served = if held < u64::from(asked) && held < page.count {
        held.max(1)
    } else {
        u64::from(asked)
    };
    (page.count, page.count.div_ceil(served))
}

impl Sync {
    /// A sync through `client` into `destination`, with the default settings and no filters.
    pub fn builder(client: Client, destination: Box<dyn Destination>) -> SyncBuilder {
        SyncBuilder {
            client,
            destination,
            query: CallLogQuery::new(),
            settings: SyncSettings::default(),
            on_progress: None,
        }
    }

    /// What the table holds: the endpoint, the organization and the filters.
    pub fn stream(&self) -> String {
        let mut filters = self.query.to_query_string();
        if let Some(start) = self.start {
            let start = format_timestamp(&start);
            filters = if filters.is_empty() {
                format!("start_date={start}")
            } else {
                format!("{filters}&start_date={start}")
            };
        }
        format!(
            "{} org={} {}",
            self.client.endpoint(),
            self.client.org_handle(),
            filters
        )
        .trim_end()
        .to_owned()
    }

    /// Runs `f` on the destination off the async threads.
    async fn on_destination<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut dyn Destination) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let taken = self.held().take();
        let mut destination = taken.ok_or_else(|| {
            Error::Destination(
                "an earlier run was cancelled while it wrote; make a new sync".to_owned(),
            )
        })?;
        let (destination, result) = tokio::task::spawn_blocking(move || {
            let result = f(destination.as_mut());
            (destination, result)
        })
        .await
        .map_err(|e| Error::Destination(format!("the write failed: {e}")))?;
        *self.held() = Some(destination);
        result
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Option<Box<dyn Destination>>> {
        self.destination
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps the table in step once: finishes a run that had stopped, or runs anew. See the
    /// [module docs](self).
    pub async fn run(&mut self) -> Result<Summary, Error> {
        let started = Instant::now();
        let stream = self.stream();
        let table = self.settings.table.clone();
        let stored = self.on_destination(move |d| d.state(&table)).await?;
        if let Some(stored) = &stored
            && stored.stream != stream
        {
            let destination = self.held().as_ref().map(|d| d.describe());
            return Err(Error::Destination(format!(
                "table {} of the {} is kept in step with {:?}; this sync is of {stream:?}: sync it into another table",
                self.settings.table,
                destination.unwrap_or_default(),
                stored.stream
            )));
        }
        let mut state = stored.unwrap_or(State {
            stream,
            synced_until: None,
            run: None,
        });
        let resumed = state.run.is_some();
        let run = match state.run.clone() {
            Some(run) => run,
            None => self.new_run(&state)?,
        };
        let mut walk = Walked {
            resumed,
            summary: Summary::of(&run, resumed),
            records: 0,
            total: None,
        };
        if run.from.is_none_or(|from| from <= run.until) {
            state.run = Some(run.clone());
            if self.client.dialect().applies_dates() {
                self.one_walk(&mut state, &run, &mut walk).await?;
            } else {
                self.windows(&mut state, &run, &mut walk).await?;
            }
        }
        walk.summary.resumed = walk.resumed;
        walk.summary.elapsed = started.elapsed().as_secs_f64();
        Ok(walk.summary)
    }

    /// The range of a new run after `state`.
    fn new_run(&self, state: &State) -> Result<Run, Error> {
        let settle = TimeDelta::from_std(self.settings.settle)
            .map_err(|_| Error::Config("settle: is out of range".to_owned()))?;
        let lookback = TimeDelta::from_std(self.settings.lookback)
            .map_err(|_| Error::Config("lookback: is out of range".to_owned()))?;
        let mut until = whole_second(Utc::now() - settle);
        if let Some(limit) = self.settings.until {
            until = until.min(limit);
        }
        let again = state.synced_until.map(|end| end - lookback);
        let from = match (self.start, again) {
            (Some(start), Some(again)) => Some(start.max(again)),
            (start, again) => start.or(again),
        };
        Ok(Run {
            from,
            until,
            done_down_to: None,
        })
    }

    /// A run in windows sized by their first pages' `count`.
    async fn windows(
        &mut self,
        state: &mut State,
        run: &Run,
        walk: &mut Walked,
    ) -> Result<(), Error> {
        let most = self.settings.max_records.min(
            self.settings
                .max_pages
                .saturating_mul(u64::from(self.settings.page_size)),
        );
        let mut high = run.done_down_to.unwrap_or(run.until);
        let mut span = TimeDelta::from_std(self.settings.window).unwrap_or(TimeDelta::days(1));
        if !walk.resumed {
            walk.total = Some(self.count(run.from, high).await?);
            walk.summary.requests += 1;
        }
        loop {
            let earliest = high
                .checked_sub_signed(span)
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            let low = run.from.map_or(earliest, |from| from.max(earliest));
            let last = run.from == Some(low);
            let query = self
                .query
                .clone()
                .start_date(low)
                .end_date(high)
                .page_size(self.settings.page_size);
            let page = self.client.call_logs().list(&query).await?;
            walk.summary.requests += 1;
            let (count, pages) = window_load(&page, self.settings.page_size);
            let over = count > self.settings.max_records || pages > self.settings.max_pages;
            if over && span > TimeDelta::seconds(1) {
                span = shrunk_span(span, count, most);
                continue;
            }
            let span_of = Span {
                low,
                high,
                high_inclusive: true,
            };
            self.walk_span(state, run, walk, query, Some(page), span_of, last)
                .await?;
            if last {
                return Ok(());
            }
            if run.from.is_none() && count == 0 {
                // The whole history is wanted: is there anything older?
                let older = self.query.clone().end_date(low).page_size(1);
                let probe = self.client.call_logs().list(&older).await?;
                walk.summary.requests += 1;
                match probe.data.first() {
                    None if probe.count == 0 => {
                        let rest = Span {
                            low: DateTime::<Utc>::MIN_UTC,
                            high: low,
                            high_inclusive: false,
                        };
                        return self.write(state, run, walk, Vec::new(), rest, None).await;
                    }
                    Some(newest) if newest.creation_time <= low => {
                        // Jump over the gap: the next window reaches down to the newest older
                        // record.
                        let gap = low.signed_duration_since(newest.creation_time);
                        span = span.max(gap.checked_add(&TimeDelta::seconds(1)).unwrap_or(gap));
                    }
                    _ => {
                        return Err(violation(
                            ViolationKind::PageMismatch,
                            format!(
                                "the records up to {} were counted as {} and the first page of them did not hold one at or before that instant",
                                format_timestamp(&low),
                                probe.count
                            ),
                        ));
                    }
                }
            } else {
                span = next_span(span, count, most);
            }
            high = low;
        }
    }

    /// How many records `[from, until]` holds, from a page of one record.
    async fn count(&self, from: Option<DateTime<Utc>>, until: DateTime<Utc>) -> Result<u64, Error> {
        let mut query = self.query.clone().end_date(until).page_size(1);
        if let Some(from) = from {
            query = query.start_date(from);
        }
        Ok(self.client.call_logs().list(&query).await?.count)
    }

    /// A run as one walk, for a server whose dates are applied on the client.
    async fn one_walk(
        &mut self,
        state: &mut State,
        run: &Run,
        walk: &mut Walked,
    ) -> Result<(), Error> {
        let high = run.done_down_to.unwrap_or(run.until);
        let mut query = self
            .query
            .clone()
            .end_date(high)
            .page_size(self.settings.page_size);
        if let Some(from) = run.from {
            query = query.start_date(from);
        }
        let span = Span {
            low: run.from.unwrap_or(DateTime::<Utc>::MIN_UTC),
            high,
            high_inclusive: true,
        };
        self.walk_span(state, run, walk, query, None, span, true)
            .await
    }

    /// Walks `query` (whose first page may be in hand already), checks that every record is in
    /// `span`, and writes the records in chunks of at least `max_records` cut between instants,
    /// the last one reaching down to `span.low`. `last`: the run ends with this span.
    #[allow(clippy::too_many_arguments)]
    async fn walk_span(
        &mut self,
        state: &mut State,
        run: &Run,
        walk: &mut Walked,
        query: CallLogQuery,
        first: Option<CallLogPage>,
        mut span: Span,
        last: bool,
    ) -> Result<(), Error> {
        let options = PagerOptions::new().prefetch(self.settings.prefetch);
        let (mut pager, first_records) = match first {
            Some(page) => from_first(self.client.clone(), query, page, options)?,
            None => (Pager::new(self.client.clone(), query, options), Vec::new()),
        };
        let mut buffer: Vec<CallLog> = Vec::new();
        let mut batch = Some(first_records);
        let sent_before = walk.summary.requests;
        loop {
            let records = match batch.take() {
                Some(records) => records,
                None => match pager.next_page().await {
                    Ok(Some(records)) => records,
                    Ok(None) => break,
                    Err(error) => {
                        walk.summary.requests = sent_before + pager.requests();
                        return Err(error);
                    }
                },
            };
            for record in records {
                if !span.contains(record.creation_time) {
                    return Err(outside(&record, &span));
                }
                let cut = buffer.last().map(|newer| newer.creation_time);
                if buffer.len() as u64 >= self.settings.max_records
                    && cut.is_some_and(|cut| record.creation_time < cut)
                {
                    let cut = cut.unwrap_or(span.low);
                    let chunk = Span { low: cut, ..span };
                    walk.summary.requests = sent_before + pager.requests();
                    let records = std::mem::take(&mut buffer);
                    self.write(state, run, walk, records, chunk, Some(cut))
                        .await?;
                    span.high = cut;
                    span.high_inclusive = false;
                }
                buffer.push(record);
            }
        }
        walk.summary.requests = sent_before + pager.requests();
        let done = if last { None } else { Some(span.low) };
        self.write(state, run, walk, buffer, span, done).await
    }

    /// Writes a batch of `span` with the state that follows: down to `done`, or, with `None`, the
    /// run complete.
    async fn write(
        &mut self,
        state: &mut State,
        run: &Run,
        walk: &mut Walked,
        records: Vec<CallLog>,
        span: Span,
        done: Option<DateTime<Utc>>,
    ) -> Result<(), Error> {
        let mut next = state.clone();
        match done {
            Some(down_to) => {
                next.run = Some(Run {
                    done_down_to: Some(down_to),
                    ..run.clone()
                });
            }
            None => {
                next.run = None;
                next.synced_until = Some(run.until);
            }
        }
        let table = self.settings.table.clone();
        let held = records.len() as u64;
        // A window that reaches the start of history has no low bound worth telling: how far
        // down it came is its oldest record (or, with none, its top).
        let low = span.low.max(run.from.unwrap_or(span.low));
        let down_to = if low == DateTime::<Utc>::MIN_UTC {
            records
                .iter()
                .map(|r| r.creation_time)
                .min()
                .unwrap_or(span.high)
        } else {
            low
        };
        let written = next.clone();
        let counts = self
            .on_destination(move |d| {
                d.commit(&Batch {
                    table: &table,
                    records: &records,
                    span,
                    state: &written,
                })
            })
            .await?;
        *state = next;
        let summary = &mut walk.summary;
        summary.windows += 1;
        summary.new += counts.new;
        summary.updated += counts.updated;
        summary.unchanged += counts.unchanged;
        summary.deleted += counts.deleted;
        walk.records += held;
        if let Some(tell) = &self.on_progress {
            tell(&Progress {
                windows: summary.windows,
                records: walk.records,
                total: walk.total,
                requests: summary.requests,
                down_to: format_timestamp(&down_to),
                counts,
            });
        }
        Ok(())
    }
}

/// What a run has done so far.
struct Walked {
    resumed: bool,
    summary: Summary,
    records: u64,
    total: Option<u64>,
}

fn violation(kind: ViolationKind, message: String) -> Error {
    Error::ServerContract(Box::new(ContractViolation::new(kind, message)))
}

fn outside(record: &CallLog, span: &Span) -> Error {
    let mut error = ContractViolation::new(
        ViolationKind::FilterNotApplied,
        format!(
            "a record created at {} came in the window {} to {} of a sync",
            format_timestamp(&record.creation_time),
            format_timestamp(&span.low),
            format_timestamp(&span.high)
        ),
    );
    error.parameter = Some(if record.creation_time < span.low {
        "start_date"
    } else {
        "end_date"
    });
    error.record = serde_json::to_string(record).ok();
    Error::ServerContract(Box::new(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_grow_towards_three_quarters_of_the_bound_and_shrink_at_least_by_half() {
        let day = TimeDelta::days(1);
        assert_eq!(next_span(day, 0, 1000), day * 8);
        assert_eq!(next_span(day, 750, 1000), day);
        assert_eq!(next_span(day, 1500, 1000), day / 2);
        assert_eq!(shrunk_span(day, 1001, 1000), day / 2);
        assert_eq!(shrunk_span(day, 4 * 750, 1000), day / 4);
        assert_eq!(
            shrunk_span(TimeDelta::seconds(1), 10_000, 1),
            TimeDelta::seconds(1)
        );
    }

    #[test]
    fn a_capped_first_page_counts_pages_at_the_size_served() {
        let page = |held: usize, count: u64| CallLogPage {
            count,
            status_code: 200,
            message: String::new(),
            data: vec![
                CallLog::new(
                    crate::CallType::Inbound,
                    crate::CallStatus::Missed,
                    Utc::now()
                );
                held
            ],
        };
        assert_eq!(window_load(&page(100, 1000), 1000), (1000, 10));
        assert_eq!(window_load(&page(1000, 5000), 1000), (5000, 5));
        assert_eq!(window_load(&page(7, 7), 1000), (7, 1));
        assert_eq!(window_load(&page(0, 0), 1000), (0, 0));
    }

    #[test]
    fn spans_hold_their_low_end_and_their_high_end_when_inclusive() {
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        let span = Span {
            low: at(10),
            high: at(20),
            high_inclusive: false,
        };
        assert!(span.contains(at(10)) && span.contains(at(19)) && !span.contains(at(20)));
        assert!(
            Span {
                high_inclusive: true,
                ..span
            }
            .contains(at(20))
        );
    }
}
