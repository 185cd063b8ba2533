//! After the checks: hypotheses about how the server differs from the contract, each tested with a
//! few requests of its own, and named with its evidence and the failed checks it explains.
//!
//! Every way CONTRACT.md's real servers differ that can be seen over HTTP has a hypothesis: a filter
//! ignored (and dates read from `start_time`/`end_time` in `DD-MM-YYYY HH:MM:SS` instead), a silent
//! `page_size` cap, another default page size, the answer to a page past the last, an unknown
//! organization answered 200, organizations not isolated, an unknown enum value answered with an
//! empty page, enum values matched without regard to case, out-of-range page sizes accepted,
//! records sharing a `creation_time` in no stable order, a required header the contract does not
//! name, and (for information) extra fields, fractional durations and undocumented values.

use std::collections::BTreeSet;

use unpod_calllogs::{CallStatus, CallType};

use crate::probe::{Auth, Exchange, Request};

mod probes;

use probes::{
    answered_200, case_insensitive_enums, default_page_size, empty_value_applied, extra_fields,
    fractional_durations, ignored_filter, legacy_date_params, offsets_ignored, page_size_cap,
    page_size_out_of_range, past_last, required_header, undocumented_values, unknown_enum_answered,
    unordered_ties, url_keyed_cache,
};

use super::auth::{LEAKED, SAME_PAGE};
use super::passive::{FRACTION_OVER, breaks_schema};
use super::property::Stop;
use super::{CheckResult, Finding, Outcome, Run, TIES_ONLY};

/// A way the server differs from the contract, with what showed it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Deviation {
    /// Stable id, e.g. `ignores-start_date`.
    pub id: &'static str,
    /// What the deviation is, in one line.
    pub title: &'static str,
    /// What the server did that shows it.
    pub observed: String,
    /// The requests that show it, as `curl` lines.
    pub requests: Vec<String>,
    /// The failed checks of this run it explains.
    pub explains: Vec<&'static str>,
    /// Informational: allowed for readers by the contract, but worth knowing.
    pub informational: bool,
    /// Accepted (`--accept`, `--baseline`): its findings are reported, not failed.
    pub accepted: bool,
}

/// What became of an accepted deviation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Baseline {
    /// The deviation's id.
    pub id: &'static str,
    /// Whether it still occurs.
    pub status: BaselineStatus,
}

/// Whether an accepted deviation still occurs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
#[non_exhaustive]
pub enum BaselineStatus {
    /// It does: its findings are accepted.
    Seen,
    /// It was tested and no longer occurs (the server got fixed, or the baseline is stale).
    Gone,
    /// It could not be tested (the request budget), so it explains nothing.
    Untested(String),
}

/// An accepted deviation that holds, with what showed it.
pub(crate) struct Confirmed {
    hypothesis: &'static Hypothesis,
    evidence: Evidence,
}

impl Confirmed {
    pub(crate) fn id(&self) -> &'static str {
        self.hypothesis.id
    }

    /// Whether this deviation explains `finding` of `check`, shown by `requests`.
    pub(crate) fn explains(&self, check: &str, finding: &Finding, requests: &[&Request]) -> bool {
        self.hypothesis.explains.contains(&check)
            && self
                .hypothesis
                .covers
                .finding(finding, requests, &self.evidence)
    }
}

/// What a hypothesis found.
#[derive(Clone, Debug)]
pub(crate) struct Evidence {
    observed: String,
    requests: Vec<String>,
    /// The bound it measured, where it has one (the page size a cap serves).
    bound: Option<u64>,
}

impl Evidence {
    fn new(observed: impl Into<String>, exchanges: &[&Exchange]) -> Option<Self> {
        Some(Self {
            observed: observed.into(),
            requests: exchanges.iter().map(|e| e.curl.clone()).collect(),
            bound: None,
        })
    }

    fn with_bound(mut self, bound: u64) -> Self {
        self.bound = Some(bound);
        self
    }
}

