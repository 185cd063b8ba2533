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

use crate::probe::{Auth, Exchange};

mod probes;

use probes::{
    answered_200, case_insensitive_enums, default_page_size, extra_fields, fractional_durations,
    ignored_filter, legacy_date_params, page_size_cap, page_size_out_of_range, past_last,
    required_header, undocumented_values, unknown_enum_answered, unordered_ties,
};

use super::property::Stop;
use super::{CheckResult, Outcome, Run};

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
}

/// What a hypothesis found.
struct Evidence {
    observed: String,
    requests: Vec<String>,
}

impl Evidence {
    fn new(observed: impl Into<String>, exchanges: &[&Exchange]) -> Option<Self> {
        Some(Self {
            observed: observed.into(),
            requests: exchanges.iter().map(|e| e.curl.clone()).collect(),
        })
    }
}

type Test = fn(&Run<'_>) -> Result<Option<Evidence>, Stop>;

/// A hypothesis: what it names, which checks it would make fail, and how to test it.
struct Hypothesis {
    id: &'static str,
    title: &'static str,
    explains: &'static [&'static str],
    informational: bool,
    test: Test,
}

const FILTER_CHECKS: &[&str] = &["filters.match", "filters.complete", "filters.partition"];
const DATE_CHECKS: &[&str] = &[
    "filters.match",
    "filters.complete",
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
        informational: false,
        test: |run| ignored_filter(run, "call_type"),
    },
    Hypothesis {
        id: "ignores-call_status",
        title: "the call_status filter is accepted and ignored",
        explains: FILTER_CHECKS,
        informational: false,
        test: |run| ignored_filter(run, "call_status"),
    },
    Hypothesis {
        id: "ignores-start_date",
        title: "the start_date filter is accepted and ignored",
        explains: DATE_CHECKS,
        informational: false,
        test: |run| ignored_filter(run, "start_date"),
    },
    Hypothesis {
        id: "ignores-end_date",
        title: "the end_date filter is accepted and ignored",
        explains: DATE_CHECKS,
        informational: false,
        test: |run| ignored_filter(run, "end_date"),
    },
    Hypothesis {
        id: "reads-start_time-end_time",
        title: "dates are read from start_time/end_time in DD-MM-YYYY HH:MM:SS form (the public Unpod v2 code)",
        explains: &[],
        informational: false,
        test: legacy_date_params,
    },
    Hypothesis {
        id: "caps-page-size",
        title: "page_size is capped silently: fewer records than asked, with the full count",
        explains: SIZE_CHECKS,
        informational: false,
        test: page_size_cap,
    },
    Hypothesis {
        id: "default-page-size",
        title: "the default page size is not 20",
        explains: &[],
        informational: false,
        test: default_page_size,
    },
    Hypothesis {
        id: "past-last-page-400",
        title: "a page past the last is answered 400 (the contract: 200 with no records, or 404)",
        explains: &["pagination.past-last"],
        informational: false,
        test: |run| past_last(run, |e| e.status == 400),
    },
    Hypothesis {
        id: "past-last-page-has-records",
        title: "a page past the last holds records",
        explains: &["pagination.past-last"],
        informational: false,
        test: |run| past_last(run, |e| !e.records().is_empty()),
    },
    Hypothesis {
        id: "unknown-org-200",
        title: "an unknown Org-Handle is answered 200 (the contract: 403 or 404)",
        explains: &["auth.unknown-org"],
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
        informational: false,
        test: |run| match &run.probe.target().foreign_org_handle {
            Some(org) => answered_200(run, Auth::Org(org.clone()), "another organization"),
            None => Ok(None),
        },
    },
    Hypothesis {
        id: "unknown-enum-200",
        title: "an unknown call_type or call_status is answered 200 (the contract: 400)",
        explains: &["errors.invalid-input"],
        informational: false,
        test: unknown_enum_answered,
    },
    Hypothesis {
        id: "case-insensitive-enums",
        title: "call_type and call_status match without regard to case (INBOUND reads as inbound)",
        explains: &[],
        informational: false,
        test: case_insensitive_enums,
    },
    Hypothesis {
        id: "page-size-out-of-range-accepted",
        title: "page_size outside 1..=1000 is answered 200 (the contract: 400)",
        explains: &["errors.invalid-input"],
        informational: false,
        test: page_size_out_of_range,
    },
    Hypothesis {
        id: "unordered-ties",
        title: "records sharing a creation_time come in no stable order (no tie-breaker)",
        explains: &[
            "pagination.repeatable",
            "pagination.walk",
            "pagination.same-order",
        ],
        informational: false,
        test: unordered_ties,
    },
    Hypothesis {
        id: "requires-header",
        title: "a header the contract does not name is required (400 without it)",
        explains: &[],
        informational: false,
        test: required_header,
    },
    Hypothesis {
        id: "extra-fields",
        title: "records carry fields the contract does not define (readers keep them)",
        explains: &["schema.page"],
        informational: true,
        test: extra_fields,
    },
    Hypothesis {
        id: "fractional-durations",
        title: "call_duration has fractions of a second (readers accept them)",
        explains: &["schema.page", "data.rules"],
        informational: true,
        test: fractional_durations,
    },
    Hypothesis {
        id: "undocumented-values",
        title: "call_type or call_status hold values outside the documented ones (readers keep them)",
        explains: &["schema.page", "data.rules"],
        informational: true,
        test: undocumented_values,
    },
];

/// Every id the diagnosis can name.
pub fn deviation_ids() -> Vec<&'static str> {
    HYPOTHESES.iter().map(|h| h.id).collect()
}

/// Tests every hypothesis (within what is left of the budget) and names those that hold. The
/// second value says why some could not be tested, when the budget ran out.
pub(super) fn diagnose(run: &Run<'_>, results: &[CheckResult]) -> (Vec<Deviation>, Option<String>) {
    let failed: BTreeSet<&str> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| r.id)
        .collect();
    let mut deviations = Vec::new();
    let mut incomplete = None;
    for hypothesis in HYPOTHESES {
        match (hypothesis.test)(run) {
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
