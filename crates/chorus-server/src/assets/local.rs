//! Assets as files in a local folder: the embedded default. A file is
//! written under a temporary name and renamed into place, so a crash never
//! leaves half a file under a valid name.

use std::io::SeekFrom;
use std::path::PathBuf;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio_util::io::ReaderStream;

use super::ByteStream;

#[derive(Clone, Debug)]
pub(super) struct Folder {
    root: PathBuf,
}

impl Folder {
    pub(super) fn open(root: PathBuf) -> anyhow::Result<Folder> {
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create the asset folder {}", root.display()))?;
        Ok(Folder { root })
    }

    pub(super) fn describe(&self) -> String {
        format!("the folder {}", self.root.display())
    }

    /// Where `key` goes, with its folder made; `None` when it is already
    /// there (content-addressed: the same bytes).
    async fn place_for(&self, key: &str) -> anyhow::Result<Option<PathBuf>> {
        let path = self.root.join(key);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(None);
        }
        let dir = path.parent().unwrap_or(&self.root);
        tokio::fs::create_dir_all(dir)
            .await
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Some(path))
    }

    pub(super) async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let Some(path) = self.place_for(key).await? else {
            return Ok(());
        };
        let tmp = path.with_extension(format!("{}.tmp", uuid::Uuid::now_v7().simple()));
        tokio::fs::write(&tmp, bytes)
            .await
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .with_context(|| format!("cannot move {} into place", tmp.display()))?;
        Ok(())
    }

    /// Moves the file at `src` into place (copying when it is on another
    /// file system); `src` is gone or left for its owner to remove.
    pub(super) async fn put_file(&self, key: &str, src: &std::path::Path) -> anyhow::Result<()> {
        let Some(path) = self.place_for(key).await? else {
            return Ok(());
        };
        if tokio::fs::rename(src, &path).await.is_ok() {
            return Ok(());
        }
        let tmp = path.with_extension(format!("{}.tmp", uuid::Uuid::now_v7().simple()));
        if let Err(e) = tokio::fs::copy(src, &tmp).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
        }
        tokio::fs::rename(&tmp, &path)
            .await
            .with_context(|| format!("cannot move {} into place", tmp.display()))?;
        Ok(())
    }

    pub(super) async fn remove(&self, key: &str) -> anyhow::Result<()> {
        match tokio::fs::remove_file(self.root.join(key)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    pub(super) async fn read(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        Ok(tokio::fs::read(self.root.join(key)).await?)
    }

    pub(super) async fn stream(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
    ) -> anyhow::Result<ByteStream> {
        let mut file = tokio::fs::File::open(self.root.join(key)).await?;
        Ok(match range {
            Some((start, end)) => {
                file.seek(SeekFrom::Start(start)).await?;
                ReaderStream::new(file.take(end - start + 1)).boxed()
            }
            None => ReaderStream::new(file).boxed(),
        })
    }
}
