//! Where clips being imported are received: each is streamed to a file of
//! its own in the spool folder while its SHA-256 is computed, and removed
//! again unless the asset store moves it into place (see `import`).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use chorus_core::Language;
use chorus_core::api::MAX_IMPORT_BYTES;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt as _;

use crate::assets::hex_id;
use crate::error::{ApiError, describe_bytes};

/// A file being received, removed when dropped unless it was moved away.
#[derive(Debug)]
pub struct Spooled {
    pub(crate) path: PathBuf,
    /// The name it came with.
    pub name: String,
    /// What is spoken in it.
    pub language: Option<Language>,
    /// SHA-256 of its bytes, as an asset id.
    pub id: String,
    pub bytes: u64,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        // Gone already when the store moved it into place.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The folder spool files are written in, created if needed; leftovers of a
/// server that stopped mid-upload (older than an hour) are removed.
pub fn open_spool(folder: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create the upload folder {}", folder.display()))?;
    let stale = SystemTime::now() - Duration::from_hours(1);
    for entry in std::fs::read_dir(folder)?.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < stale);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// Receives one clip's bytes from `chunks` (as they arrive) into a spool
/// file in `folder`, refusing it once it passes the size limit.
pub async fn receive<S>(
    folder: &Path,
    name: String,
    language: Option<Language>,
    mut chunks: S,
) -> Result<Spooled, ApiError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, ApiError>> + Unpin,
{
    use futures_util::StreamExt as _;

    let path = folder.join(format!("{}.part", uuid::Uuid::now_v7().simple()));
    let mut spooled = Spooled {
        path,
        name,
        language,
        id: String::new(),
        bytes: 0,
    };
    let file = tokio::fs::File::create(&spooled.path)
        .await
        .with_context(|| format!("cannot write {}", spooled.path.display()))?;
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut hash = Sha256::new();
    while let Some(chunk) = chunks.next().await.transpose()? {
        spooled.bytes += chunk.len() as u64;
        if spooled.bytes > MAX_IMPORT_BYTES {
            return Err(ApiError::TooLarge(format!(
                "{} is larger than {}, the limit for one clip",
                spooled.name,
                describe_bytes(usize::try_from(MAX_IMPORT_BYTES).unwrap_or(usize::MAX))
            )));
        }
        hash.update(&chunk);
        file.write_all(&chunk)
            .await
            .with_context(|| format!("cannot write {}", spooled.path.display()))?;
    }
    file.flush()
        .await
        .with_context(|| format!("cannot write {}", spooled.path.display()))?;
    spooled.id = hex_id(&hash.finalize());
    Ok(spooled)
}
