//! Numbers as the bindings receive them (a JavaScript `number`, a Python `int` or `float`) turned
//! into the core's settings, or a configuration error that names the setting and its rule.

use std::time::Duration;

use crate::defaults::{MAX_CONCURRENCY, MAX_RETRIES};
use crate::error::Error;

/// A timeout given in seconds (as bindings receive it): a positive, finite number.
pub fn timeout_from_secs(seconds: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|timeout| !timeout.is_zero())
        .ok_or_else(|| {
            Error::config(format!(
                "the timeout must be a positive, finite duration (got {seconds} s)"
            ))
        })
}

/// A whole number in `min..=max`, given as a number (as bindings receive it): a configuration
/// error naming `setting` otherwise.
pub(crate) fn whole_number(setting: &str, value: f64, min: u64, max: u64) -> Result<u64, Error> {
    let whole = value.is_finite() && value.fract() == 0.0;
    if whole && value >= min as f64 && value <= max as f64 {
        Ok(value as u64)
    } else {
        Err(Error::config(format!(
            "{setting} must be a whole number from {min} to {max} (got {value})"
        )))
    }
}

/// `max_retries` as bindings receive it: a whole number from 0 to [`MAX_RETRIES`].
pub fn max_retries_from(value: f64) -> Result<u32, Error> {
    whole_number("max_retries", value, 0, u64::from(MAX_RETRIES)).map(|n| n as u32)
}

/// `concurrency` as bindings receive it: a whole number from 1 to [`MAX_CONCURRENCY`].
pub fn concurrency_from(value: f64) -> Result<usize, Error> {
    whole_number("concurrency", value, 1, MAX_CONCURRENCY as u64).map(|n| n as usize)
}

/// A walk's `prefetch` as bindings receive it: a whole number of pages from 0 to
/// [`MAX_CONCURRENCY`].
pub fn prefetch_from(value: f64) -> Result<usize, Error> {
    whole_number("prefetch", value, 0, MAX_CONCURRENCY as u64).map(|n| n as usize)
}

/// A walk's `limit` as bindings receive it: a whole number of records, 0 or more.
pub fn limit_from(value: f64) -> Result<u64, Error> {
    whole_number("limit", value, 0, 1 << 53)
}
