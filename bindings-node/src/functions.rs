//! The addon's free functions: the core's constants, the command lines, and records from JSON.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::{errors, records};

/// The constants the core owns (`binding::constants`) and the reference server's option names,
/// as a JSON object of `NAME` to value: durations in seconds.
#[napi]
pub fn constants() -> String {
    let mut table: serde_json::Map<String, serde_json::Value> =
        unpod_calllogs::binding::constants::constants()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
    table.insert(
        "REFERENCE_OPTIONS".to_owned(),
        calllogs_reference::ServerConfig::option_names().into(),
    );
    serde_json::Value::Object(table).to_string()
}

/// Runs the `calllogs-contract` command line (argv with the program's name first) on the calling
/// thread and returns its exit status; the package's `bin` calls it, so that the command needs no
/// Rust toolchain and runs the same code as the Rust binary.
#[napi]
pub fn run_cli(argv: Vec<String>) -> u8 {
    calllogs_contract::cli::main(argv)
}

/// Runs the `unpod-calllogs` command line (sync, export, list) as [`run_cli`] runs the suite's.
#[napi]
pub fn run_user_cli(argv: Vec<String>) -> u8 {
    unpod_calllogs::cli::main(argv)
}

/// The records of a page body as the endpoint sends it, as UTF-8 JSON for JavaScript.
#[napi(catch_unwind)]
pub fn records_from_json(body: Buffer) -> Result<Buffer> {
    let records = unpod_calllogs::binding::page::records_from_json(&body).map_err(errors::to_js)?;
    records::records_json(&records)
}
