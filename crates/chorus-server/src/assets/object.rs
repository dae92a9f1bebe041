//! Assets in an S3-compatible object store, so every server behind one
//! database sees the same clips. `s3://bucket/prefix` names the place;
//! credentials, region and endpoint come from the usual `AWS_*` variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL` for stores other than Amazon's).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{
    BackoffConfig, GetOptions, GetRange, ObjectStore, PutPayload, RetryConfig, WriteMultipart,
};
use tokio::io::AsyncReadExt as _;

use super::ByteStream;

#[derive(Clone)]
pub(super) struct Bucket {
    store: Arc<dyn ObjectStore>,
    name: String,
    prefix: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("bucket", &self.name)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Bucket {
    /// Parses `s3://bucket/prefix` and builds the client (no request yet),
    /// from the `AWS_*` variables and then `settings` (object_store's
    /// names: `aws_endpoint`, `aws_access_key_id`, …).
    pub(super) fn open(url: &str, settings: &[(&str, &str)]) -> anyhow::Result<Bucket> {
        let rest = url.strip_prefix("s3://").unwrap_or(url);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(
            !bucket.is_empty(),
            "--assets {url}: name the bucket, as in s3://bucket/prefix"
        );
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
            builder = builder.with_region("us-east-1");
        }
        // An endpoint written as http:// was chosen by the operator (a
        // store on their own network); Amazon's own is always https.
        let mut endpoint = std::env::var("AWS_ENDPOINT_URL")
            .or_else(|_| std::env::var("AWS_ENDPOINT"))
            .unwrap_or_default();
        for (key, value) in settings {
            let key: AmazonS3ConfigKey = key
                .parse()
                .with_context(|| format!("{key} is not an S3 setting"))?;
            if matches!(key, AmazonS3ConfigKey::Endpoint) {
                endpoint = (*value).to_string();
            }
            builder = builder.with_config(key, *value);
        }
        if endpoint.starts_with("http://") {
            builder = builder.with_allow_http(true);
        }
        // A request waits on this (an upload, the player's Range fetch):
        // a few quick retries, then the error, not minutes of trying.
        let retry = RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 3,
            retry_timeout: Duration::from_secs(15),
        };
        let store = builder
            .with_retry(retry)
            .build()
            .with_context(|| format!("--assets {url}: cannot set up the S3 client"))?;
        Ok(Bucket {
            store: Arc::new(store),
            name: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    pub(super) fn describe(&self) -> String {
        format!("s3://{}/{}", self.name, self.prefix)
    }

    fn path(&self, key: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{key}", self.prefix))
        }
    }

    /// Whether an object is at `path` (content-addressed: the same bytes).
    async fn holds(&self, path: &Path) -> anyhow::Result<bool> {
        match self.store.head(path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e).with_context(|| format!("cannot reach {}", self.describe())),
        }
    }

    pub(super) async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.path(key);
        // Content-addressed: an object already there holds these bytes.
        if self.holds(&path).await? {
            return Ok(());
        }
        self.store
            .put(&path, PutPayload::from(Bytes::copy_from_slice(bytes)))
            .await
            .with_context(|| format!("cannot store {path} in s3://{}", self.name))?;
        Ok(())
    }

    /// Sends the file at `src` in parts of `PART` bytes, a few at a time, so
    /// a 2 GB clip never sits in memory; a failed upload is aborted, so no
    /// object appears.
    pub(super) async fn put_file(&self, key: &str, src: &std::path::Path) -> anyhow::Result<()> {
        const PART: usize = 16 * 1024 * 1024;
        let path = self.path(key);
        if self.holds(&path).await? {
            return Ok(());
        }
        let mut file = tokio::fs::File::open(src)
            .await
            .with_context(|| format!("cannot read {}", src.display()))?;
        let upload = self
            .store
            .put_multipart(&path)
            .await
            .with_context(|| format!("cannot start storing {path} in s3://{}", self.name))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buffer = vec![0_u8; 1024 * 1024];
        let sent = async {
            loop {
                let read = file.read(&mut buffer).await?;
                if read == 0 {
                    break;
                }
                writer.wait_for_capacity(2).await?;
                writer.write(&buffer[..read]);
            }
            anyhow::Ok(())
        }
        .await;
        match sent {
            Ok(()) => {
                writer
                    .finish()
                    .await
                    .with_context(|| format!("cannot store {path} in s3://{}", self.name))?;
                Ok(())
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e).with_context(|| format!("cannot store {path} in s3://{}", self.name))
            }
        }
    }

    pub(super) async fn remove(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot reach {}", self.describe())),
        }
    }

    pub(super) async fn read(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let got = self.store.get(&self.path(key)).await?;
        Ok(got.bytes().await?.to_vec())
    }

    pub(super) async fn stream(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
    ) -> anyhow::Result<ByteStream> {
        let options = GetOptions {
            range: range.map(|(start, end)| GetRange::Bounded(start..end + 1)),
            ..GetOptions::default()
        };
        let got = self.store.get_opts(&self.path(key), options).await?;
        Ok(got.into_stream().map_err(std::io::Error::other).boxed())
    }
}
