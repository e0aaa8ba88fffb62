//! The files of `compile --out DIR`, written and checked without ever
//! leaving DIR (SPEC §10; STYLE "Files: no surprises").
//!
//! DIR itself is the user's choice and is opened as named (it may be a
//! link). Every step below it is opened relative to its parent's
//! descriptor with `O_NOFOLLOW`, so a symbolic link planted inside DIR
//! (`actions/NAME/code.js -> ../../../x.js`, a linked `actions/`) is refused,
//! never followed, and a directory swapped for a link between two steps is
//! refused too. Each file is written to a new temporary file (`O_EXCL`) in
//! its own directory and renamed over the old one, so a reader sees the old
//! file or the new one, never half of it. `--check` reads regular files only
//! (a FIFO, a device or a link is refused, not opened for a blocking or
//! endless read), and at most the expected length + 1 bytes of each.

use std::path::Path;

/// What `--check` found for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The file holds exactly the expected bytes.
    Same,
    /// The file exists and holds something else.
    Differs,
    /// The file (or a directory on its way) does not exist.
    Missing,
}

/// Why a file under DIR was not written or read: the words after
/// "cannot write PATH: " (a link, not a regular file, an I/O error).
pub type Refusal = String;

/// The output directory, opened once.
pub struct OutDir {
    inner: imp::Root,
}

impl OutDir {
    /// Opens DIR for writing, creating it (and its parents) when missing.
    pub fn create(dir: &Path) -> Result<OutDir, Refusal> {
        std::fs::create_dir_all(dir).map_err(|e| super::files::io_reason(&e))?;
        imp::Root::open(dir)
            .map_err(|e| super::files::io_reason(&e))?
            .map(|inner| OutDir { inner })
            .ok_or_else(|| "no such file or directory".to_string())
    }

    /// Opens DIR for `--check`; `None` when it does not exist.
    pub fn open(dir: &Path) -> Result<Option<OutDir>, Refusal> {
        imp::Root::open(dir)
            .map(|r| r.map(|inner| OutDir { inner }))
            .map_err(|e| super::files::io_reason(&e))
    }

    /// Writes `data` to `rel` (a `/`-separated path below DIR), creating the
    /// directories on the way, atomically and without following links.
    pub fn write(&self, rel: &str, data: &[u8]) -> Result<(), Refusal> {
        self.inner.write(rel, data)
    }

    /// Whether `rel` holds exactly `expected`, reading at most
    /// `expected.len() + 1` bytes of a regular file.
    pub fn compare(&self, rel: &str, expected: &[u8]) -> Result<Found, Refusal> {
        self.inner.compare(rel, expected)
    }
}

/// The words for a link met below DIR.
const LINK: &str =
    "it is a symbolic link, and mfapol neither follows nor replaces links inside the output directory";

