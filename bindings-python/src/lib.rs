//! The native module `unpod_calllogs._native`: thin adapters from Python values to the core client.
//! Every rule lives in the core (its `binding` module is the surface used here); this crate
//! converts arguments, results and errors. This file only registers.

mod arrow;
mod cli;
mod client;
mod convert;
mod errors;
mod record;
mod runtime;
mod server;

use pyo3::prelude::*;

/// The module's own allocations (the workspace's Cargo.toml says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::install_logger(m.py())?;
    m.py()
        .import("atexit")?
        .call_method1("register", (wrap_pyfunction!(runtime::_shutdown, m)?,))?;
    let after_fork = pyo3::types::PyDict::new(m.py());
    after_fork.set_item(
        "after_in_child",
        wrap_pyfunction!(runtime::_after_fork_in_child, m)?,
    )?;
    m.py()
        .import("os")?
        .call_method("register_at_fork", (), Some(&after_fork))?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let json = m.py().import("json")?;
    for (name, value) in unpod_calllogs::binding::constants::constants() {
        m.add(name, json.call_method1("loads", (value.to_string(),))?)?;
    }
    m.add(
        "REFERENCE_OPTIONS",
        calllogs_reference::ServerConfig::option_names(),
    )?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::NativePage>()?;
    m.add_class::<client::NativePager>()?;
    m.add_class::<client::NativeBatches>()?;
    m.add_class::<client::NativeExporter>()?;
    m.add_class::<runtime::NativeTask>()?;
    m.add_class::<server::NativeReferenceServer>()?;
    m.add_class::<record::PyCallLog>()?;
    m.add_class::<arrow::NativeTable>()?;
    m.add_function(wrap_pyfunction!(client::records_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(cli::run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(cli::run_user_cli, m)?)?;
    Ok(())
}
