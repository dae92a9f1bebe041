//! The asset store: uploaded images and generated clips, named by the
//! SHA-256 of their bytes, with one database row each saying what they are.
//! Identical bytes are stored once. The bytes live in local files (the
//! default) or in an S3-compatible object store (`--assets s3://bucket/prefix`)
//! so several servers see the same assets.

mod local;
mod object;

use std::path::PathBuf;

use anyhow::Context as _;
use bytes::Bytes;
use chorus_core::api::{UploadedAsset, asset_url};
use futures_util::stream::BoxStream;
use sha2::{Digest, Sha256};

use crate::db::{Db, on_db};

/// The bytes of (part of) an asset, as they arrive.
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

#[derive(Clone, Debug)]
pub struct AssetStore {
    place: Place,
}

#[derive(Clone, Debug)]
enum Place {
    Local(local::Folder),
    Object(object::Bucket),
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
    hex_id(&Sha256::digest(bytes))
}

/// The asset id of a digest computed piece by piece (see `put_file`).
pub fn hex_id(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// An id is 64 lowercase hex digits; anything else never reaches storage.
pub fn is_valid_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where an asset lives inside the store: fanned out by its first two hex
/// digits, so no folder holds millions of files.
fn relative_key(id: &str) -> String {
    format!("{}/{id}", &id[..2])
}

impl AssetStore {
    /// Assets as files under `root`.
    pub fn open(root: PathBuf) -> anyhow::Result<AssetStore> {
        Ok(AssetStore {
            place: Place::Local(local::Folder::open(root)?),
        })
    }

    /// The store `location` names: `s3://bucket/prefix` (credentials and
    /// endpoint from the usual `AWS_*` variables) or a folder; `default`
    /// when there is none.
    pub fn open_location(location: Option<&str>, default: PathBuf) -> anyhow::Result<AssetStore> {
        match location.map(str::trim).filter(|l| !l.is_empty()) {
            None => AssetStore::open(default),
            Some(url) if url.starts_with("s3://") => AssetStore::open_s3(url, &[]),
            Some(url) if url.contains("://") => anyhow::bail!(
                "--assets {url}: only s3://bucket/prefix or a local folder is supported"
            ),
            Some(folder) => AssetStore::open(PathBuf::from(folder)),
        }
    }

    /// Assets in the bucket `url` names (`s3://bucket/prefix`), configured
    /// by the `AWS_*` variables and then `settings`, which take object_store's
    /// key names (`aws_endpoint`, `aws_access_key_id`, …).
    pub fn open_s3(url: &str, settings: &[(&str, &str)]) -> anyhow::Result<AssetStore> {
        Ok(AssetStore {
            place: Place::Object(object::Bucket::open(url, settings)?),
        })
    }

    /// Where the bytes are, for messages.
    pub fn describe(&self) -> String {
        match &self.place {
            Place::Local(folder) => folder.describe(),
            Place::Object(bucket) => bucket.describe(),
        }
    }

    /// Stores `bytes` and records them; returns the record. Neither place
    /// ever shows half an asset under a valid name (files are renamed into
    /// place, objects appear whole).
    pub async fn put(
        &self,
        db: &Db,
        bytes: &[u8],
        mime: &str,
        size: Option<(u32, u32)>,
    ) -> anyhow::Result<AssetRecord> {
        let id = content_id(bytes);
        let key = relative_key(&id);
        match &self.place {
            Place::Local(folder) => folder.put(&key, bytes).await?,
            Place::Object(bucket) => bucket.put(&key, bytes).await?,
        }
        record(db, id, mime, bytes.len() as u64, size).await
    }

    /// Stores the file at `path`, whose SHA-256 is `id` (computed while it
    /// was received), and records it. The file is streamed into place, never
    /// held in memory: moved into the folder, or sent to the bucket in parts.
    /// Whatever fails, no asset under `id` exists half-written.
    pub async fn put_file(
        &self,
        db: &Db,
        path: &std::path::Path,
        id: &str,
        mime: &str,
        size: Option<(u32, u32)>,
    ) -> anyhow::Result<AssetRecord> {
        anyhow::ensure!(is_valid_id(id), "malformed asset id {id}");
        let bytes = tokio::fs::metadata(path)
            .await
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        let key = relative_key(id);
        match &self.place {
            Place::Local(folder) => folder.put_file(&key, path).await?,
            Place::Object(bucket) => bucket.put_file(&key, path).await?,
        }
        record(db, id.to_string(), mime, bytes, size).await
    }

    /// Reads an asset's bytes whole (for engines that need an input image).
    pub async fn read(&self, id: &str) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(is_valid_id(id), "malformed asset id {id}");
        let key = relative_key(id);
        let bytes = match &self.place {
            Place::Local(folder) => folder.read(&key).await,
            Place::Object(bucket) => bucket.read(&key).await,
        };
        bytes.with_context(|| format!("cannot read asset {id}"))
    }

    /// Removes asset `id`'s bytes (gone already is fine). Its record is the
    /// caller's (see `removal`): only an asset no job uses is removed.
    pub async fn remove(&self, id: &str) -> anyhow::Result<()> {
        anyhow::ensure!(is_valid_id(id), "malformed asset id {id}");
        let key = relative_key(id);
        let removed = match &self.place {
            Place::Local(folder) => folder.remove(&key).await,
            Place::Object(bucket) => bucket.remove(&key).await,
        };
        removed.with_context(|| format!("cannot remove asset {id}"))
    }

    /// Streams bytes `start..=end` of asset `id` (the whole asset for
    /// `None`), for HTTP Range answers.
    pub async fn stream(&self, id: &str, range: Option<(u64, u64)>) -> anyhow::Result<ByteStream> {
        anyhow::ensure!(is_valid_id(id), "malformed asset id {id}");
        let key = relative_key(id);
        let stream = match &self.place {
            Place::Local(folder) => folder.stream(&key, range).await,
            Place::Object(bucket) => bucket.stream(&key, range).await,
        };
        stream.with_context(|| format!("cannot read asset {id}"))
    }
}

