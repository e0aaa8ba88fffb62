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
        } else if p.extension().is_some_and(|e| e == ext) && is_regular(&p, &meta) {
            out.push(p);
        }
    }
    Ok(())
}

/// The largest policy, test suite or single event file mfapol reads whole:
/// 16 MiB, the same as the longest line of batch input.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Whether a walked entry is a regular file, or a symlink to one. FIFOs,
/// sockets and devices found by a directory walk are skipped: reading a
/// FIFO blocks until something writes to it. Named explicitly on the command
/// line, they are read.
fn is_regular(p: &Path, meta: &std::fs::Metadata) -> bool {
    meta.is_file()
        || (meta.file_type().is_symlink() && std::fs::metadata(p).is_ok_and(|m| m.is_file()))
}

/// Reads a file (or stdin for `-`) as bytes, at most [`MAX_FILE_BYTES`]:
/// a larger input is refused without reading the rest of it.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let (shown, read) = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        let read = std::io::stdin()
            .lock()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buf)
            .map(|_| buf);
        ("standard input".to_string(), read)
    } else {
        let shown = format!("`{}`", path.display());
        let read = std::fs::File::open(path).and_then(|f| {
            let mut buf = Vec::new();
            f.take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut buf)
                .map(|_| buf)
        });
        (shown, read)
    };
    let buf = read.map_err(|e| format!("cannot read {shown}: {}", io_reason(&e)))?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "cannot read {shown}: it is larger than {} MiB, the limit for a policy, test suite or event",
            MAX_FILE_BYTES >> 20
        ));
    }
    Ok(buf)
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

/// Replaces a file's contents atomically: the text goes to a temporary file
/// in the same directory, which is synced and renamed over the target, so
/// a full disk or a kill leaves either the old file or the new one, never a
/// truncated one. The file keeps its mode (and owner, where permitted); a
/// symlink is kept and the file it points to is replaced.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, data, std::io::Write::write_all)
}

/// [`write_atomic`] with the write step given, so tests can make it fail.
pub fn write_atomic_with(
    path: &Path,
    data: &[u8],
    write: impl FnOnce(&mut std::fs::File, &[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let meta = std::fs::metadata(&target)?;
    if !meta.is_file() {
        // Renaming over a device or a FIFO would replace it with a file.
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let dir = target
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp, mut file) = create_temp(&dir, &name)?;
    let done = (|| {
        write(&mut file, data)?;
        file.set_permissions(meta.permissions())?;
        keep_owner(&file, &meta);
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &target)
    })();
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return done;
    }
    // The rename is durable once the directory is synced; not every
    // platform can open a directory, so this is best effort.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new file `.NAME.mfapol-PID-N.tmp` in `dir`, never an existing one.
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut last = None;
    for n in 0..100u32 {
        let tmp = dir.join(format!(".{name}.mfapol-{}-{n}.tmp", std::process::id()));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        match opts.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file name is free")))
}

/// Gives the new file the old file's owner and group; only the superuser
/// (or the owner, for the group) may, so failure is not an error.
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, meta: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_: &std::fs::File, _: &std::fs::Metadata) {}

/// Reads a file a policy or suite names (not one given on the command
/// line): a regular file only (a FIFO or device would block or never end),
/// UTF-8, at most [`MAX_FILE_BYTES`]. Returns its shown name (without a
/// leading `./`) and its text.
pub fn read_named(path: &Path) -> Result<(String, String), String> {
    let shown = path.display().to_string();
    let name = shown.strip_prefix("./").unwrap_or(&shown).to_string();
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(format!("cannot read `{name}`: not a regular file"));
    }
    let bytes = read_bytes(path)?;
    let text = String::from_utf8(bytes).map_err(|_| format!("`{name}` is not valid UTF-8"))?;
    Ok((name, text))
}

/// Reads the files a policy includes: `PATH` relative to the including
/// file's directory, as [`read_named`] reads, keyed by its canonical path
/// so that the library loads and checks each file once.
pub fn include_loader(from: &str, path: &str) -> Result<mfapol::source::SourceFile, String> {
    IncludeReader::default().load(from, path)
}

