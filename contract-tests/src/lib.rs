//! The contract suite of the Unpod call-logs API: JSON Schemas and OpenAPI ([`schema`]), budgeted
//! requests to any endpoint ([`probe`]), the checks ([`suite`]), their reports ([`report`]) and the
//! command line ([`cli`]).
#![deny(missing_docs)]

pub mod cli;
pub mod openapi;
pub mod probe;
pub mod report;
pub mod schema;
pub mod suite;
