//! A campaign's delivery package: the chosen variants' clips named by the
//! campaign's pattern, SRT and WebVTT captions for each (timed from the
//! draft engine's sidecar where there is one, otherwise from where the
//! sound carries speech), and `manifest.csv`; written by chorus-package on
//! a blocking thread straight into the HTTP answer as it goes, each clip
//! read from the asset store a chunk at a time, so nothing is ever held
//! whole in memory.

use std::io::{self, Read};

use axum::body::{Body, Bytes};
use chorus_core::board::{BoardVariant, Campaign, VariantStatus};
use chorus_core::delivery::{NameFields, NamePattern};
use chorus_core::review::Verdict;
use chorus_package::{
    ChannelWriter, Cue, ManifestRow, PackageWriter, cues_from_draft_sidecar, cues_from_speech,
};
use futures_util::StreamExt as _;
use tokio::runtime::Handle;

use crate::assets::{AssetStore, ByteStream};
use crate::reviews::export::rfc3339;

/// Which variants go in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// Done and approved by a reviewer.
    Approved,
    /// Every done variant.
    All,
}

/// One clip of the package, decided before anything is written.
struct Entry {
    name: String,
    video: String,
    captions: Vec<Cue>,
    manifest: ManifestRow,
}

/// The variants `only` picks.
pub fn chosen(campaign: &Campaign, only: Only) -> Vec<&BoardVariant> {
    campaign
        .variants
        .iter()
        .filter(|v| v.status == VariantStatus::Succeeded && v.video.is_some())
        .filter(|v| only == Only::All || v.decision == Some(Verdict::Approved))
        .collect()
}

/// The package of `variants`, as a body written while it is read.
pub async fn package(
    assets: AssetStore,
    campaign: &Campaign,
    variants: &[&BoardVariant],
    pattern: &NamePattern,
) -> anyhow::Result<Body> {
    let fields: Vec<NameFields> = variants
        .iter()
        .map(|v| NameFields {
            campaign: campaign.name.clone(),
            row: v.row,
            lang: v.language.code().to_string(),
            ratio: v.ratio.label().to_string(),
            version: v.attempts.max(1),
            model: v.model.clone(),
            seed: v.seed.and_then(|s| u64::try_from(s).ok()),
            job: v.job_id.clone().unwrap_or_default(),
        })
        .collect();
    let names = pattern.render_all(&fields);
    let mut entries = Vec::with_capacity(variants.len());
    for (v, name) in variants.iter().zip(names) {
        let line = text_of(v);
        let cues = cues_of(&assets, v, &line).await;
        entries.push(Entry {
            manifest: ManifestRow {
                file: name.clone(),
                row: v.row,
                language: v.language.code().to_string(),
                ratio: v.ratio.label().to_string(),
                model: v.model.clone(),
                seed: v.seed.and_then(|s| u64::try_from(s).ok()),
                cost_usd: dollars(v.cost_usd_micros.unwrap_or(v.estimate_usd_micros)),
                lipsync_offset_ms: v
                    .sync
                    .as_ref()
                    .and_then(|s| s.offset_ms)
                    .map(|ms| ms.round() as i64),
                decision: v
                    .decision
                    .map(|d| d.label().to_string())
                    .unwrap_or_default(),
                reviewer: v.reviewer.clone().unwrap_or_default(),
                time: rfc3339(v.decided_at.unwrap_or(v.updated_at)),
            },
            name,
            video: v.video.clone().unwrap_or_default(),
            captions: cues,
        });
    }
    let (writer, chunks) = ChannelWriter::channel(8);
    let handle = Handle::current();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = write(writer, &entries, &assets, &handle) {
            tracing::warn!(error = format!("{e:#}"), "a campaign package stopped");
        }
    });
    Ok(Body::from_stream(
        tokio_stream::wrappers::ReceiverStream::new(chunks),
    ))
}

fn write(
    writer: ChannelWriter,
    entries: &[Entry],
    assets: &AssetStore,
    handle: &Handle,
) -> anyhow::Result<()> {
    let mut package = PackageWriter::new(writer);
    for entry in entries {
        let stream = handle.block_on(assets.stream(&entry.video, None))?;
        package.add_clip(&entry.name, StreamReader::new(stream, handle.clone()))?;
        package.add_captions(&entry.name, &entry.captions)?;
    }
    let rows: Vec<ManifestRow> = entries.iter().map(|e| e.manifest.clone()).collect();
    package.add_manifest(&rows)?;
    package.finish()?.close()?;
    Ok(())
}

/// What the variant's take says.
fn text_of(v: &BoardVariant) -> String {
    v.line.clone().unwrap_or_default()
}

/// The captions of a variant's take: from the draft sidecar's timing when
/// it has one, otherwise the line laid over the spans where its sound
/// carries speech; none when neither can be read (the clip still goes in).
async fn cues_of(assets: &AssetStore, v: &BoardVariant, line: &str) -> Vec<Cue> {
    if line.trim().is_empty() {
        return Vec::new();
    }
    if let Some(sidecar) = &v.sidecar
        && let Ok(bytes) = assets.read(sidecar).await
        && let Ok(json) = String::from_utf8(bytes)
        && let Ok(cues) = cues_from_draft_sidecar(&json)
    {
        return cues;
    }
    let Some(video) = &v.video else {
        return Vec::new();
    };
    let Ok(bytes) = assets.read(video).await else {
        return Vec::new();
    };
    let text = line.to_string();
    tokio::task::spawn_blocking(move || {
        chorus_decode::Mp4Source::parse("take", &bytes)
            .and_then(|source| chorus_decode::speech_spans(&source))
            .map(|spans| cues_from_speech(&spans, &text))
            .unwrap_or_default()
    })
    .await
    .unwrap_or_default()
}

fn dollars(usd_micros: u64) -> String {
    format!("{}.{:06}", usd_micros / 1_000_000, usd_micros % 1_000_000)
}

/// An asset's byte stream read as `std::io::Read` on a blocking thread.
struct StreamReader {
    stream: ByteStream,
    handle: Handle,
    chunk: Bytes,
}

impl StreamReader {
    fn new(stream: ByteStream, handle: Handle) -> Self {
        StreamReader {
            stream,
            handle,
            chunk: Bytes::new(),
        }
    }
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                None => return Ok(0),
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}
