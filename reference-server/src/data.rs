//! Records for the server: generated from a seed, or loaded from a file.

use std::path::Path;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use unpod_calllogs::{CallLog, CallStatus, CallType};

/// The instant the generated history ends at (exclusive): 2026-03-01T00:00:00Z.
pub fn history_end() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 3, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or_default()
}

/// How far back generated history reaches.
pub const HISTORY_DAYS: u64 = 42;

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same data everywhere.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound > 0`).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn e164(rng: &mut SplitMix64) -> String {
    let (country, digits) = match rng.below(3) {
        0 => ("+1", 10),
        1 => ("+44", 10),
        _ => ("+91", 10),
    };
    let mut number = String::with_capacity(country.len() + digits);
    number.push_str(country);
    number.push(char::from(b'1' + rng.below(9) as u8));
    for _ in 1..digits {
        number.push(char::from(b'0' + rng.below(10) as u8));
    }
    number
}

/// `count` realistic records from `seed`, in no particular order.
///
/// Creation times spread over the [`HISTORY_DAYS`] days before [`history_end`]; about one record in
/// forty sits exactly on a UTC midnight and as many one second before one; runs of records share
/// one `creation_time`; some times carry milliseconds. Statuses follow the contract's nulls and
/// durations: unanswered calls have no start or end and a duration of 0.
pub fn generate(count: usize, seed: u64) -> Vec<CallLog> {
    generate_ending(count, seed, history_end())
}

/// [`generate`], with the history ending at `end` instead of [`history_end`].
pub fn generate_ending(count: usize, seed: u64, end: DateTime<Utc>) -> Vec<CallLog> {
    let mut rng = SplitMix64::new(seed);
    let org_numbers = org_numbers(&mut rng);
    let span = HISTORY_DAYS * 86_400;
    let mut records: Vec<CallLog> = Vec::with_capacity(count);
    for index in 0..count {
        let creation_time = match index % 40 {
            0 => midnight_before(end, rng.below(HISTORY_DAYS) + 1),
            1 => midnight_before(end, rng.below(HISTORY_DAYS) + 1) - TimeDelta::seconds(1),
            2..=4 if index > 4 => records[index - 1].creation_time,
            5 => {
                end - TimeDelta::seconds(rng.below(span) as i64 + 1)
                    + TimeDelta::milliseconds(rng.below(1000) as i64)
            }
            _ => end - TimeDelta::seconds(rng.below(span) as i64 + 1),
        };
        records.push(call_at(&mut rng, &org_numbers, creation_time));
    }
    records
}

/// Reads when generated history ends: `now`, or an ISO 8601 date (its midnight, UTC) or
/// date-time.
pub fn parse_history_end(text: &str) -> Result<DateTime<Utc>, String> {
    if text.eq_ignore_ascii_case("now") {
        return Ok(Utc::now());
    }
    unpod_calllogs::DateBound::parse(text)
        .map(|bound| bound.first_instant())
        .ok_or_else(|| format!("{text:?} is neither `now` nor an ISO 8601 date or date-time"))
}

/// The three numbers an organization calls from and is called on.
pub fn org_numbers(rng: &mut SplitMix64) -> Vec<String> {
    (0..3).map(|_| e164(rng)).collect()
}

fn midnight_before(end: DateTime<Utc>, days: u64) -> DateTime<Utc> {
    end.checked_sub_days(Days::new(days)).unwrap_or(end)
}

/// One realistic call created at `creation_time`.
pub fn call_at(
    rng: &mut SplitMix64,
    org_numbers: &[String],
    creation_time: DateTime<Utc>,
) -> CallLog {
    let call_type = if rng.below(2) == 0 {
        CallType::Outbound
    } else {
        CallType::Inbound
    };
    let ours = org_numbers[rng.below(org_numbers.len() as u64) as usize].clone();
    let theirs = e164(rng);
    let (source, destination) = match call_type {
        CallType::Inbound => (theirs, ours),
        _ => (ours, theirs),
    };
    let roll = rng.below(100);
    let (call_status, end_reason) = match roll {
        0..=59 => (
            CallStatus::Completed,
            ["caller_hangup", "callee_hangup", "agent_hangup"][rng.below(3) as usize],
        ),
        60..=74 => (CallStatus::Missed, "caller_cancelled"),
        75..=84 => (
            CallStatus::Failed,
            ["network_error", "invalid_number"][rng.below(2) as usize],
        ),
        _ => (CallStatus::NoAnswer, "no_answer"),
    };
    let (start_time, end_time, call_duration) = if call_status == CallStatus::Completed {
        let start = creation_time + TimeDelta::seconds(rng.below(45) as i64 + 1);
        let duration = rng.below(900) + 5;
        let end = start + TimeDelta::seconds(duration as i64);
        (Some(start), Some(end), duration as f64)
    } else {
        (None, None, 0.0)
    };
    let mut call = CallLog::new(call_type, call_status, creation_time);
    call.source_number = Some(source);
    call.destination_number = Some(destination);
    call.start_time = start_time;
    call.end_time = end_time;
    call.call_duration = call_duration;
    call.end_reason = Some(end_reason.to_owned());
    call
}

/// Why records could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A record is not a call log.
    #[error("{path}: record {index} is not a call log: {source}")]
    Record {
        /// The file.
        path: String,
        /// The record's position (0-based; the line for NDJSON).
        index: usize,
        /// The cause.
        source: serde_json::Error,
    },
}

/// Reads call logs from a file: a JSON array, a page (`{"data": [...]}`), or NDJSON (one record a
/// line, blank lines ignored).
pub fn load(path: &Path) -> Result<Vec<CallLog>, LoadError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: name.clone(),
        source,
    })?;
    let record_error = |index, source| LoadError::Record {
        path: name.clone(),
        index,
        source,
    };
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(&text).map_err(|source| record_error(0, source));
    }
    #[derive(serde::Deserialize)]
    struct Page {
        data: Vec<CallLog>,
    }
    if let Ok(page) = serde_json::from_str::<Page>(&text) {
        return Ok(page.data);
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| serde_json::from_str(line).map_err(|e| record_error(index, e)))
        .collect()
}
