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

/// A small seeded generator (xorshift*) for generated policies and events.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A number below `n` (0 for `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// An element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

pub mod gen;
