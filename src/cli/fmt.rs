//! `mfapol fmt`: rewrite policies in the canonical layout.

use super::render::{self, color};
use super::{files, EXIT_REJECTED, EXIT_USAGE};
use mfapol::source::SourceFile;
use std::path::{Path, PathBuf};

/// Arguments of `mfapol fmt`.
#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Files or directories (searched recursively for *.mfapolicy), or `-` for stdin to stdout; default: the current directory
    pub paths: Vec<PathBuf>,
    /// Write nothing: list the files that are not formatted and exit 1 if there are any
    #[arg(long)]
    pub check: bool,
    /// Format files that have check errors too (by default they are refused:
    /// a mistake such as `northwind-azure` would be laid out as `northwind - azure`)
    #[arg(long)]
    pub force: bool,
}

/// What became of one input.
enum Outcome {
    /// Already canonical.
    Same,
    /// Rewritten, or in `--check` mode, would be.
    Changed,
    /// A syntax error or text that is not UTF-8, already reported.
    Rejected,
    /// Could not be read or written, or is not a policy (a test suite),
    /// already reported: a usage error, exit 2.
    Io,
}

/// Formats the inputs; returns the exit code.
pub fn run(paths: &[PathBuf], check: bool, force: bool) -> u8 {
    // `--check` writes nothing, so it needs no guard.
    let guard = !check && !force;
    let (stdin, paths): (Vec<&PathBuf>, Vec<&PathBuf>) =
        paths.iter().partition(|p| p.as_os_str() == "-");
    let mut outcomes = Vec::new();
    if !stdin.is_empty() {
        outcomes.push(format_stdin(check, guard));
    }
    if !paths.is_empty() || stdin.is_empty() {
        let paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
        let files = match files::collect(&paths) {
            Ok(f) => f,
            Err(msg) => {
                errln!("error: {msg}");
                return EXIT_USAGE;
            }
        };
        for path in &files {
            outcomes.push(format_file(path, check, guard));
        }
    }
    if outcomes.iter().any(|o| matches!(o, Outcome::Io)) {
        EXIT_USAGE
    } else if outcomes.iter().any(|o| matches!(o, Outcome::Rejected))
        || (check && outcomes.iter().any(|o| matches!(o, Outcome::Changed)))
    {
        EXIT_REJECTED
    } else {
        0
    }
}

/// Formats standard input to standard output; with `--check`, prints
/// `<stdin>` when it is not canonical, and nothing else.
fn format_stdin(check: bool, guard: bool) -> Outcome {
    let name = "<stdin>";
    let (text, formatted) = match read_and_format(Path::new("-"), name, guard) {
        Ok(pair) => pair,
        Err(outcome) => return outcome,
    };
    let changed = formatted != text;
    if check {
        if changed {
            outln!("{name}");
        }
    } else {
        out!("{formatted}");
    }
    if changed {
        Outcome::Changed
    } else {
        Outcome::Same
    }
}

/// Formats one file in place (writing only when it changes); with
/// `--check`, prints its path when it is not canonical and writes nothing.
fn format_file(path: &Path, check: bool, guard: bool) -> Outcome {
    let name = path.display().to_string();
    let (text, formatted) = match read_and_format(path, &name, guard) {
        Ok(pair) => pair,
        Err(outcome) => return outcome,
    };
    if formatted == text {
        return Outcome::Same;
    }
    if check {
        outln!("{}", super::escape::escape(&name));
        return Outcome::Changed;
    }
    match files::write_atomic(path, formatted.as_bytes()) {
        Ok(()) => Outcome::Changed,
        Err(e) => {
            errln!(
                "error: cannot write `{name}`: {}; the file is unchanged",
                files::io_reason(&e)
            );
            Outcome::Io
        }
    }
}

/// Reads and formats one input: its text and the formatted text, or the
/// outcome of a failure already reported on stderr.
fn read_and_format(path: &Path, name: &str, guard: bool) -> Result<(String, String), Outcome> {
    let bytes = files::read_bytes(path).map_err(|msg| {
        errln!("error: {msg}");
        Outcome::Io
    })?;
    let text = match render::utf8(name, bytes) {
        Ok(t) => t,
        Err((e, bytes)) => {
            let src = SourceFile::new(name, render::lossy(&bytes));
            err!("{}", render::render(&src, &e, color()));
            return Err(Outcome::Rejected);
        }
    };
    let suite_ext = path
        .extension()
        .is_some_and(|e| e == mfapol::testing::EXTENSION);
    if suite_ext || (mfapol::fmt::format(&text).is_err() && looks_like_suite(&text)) {
        // Formatting a suite as a policy would only say "found `policy`".
        let ext = mfapol::testing::EXTENSION;
        if path.as_os_str() == "-" {
            errln!(
                "error: standard input is a test suite (.{ext}), not a policy: `mfapol fmt` formats .mfapolicy files only; run a suite with `mfapol test FILE.{ext}`"
            );
        } else {
            let shown = super::escape::escape(name);
            errln!(
                "error: `{shown}` is a test suite (.{ext}), not a policy: `mfapol fmt` formats .mfapolicy files only; run the suite with `mfapol test {shown}`"
            );
        }
        return Err(Outcome::Io);
    }
    match mfapol::fmt::format(&text) {
        Ok(formatted) if guard => {
            let src = files::keyed(SourceFile::new(name, text.as_str()), path);
            let compiled = mfapol::compile_with(
                &src,
                mfapol::schema::auth0_post_login(),
                &mut files::include_loader,
            );
            let errors: Vec<_> = compiled
                .diagnostics
                .iter()
                .filter(|d| !d.is_warning())
                .collect();
            if errors.is_empty() {
                return Ok((text, formatted));
            }
            for e in &errors {
                err!("{}", render::render(&src, *e, color()));
            }
            errln!(
                "error: `{}` has {} check error{}, so it was not formatted (a mistake can change its look: `northwind-azure` would become `northwind - azure`); fix {}, or pass --force",
                super::escape::escape(name),
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                if errors.len() == 1 { "it" } else { "them" },
            );
            Err(Outcome::Rejected)
        }
        Ok(formatted) => Ok((text, formatted)),
        Err(e) => {
            let src = SourceFile::new(name, text);
            err!("{}", render::render(&src, &e, color()));
            Err(Outcome::Rejected)
        }
    }
}

/// Whether a text that is not a policy reads as a test suite: its first
/// line that is not blank or a comment is a suite's `policy FILE`,
/// `event FILE` or `case "NAME"` line.
fn looks_like_suite(text: &str) -> bool {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    first.is_some_and(|l| {
        let mut words = l.split_whitespace();
        matches!(words.next(), Some("policy" | "event" | "case")) && words.next().is_some()
    })
}
