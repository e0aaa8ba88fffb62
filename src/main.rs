//! The `mfapol` command line: a thin layer over the library that does all
//! IO, rendering and exit codes.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::install_panic_hook();
    cli::run()
}
