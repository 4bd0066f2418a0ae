//! [`FileBlobs`]: the `Blobs` port on a folder of files.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::files;
use crate::ports::{BlobError, Blobs};

/// Blobs as files under `<data_dir>/blobs/<key>`; a key's `/` makes folders.
/// A blob is written once, atomically and synced, and never replaced.
pub struct FileBlobs {
    root: PathBuf,
}

impl FileBlobs {
    pub fn open_in_dir(data_dir: &Path) -> Result<Self, BlobError> {
        let root = data_dir.join("blobs");
        files::create_dir(&root, 0o700).map_err(unavailable)?;
        Ok(Self { root })
    }

    /// The file of `key`, refusing keys that could leave the blob folder.
    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        let plain = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && !part.contains('\0')
                && !files::is_temp(part)
        };
        if key.split('/').all(plain) {
            Ok(self.root.join(key))
        } else {
            Err(BlobError::Unavailable("invalid blob key".into()))
        }
    }
}

fn unavailable(e: io::Error) -> BlobError {
    BlobError::Unavailable(e.to_string())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| BlobError::Unavailable("blob task failed".into()))?
}

#[async_trait]
impl Blobs for FileBlobs {
    async fn put(&self, key: &str, bytes: &[u8], _content_type: &str) -> Result<(), BlobError> {
        let path = self.path(key)?;
        let bytes = bytes.to_vec();
        blocking(move || {
            if let Some(dir) = path.parent() {
                files::create_dir(dir, 0o700).map_err(unavailable)?;
            }
            if files::write_new(&path, &bytes, 0o600).map_err(unavailable)? {
                return Ok(());
            }
            // Already there: a retry of the same write is harmless.
            if std::fs::read(&path).map_err(unavailable)? == bytes {
                Ok(())
            } else {
                Err(BlobError::AlreadyExists)
            }
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let path = self.path(key)?;
        blocking(move || match std::fs::read(&path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BlobError::NotFound),
            Err(e) => Err(unavailable(e)),
        })
        .await
    }

    async fn download_url(
        &self,
        _key: &str,
        _valid_for_secs: u64,
    ) -> Result<Option<String>, BlobError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_inside_the_blob_folder() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let blobs = FileBlobs::open_in_dir(dir.path())?;
        assert_eq!(
            blobs.path("agreements/a1/rev-1.pdf")?,
            dir.path().join("blobs/agreements/a1/rev-1.pdf")
        );
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "a/",
            ".",
            "a\0b",
            ".tmp-1-2",
        ] {
            assert!(blobs.path(bad).is_err(), "{bad:?} accepted");
        }
        Ok(())
    }
}
