//! The `mfapol` command line: a thin layer over the library that does all
//! IO, rendering and exit codes.

mod cli;

use std::process::ExitCode;

/// The stack of the thread a command runs on: what a Linux main thread
/// usually gets.
const STACK: usize = 8 << 20;

fn main() -> ExitCode {
    cli::install_panic_hook();
    // The command runs on a thread of its own, with a stack of a known size
    // on every platform. The parser probes its thread's stack bounds
    // (pest, through `stacker`); on the main thread glibc finds them by
    // parsing /proc/self/maps, which cost a twentieth of start-up, while a
    // spawned thread has them in its attributes.
    let worker = std::thread::Builder::new()
        .name("mfapol".into())
        .stack_size(STACK)
        .spawn(cli::run);
    match worker {
        // A panic was reported by the hook; exit as a panicking main would.
        Ok(handle) => handle.join().unwrap_or(ExitCode::from(101)),
        Err(_) => cli::run(),
    }
}
