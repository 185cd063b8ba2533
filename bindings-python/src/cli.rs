//! The command lines the package's console scripts run: `calllogs-contract` and `unpod-calllogs`.

use pyo3::prelude::*;

/// Runs the `calllogs-contract` command line (argv with the program's name first) with the GIL
/// released and returns its exit status. The caller leaves SIGINT to its default action, so Ctrl-C
/// stops a run as it stops the binary.
#[pyfunction]
pub fn run_cli(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> u8 {
    py.detach(|| calllogs_contract::cli::main(argv))
}

/// Runs the `unpod-calllogs` command line (sync, export, list) as [`run_cli`] runs the suite's.
#[pyfunction]
pub fn run_user_cli(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> u8 {
    py.detach(|| unpod_calllogs::cli::main(argv))
}
