//! Named ways to break the contract, one invariant each, so that a contract suite can prove it
//! notices.

use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($($(#[$doc:meta])* $variant:ident = $name:literal: $description:literal,)+) => {
        /// A deliberate deviation from the contract. Each breaks exactly one invariant.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Fault {
            $($(#[$doc])* $variant,)+
        }

        impl Fault {
            /// Every fault, in a stable order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),+];

            /// The fault's name, as `--fault` takes it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)+
                }
            }

            /// What the fault breaks, in one line.
            pub fn description(self) -> &'static str {
                match self {
                    $(Fault::$variant => $description,)+
                }
            }
        }
    };
}

faults! {
    /// `call_type` is accepted and ignored.
    IgnoreCallType = "ignore-call-type": "the call_type filter is accepted but ignored",
    /// `call_status` is accepted and ignored.
    IgnoreCallStatus = "ignore-call-status": "the call_status filter is accepted but ignored",
    /// A date-only `end_date` ends at the start of its day instead of covering it.
    EndDateExcludesDay = "end-date-excludes-day": "a date-only end_date stops at 00:00 of that day instead of covering it",
    /// `start_date` is exclusive.
    StartDateExclusive = "start-date-exclusive": "start_date excludes records exactly on the bound",
    /// Each page after the first starts one record early.
    PageWindowOverlap = "page-window-overlap": "each page after the first starts one record early, so pages overlap",
    /// Each page after the first starts one record late, so a record between pages is never served.
    PageWindowGap = "page-window-gap": "each page after the first starts one record late, so one record between pages is never served",
    /// The last page starts with the last record of the page before it, and so never serves its own last record.
    LastPageRepeat = "last-page-repeat": "the last page starts with the last record of the page before it, so that record comes twice and the last one never",
    /// `count` on pages after the first is one less than on the first.
    CountDrifts = "count-drifts": "pages after the first count one record fewer than the first",
    /// `count` is one more than the number of matching records.
    CountOffByOne = "count-off-by-one": "count is one more than the number of matching records",
    /// Records with equal `creation_time` come in a different order on every request.
    UnstableTies = "unstable-ties": "records sharing a creation_time are ordered differently on each request",
    /// Records come oldest first.
    OldestFirst = "oldest-first": "records are ordered oldest first",
    /// A page past the last repeats the last page.
    PastLastPageRepeats = "past-last-page-repeats": "a page past the last returns the last page's records again",
    /// `page_size` above 100 is silently capped at 100.
    PageSizeCapped = "page-size-capped": "page_size above 100 is silently capped at 100",
    /// `call_duration` is sent as a string.
    DurationAsString = "duration-as-string": "call_duration is sent as a JSON string",
    /// `call_duration` of answered calls is one second more than `end_time - start_time`.
    DurationMismatch = "duration-mismatch": "call_duration of answered calls is end_time - start_time + 1",
    /// The body's `status_code` differs from the HTTP status.
    StatusCodeMismatch = "status-code-mismatch": "the body's status_code is 201 on successful pages",
    /// Any token, or none, is accepted.
    AuthBypass = "auth-bypass": "requests without a valid token are answered with data",
    /// A valid token may read every organization.
    ForeignOrgReadable = "foreign-org-readable": "a valid token can read organizations it has no access to",
    /// An unknown organization gives an empty page instead of 404.
    UnknownOrgEmpty = "unknown-org-empty": "an unknown Org-Handle gets 200 with count 0 instead of 404",
    /// An unknown `call_type`/`call_status` gives an empty page instead of 400.
    InvalidFilterIgnored = "invalid-filter-ignored": "an unknown call_type or call_status gets 200 with no records instead of 400",
    /// A non-integer page value causes a 500.
    InvalidPageCrashes = "invalid-page-crashes": "a non-integer page or page_size gets 500 instead of 400",
    /// Error bodies are `{"detail": ...}` without `status_code` and `message`.
    ErrorDetailOnly = "error-detail-only": "error bodies are {\"detail\": ...} (stock Django REST framework) without status_code and message",
    /// Pages are sent with `Content-Type: text/plain`.
    ContentTypeText = "content-type-text": "pages are sent as text/plain instead of application/json",
    /// A cache keyed by the URL alone answers a URL asked before with the page it got then.
    CacheIgnoresCredentials = "cache-ignores-credentials": "a cache keyed by the URL alone answers a URL asked before with its page, whatever the credentials",
    /// A date-time's UTC offset is dropped: its local time is read as UTC.
    OffsetIgnored = "offset-ignored": "a date-time's offset is dropped: 2026-02-01T05:30:00+05:30 reads as 05:30 UTC",
    /// An empty `call_type` or `call_status` is applied as a value, so nothing matches.
    EmptyValueApplied = "empty-value-applied": "an empty call_type or call_status is matched as a value: 200 with no records",
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?}; known faults: {known}", known = Fault::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|fault| fault.name() == name)
            .ok_or_else(|| UnknownFault(name.to_owned()))
    }
}
