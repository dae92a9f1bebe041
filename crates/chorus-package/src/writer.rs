//! The ZIP itself, written front to back: each entry's header, its bytes,
//! then a data descriptor with its CRC and sizes, and the central directory
//! at the end. Clips are Stored (MP4 is compressed already; deflating it
//! costs time and saves nothing), text is Deflated.

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::PackageError;
use crate::captions::{Cue, srt, vtt};
use crate::manifest::{MANIFEST_NAME, ManifestRow, manifest_csv};

/// Bytes copied from a clip at a time: large enough that per-call costs
/// vanish, small enough to be no memory at all.
const COPY_BYTES: usize = 256 * 1024;

/// Sizes from here on need ZIP64 fields.
const ZIP64_FROM: u64 = 0xFFFF_FFFF;

/// Writes one package into any `Write` (a file, a socket, a
/// [`ChannelWriter`](crate::ChannelWriter)), never seeking and never
/// holding more than one copy buffer of a clip. After an error the package
/// is unusable: every call answers [`PackageError::Stopped`] (a streamed
/// ZIP cannot take an entry back), and its sink gets no more bytes, so the
/// ZIP is left without its central directory and no unpacker mistakes it
/// for a whole package.
pub struct PackageWriter<W: Write> {
    zip: ZipWriter<StreamWriter<Guard<W>>>,
    /// Set on the first error; the guard then refuses every write, so the
    /// zip crate's finishing-on-drop cannot close a package missing a part.
    failed: Arc<AtomicBool>,
    /// Entry names so far, lowercased: names that differ only in case
    /// overwrite each other when unpacked on Windows or macOS.
    names: HashSet<String>,
    buffer: Box<[u8]>,
    modified: DateTime,
}

impl<W: Write> PackageWriter<W> {
    /// A package written into `sink`, every entry dated now (UTC).
    pub fn new(sink: W) -> Self {
        let failed = Arc::new(AtomicBool::new(false));
        PackageWriter {
            zip: ZipWriter::new_stream(Guard {
                inner: sink,
                failed: Arc::clone(&failed),
            }),
            failed,
            names: HashSet::new(),
            buffer: vec![0; COPY_BYTES].into_boxed_slice(),
            modified: DateTime::default_for_write(),
        }
    }