#[cfg(unix)]
mod imp {
    use super::{Found, Refusal, LINK};
    use rustix::fs::{self as fs, AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;
    use std::io::{Read as _, Write as _};
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
    use std::path::Path;

    /// Mode of a new file before the umask: what `std::fs::write` gives.
    const NEW_FILE_MODE: u32 = 0o666;
    const NEW_DIR_MODE: u32 = 0o777;

    pub struct Root(OwnedFd);

    fn reason(e: Errno) -> Refusal {
        super::super::files::io_reason(&std::io::Error::from(e))
    }

    /// Why `name` in `dir` could not be opened as it should: a link, or
    /// something else than a directory or regular file.
    fn classify(dir: BorrowedFd<'_>, name: &str, e: Errno) -> Refusal {
        match fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode).is_symlink() => LINK.into(),
            Ok(st) if !FileType::from_raw_mode(st.st_mode).is_dir() => {
                "a path on the way to it is not a directory".into()
            }
            _ => reason(e),
        }
    }

    impl Root {
        pub fn open(dir: &Path) -> std::io::Result<Option<Root>> {
            match fs::openat(
                fs::CWD,
                dir,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Ok(fd) => Ok(Some(Root(fd))),
                Err(Errno::NOENT) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }

        /// The directory holding `rel`'s last component, opened step by
        /// step without following links; `None` when a step is missing
        /// and `create` is false.
        fn parent<'r>(
            &self,
            rel: &'r str,
            create: bool,
        ) -> Result<Option<(OwnedFd, &'r str)>, Refusal> {
            let mut parts: Vec<&str> = rel.split('/').collect();
            let name = parts.pop().unwrap_or_default();
            if name.is_empty()
                || parts
                    .iter()
                    .chain([&name])
                    .any(|p| matches!(*p, "" | "." | ".."))
            {
                return Err("not a plain path below the output directory".into());
            }
            let mut cur = fs::openat(
                self.0.as_fd(),
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(reason)?;
            for part in parts {
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                let next = match fs::openat(cur.as_fd(), part, flags, Mode::empty()) {
                    Ok(fd) => fd,
                    Err(Errno::NOENT) if !create => return Ok(None),
                    Err(Errno::NOENT) => {
                        match fs::mkdirat(cur.as_fd(), part, Mode::from_raw_mode(NEW_DIR_MODE)) {
                            Ok(()) | Err(Errno::EXIST) => {}
                            Err(e) => return Err(reason(e)),
                        }
                        fs::openat(cur.as_fd(), part, flags, Mode::empty())
                            .map_err(|e| classify(cur.as_fd(), part, e))?
                    }
                    Err(e) => return Err(classify(cur.as_fd(), part, e)),
                };
                cur = next;
            }
            Ok(Some((cur, name)))
        }

        pub fn write(&self, rel: &str, data: &[u8]) -> Result<(), Refusal> {
            let Some((dir, name)) = self.parent(rel, true)? else {
                return Err(reason(Errno::NOENT));
            };
            // An existing file keeps its mode; a link or a FIFO is refused
            // (renaming over it would silently replace it).
            let mode = match fs::statat(dir.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => {
                    let kind = FileType::from_raw_mode(st.st_mode);
                    if kind.is_symlink() {
                        return Err(LINK.into());
                    }
                    if !kind.is_file() {
                        return Err("not a regular file".into());
                    }
                    Some(st.st_mode & 0o7777)
                }
                Err(Errno::NOENT) => None,
                Err(e) => return Err(reason(e)),
            };
            let (tmp, fd) = create_temp(dir.as_fd(), name)?;
            let done = (|| -> Result<(), Errno> {
                if let Some(m) = mode {
                    fs::fchmod(&fd, Mode::from_raw_mode(m))?;
                }
                let mut file = std::fs::File::from(fd);
                file.write_all(data)
                    .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))?;
                fs::fsync(&file)?;
                drop(file);
                // renameat replaces the name itself: were it swapped for a
                // link since the check above, the link is replaced, not
                // followed.
                fs::renameat(dir.as_fd(), tmp.as_str(), dir.as_fd(), name)
            })();
            if let Err(e) = done {
                let _ = fs::unlinkat(dir.as_fd(), tmp.as_str(), AtFlags::empty());
                return Err(reason(e));
            }
            // The rename is durable once the directory is synced.
            let _ = fs::fsync(&dir);
            Ok(())
        }

        pub fn compare(&self, rel: &str, expected: &[u8]) -> Result<Found, Refusal> {
            let Some((dir, name)) = self.parent(rel, false)? else {
                return Ok(Found::Missing);
            };
            // O_NONBLOCK: opening a FIFO must not wait for a writer; the
            // fstat below refuses it.
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let fd = match fs::openat(dir.as_fd(), name, flags, Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOENT) => return Ok(Found::Missing),
                Err(e) => return Err(classify(dir.as_fd(), name, e)),
            };
            let st = fs::fstat(&fd).map_err(reason)?;
            if !FileType::from_raw_mode(st.st_mode).is_file() {
                return Err("not a regular file".into());
            }
            let limit = (expected.len() as u64).saturating_add(1);
            let mut buf = Vec::with_capacity(expected.len().saturating_add(1));
            std::fs::File::from(fd)
                .take(limit)
                .read_to_end(&mut buf)
                .map_err(|e| super::super::files::io_reason(&e))?;
            Ok(if buf == expected {
                Found::Same
            } else {
                Found::Differs
            })
        }
    }

    /// A new `.NAME.mfapol-PID-N.tmp` in `dir`: `O_EXCL | O_NOFOLLOW`, so
    /// never an existing file and never through a link.
    fn create_temp(dir: BorrowedFd<'_>, name: &str) -> Result<(String, OwnedFd), Refusal> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        for n in 0..100u32 {
            let tmp = format!(".{name}.mfapol-{}-{n}.tmp", std::process::id());
            match fs::openat(dir, tmp.as_str(), flags, Mode::from_raw_mode(NEW_FILE_MODE)) {
                Ok(fd) => return Ok((tmp, fd)),
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(reason(e)),
            }
        }
        Err("no temporary file name is free".into())
    }
}

