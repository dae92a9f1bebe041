//! Where a clip speaks, from its sound alone: decoded here, judged by
//! chorus-sync's speech test (the one its disagreement spans use). Captions
//! for clips without timing of their own are laid on these spans.

use std::path::Path;

use chorus_sync::SpeechEnvelope;

use crate::{DecodeError, Mp4Source, decode_audio};

/// Envelope frames per second: 10 ms steps.
const SPEECH_FPS: f64 = 100.0;

/// Speech spans of an MP4 or MOV file as (start, end) in ms on the movie
/// timeline. Reads the whole file (clips are a few MB).
pub fn speech_spans_file(path: &Path) -> Result<Vec<(u64, u64)>, DecodeError> {
    let bytes = std::fs::read(path).map_err(|source| DecodeError::Io {
        path: path.display().to_string(),
        source,
    })?;
    speech_spans(&Mp4Source::parse(path.display().to_string(), &bytes)?)
}

/// [`speech_spans_file`] for a clip already parsed.
pub fn speech_spans(source: &Mp4Source<'_>) -> Result<Vec<(u64, u64)>, DecodeError> {
    let sound = decode_audio(source)?;
    let envelope = SpeechEnvelope::from_samples(
        &sound.samples,
        sound.sample_rate,
        sound.channels,
        SPEECH_FPS,
    )
    .map_err(|source_error| DecodeError::Analysis {
        file: source.name().to_owned(),
        source: source_error,
    })?;
    Ok(chorus_sync::speech_spans(&envelope)
        .into_iter()
        .map(|s| (s.start_ms.round() as u64, s.end_ms.round() as u64))
        .collect())
}
