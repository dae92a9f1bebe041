//! The asset store: uploaded images and generated clips, kept as files named by
//! the SHA-256 of their bytes, with one database row each saying what they are.
//! Identical bytes are stored once.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chorus_core::api::{UploadedAsset, asset_url};
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

#[derive(Clone, Debug)]
pub struct AssetStore {
    root: PathBuf,
}

/// What the database knows of an asset.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssetRecord {
    pub id: String,
    pub mime: String,
    pub bytes: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

impl AssetRecord {
    pub fn to_uploaded(&self) -> UploadedAsset {
        UploadedAsset {
            id: self.id.clone(),
            mime: self.mime.clone(),
            width: self.width.unwrap_or(0) as u32,
            height: self.height.unwrap_or(0) as u32,
            bytes: self.bytes as u64,
            url: asset_url(&self.id),
        }
    }
}

/// Hex SHA-256 of `bytes`: the asset id.
pub fn content_id(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// An id is 64 lowercase hex digits; anything else never reaches the disk.
pub fn is_valid_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl AssetStore {
    pub fn open(root: PathBuf) -> anyhow::Result<AssetStore> {
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create the asset folder {}", root.display()))?;
        Ok(AssetStore { root })
    }

    /// Where the bytes of `id` live; `None` for a malformed id.
    pub fn path(&self, id: &str) -> Option<PathBuf> {
        is_valid_id(id).then(|| self.root.join(&id[..2]).join(id))
    }

    /// Stores `bytes` and records them; returns the record. Writing goes
    /// through a temporary file and a rename, so a crash never leaves half a
    /// file under a valid name.
    pub async fn put(
        &self,
        db: &SqlitePool,
        bytes: &[u8],
        mime: &str,
        size: Option<(u32, u32)>,
    ) -> anyhow::Result<AssetRecord> {
        let id = content_id(bytes);
        let path = self.path(&id).context("hash is always a valid id")?;
        if !path.exists() {
            let dir = path.parent().unwrap_or(&self.root);
            tokio::fs::create_dir_all(dir).await?;
            let tmp = dir.join(format!("{id}.{}.tmp", uuid::Uuid::now_v7()));
            tokio::fs::write(&tmp, bytes).await?;
            tokio::fs::rename(&tmp, &path).await?;
        }
        let now = crate::jobs::now_ms();
        let (width, height) = size.map_or((None, None), |(w, h)| {
            (Some(i64::from(w)), Some(i64::from(h)))
        });
        sqlx::query(
            "INSERT INTO assets (id, mime, bytes, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(mime)
        .bind(bytes.len() as i64)
        .bind(width)
        .bind(height)
        .bind(now)
        .execute(db)
        .await?;
        Ok(AssetRecord {
            id,
            mime: mime.into(),
            bytes: bytes.len() as i64,
            width,
            height,
        })
    }

    /// Reads an asset's bytes whole (for engines that need an input image).
    pub async fn read(&self, id: &str) -> anyhow::Result<Vec<u8>> {
        let path = self
            .path(id)
            .with_context(|| format!("malformed asset id {id}"))?;
        tokio::fs::read(&path)
            .await
            .with_context(|| format!("cannot read asset {id}"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Looks up the record of `id`.
pub async fn find(db: &SqlitePool, id: &str) -> Result<Option<AssetRecord>, sqlx::Error> {
    sqlx::query_as::<_, AssetRecord>(
        "SELECT id, mime, bytes, width, height FROM assets WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sha256_hex() {
        let id = content_id(b"abc");
        assert_eq!(
            id,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_valid_id(&id));
        assert!(!is_valid_id("../../etc/passwd"));
        assert!(!is_valid_id(&id.to_uppercase()));
    }
}
