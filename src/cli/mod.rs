//! Argument parsing (clap), dispatch and exit codes.

// Stdout goes through `output`, which keeps the first write error for
// `output::finish` (exit 2 with a message; a closed pipe ends quietly).
// Diagnostics on stderr ignore write errors: there is nowhere left to report them.
macro_rules! outln {
    () => {{ $crate::cli::output::print(format_args!("\n")); }};
    ($($t:tt)*) => {{ $crate::cli::output::print(format_args!("{}\n", format_args!($($t)*))); }};
}
macro_rules! out {
    ($($t:tt)*) => {{ $crate::cli::output::print(format_args!($($t)*)); }};
}
macro_rules! errln {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = writeln!(std::io::stderr(), $($t)*); }};
}
macro_rules! err {
    ($($t:tt)*) => {{ use std::io::Write as _; let _ = write!(std::io::stderr(), $($t)*); }};
}

mod batch;
mod check;
mod ci;
mod compile;
mod deploy_dir;
mod diff;
mod escape;
mod eval;
mod explain;
mod files;
mod fmt;
mod from_action;
mod lsp;
mod output;
mod prove;
mod render;
mod report;
mod test;
mod verify;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code: the input was rejected (check errors, invalid event, failing tests).
pub const EXIT_REJECTED: u8 = 1;
/// Exit code: usage or IO error.
pub const EXIT_USAGE: u8 = 2;

/// `--action-timeout MS`: 1 to 2^31 - 1 milliseconds. Node's timers hold
/// no more (a larger one fires at once, timing every Action out), and 0
/// would stop every Action before it starts.
fn action_timeout_ms(text: &str) -> Result<u64, String> {
    const MAX: u64 = (1 << 31) - 1;
    match text.parse::<u64>() {
        Ok(ms) if (1..=MAX).contains(&ms) => Ok(ms),
        _ => Err(format!(
            "the time limit is a number of milliseconds from 1 to {MAX} (about 24 days); Auth0 itself stops an Action after 20000"
        )),
    }
}

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
    /// Rewrite .mfapolicy files in the canonical layout, keeping every comment
    Fmt(fmt::FmtArgs),
    /// Print a shell completion script
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
    /// Run policy test suites (*.mfatest)
    Test(TestArgs),
    /// Evaluate two policies on many events and report how decisions move,
    /// or prove over every possible login that none gets weaker (--prove)
    #[command(
        override_usage = "mfapol diff [OPTIONS] <OLD> <NEW> <EVENTS>\n       mfapol diff --prove [OPTIONS] <OLD> <NEW>\n       mfapol diff --prove --old-rev <REV> [OPTIONS] <POLICY>\n       mfapol diff --from-action <ACTION.js> [OPTIONS] <NEW> <EVENTS>"
    )]
    Diff(DiffArgs),
    /// Compile a policy to an Auth0 post-login Action
    Compile(compile::CompileArgs),
    /// Prove or refute each `assert` over every possible login, and find
    /// rules that can never apply or never decide
    Verify(verify::VerifyArgs),
    /// Run the language server (LSP over stdio) for editors
    Lsp(lsp::LspArgs),
}

/// What each line of batch input holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// one post-login event per line
    Event,
    /// Auth0 tenant log entries (bare, stream-wrapped or in arrays); logins are replayed
    Auth0Logs,
}

/// `diff --fail-on` conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// any event gets a weaker decision (deny > require_mfa > skip_mfa = none), or
    /// a weaker requirement within require_mfa (more factors, provider any,
    /// remember_browser turned on)
    Weaker,
    /// any event gets a different decision or requirement
    Changed,
}

