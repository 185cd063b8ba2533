//! The checks: one entry each, naming the function that runs it, so that no check can exist
//! without its code and no code runs without its entry.

use super::{Checked, Finding, Log, Run, auth, errors, filters, pagination, passive};

/// How a check works, with its function.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// It sends requests of its own, within its share of the budget.
    Active(fn(&Run<'_>) -> Checked),
    /// It judges every exchange of the run; it sends nothing.
    Passive(fn(&Log) -> Vec<Finding>),
}

/// A check: a stable id, its group, what it asserts, and the function that runs it.
#[derive(Clone, Copy)]
pub struct CheckInfo {
    /// Stable id, e.g. `filters.match`.
    pub id: &'static str,
    /// Group: schema, filters, pagination, data, auth, errors.
    pub group: &'static str,
    /// One line.
    pub description: &'static str,
    pub(super) kind: Kind,
}

impl CheckInfo {
    /// Whether the check sends requests of its own (otherwise it judges every exchange of the run).
    pub fn is_active(&self) -> bool {
        matches!(self.kind, Kind::Active(_))
    }
}

impl std::fmt::Debug for CheckInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckInfo")
            .field("id", &self.id)
            .field("group", &self.group)
            .finish()
    }
}

macro_rules! checks {
    ($($id:literal, $group:literal, $kind:expr, $description:literal;)+) => {
        /// Every check, in the order they run.
        pub const CHECKS: &[CheckInfo] = &[
            $(CheckInfo { id: $id, group: $group, description: $description, kind: $kind }),+
        ];
    };
}

checks! {
    "filters.match", "filters", Kind::Active(filters::matching),
        "every record returned matches every filter sent (type, status, inclusive date bounds, date-only end_date covering its UTC day)";
    "filters.complete", "filters", Kind::Active(filters::complete),
        "a filtered query returns exactly the known matching records, in order, and count equals their number";
    "filters.forms", "filters", Kind::Active(filters::forms),
        "the same query spelled in each form the contract allows gets the same answer: date-times at other offsets (+ encoded), with and without fractions; an empty or a repeated parameter read as absent or as its last value, or refused (400)";
    "filters.partition", "filters", Kind::Active(filters::partition),
        "counts of the call types and of the statuses add up to the total; adjacent date windows add up; a filter never raises count";
    "pagination.walk", "pagination", Kind::Active(pagination::walk),
        "walking every page: sizes exact, count stable, pages disjoint, union equal to count, newest first";
    "pagination.same-order", "pagination", Kind::Active(pagination::same_order),
        "the concatenated pages are the same sequence for every page size";
    "pagination.past-last", "pagination", Kind::Active(pagination::past_last),
        "a page past the last is empty (200, same count) or 404, never records";
    "pagination.repeatable", "pagination", Kind::Active(pagination::repeatable),
        "the same request twice gives the same page, ties included";
    "auth.missing-token", "auth", Kind::Active(auth::missing_token),
        "no token gives 401 with WWW-Authenticate: Token";
    "auth.bad-token", "auth", Kind::Active(auth::bad_token),
        "an invalid token gives 401 and no data";
    "auth.unknown-org", "auth", Kind::Active(auth::unknown_org),
        "an unknown Org-Handle gives 403 or 404 and never data";
    "auth.foreign-org", "auth", Kind::Active(auth::foreign_org),
        "an organization the token may not read gives 403 (needs --foreign-org-handle)";
    "errors.invalid-input", "errors", Kind::Active(errors::invalid_input),
        "every invalid input of the contract gives 400 with a JSON error body";
    "errors.no-5xx", "errors", Kind::Passive(passive::no_5xx),
        "no request of the suite gets a 5xx";
    "data.rules", "data", Kind::Passive(passive::data_rules),
        "records keep the cross-field rules: nulls of unanswered calls, end >= start >= creation, duration = end - start, E.164 numbers";
    "schema.page", "schema", Kind::Passive(passive::page_schema),
        "every 200 body matches the strict page schema";
    "schema.error", "schema", Kind::Passive(passive::error_schema),
        "every error body is JSON matching the error schema";
    "schema.content-type", "schema", Kind::Passive(passive::content_type),
        "every answer is application/json";
    "schema.status-code", "schema", Kind::Passive(passive::status_code),
        "the body's status_code equals the HTTP status";
}
