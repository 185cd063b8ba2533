//! One organization's records, indexed so that a page costs O(log n) whatever the size.
//!
//! Records are kept oldest first by (`creation_time`, arrival), so newer calls are appended. For
//! every combination of `call_type` and `call_status` filter (either may be absent) there is a list
//! of record positions in the same order; a date range is a binary search on such a list, and a page
//! is a window counted from its end.

use chrono::{DateTime, Utc};
use unpod_calllogs::{CallLog, CallStatus, CallType};

/// Slots of the `call_type` filter: absent, then each documented value.
const TYPES: usize = CallType::DOCUMENTED.len() + 1;
/// Slots of the `call_status` filter: absent, then each documented value.
const STATUSES: usize = CallStatus::DOCUMENTED.len() + 1;

/// The index slot of a filter value: 0 when absent, else 1 + its place among the documented
/// values; `None` for a value outside them, which no index holds (nothing matches it).
fn slot<T: PartialEq>(value: Option<&T>, documented: &[T]) -> Option<usize> {
    match value {
        None => Some(0),
        Some(value) => documented.iter().position(|d| d == value).map(|i| i + 1),
    }
}

fn type_slot(call_type: Option<&CallType>) -> Option<usize> {
    slot(call_type, CallType::DOCUMENTED)
}

fn status_slot(call_status: Option<&CallStatus>) -> Option<usize> {
    slot(call_status, CallStatus::DOCUMENTED)
}

/// What a request selects. Time bounds are inclusive.
#[derive(Clone, Debug, Default)]
pub struct Selection<'q> {
    /// Only this direction.
    pub call_type: Option<&'q CallType>,
    /// Only this outcome.
    pub call_status: Option<&'q CallStatus>,
    /// `creation_time >= from`.
    pub from: Option<DateTime<Utc>>,
    /// `creation_time <= through`.
    pub through: Option<DateTime<Utc>>,
}

/// The records of one organization.
#[derive(Debug, Default)]
pub struct Store {
    records: Vec<CallLog>,
    lists: Vec<Vec<u32>>,
}

impl Store {
    /// Indexes `records` (any order).
    pub fn new(mut records: Vec<CallLog>) -> Self {
        records.sort_by_key(|record| record.creation_time);
        let mut store = Self {
            records: Vec::with_capacity(records.len()),
            lists: vec![Vec::new(); TYPES * STATUSES],
        };
        for record in records {
            store.append(record);
        }
        store
    }

    /// How many records the organization has.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the organization has no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The newest `creation_time`.
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.records.last().map(|record| record.creation_time)
    }

    /// Adds a record. It sorts after every record already held: its `creation_time` must be at
    /// least [`Store::newest`] (it is raised to that if not).
    pub fn append(&mut self, mut record: CallLog) {
        if let Some(newest) = self.newest() {
            record.creation_time = record.creation_time.max(newest);
        }
        let position = u32::try_from(self.records.len()).expect("fewer than 2^32 records");
        let types = [Some(0), type_slot(Some(&record.call_type))];
        let statuses = [Some(0), status_slot(Some(&record.call_status))];
        let mut slots: Vec<usize> = Vec::with_capacity(4);
        for t in types.into_iter().flatten() {
            for s in statuses.into_iter().flatten() {
                let slot = t * STATUSES + s;
                if !slots.contains(&slot) {
                    slots.push(slot);
                }
            }
        }
        for slot in slots {
            self.lists[slot].push(position);
        }
        self.records.push(record);
    }

    /// Adds a record created at any instant, among the records of its instant after those held
    /// (it rebuilds the indexes: for late arrivals in tests, not for bulk loads).
    pub fn insert(&mut self, record: CallLog) {
        if self
            .newest()
            .is_none_or(|newest| record.creation_time >= newest)
        {
            return self.append(record);
        }
        let mut records = std::mem::take(&mut self.records);
        let at = records.partition_point(|held| held.creation_time <= record.creation_time);
        records.insert(at, record);
        *self = Self::new(records);
    }

    /// The records a selection matches, oldest first.
    pub fn select(&self, selection: &Selection<'_>) -> Matches<'_> {
        let list = type_slot(selection.call_type)
            .zip(status_slot(selection.call_status))
            .map_or(&[][..], |(t, s)| &self.lists[t * STATUSES + s][..]);
        let time = |position: &u32| self.records[*position as usize].creation_time;
        let start = selection
            .from
            .map_or(0, |from| list.partition_point(|p| time(p) < from));
        let end = selection.through.map_or(list.len(), |through| {
            list.partition_point(|p| time(p) <= through)
        });
        Matches {
            records: &self.records,
            positions: &list[start..end.max(start)],
        }
    }
}

/// The records matching a selection.
#[derive(Clone, Copy, Debug)]
pub struct Matches<'a> {
    records: &'a [CallLog],
    positions: &'a [u32],
}

impl<'a> Matches<'a> {
    /// How many records match.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether nothing matches.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The records at places `skip..skip + take` of the newest-first order.
    pub fn newest_first(&self, skip: usize, take: usize) -> impl Iterator<Item = &'a CallLog> {
        let records = self.records;
        self.positions
            .iter()
            .rev()
            .skip(skip)
            .take(take)
            .map(move |&p| &records[p as usize])
    }

    /// The records at places `skip..skip + take` of the oldest-first order.
    pub fn oldest_first(&self, skip: usize, take: usize) -> impl Iterator<Item = &'a CallLog> {
        let records = self.records;
        self.positions
            .iter()
            .skip(skip)
            .take(take)
            .map(move |&p| &records[p as usize])
    }
}