/// Which findings of the checks it explains a deviation accounts for: those it makes happen.
/// Finding-level, so that accepting a deviation never accepts what else goes wrong in a check it
/// partly explains.
#[derive(Clone, Copy, Debug)]
enum Covers {
    /// Every finding of those checks.
    All,
    /// Findings shown by a request that sends this parameter.
    Sends(&'static str),
    /// Findings shown by a request asking for more records a page than the cap served.
    AboveCap,
    /// Findings shown by a request sending a call_type or call_status the contract does not name.
    UnknownEnum,
    /// Findings shown by a request whose page_size is outside 1..=1000.
    PageSizeOutOfRange,
    /// Findings shown by a request with a date-time bound at an offset other than `Z`.
    SendsOffset,
    /// Findings shown by a request with a parameter of empty value.
    SendsEmpty,
    /// Findings this says it accounts for.
    Finding(fn(&Finding) -> bool),
    /// None.
    Nothing,
}

impl Covers {
    /// Whether this accounts for `finding`, shown by `requests`.
    fn finding(self, finding: &Finding, requests: &[&Request], evidence: &Evidence) -> bool {
        match self {
            Self::All => true,
            Self::Nothing => false,
            Self::Finding(explained) => explained(finding),
            _ => requests.iter().any(|r| self.request(r, evidence)),
        }
    }

