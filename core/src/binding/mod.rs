//! The surface both language bindings are built on: what they receive turned into the core's
//! settings ([`coerce`]), the core's errors as one map of details ([`errors`]), the page a binding
//! hands out with its next query and walk ([`page`]), a client's settings ([`settings`]), and the
//! table of constants they export
//! ([`constants`]). A field, a knob, a default or an error detail is added here once; the Python
//! and Node bindings only convert values to and from their languages. Not part of the API.

pub mod coerce;
pub mod constants;
pub mod errors;
pub mod page;
pub mod settings;
