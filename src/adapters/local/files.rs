//! Crash-safe file writes shared by the file-backed adapters.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates `dir` (and missing parents) with `mode` set at creation.
pub(crate) fn create_dir(dir: &Path, mode: u32) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(mode).create(dir)
}

/// Writes `bytes` to `dest` only if `dest` does not exist, so that a reader
/// sees either nothing or the whole file, and the file survives a crash once
/// this returns. Returns `false` (writing nothing) when `dest` already exists.
///
/// The bytes go to a temporary file in the same directory, are synced, and are
/// hard-linked to `dest`: unlike a rename, a link never replaces an existing file.
pub(crate) fn write_new(dest: &Path, bytes: &[u8], mode: u32) -> io::Result<bool> {
    let dir = dest
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no parent directory"))?;
    let temp = temp_path(dir);
    let written =
        write_synced(&temp, bytes, mode).and_then(|()| match fs::hard_link(&temp, dest) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        });
    let removed = fs::remove_file(&temp);
    let created = written?;
    removed?;
    if created {
        File::open(dir)?.sync_all()?;
    }
    Ok(created)
}

fn temp_path(dir: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".tmp-{}-{n}", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Whether a file name is one of [`write_new`]'s temporary files.
pub(crate) fn is_temp(name: &str) -> bool {
    name.starts_with(".tmp-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_never_replaces() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let dest = dir.path().join("a");
        assert!(write_new(&dest, b"one", 0o600)?);
        assert!(!write_new(&dest, b"two", 0o600)?);
        assert_eq!(fs::read(&dest)?, b"one");
        let names: Vec<_> = fs::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        assert_eq!(names, ["a"], "temporary files are removed");
        Ok(())
    }
}
