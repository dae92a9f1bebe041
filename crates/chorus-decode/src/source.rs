//! An MP4 file held in memory together with its parsed index, and the checks
//! every decoding path shares: which track to use and where its bytes are.

use chorus_media::{Movie, Track};

use crate::DecodeError;

/// A whole MP4 file in memory plus its demuxed index.
#[derive(Debug, Clone)]
pub struct Mp4Source<'a> {
    name: String,
    bytes: &'a [u8],
    movie: Movie,
}

impl<'a> Mp4Source<'a> {
    /// Parses the index of `bytes` (MP4 or MOV); `name` (usually the file
    /// name) only appears in error messages.
    pub fn parse(name: impl Into<String>, bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let name = name.into();
        let movie = chorus_media::parse_file(bytes).map_err(|source| DecodeError::NotMp4 {
            file: name.clone(),
            source,
        })?;
        Ok(Self { name, bytes, movie })
    }

    /// A source whose index was already parsed (by the import check).
    pub(crate) fn from_movie(name: impl Into<String>, bytes: &'a [u8], movie: Movie) -> Self {
        Self {
            name: name.into(),
            bytes,
            movie,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn movie(&self) -> &Movie {
        &self.movie
    }

    pub(crate) fn video_track(&self) -> Result<&Track, DecodeError> {
        self.movie
            .video_track()
            .ok_or_else(|| DecodeError::NoVideo {
                file: self.name.clone(),
            })
    }

    pub(crate) fn audio_track(&self) -> Result<&Track, DecodeError> {
        self.movie
            .audio_track()
            .ok_or_else(|| DecodeError::NoAudio {
                file: self.name.clone(),
            })
    }

    /// The bytes of sample `index` of `track`.
    pub(crate) fn sample_bytes(
        &self,
        track: &Track,
        index: usize,
    ) -> Result<&'a [u8], DecodeError> {
        track
            .samples
            .get(index)
            .and_then(|s| {
                let start = usize::try_from(s.offset).ok()?;
                self.bytes.get(start..start.checked_add(s.size as usize)?)
            })
            .ok_or_else(|| DecodeError::SampleOutOfFile {
                file: self.name.clone(),
                track: track.id,
                index,
            })
    }

    pub(crate) fn unsupported(&self, what: &'static str, detail: impl Into<String>) -> DecodeError {
        DecodeError::UnsupportedCodec {
            file: self.name.clone(),
            what,
            detail: detail.into(),
        }
    }
}
