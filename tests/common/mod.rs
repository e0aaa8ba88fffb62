//! Helpers shared by integration tests (`mod common;`).

#![allow(dead_code)]

use mfapol::source::SourceFile;
use std::path::{Path, PathBuf};

/// Reads an included file relative to the including one, the CLI's rule
/// (`mfapol::compile_with`'s loader for tests that compile files on disk).
pub fn read_include(from: &str, path: &str) -> Result<SourceFile, String> {
    let full = Path::new(from).parent().unwrap_or(Path::new("")).join(path);
    std::fs::read_to_string(&full)
        .map(|t| SourceFile::new(full.display().to_string(), t))
        .map_err(|e| e.to_string())
}

/// A fresh directory under the system temp dir holding `files`
/// (`(relative path, contents)`), with parent directories made.
pub fn scratch(tag: &str, files: &[(&str, &str)]) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mfapol-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (name, body) in files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(p, body).expect("write");
    }
    dir
}

/// Runs `mfapol ARGS` in `dir` without colour: (exit code, stdout, stderr).
pub fn mfapol(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("mfapol")
        .expect("the mfapol binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("mfapol runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