#[derive(clap::Args, Debug)]
struct DiffArgs {
    /// OLD.mfapolicy NEW.mfapolicy EVENTS; with --from-action, NEW.mfapolicy
    /// EVENTS; with --prove, OLD NEW (no EVENTS), or only NEW with
    /// --old-rev. EVENTS: NDJSON events (or Auth0 logs with --input
    /// auth0-logs), or `-` for stdin
    #[arg(value_names = ["OLD", "NEW", "EVENTS"], num_args = 1..=3, required = true)]
    paths: Vec<PathBuf>,
    /// Prove over every possible login (no EVENTS) that no decision gets
    /// weaker (or, with --fail-on changed, changes at all), or print a
    /// login that does (SPEC §13; docs/verify.md)
    #[arg(long, conflicts_with_all = ["from_action", "input", "now", "jobs"])]
    prove: bool,
    /// With --prove: read OLD from this git revision (`git show
    /// REV:PATH`); with a single path, OLD is that file at REV and NEW the
    /// file as it is
    #[arg(long, value_name = "REV", requires = "prove")]
    old_rev: Option<String>,
    /// Compare a tenant's existing post-login Action (its JavaScript file)
    /// instead of an old policy: it runs in Node.js on every event with a
    /// recording `api` (SPEC §11; docs/migration.md)
    #[arg(long, value_name = "ACTION.js")]
    from_action: Option<PathBuf>,
    /// With --from-action: a JSON object of the Action's secrets
    /// (`event.secrets`)
    #[arg(long, value_name = "FILE", requires = "from_action")]
    secrets: Option<PathBuf>,
    /// With --from-action: where the npm modules the Action requires are
    /// installed (NODE_PATH)
    #[arg(long, value_name = "DIR", requires = "from_action")]
    node_modules: Option<PathBuf>,
    /// With --from-action: the time limit per event (and for loading the
    /// Action), in milliseconds: 1 to 2147483647
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = action_timeout_ms)]
    action_timeout: u64,
    /// What each input line holds
    #[arg(long, value_enum, value_name = "KIND")]
    input: Option<InputFormat>,
    /// Report format: `human` (totals, transitions, the changed and weaker
    /// events, counts by connection, client and country) or `json` (one
    /// object with the same, `changed_events` and `weaker_events` listing
    /// old and new decision and requirement)
    #[arg(long, value_enum, default_value_t = EvalFormat::Human, hide_possible_values = true)]
    format: EvalFormat,
    /// Exit 1 when the condition holds, listing the events
    #[arg(long, value_enum, value_name = "WHAT")]
    fail_on: Option<FailOn>,
    /// Evaluation time (RFC 3339); default: each log entry's date, else the clock
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Worker threads (default: one per core)
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// List at most N changed events, weaker events and bad lines (0: all)
    #[arg(long, value_name = "N", default_value_t = 100)]
    limit: usize,
    /// Also write an HTML impact report to FILE: one self-contained page
    /// with the decision mix, transitions, breakdowns, time and samples
    /// (docs/report.md)
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Show user ids and the event values of sample logins in the report
    /// (personal data; left out by default)
    #[arg(long, requires = "report")]
    report_identities: bool,
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

/// Output formats of `test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// one line per case and a closing `N passed, M failed` on stdout
    Human,
    /// one JSON object with every suite and case on stdout
    Json,
    /// JUnit XML on stdout, for CI test reports
    Junit,
}

#[derive(clap::Args, Debug)]
struct TestArgs {
    /// Suite files or directories (searched recursively for *.mfatest); default: the current directory
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    format: TestFormat,
    /// List the rules that no case applied
    #[arg(long)]
    coverage: bool,
    /// Evaluation time (RFC 3339) for suites and cases that fix no `now`, instead of the clock
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
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
    /// Batch: EVENT is NDJSON, one event per line (implied by .ndjson/.jsonl)
    #[arg(long)]
    ndjson: bool,
    /// Batch: what each line holds (auth0-logs implies batch)
    #[arg(long, value_enum, value_name = "KIND")]
    input: Option<InputFormat>,
    /// Batch: print totals by decision and deciding rule (stderr; with --format json, a last stdout line)
    #[arg(long)]
    summary: bool,
    /// Batch: worker threads (default: one per core)
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Batch: also write an HTML impact report to FILE (docs/report.md)
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Batch: show user ids and the event values of sample logins in the
    /// report (personal data; left out by default)
    #[arg(long, requires = "report")]
    report_identities: bool,
}

/// Parses the command line and runs the subcommand.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            if let Err(w) = e.print() {
                // Help and version go to stdout; usage errors to stderr.
                if !e.use_stderr() {
                    output::record(w);
                }
            }
            return ExitCode::from(output::finish(code));
        }
    };
    let code = match cli.command {
        Command::Check(a) => check::run(&a.paths, a.format, a.deny_warnings),
        Command::Eval(a) => eval::run(&a),
        Command::Fmt(a) => fmt::run(&a.paths, a.check, a.force),
        Command::Completions { shell } => {
            // Into a buffer: clap_complete panics when its writer fails.
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "mfapol", &mut buf);
            output::bytes(&buf);
            0
        }
        Command::Diff(a) => diff::run(&a),
        Command::Compile(a) => compile::run(&a),
        Command::Verify(a) => verify::run(&a),
        Command::Lsp(a) => lsp::run(&a),
        Command::Test(a) => test::run(&a.paths, a.format, a.coverage, a.now.as_deref()),
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut buf) {
                Ok(()) => {
                    output::bytes(&buf);
                    0
                }
                Err(e) => {
                    errln!("error: cannot render the man page: {e}");
                    EXIT_USAGE
                }
            }
        }
    };
    ExitCode::from(output::finish(code))
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
