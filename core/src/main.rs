//! `unpod-calllogs`: keep a table of call logs in step, export them, list them.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(unpod_calllogs::cli::main(std::env::args_os()))
}
