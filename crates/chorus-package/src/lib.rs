//! Delivery packages: a campaign's clips in one ZIP, each with SRT and
//! WebVTT captions, and a `manifest.csv` saying what each clip is, who
//! approved it and what it cost. The ZIP is written as a stream (no
//! seeking, data descriptors after each entry) through fixed buffers, so a
//! package of any size goes to an HTTP body or a file in bounded memory.
//!
//! # How the server writes a package
//!
//! ```no_run
//! # fn clips() -> Vec<(String, u64, std::fs::File, Option<String>, chorus_package::ManifestRow)> { Vec::new() }
//! use chorus_package::{ChannelWriter, PackageWriter, cues_from_draft_sidecar};
//!
//! // In the handler: the receiver becomes the body
//! // (`Body::from_stream(ReceiverStream::new(rx))`), the writer runs in
//! // `tokio::task::spawn_blocking`.
//! let (sink, _rx) = ChannelWriter::channel(8);
//! let mut package = PackageWriter::new(sink);
//! let mut rows = Vec::new();
//! for (name, len, file, sidecar_json, row) in clips() {
//!     // `name` from chorus_core::delivery::NamePattern::render_all; the
//!     // clip any `Read` (an asset file; an S3 object through
//!     // `tokio_util::io::SyncIoBridge`). `add_clip` when the length is
//!     // not known.
//!     package.add_clip_sized(&name, len, file)?;
//!     let cues = match sidecar_json {
//!         Some(json) => cues_from_draft_sidecar(&json)?,
//!         // No sidecar (a hosted take, an import): the line laid on the
//!         // speech found in the sound, `chorus_decode::speech_spans_file`
//!         // then `cues_from_speech(&spans, line)`.
//!         None => Vec::new(),
//!     };
//!     package.add_captions(&name, &cues)?;
//!     rows.push(row);
//! }
//! package.add_manifest(&rows)?;
//! // The central directory; then the stream is ended as complete. A
//! // `ChannelWriter` dropped without `close` ends it with an error item.
//! package.finish()?.close()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A client that goes away drops the receiver: the next write fails with
//! `BrokenPipe` and [`PackageError::is_disconnected`] says so, so the
//! writer stops at once and the handler need not log it as a failure.

mod captions;
mod channel;
mod error;
mod manifest;
mod writer;

pub use captions::{
    Cue, MAX_LINE_CHARS, MAX_LINES, cues_from_draft_sidecar, cues_from_speech, srt, vtt,
};
pub use channel::{CHUNK_BYTES, ChannelWriter};
pub use error::PackageError;
pub use manifest::{MANIFEST_NAME, ManifestRow, manifest_csv};
pub use writer::PackageWriter;
