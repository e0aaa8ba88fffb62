//! Finding and reading policy files.

use std::path::{Path, PathBuf};

/// The extension of policy files.
pub const EXTENSION: &str = "mfapolicy";

/// Expands paths: files as given, directories searched recursively for
/// `*.mfapolicy` (sorted, so output is stable). Missing paths are errors.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    collect_ext(paths, EXTENSION)
}

/// [`collect`] for files with another extension (`mfatest`).
pub fn collect_ext(paths: &[PathBuf], ext: &str) -> Result<Vec<PathBuf>, String> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| format!("cannot read `{}`: {}", p.display(), io_reason(&e)))?;
        if meta.is_dir() {
            walk(p, ext, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            format!(
                "cannot read directory `{}`: {}",
                dir.display(),
                io_reason(&e)
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" {
            continue;
        }
        // Symlinked directories are not followed, so a loop cannot hang the walk.
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            walk(&p, ext, out)?;
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads a file (or stdin for `-`) as bytes.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| format!("cannot read standard input: {}", io_reason(&e)))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| format!("cannot read `{}`: {}", path.display(), io_reason(&e)))
}

/// Reads a file (or stdin for `-`) as UTF-8 text. An IO error is printed
/// and gives exit code 2; text that is not UTF-8 is a located diagnostic
/// and gives exit code 1.
pub fn read_text(path: &Path, name: &str) -> Result<String, u8> {
    let bytes = read_bytes(path).map_err(|msg| {
        errln!("error: {msg}");
        super::EXIT_USAGE
    })?;
    super::render::utf8(name, bytes).map_err(|(e, bytes)| {
        let src = mfapol::source::SourceFile::new(name, super::render::lossy(&bytes));
        err!(
            "{}",
            super::render::render(&src, &e, super::render::color())
        );
        super::EXIT_REJECTED
    })
}

/// An IO error in lowercase words, without Rust's `(os error N)` suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "is a directory".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s.to_lowercase(),
            }
        }
    }
}
