//! The native addon of the `unpod-calllogs` npm package: thin adapters from JavaScript values to the
//! core client. Every rule lives in the core (its `binding` module is the surface used here); this
//! crate converts arguments, results and errors. This file only names the modules (napi-rs
//! registers each exported item where it is defined).

mod cancel;
mod client;
mod errors;
mod functions;
mod records;
mod server;

pub use functions::{constants, records_from_json, run_cli, run_user_cli};