/// A policy file given on the command line, keyed by its canonical path
/// (as [`include_loader`] keys the files it reads), so an include of it is
/// found to be a loop whatever relative path names it.
pub fn keyed(src: mfapol::source::SourceFile, path: &Path) -> mfapol::source::SourceFile {
    match std::fs::canonicalize(path) {
        Ok(c) => src.with_key(c.display().to_string()),
        Err(_) => src,
    }
}

/// [`include_loader`] for a run over many policies (`mfapol check DIR`):
/// each file is read once per canonical path, however many policies or
/// includes name it.
#[derive(Default)]
pub struct IncludeReader {
    files: std::collections::HashMap<PathBuf, mfapol::source::SourceFile>,
    /// Files read from disk (for tests and measurements).
    pub reads: usize,
}

impl IncludeReader {
    /// Loads `path` as written in `from`.
    pub fn load(&mut self, from: &str, path: &str) -> Result<mfapol::source::SourceFile, String> {
        let base = Path::new(from).parent().unwrap_or(Path::new(""));
        let joined = base.join(path);
        let canonical = std::fs::canonicalize(&joined).ok();
        if let Some(f) = canonical.as_ref().and_then(|c| self.files.get(c)) {
            return Ok(f.clone());
        }
        let (name, text) = read_named(&joined)?;
        self.reads = self.reads.saturating_add(1);
        let file = mfapol::source::SourceFile::new(name, text);
        Ok(match canonical {
            Some(c) => {
                let file = file.with_key(c.display().to_string());
                self.files.insert(c, file.clone());
                file
            }
            None => file,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mfapol-files-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Issue 20: over a run, an included file is read from disk once per
    /// canonical path, whatever relative path names it (`a/../b/x`, `b/x`).
    #[test]
    fn include_reader_reads_each_file_once() {
        let dir = scratch("diamond");
        for level in 0..11 {
            std::fs::create_dir_all(dir.join(format!("l{level}"))).unwrap();
            for i in 0..4 {
                std::fs::write(dir.join(format!("l{level}/f{i}.mfapolicy")), "").unwrap();
            }
        }
        let mut r = IncludeReader::default();
        let mut keys = std::collections::HashSet::new();
        let top = dir.join("top.mfapolicy").display().to_string();
        for i in 0..4 {
            let f = r.load(&top, &format!("l0/f{i}.mfapolicy")).unwrap();
            keys.insert(f.key().to_string());
        }
        for level in 0..10 {
            for i in 0..4 {
                let from = dir
                    .join(format!("l{level}/f{i}.mfapolicy"))
                    .display()
                    .to_string();
                for j in 0..4 {
                    let f = r
                        .load(&from, &format!("../l{}/f{j}.mfapolicy", level + 1))
                        .unwrap();
                    keys.insert(f.key().to_string());
                }
            }
        }
        assert_eq!((r.reads, keys.len()), (44, 44));
        // Another spelling of a file already read is not read again.
        let again = r.load(&top, "l3/../l3/f2.mfapolicy").unwrap();
        assert!(keys.contains(again.key().as_ref()));
        assert_eq!(r.reads, 44);
    }

    #[test]
    fn a_failed_write_leaves_the_original_and_no_temporary_file() {
        let dir = scratch("fail");
        let p = dir.join("p.mfapolicy");
        std::fs::write(&p, "deny when true\n").unwrap();
        // A disk that fills up after a few bytes.
        let err = write_atomic_with(&p, b"deny when tr", |f, d| {
            std::io::Write::write_all(f, d.get(..4).unwrap_or(d))?;
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on device",
            ))
        })
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "deny when true\n");
        assert_eq!(entries(&dir), vec!["p.mfapolicy".to_string()]);
    }

    #[cfg(unix)]
    #[test]
    fn mode_and_symlinks_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("keep");
        let real = dir.join("real.mfapolicy");
        std::fs::write(&real, "old\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("link.mfapolicy");
        std::os::unix::fs::symlink("real.mfapolicy", &link).unwrap();
        write_atomic(&link, b"new\n").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new\n");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(
            entries(&dir),
            vec!["link.mfapolicy".to_string(), "real.mfapolicy".to_string()]
        );
    }
}
