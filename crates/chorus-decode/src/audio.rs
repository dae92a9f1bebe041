//! AAC and Opus sound to interleaved `f32` PCM laid on the movie timeline.
//!
//! AAC is decoded with symphonia's pure-Rust decoder: no second C library
//! for what all our engines and ffmpeg's default emit (AAC-LC; of HE-AAC
//! it decodes the AAC-LC core, at half the rate, which is all the analysis
//! needs). Opus goes through libavcodec (`libav.rs`). Each packet's output
//! is placed at that packet's presentation time, so edit lists (encoder
//! priming and Opus pre-skip, `-itsoffset` delays) come out as ffmpeg plays
//! them, to the sample: silence before a delayed start, priming samples
//! before time 0 dropped.

use chorus_media::{CodecConfig, Track};
use symphonia_codec_aac::AacDecoder;
use symphonia_core::audio::SampleBuffer;
use symphonia_core::codecs::{CODEC_TYPE_AAC, CodecParameters, Decoder as _, DecoderOptions};
use symphonia_core::formats::Packet;

use crate::libav::{self, PcmSink};
use crate::{DecodeError, Mp4Source};

/// MPEG-4 audio object types symphonia decodes: AAC-LC, and HE-AAC v1 and
/// v2 (SBR, PS), of which it decodes the AAC-LC core.
const AAC_KINDS: [u8; 3] = [2, 5, 29];

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

/// Decodes the first audio track (AAC or Opus).
pub fn decode_audio(source: &Mp4Source<'_>) -> Result<DecodedAudio, DecodeError> {
    let track = source.audio_track()?;
    // chorus-media starts a track at its first whole sample inside the
    // edit, as a picture must; sound starts at the edit's exact media time,
    // which may fall inside a packet (Opus pre-skip, 312 of 960 samples).
    let within_first = track
        .edit
        .shift
        .saturating_sub(track.edit.media_start)
        .max(0);
    let mut out = Timeline::default();
    decode_packets(
        source,
        track,
        track.samples.len(),
        &mut |ticks, rate, channels, pcm| {
            out.rate = rate;
            out.channels = channels;
            // Times are in track ticks; PCM frames count at the decoded rate.
            out.place(tick_to_frame(ticks + within_first, track, rate), pcm);
        },
    )?;
    Ok(DecodedAudio {
        samples: out.samples,
        sample_rate: out.rate,
        channels: u16::try_from(out.channels).unwrap_or(u16::MAX),
    })
}

/// Decodes the first `count` packets of the first audio track and returns
/// how many decoded blocks came out: proof that its sound decodes, without
/// decoding all of it.
pub(crate) fn decode_first_packets(
    source: &Mp4Source<'_>,
    count: usize,
) -> Result<usize, DecodeError> {
    let track = source.audio_track()?;
    let mut blocks = 0;
    decode_packets(source, track, count, &mut |_, _, _, pcm| {
        blocks += usize::from(!pcm.is_empty());
    })?;
    Ok(blocks)
}

/// The sound codecs we decode.
enum Sound {
    Aac(Box<AacDecoder>),
    Opus,
}

/// Decodes packets `0..count` of `track`, calling `place(ticks, rate,
/// channels, pcm)` with each block of interleaved PCM and its presentation
/// time in track ticks.
fn decode_packets(
    source: &Mp4Source<'_>,
    track: &Track,
    count: usize,
    place: &mut PcmSink<'_>,
) -> Result<(), DecodeError> {
    match sound(source, track)? {
        Sound::Opus => libav::decode_opus(source, track, count, place),
        Sound::Aac(mut aac) => {
            let mut interleaved: Option<SampleBuffer<f32>> = None;
            for (index, sample) in track.samples.iter().enumerate().take(count) {
                let packet = packet(source, track, index, sample)?;
                let decoded = aac.decode(&packet).map_err(|e| DecodeError::AudioDecode {
                    file: source.name().to_owned(),
                    codec: "AAC",
                    index,
                    reason: e.to_string(),
                })?;
                let spec = *decoded.spec();
                let buffer = match &mut interleaved {
                    Some(b) if b.capacity() >= decoded.capacity() * spec.channels.count() => b,
                    slot => slot.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
                };
                buffer.copy_interleaved_ref(decoded);
                place(
                    sample.presentation_time,
                    spec.rate,
                    spec.channels.count(),
                    buffer.samples(),
                );
            }
            Ok(())
        }
    }
}

/// The decoder for `track`'s sound, or why there is none.
fn sound(source: &Mp4Source<'_>, track: &Track) -> Result<Sound, DecodeError> {
    let CodecConfig::Audio(codec) = &track.codec else {
        let name = match &track.codec {
            CodecConfig::Unknown { fourcc } => fourcc.to_string(),
            _ => "video".to_owned(),
        };
        return Err(source.unsupported("audio codec", name));
    };
    if &codec.fourcc.0 == b"Opus" {
        // Without its `dOps` record libavcodec decodes one or two channels.
        if codec.channels > 2 {
            return Err(source.unsupported(
                "audio codec",
                format!("Opus with {} channels", codec.channels),
            ));
        }
        return Ok(Sound::Opus);
    }
    if !codec.object_type.is_some_and(|t| AAC_KINDS.contains(&t)) {
        return Err(source.unsupported("audio codec", codec.codec.clone()));
    }
    let Some(asc) = &codec.description else {
        return Err(source.unsupported(
            "audio codec",
            "AAC without an AudioSpecificConfig".to_owned(),
        ));
    };
    aac_decoder(asc, codec.sample_rate)
        .map(|aac| Sound::Aac(Box::new(aac)))
        .map_err(|e| source.unsupported("audio codec", format!("{}: {e}", codec.codec)))
}

/// symphonia's AAC decoder for an AudioSpecificConfig.
fn aac_decoder(asc: &[u8], sample_rate: u32) -> symphonia_core::errors::Result<AacDecoder> {
    let mut params = CodecParameters::new();
    params
        .for_codec(CODEC_TYPE_AAC)
        .with_sample_rate(sample_rate)
        .with_extra_data(asc.to_vec().into_boxed_slice());
    AacDecoder::try_new(&params, &DecoderOptions::default())
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

    #[test]
    fn he_aac_configs_open_on_their_aac_lc_core() {
        // AAC-LC, 48 kHz (index 3), stereo.
        let lc = [0x11, 0x90];
        assert!(aac_decoder(&lc, 48_000).is_ok());
        // HE-AAC with explicit SBR: object type 5, core 24 kHz (index 6),
        // stereo, extension 48 kHz (index 3), core object type 2, then the
        // GASpecificConfig.
        let he = [0x2B, 0x11, 0x88, 0x00];
        assert!(aac_decoder(&he, 48_000).is_ok());
        // HE-AAC v2 (object type 29): core 24 kHz mono, extension 48 kHz.
        let he2 = [0xEB, 0x09, 0x88, 0x00];
        assert!(aac_decoder(&he2, 48_000).is_ok());
        // AAC-ELD (object type 39) is not among them.
        assert!(aac_decoder(&[0xF8, 0xE6, 0x20], 48_000).is_err());
    }
}
