//! `calllogs-contract`: the reference server and the contract suite of the call-logs API.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(calllogs_contract::cli::main(std::env::args_os()))
}
