//! `mfapol check`: every error and warning in every file, in one run.

use super::render::{self, color};
use super::{ci, files, CheckFormat, EXIT_REJECTED, EXIT_USAGE};
use mfapol::source::SourceFile;
use mfapol::{compile_cached, schema};
use std::path::PathBuf;

pub fn run(paths: &[PathBuf], format: CheckFormat, deny_warnings: bool) -> u8 {
    let files = match files::collect(paths) {
        Ok(f) => f,
        Err(msg) => {
            errln!("error: {msg}");
            return EXIT_USAGE;
        }
    };
    let color = color();
    let mut json_out = Vec::new();
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut io_failed = false;
    // Shared by every policy of the run: an included file is read and
    // checked once, however many policies (or include paths) reach it.
    let mut reader = files::IncludeReader::default();
    let mut cache = mfapol::include::Cache::new();
    for path in &files {
        let name = path.display().to_string();
        let bytes = match files::read_bytes(path) {
            Ok(b) => b,
            Err(msg) => {
                errln!("error: {msg}");
                io_failed = true;
                continue;
            }
        };
        let text = match render::utf8(&name, bytes) {
            Ok(t) => t,
            Err((e, bytes)) => {
                errors += 1;
                let src = SourceFile::new(name.as_str(), render::lossy(&bytes));
                match format {
                    CheckFormat::Human => err!("{}", render::render(&src, &e, color)),
                    _ => json_out.push(render::json(&name, &src, &e)),
                }
                continue;
            }
        };
        let src = super::files::keyed(SourceFile::new(name.as_str(), text), path);
        let compiled = compile_cached(
            &src,
            schema::auth0_post_login(),
            &mut |from, p| reader.load(from, p),
            &mut cache,
        );
        for d in &compiled.diagnostics {
            if d.is_warning() {
                warnings += 1;
            } else {
                errors += 1;
            }
            match format {
                CheckFormat::Human => err!("{}", render::render(&src, d, color)),
                _ => json_out.push(render::json(&name, &src, d)),
            }
        }
    }
    match format {
        CheckFormat::Json => outln!("{}", serde_json::Value::Array(json_out)),
        CheckFormat::Github => {
            for d in &json_out {
                outln!("{}", ci::github(d));
            }
        }
        CheckFormat::Sarif => outln!("{}", ci::sarif(&json_out)),
        CheckFormat::Human => {
            let n = files.len();
            outln!(
                "{n} file{} checked: {errors} error{}, {warnings} warning{}",
                if n == 1 { "" } else { "s" },
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            );
        }
    }
    let nothing = files.is_empty();
    if nothing && deny_warnings {
        // A CI gate that checked nothing must not pass.
        errln!("error: no .mfapolicy files found: nothing was checked");
    } else if nothing {
        errln!("warning: no .mfapolicy files found: nothing was checked");
    }
    if !io_failed && errors == 0 && deny_warnings && warnings > 0 {
        errln!(
            "error: --deny-warnings: {warnings} warning{} treated as error{}; fix {} or drop --deny-warnings",
            if warnings == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            if warnings == 1 { "it" } else { "them" },
        );
    }
    if io_failed {
        EXIT_USAGE
    } else if errors > 0 || (deny_warnings && (warnings > 0 || nothing)) {
        EXIT_REJECTED
    } else {
        0
    }
}