/// Records the asset `id` (`bytes` long, a picture of `size` if any) and
/// returns its record.
async fn record(
    db: &Db,
    id: String,
    mime: &str,
    bytes: u64,
    size: Option<(u32, u32)>,
) -> anyhow::Result<AssetRecord> {
    let (width, height) = size.map_or((None, None), |(w, h)| {
        (Some(i64::from(w)), Some(i64::from(h)))
    });
    let record = AssetRecord {
        id,
        mime: mime.into(),
        bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
        width,
        height,
    };
    insert_record(db, &record).await?;
    Ok(record)
}

async fn insert_record(db: &Db, record: &AssetRecord) -> anyhow::Result<()> {
    let now = crate::db::now_ms();
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO assets (id, mime, bytes, width, height, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&record.id)
    .bind(&record.mime)
    .bind(record.bytes)
    .bind(record.width)
    .bind(record.height)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Looks up the record of `id`.
pub async fn find(db: &Db, id: &str) -> Result<Option<AssetRecord>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, AssetRecord>(
        "SELECT id, mime, bytes, width, height FROM assets WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
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
        assert_eq!(relative_key(&id), format!("ba/{id}"));
    }

    #[test]
    fn locations_are_checked() {
        let dir = std::env::temp_dir().join(format!("chorus-assets-{}", std::process::id()));
        let store = AssetStore::open_location(None, dir.clone()).expect("local");
        assert!(
            store.describe().contains("chorus-assets"),
            "{}",
            store.describe()
        );
        let err = AssetStore::open_location(Some("gs://bucket/x"), dir.clone())
            .expect_err("unsupported scheme");
        assert!(err.to_string().contains("only s3://"), "{err}");
        let err = AssetStore::open_location(Some("s3://"), dir.clone()).expect_err("no bucket");
        assert!(err.to_string().contains("bucket"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