    fn options(&self, method: CompressionMethod, large: bool) -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(method)
            .large_file(large)
            .last_modified_time(self.modified)
            .unix_permissions(0o644)
    }

    fn claim(&mut self, name: &str) -> Result<(), PackageError> {
        let bad = |reason| {
            Err(PackageError::BadName {
                name: name.to_owned(),
                reason,
            })
        };
        if name.is_empty() {
            return bad("it is empty");
        }
        if name.starts_with('/') || name.contains('\\') {
            return bad("entries are relative paths with / between folders");
        }
        if name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return bad("it has an empty, . or .. part, which could unpack outside the folder");
        }
        if !self.names.insert(name.to_lowercase()) {
            return Err(PackageError::Duplicate {
                name: name.to_owned(),
            });
        }
        Ok(())
    }

    fn start(&mut self, name: &str, options: SimpleFileOptions) -> Result<(), PackageError> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(PackageError::Stopped);
        }
        self.claim(name)?;
        let started = self
            .zip
            .start_file(name, options)
            .map_err(|source| PackageError::Zip {
                entry: name.to_owned(),
                source,
            });
        self.check(started)
    }

    /// Adds a clip of unknown length, Stored, copied from `clip` through a
    /// fixed buffer. Its header allows ZIP64 sizes, so clips over 4 GB
    /// need nothing more.
    pub fn add_clip(&mut self, name: &str, clip: impl Read) -> Result<u64, PackageError> {
        let options = self.options(CompressionMethod::Stored, true);
        self.start(name, options)?;
        let copied = self.copy(name, clip);
        self.check(copied)
    }

    /// Adds a clip whose length is known (an asset from the store), Stored.
    /// ZIP64 fields are written only when it needs them, which the oldest
    /// unpackers prefer, and the clip must give exactly `len` bytes.
    pub fn add_clip_sized(
        &mut self,
        name: &str,
        len: u64,
        clip: impl Read,
    ) -> Result<u64, PackageError> {
        let options = self.options(CompressionMethod::Stored, len >= ZIP64_FROM);
        self.start(name, options)?;
        let copied = self
            .copy(name, clip.take(len.saturating_add(1)))
            .and_then(|copied| {
                if copied == len {
                    Ok(copied)
                } else {
                    Err(PackageError::WrongSize {
                        entry: name.to_owned(),
                        expected: len,
                        actual: copied,
                    })
                }
            });
        self.check(copied)
    }

    fn copy(&mut self, name: &str, mut clip: impl Read) -> Result<u64, PackageError> {
        let mut total = 0u64;
        loop {
            let n = match clip.read(&mut self.buffer) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(PackageError::ReadClip {
                        entry: name.to_owned(),
                        source,
                    });
                }
            };
            self.zip
                .write_all(&self.buffer[..n])
                .map_err(|source| PackageError::Write {
                    entry: name.to_owned(),
                    source,
                })?;
            total += n as u64;
        }
    }

    /// Adds a text file, Deflated.
    pub fn add_text(&mut self, name: &str, text: &str) -> Result<(), PackageError> {
        let options = self.options(CompressionMethod::Deflated, false);
        self.start(name, options)?;
        let written = self
            .zip
            .write_all(text.as_bytes())
            .map_err(|source| PackageError::Write {
                entry: name.to_owned(),
                source,
            });
        self.check(written)
    }

    /// Adds a clip's captions beside it: `<stem>.srt` and `<stem>.vtt` for
    /// the clip `<stem>.mp4`. No cues still gives both files (empty SRT, a
    /// bare WebVTT header), so every clip has its pair.
    pub fn add_captions(&mut self, clip_name: &str, cues: &[Cue]) -> Result<(), PackageError> {
        let stem = clip_name
            .rsplit_once('.')
            .map_or(clip_name, |(stem, _)| stem);
        self.add_text(&format!("{stem}.srt"), &srt(cues))?;
        self.add_text(&format!("{stem}.vtt"), &vtt(cues))
    }

    /// Adds `manifest.csv`, one row per clip.
    pub fn add_manifest(&mut self, rows: &[ManifestRow]) -> Result<(), PackageError> {
        let csv = manifest_csv(rows)?;
        self.add_text(MANIFEST_NAME, &csv)
    }

    /// Writes the central directory, flushes, and gives the sink back
    /// (a [`ChannelWriter`](crate::ChannelWriter) is then `close`d).
    pub fn finish(self) -> Result<W, PackageError> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(PackageError::Stopped);
        }
        let failed = Arc::clone(&self.failed);
        let result = self.zip.finish().map(StreamWriter::into_inner);
        let mut guard = result.map_err(|e| {
            failed.store(true, Ordering::Relaxed);
            PackageError::Finish(e)
        })?;
        guard
            .inner
            .flush()
            .map_err(|e| PackageError::Finish(zip::result::ZipError::Io(e)))?;
        Ok(guard.inner)
    }

    /// Remembers an error so nothing more is written.
    fn check<T>(&self, result: Result<T, PackageError>) -> Result<T, PackageError> {
        if result.is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
        result
    }
}

/// The sink behind the zip writer, closed for good after an error.
struct Guard<W> {
    inner: W,
    failed: Arc<AtomicBool>,
}

impl<W: Write> Write for Guard<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.failed.load(Ordering::Relaxed) {
            // Swallowed: the zip crate finishes an archive when it is
            // dropped, and its central directory must not reach the sink.
            // `PackageWriter` refuses every call once failed, so nothing
            // else arrives here.
            return Ok(data.len());
        }
        self.inner.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failed.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.inner.flush()
    }
}
