//! The contract suite of the Unpod call-logs API: JSON Schemas and OpenAPI ([`schema`]), budgeted
//! requests to any endpoint ([`probe`]), the checks ([`suite`]) and their reports ([`report`]).
#![deny(missing_docs)]

pub mod probe;
pub mod report;
pub mod schema;
pub mod suite;
