//! When to try a request again, and after how long. Pure: no clock, no randomness, no network.

use std::time::{Duration, SystemTime};

/// Why an attempt failed, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure<'a> {
    /// The server answered with this status and this `Retry-After` header, if any.
    Status {
        /// The HTTP status.
        status: u16,
        /// The raw `Retry-After` header.
        retry_after: Option<&'a str>,
    },
    /// The connection could not be made or broke off.
    Connection,
    /// No answer within the timeout.
    Timeout,
}

/// The retry rules: which failures are retried, how many times, and the waits between.
///
/// ```
/// use std::time::Duration;
/// let policy = unpod_calllogs::retry::RetryPolicy::default()
///     .max_retries(5)
///     .initial_delay(Duration::from_millis(100));
/// assert_eq!(policy.max_delay, Duration::from_secs(8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// The wait before the first retry; it doubles with each retry.
    pub initial_delay: Duration,
    /// The longest backoff wait.
    pub max_delay: Duration,
    /// The longest `Retry-After` the client honours; a server asking for more gets its error back
    /// rather than a retry that comes too early or a wait the caller did not expect.
    pub max_retry_after: Duration,
}

pub use crate::defaults::DEFAULT_MAX_RETRIES;
use crate::defaults::{DEFAULT_INITIAL_DELAY, DEFAULT_MAX_DELAY, DEFAULT_MAX_RETRY_AFTER};

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            initial_delay: DEFAULT_INITIAL_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

/// Whether a status is worth another attempt: 408, 409, 429 and every 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// Reads `Retry-After` as seconds or as an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        // A wait too long for a `Duration` is the longest one: longer than any the client honours.
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

impl RetryPolicy {
    /// Retries after the first attempt.
    #[must_use]
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The wait before the first retry; it doubles with each retry.
    #[must_use]
    pub fn initial_delay(mut self, initial_delay: Duration) -> Self {
        self.initial_delay = initial_delay;
        self
    }

    /// The longest backoff wait.
    #[must_use]
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// The longest `Retry-After` the client honours.
    #[must_use]
    pub fn max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// The wait before retry number `attempt + 1` after `failure`, or `None` to give up.
    ///
    /// `attempt` counts the retries already made (0 after the first failure). `jitter` in `[0, 1)`
    /// shortens the backoff by up to a quarter so that clients failing together do not retry
    /// together. A usable `Retry-After` replaces the backoff.
    pub fn retry_after(
        &self,
        attempt: u32,
        failure: Failure<'_>,
        now: SystemTime,
        jitter: f64,
    ) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        if let Failure::Status {
            status,
            retry_after,
        } = failure
        {
            if !is_retryable_status(status) {
                return None;
            }
            if let Some(asked) = retry_after.and_then(|value| parse_retry_after(value, now)) {
                return (asked <= self.max_retry_after).then_some(asked);
            }
        }
        let doubled = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(31)));
        let backoff = doubled.min(self.max_delay);
        Some(backoff.mul_f64(1.0 - 0.25 * jitter.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: SystemTime = SystemTime::UNIX_EPOCH;

    fn status(status: u16) -> Failure<'static> {
        Failure::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn retries_transient_failures_with_doubling_capped_backoff() {
        let policy = RetryPolicy {
            max_retries: 10,
            ..RetryPolicy::default()
        };
        for failure in [
            Failure::Connection,
            Failure::Timeout,
            status(408),
            status(409),
            status(429),
            status(500),
            status(502),
            status(503),
            status(504),
        ] {
            let waits: Vec<_> = (0..6)
                .map(|attempt| policy.retry_after(attempt, failure, NOW, 0.0).unwrap())
                .collect();
            let expected: Vec<_> = [500, 1000, 2000, 4000, 8000, 8000]
                .map(Duration::from_millis)
                .to_vec();
            assert_eq!(waits, expected, "{failure:?}");
        }
    }

    #[test]
    fn never_retries_client_errors() {
        let policy = RetryPolicy::default();
        for code in [400, 401, 403, 404, 405, 422] {
            assert_eq!(
                policy.retry_after(0, status(code), NOW, 0.0),
                None,
                "{code}"
            );
        }
    }

    #[test]
    fn gives_up_after_max_retries() {
        let policy = RetryPolicy::default();
        assert!(policy.retry_after(1, Failure::Timeout, NOW, 0.0).is_some());
        assert_eq!(policy.retry_after(2, Failure::Timeout, NOW, 0.0), None);
        let none = RetryPolicy {
            max_retries: 0,
            ..policy
        };
        assert_eq!(none.retry_after(0, status(503), NOW, 0.0), None);
    }

    #[test]
    fn jitter_shortens_by_at_most_a_quarter() {
        let policy = RetryPolicy::default();
        let wait = |jitter| policy.retry_after(1, status(503), NOW, jitter).unwrap();
        assert_eq!(wait(0.0), Duration::from_secs(1));
        assert_eq!(wait(0.5), Duration::from_millis(875));
        assert_eq!(wait(0.999_999), Duration::from_secs_f64(0.750_000_25));
        assert_eq!(wait(7.0), Duration::from_millis(750));
    }

    #[test]
    fn honours_retry_after_seconds_and_dates_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let with = |value| Failure::Status {
            status: 429,
            retry_after: Some(value),
        };
        assert_eq!(
            policy.retry_after(0, with("3"), NOW, 0.9),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            policy.retry_after(0, with("0.25"), NOW, 0.0),
            Some(Duration::from_millis(250))
        );
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:30 GMT").unwrap();
        assert_eq!(
            policy.retry_after(0, with("Sun, 06 Nov 1994 08:49:37 GMT"), now, 0.0),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            policy.retry_after(0, with("Sun, 06 Nov 1994 08:49:00 GMT"), now, 0.0),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(policy.retry_after(0, with("61"), NOW, 0.0), None);
        for huge in ["1.9e19", "1e300", "18446744073709551616"] {
            assert_eq!(
                parse_retry_after(huge, NOW),
                Some(Duration::MAX),
                "{huge}: too long to wait, never a panic"
            );
            assert_eq!(policy.retry_after(0, with(huge), NOW, 0.0), None);
        }
        assert_eq!(
            policy.retry_after(0, with("soon"), NOW, 0.0),
            Some(Duration::from_millis(500)),
            "an unreadable header falls back to backoff"
        );
        assert_eq!(
            policy.retry_after(0, with("-1"), NOW, 0.0),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn retry_after_does_not_make_client_errors_retryable() {
        let failure = Failure::Status {
            status: 400,
            retry_after: Some("1"),
        };
        assert_eq!(
            RetryPolicy::default().retry_after(0, failure, NOW, 0.0),
            None
        );
    }
}