    /// Whether this accounts for what `request` gets (the kinds that look at requests).
    fn request(self, request: &Request, evidence: &Evidence) -> bool {
        // Every value sent under the name: a parameter may be repeated.
        let sent = |name: &'static str| {
            request
                .params
                .iter()
                .filter(move |(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let page_sizes = || sent("page_size").filter_map(|v| v.parse::<i64>().ok());
        match self {
            Self::All | Self::Finding(_) | Self::Nothing => false,
            Self::Sends(name) => sent(name).next().is_some(),
            Self::AboveCap => evidence
                .bound
                .is_some_and(|cap| page_sizes().any(|size| size > 0 && size as u64 > cap)),
            Self::UnknownEnum => {
                sent("call_type").any(|v| !CallType::from(v).is_documented())
                    || sent("call_status").any(|v| !CallStatus::from(v).is_documented())
            }
            Self::SendsOffset => sent("start_date").chain(sent("end_date")).any(|v| {
                v.contains('T')
                    && v.len()
                        .checked_sub(6)
                        .and_then(|at| v.get(at..))
                        .is_some_and(|offset| offset.starts_with(['+', '-']))
            }),
            Self::SendsEmpty => request.params.iter().any(|(_, v)| v.is_empty()),
            Self::PageSizeOutOfRange => page_sizes()
                .any(|size| !(1..=i64::from(unpod_calllogs::query::MAX_PAGE_SIZE)).contains(&size)),
        }
    }
}

type Test = fn(&Run<'_>) -> Result<Option<Evidence>, Stop>;

/// A hypothesis: what it names, which checks it would make fail, and how to test it.
struct Hypothesis {
    id: &'static str,
    title: &'static str,
    explains: &'static [&'static str],
    covers: Covers,
    informational: bool,
    test: Test,
}

const FILTER_CHECKS: &[&str] = &[
    "filters.match",
    "filters.complete",
    "filters.forms",
    "filters.partition",
];
const DATE_CHECKS: &[&str] = &[
    "filters.match",
    "filters.complete",
    "filters.forms",
    "filters.partition",
    "pagination.walk",
    "pagination.same-order",
    "pagination.past-last",
];
const SIZE_CHECKS: &[&str] = &[
    "filters.complete",
    "pagination.walk",
    "pagination.same-order",
    "pagination.past-last",
];

const HYPOTHESES: &[Hypothesis] = &[
    Hypothesis {
        id: "ignores-call_type",
        title: "the call_type filter is accepted and ignored",
        explains: FILTER_CHECKS,
        covers: Covers::Sends("call_type"),
        informational: false,
        test: |run| ignored_filter(run, "call_type"),
    },
    Hypothesis {
        id: "ignores-call_status",
        title: "the call_status filter is accepted and ignored",
        explains: FILTER_CHECKS,
        covers: Covers::Sends("call_status"),
        informational: false,
        test: |run| ignored_filter(run, "call_status"),
    },
    Hypothesis {
        id: "ignores-start_date",
        title: "the start_date filter is accepted and ignored",
        explains: DATE_CHECKS,
        covers: Covers::Sends("start_date"),
        informational: false,
        test: |run| ignored_filter(run, "start_date"),
    },
    Hypothesis {
        id: "ignores-end_date",
        title: "the end_date filter is accepted and ignored",
        explains: DATE_CHECKS,
        covers: Covers::Sends("end_date"),
        informational: false,
        test: |run| ignored_filter(run, "end_date"),
    },
    Hypothesis {
        id: "reads-start_time-end_time",
        title: "dates are read from start_time/end_time in DD-MM-YYYY HH:MM:SS form (the public Unpod v2 code)",
        explains: &[],
        covers: Covers::Nothing,
        informational: false,
        test: legacy_date_params,
    },
    Hypothesis {
        id: "caps-page-size",
        title: "page_size is capped silently: fewer records than asked, with the full count",
        explains: SIZE_CHECKS,
        covers: Covers::AboveCap,
        informational: false,
        test: page_size_cap,
    },
    Hypothesis {
        id: "default-page-size",
        title: "the default page size is not 20",
        explains: &[],
        covers: Covers::Nothing,
        informational: false,
        test: default_page_size,
    },
    Hypothesis {
        id: "past-last-page-400",
        title: "a page past the last is answered 400 (the contract: 200 with no records, or 404)",
        explains: &["pagination.past-last"],
        covers: Covers::All,
        informational: false,
        test: |run| past_last(run, |e| e.status == 400),
    },
    Hypothesis {
        id: "past-last-page-has-records",
        title: "a page past the last holds records",
        explains: &["pagination.past-last"],
        covers: Covers::All,
        informational: false,
        test: |run| past_last(run, |e| !e.records().is_empty()),
    },
    Hypothesis {
        id: "unknown-org-200",
        title: "an unknown Org-Handle is answered 200 (the contract: 403 or 404)",
        explains: &["auth.unknown-org"],
        covers: Covers::Finding(|f| !f.summary.contains(LEAKED) && !f.summary.contains(SAME_PAGE)),
        informational: false,
        test: |run| {
            let org = format!("calllogs-contract-no-such-org-{}", run.options.seed);
            answered_200(run, Auth::Org(org), "an unknown Org-Handle")
        },
    },
    Hypothesis {
        id: "orgs-not-isolated",
        title: "the token reads an organization it has no access to",
        explains: &["auth.foreign-org"],
        covers: Covers::Finding(|f| !f.summary.contains(SAME_PAGE)),
        informational: false,
        test: |run| match &run.probe.target().foreign_org_handle {
            Some(org) => answered_200(run, Auth::Org(org.clone()), "another organization"),
            None => Ok(None),
        },
    },
    Hypothesis {
        id: "unknown-enum-200",
        title: "an unknown call_type or call_status is answered 200 (the contract: 400)",
        explains: &["errors.invalid-input", "filters.forms"],
        covers: Covers::UnknownEnum,
        informational: false,
        test: unknown_enum_answered,
    },
    Hypothesis {
        id: "case-insensitive-enums",
        title: "call_type and call_status match without regard to case (INBOUND reads as inbound)",
        explains: &[],
        covers: Covers::Nothing,
        informational: false,
        test: case_insensitive_enums,
    },
    Hypothesis {
        id: "page-size-out-of-range-accepted",
        title: "page_size outside 1..=1000 is answered 200 (the contract: 400)",
        explains: &["errors.invalid-input"],
        covers: Covers::PageSizeOutOfRange,
        informational: false,
        test: page_size_out_of_range,
    },
    Hypothesis {
        id: "unordered-ties",
        title: "records sharing a creation_time come in no stable order (no tie-breaker)",
        explains: &[
            "filters.complete",
            "filters.forms",
            "pagination.repeatable",
            "pagination.walk",
            "pagination.same-order",
        ],
        covers: Covers::Finding(|f| f.summary.ends_with(TIES_ONLY)),
        informational: false,
        test: unordered_ties,
    },
    Hypothesis {
        id: "caches-by-url",
        title: "answers are cached by the URL alone: a URL the token asked is answered to anyone",
        explains: &[
            "auth.missing-token",
            "auth.bad-token",
            "auth.unknown-org",
            "auth.foreign-org",
        ],
        covers: Covers::Finding(|f| f.summary.contains(SAME_PAGE)),
        informational: false,
        test: url_keyed_cache,
    },
    Hypothesis {
        id: "ignores-offsets",
        title: "a date-time's UTC offset is dropped: its local time is read as UTC",
        explains: &["filters.forms"],
        covers: Covers::SendsOffset,
        informational: false,
        test: offsets_ignored,
    },
    Hypothesis {
        id: "empty-value-applied",
        title: "an empty call_type or call_status is matched as a value, not read as absent",
        explains: &["filters.forms"],
        covers: Covers::SendsEmpty,
        informational: false,
        test: empty_value_applied,
    },
    Hypothesis {
        id: "requires-header",
        title: "a header the contract does not name is required (400 without it)",
        explains: &[],
        covers: Covers::Nothing,
        informational: false,
        test: required_header,
    },
    Hypothesis {
        id: "extra-fields",
        title: "records carry fields the contract does not define (readers keep them)",
        explains: &["schema.page"],
        covers: Covers::Finding(|f| breaks_schema(f, "", "additionalProperties")),
        informational: true,
        test: extra_fields,
    },
    Hypothesis {
        id: "fractional-durations",
        title: "call_duration has fractions of a second (readers accept them)",
        explains: &["schema.page", "data.rules"],
        covers: Covers::Finding(|f| {
            f.summary.contains(FRACTION_OVER)
                || (breaks_schema(f, "/call_duration", "type")
                    && f.actual.split(' ').next().is_some_and(|v| v.contains('.')))
        }),
        informational: true,
        test: fractional_durations,
    },
    Hypothesis {
        id: "undocumented-values",
        title: "call_type or call_status hold values outside the documented ones (readers keep them)",
        explains: &["schema.page"],
        covers: Covers::Finding(|f| {
            breaks_schema(f, "/call_type", "enum") || breaks_schema(f, "/call_status", "enum")
        }),
        informational: true,
        test: undocumented_values,
    },
];

/// Every id the diagnosis can name.
pub fn deviation_ids() -> Vec<&'static str> {
    HYPOTHESES.iter().map(|h| h.id).collect()
}

/// Every deviation the diagnosis can name: its id, what it is, and whether it is informational.
pub fn catalogue() -> impl Iterator<Item = (&'static str, &'static str, bool)> {
    HYPOTHESES.iter().map(|h| (h.id, h.title, h.informational))
}

/// Unknown ids among `accepted`.
pub fn unknown_deviations(accepted: &[String]) -> Vec<String> {
    accepted
        .iter()
        .filter(|id| !HYPOTHESES.iter().any(|h| h.id == id.as_str()))
        .cloned()
        .collect()
}

/// Tests the accepted deviations, before the checks: those that hold explain findings.
pub(super) fn confirm(run: &Run<'_>, accepted: &[String]) -> (Vec<Confirmed>, Vec<Baseline>) {
    let mut confirmed = Vec::new();
    let mut baseline = Vec::new();
    for hypothesis in HYPOTHESES
        .iter()
        .filter(|h| accepted.iter().any(|a| a == h.id))
    {
        let status = match (hypothesis.test)(run) {
            Ok(Some(evidence)) => {
                confirmed.push(Confirmed {
                    hypothesis,
                    evidence,
                });
                BaselineStatus::Seen
            }
            Ok(None) | Err(Stop::Found(_)) => BaselineStatus::Gone,
            Err(Stop::Budget(reason)) => BaselineStatus::Untested(reason),
        };
        baseline.push(Baseline {
            id: hypothesis.id,
            status,
        });
    }
    (confirmed, baseline)
}

/// Tests every hypothesis (within what is left of the budget) and names those that hold; the
/// accepted ones were tested before the checks and are not tested again. The second value says
/// why some could not be tested, when the budget ran out.
pub(super) fn diagnose(run: &Run<'_>, results: &[CheckResult]) -> (Vec<Deviation>, Option<String>) {
    let failed: BTreeSet<&str> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed | Outcome::Accepted))
        .map(|r| r.id)
        .collect();
    let mut deviations = Vec::new();
    let mut incomplete = None;
    for hypothesis in HYPOTHESES {
        let accepted = run.options.accept.iter().any(|a| a == hypothesis.id);
        let tested = match run.accepted.iter().find(|c| c.id() == hypothesis.id) {
            Some(confirmed) => Ok(Some(confirmed.evidence.clone())),
            None if accepted => Ok(None),
            None => (hypothesis.test)(run),
        };
        match tested {
            Ok(Some(evidence)) => deviations.push(Deviation {
                id: hypothesis.id,
                title: hypothesis.title,
                observed: evidence.observed,
                requests: evidence.requests,
                explains: hypothesis
                    .explains
                    .iter()
                    .copied()
                    .filter(|id| failed.contains(id))
                    .collect(),
                informational: hypothesis.informational,
                accepted,
            }),
            Ok(None) | Err(Stop::Found(_)) => {}
            Err(Stop::Budget(reason)) => {
                incomplete = Some(format!("not every hypothesis was tested: {reason}"));
                break;
            }
        }
    }
    (deviations, incomplete)
}
