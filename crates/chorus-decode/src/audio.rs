//! AAC-LC audio to interleaved `f32` PCM laid on the movie timeline.
//!
//! Decoded with symphonia's pure-Rust AAC decoder: no second C library to
//! build, and AAC-LC (all our engines and ffmpeg's default emit) is exactly
//! what it supports. Each packet's output is placed at that packet's
//! presentation time, so edit lists (encoder priming, `-itsoffset` delays)
//! come out as ffmpeg plays them: silence before a delayed start, priming
//! samples before time 0 dropped.

use chorus_media::{CodecConfig, Track};
use symphonia_codec_aac::AacDecoder;
use symphonia_core::audio::SampleBuffer;
use symphonia_core::codecs::{CODEC_TYPE_AAC, CodecParameters, Decoder as _, DecoderOptions};
use symphonia_core::formats::Packet;

use crate::{DecodeError, Mp4Source};

/// MPEG-4 audio object type of AAC-LC.
const AAC_LC: u8 = 2;

/// Decoded audio; `samples[0]` plays at time 0 of the movie timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedAudio {
    /// Interleaved, `channels` values per frame, nominally in −1..=1.
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    pub channels: u16,
}

impl DecodedAudio {
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels.max(1))
    }
}

/// Decodes the first audio track.
pub fn decode_audio(source: &Mp4Source<'_>) -> Result<DecodedAudio, DecodeError> {
    let track = source.audio_track()?;
    let mut aac = aac_decoder(source, track)?;
    let mut out = Timeline::default();
    let mut interleaved: Option<SampleBuffer<f32>> = None;
    for (index, sample) in track.samples.iter().enumerate() {
        let packet = packet(source, track, index, sample)?;
        let decoded = aac.decode(&packet).map_err(|e| DecodeError::AudioDecode {
            file: source.name().to_owned(),
            index,
            reason: e.to_string(),
        })?;
        let spec = *decoded.spec();
        let buffer = match &mut interleaved {
            Some(b) if b.capacity() >= decoded.capacity() * spec.channels.count() => b,
            slot => slot.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buffer.copy_interleaved_ref(decoded);
        out.rate = spec.rate;
        out.channels = spec.channels.count();
        // Times are in track ticks; PCM frames count at the decoded rate.
        let at = tick_to_frame(sample.presentation_time, track, spec.rate);
        out.place(at, buffer.samples());
    }
    Ok(DecodedAudio {
        samples: out.samples,
        sample_rate: out.rate,
        channels: u16::try_from(out.channels).unwrap_or(u16::MAX),
    })
}

/// An AAC-LC decoder for `track`, or why its sound is not AAC-LC.
fn aac_decoder(source: &Mp4Source<'_>, track: &Track) -> Result<AacDecoder, DecodeError> {
    let CodecConfig::Audio(codec) = &track.codec else {
        let name = match &track.codec {
            CodecConfig::Unknown { fourcc } => fourcc.to_string(),
            _ => "video".to_owned(),
        };
        return Err(source.unsupported("audio codec", name));
    };
    if codec.object_type != Some(AAC_LC) {
        return Err(source.unsupported("audio codec", codec.codec.clone()));
    }
    let Some(asc) = &codec.description else {
        return Err(source.unsupported(
            "audio codec",
            "AAC without an AudioSpecificConfig".to_owned(),
        ));
    };
    let mut params = CodecParameters::new();
    params
        .for_codec(CODEC_TYPE_AAC)
        .with_sample_rate(codec.sample_rate)
        .with_extra_data(asc.clone().into_boxed_slice());
    AacDecoder::try_new(&params, &DecoderOptions::default())
        .map_err(|e| source.unsupported("audio codec", format!("{}: {e}", codec.codec)))

}

/// Decodes the first `count` packets of the first audio track: proof that
/// its sound decodes, without decoding all of it.
pub(crate) fn decode_first_packets(source: &Mp4Source<'_>, count: usize) -> Result<(), DecodeError> {
    let track = source.audio_track()?;
    let mut aac = aac_decoder(source, track)?;
    for (index, sample) in track.samples.iter().enumerate().take(count) {
        let packet = packet(source, track, index, sample)?;
        aac.decode(&packet).map_err(|e| DecodeError::AudioDecode {
            file: source.name().to_owned(),
            index,
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// Sample `index` of `track` as a packet for the decoder.
fn packet(
    source: &Mp4Source<'_>,
    track: &Track,
    index: usize,
    sample: &chorus_media::Sample,
) -> Result<Packet, DecodeError> {
    Ok(Packet::new_from_slice(
        track.id,
        sample.decode_time.max(0) as u64,
        u64::from(sample.duration),
        source.sample_bytes(track, index)?,
    ))
}

fn tick_to_frame(ticks: i64, track: &Track, rate: u32) -> i64 {
    let scaled = i128::from(ticks) * i128::from(rate);
    let timescale = i128::from(track.timescale.max(1));
    // Round to nearest, symmetric around zero.
    let rounded = (2 * scaled + scaled.signum() * timescale) / (2 * timescale);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// PCM being assembled from packets placed at their presentation times.
#[derive(Default)]
struct Timeline {
    samples: Vec<f32>,
    rate: u32,
    channels: usize,
}

impl Timeline {
    /// Writes `pcm` (interleaved) starting at frame `at`; frames before 0
    /// are dropped, a gap before `at` is filled with silence, and an overlap
    /// is overwritten by the later packet.
    fn place(&mut self, at: i64, pcm: &[f32]) {
        let channels = self.channels.max(1);
        let skip = usize::try_from(-at).unwrap_or(0).saturating_mul(channels);
        let Some(pcm) = pcm.get(skip..) else { return };
        let start = usize::try_from(at).unwrap_or(0).saturating_mul(channels);
        let end = start + pcm.len();
        if self.samples.len() < end {
            self.samples.resize(end, 0.0);
        }
        self.samples[start..end].copy_from_slice(pcm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_drops_before_zero_and_pads_gaps() {
        let mut t = Timeline {
            channels: 2,
            ..Timeline::default()
        };
        t.place(-1, &[1.0, 1.0, 2.0, 2.0]);
        assert_eq!(t.samples, [2.0, 2.0]);
        t.place(2, &[3.0, 3.0]);
        assert_eq!(t.samples, [2.0, 2.0, 0.0, 0.0, 3.0, 3.0]);
        t.place(-5, &[9.0, 9.0]);
        assert_eq!(t.samples.len(), 6);
    }
}