/// Elsewhere: the same rules checked by path (no `openat`), which leaves a
/// race between the check and the write that Unix does not have.
#[cfg(not(unix))]
mod imp {
    use super::{Found, Refusal, LINK};
    use std::io::{Read as _, Write as _};
    use std::path::{Path, PathBuf};

    pub struct Root(PathBuf);

    fn reason(e: &std::io::Error) -> Refusal {
        super::super::files::io_reason(e)
    }

    impl Root {
        pub fn open(dir: &Path) -> std::io::Result<Option<Root>> {
            match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => Ok(Some(Root(dir.to_path_buf()))),
                Ok(_) => Err(std::io::Error::other("not a directory")),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }

        fn walk(&self, rel: &str, create: bool) -> Result<Option<PathBuf>, Refusal> {
            let mut cur = self.0.clone();
            let parts: Vec<&str> = rel.split('/').collect();
            for (i, part) in parts.iter().enumerate() {
                if matches!(*part, "" | "." | "..") {
                    return Err("not a plain path below the output directory".into());
                }
                cur.push(part);
                match std::fs::symlink_metadata(&cur) {
                    Ok(m) if m.file_type().is_symlink() => return Err(LINK.into()),
                    Ok(m) if i + 1 < parts.len() && !m.is_dir() => {
                        return Err("a path on the way to it is not a directory".into())
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        if i + 1 == parts.len() {
                            return Ok(Some(cur));
                        }
                        if !create {
                            return Ok(None);
                        }
                        std::fs::create_dir(&cur).map_err(|e| reason(&e))?;
                    }
                    Err(e) => return Err(reason(&e)),
                }
            }
            Ok(Some(cur))
        }

        pub fn write(&self, rel: &str, data: &[u8]) -> Result<(), Refusal> {
            let Some(path) = self.walk(rel, true)? else {
                return Err("no such file or directory".into());
            };
            if path.exists() && !path.is_file() {
                return Err("not a regular file".into());
            }
            let parent = path.parent().unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(|e| reason(&e))?;
            tmp.write_all(data).map_err(|e| reason(&e))?;
            tmp.as_file().sync_all().map_err(|e| reason(&e))?;
            tmp.persist(&path).map_err(|e| reason(&e.error))?;
            Ok(())
        }

        pub fn compare(&self, rel: &str, expected: &[u8]) -> Result<Found, Refusal> {
            let Some(path) = self.walk(rel, false)? else {
                return Ok(Found::Missing);
            };
            match std::fs::symlink_metadata(&path) {
                Ok(m) if !m.is_file() => return Err("not a regular file".into()),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
                Err(e) => return Err(reason(&e)),
            }
            let mut buf = Vec::new();
            std::fs::File::open(&path)
                .and_then(|f| {
                    f.take((expected.len() as u64).saturating_add(1))
                        .read_to_end(&mut buf)
                })
                .map_err(|e| reason(&e))?;
            Ok(if buf == expected {
                Found::Same
            } else {
                Found::Differs
            })
        }
    }
}
