//! Argument parsing (clap), dispatch and exit codes.

// Output helpers that ignore write errors: a closed pipe (`mfapol ... | head`)
// must end the program quietly, not panic.
macro_rules! outln {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = writeln!(std::io::stdout(), $($t)*); }};
}
macro_rules! out {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = write!(std::io::stdout(), $($t)*); }};
}
macro_rules! errln {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = writeln!(std::io::stderr(), $($t)*); }};
}
macro_rules! err {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = write!(std::io::stderr(), $($t)*); }};
}

mod check;
mod ci;
mod eval;
mod explain;
mod files;
mod render;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code: the input was rejected (check errors, invalid event, failing tests).
pub const EXIT_REJECTED: u8 = 1;
/// Exit code: usage or IO error.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "mfapol",
    version,
    about = "Login security policy as code: type-checked MFA decisions for Auth0 post-login events",
    long_about = None,
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse, resolve and type-check .mfapolicy files
    Check(CheckArgs),
    /// Evaluate a policy on a login event and print the decision
    Eval(EvalArgs),
    /// Print a shell completion script
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
}

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// miette diagnostics on stderr, a summary on stdout
    Human,
    /// one JSON array of diagnostics on stdout
    Json,
    /// GitHub Actions workflow commands (annotations) on stdout
    Github,
    /// SARIF 2.1.0 on stdout, for code-scanning upload
    Sarif,
}

/// Output formats of `eval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// a readable decision on stdout
    Human,
    /// the SPEC §8 JSON object on stdout
    Json,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Files or directories (searched recursively for *.mfapolicy); default: the current directory
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
    /// Treat warnings as errors
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(clap::Args, Debug)]
struct EvalArgs {
    /// The policy file
    policy: PathBuf,
    /// The event: a JSON file, or `-` for stdin
    event: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = EvalFormat::Human)]
    format: EvalFormat,
    /// Evaluation time (RFC 3339), instead of the clock
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Show, for every rule, whether it applied and the event values each comparison read
    #[arg(long)]
    explain: bool,
}

/// Parses the command line and runs the subcommand.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let code = match cli.command {
        Command::Check(a) => check::run(&a.paths, a.format, a.deny_warnings),
        Command::Eval(a) => eval::run(&a),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "mfapol", &mut std::io::stdout());
            0
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut buf) {
                Ok(()) => {
                    out!("{}", String::from_utf8_lossy(&buf));
                    0
                }
                Err(e) => {
                    errln!("error: cannot render the man page: {e}");
                    EXIT_USAGE
                }
            }
        }
    };
    ExitCode::from(code)
}

/// A bug in mfapol is not the user's fault: say so, and ask for a report.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!(
            "error: mfapol {} hit an internal error{location}: {payload}\n\n\
             This is a bug in mfapol, not in your policy. Please report it with the\n\
             version above and the command, policy and event that caused it.",
            env!("CARGO_PKG_VERSION")
        );
    }));
}
