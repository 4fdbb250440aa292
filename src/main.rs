//! The `moderato` command: parses arguments, calls the library, maps errors to exit codes.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
