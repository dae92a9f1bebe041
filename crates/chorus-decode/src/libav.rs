//! HEVC and AV1 pictures and Opus sound through Debian's libavcodec
//! (FFmpeg 5.1; AV1 through its libdav1d wrapper). Only the decoders are
//! used: chorus-media demuxes, and each sample goes in as a packet with its
//! presentation time. No extradata is handed over (the safe wrapper has no
//! way to), so HEVC samples become an Annex B stream led by the `hvcC`
//! parameter sets, AV1 samples are led by the `av1C` record's OBUs (a
//! repeated sequence header is allowed), and Opus is decoded as the
//! default one- or two-channel stream, its pre-skip left to the edit list
//! as for AAC. libavcodec threads within a stream, so each track is one
//! decoder run.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Once;

use chorus_media::{CodecConfig, Track};
use chorus_sync::LumaFrame;
use ff::codec::{Context, Id, threading};
use ff::util::error::EAGAIN;
use ff::util::format::{Pixel, Sample as SampleFormat, sample::Type as SampleLayout};
use ffmpeg_next as ff;

use crate::annexb::NalConfig;
use crate::{DecodeError, Mp4Source};

/// Receives decoded sound: its presentation time in track ticks, the
/// sample rate, the channel count and the interleaved PCM.
pub(crate) type PcmSink<'s> = dyn FnMut(i64, u32, usize, &[f32]) + 's;

/// Reads one sample of a libavcodec sample format as `f32`.
type ReadSample = fn(&[u8]) -> f32;

/// Bytes of an `av1C` record before its configuration OBUs.
const AV1C_HEADER: usize = 4;

/// A picture codec libavcodec decodes for us, with what leads its first
/// packet.
#[derive(Debug, Clone)]
pub(crate) enum VideoStream {
    /// Samples rewritten to Annex B; the parameter sets lead.
    H264(NalConfig),
    /// Samples rewritten to Annex B; the parameter sets lead.
    Hevc(NalConfig),
    /// Samples as stored; the `av1C` configuration OBUs lead.
    Av1 { config_obus: Vec<u8> },
}

impl VideoStream {
    /// The stream of `track` when it is HEVC or AV1, or H.264 when this
    /// libavcodec has its decoder (several times OpenH264's speed on the
    /// B-frames and CABAC of most cameras' and providers' files, and
    /// threaded); `Ok(None)` for any other codec.
    pub(crate) fn of(source: &Mp4Source<'_>, track: &Track) -> Result<Option<Self>, DecodeError> {
        let CodecConfig::Video(codec) = &track.codec else {
            return Ok(None);
        };
        match &codec.fourcc.0 {
            b"avc1" | b"avc3" if h264_decoder().is_some() => NalConfig::parse(&codec.config_record)
                .map(|config| Some(Self::H264(config)))
                .map_err(|reason| DecodeError::BadStream {
                    file: source.name().to_owned(),
                    codec: "H.264",
                    reason,
                }),
            b"hvc1" | b"hev1" => NalConfig::parse_hvcc(&codec.config_record)
                .map(|config| Some(Self::Hevc(config)))
                .map_err(|reason| DecodeError::BadStream {
                    file: source.name().to_owned(),
                    codec: "HEVC",
                    reason,
                }),
            b"av01" => Ok(Some(Self::Av1 {
                config_obus: codec
                    .config_record
                    .get(AV1C_HEADER..)
                    .unwrap_or_default()
                    .to_vec(),
            })),
            _ => Ok(None),
        }
    }

    /// The codec's name for messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::H264(_) => "H.264",
            Self::Hevc(_) => "HEVC",
            Self::Av1 { .. } => "AV1",
        }
    }

    fn decoder(&self) -> Option<ff::Codec> {
        match self {
            Self::H264(_) => h264_decoder(),
            Self::Hevc(_) => {
                ff::decoder::find_by_name("hevc").or_else(|| ff::decoder::find(Id::HEVC))
            }
            // FFmpeg's own AV1 decoder needs a hardware accelerator.
            Self::Av1 { .. } => ff::decoder::find_by_name("libdav1d")
                .or_else(|| ff::decoder::find_by_name("libaom-av1"))
                .or_else(|| ff::decoder::find(Id::AV1)),
        }
    }

    /// Sample `bytes` as a packet payload; `first` adds what leads.
    fn packet_bytes(&self, bytes: &[u8], first: bool) -> Result<Vec<u8>, String> {
        match self {
            Self::H264(config) | Self::Hevc(config) => {
                let mut out = if first {
                    config.parameter_sets.clone()
                } else {
                    Vec::with_capacity(bytes.len() + 16)
                };
                config.sample_to_annex_b(bytes, &mut out)?;
                Ok(out)
            }
            Self::Av1 { config_obus } => Ok(if first {
                [config_obus.as_slice(), bytes].concat()
            } else {
                bytes.to_vec()
            }),
        }
    }
}

/// FFmpeg's own H.264 decoder, when this build has it.
fn h264_decoder() -> Option<ff::Codec> {
    init();
    ff::decoder::find_by_name("h264")
}

/// Registers FFmpeg's error texts (without them errors read as empty),
/// and keeps libavcodec quiet: every failure comes back to us as an error,
/// and a server's log is no place for a decoder's warnings about one
/// upload.
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Only registers the error strings at FFmpeg 5; it cannot fail.
        let _ = ff::init();
        ff::util::log::set_level(ff::util::log::Level::Quiet);
    });
}

/// Decodes samples `range` of `track` (decode order, starting at a
/// keyframe) with `threads` threads, calling `emit(frame, shown)` for each
/// picture in presentation order.
pub(crate) fn decode_video(
    source: &Mp4Source<'_>,
    track: &Track,
    stream: &VideoStream,
    range: Range<usize>,
    threads: usize,
    emit: &mut dyn FnMut(&LumaFrame<'_>, bool) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let mut wide = Vec::new();
    decode_frames(
        source,
        track,
        stream,
        range,
        threads,
        &mut |frame, shown| {
            let luma = luma(frame, &mut wide).ok_or_else(|| unsupported_format(source, frame))?;
            emit(&luma, shown)
        },
    )
}

/// Keyframe `index` decoded alone, as 8-bit RGB (`None` when it gives no
/// picture by itself), converted by libswscale.
pub(crate) fn still_rgb(
    source: &Mp4Source<'_>,
    track: &Track,
    stream: &VideoStream,
    index: usize,
    threads: usize,
) -> Result<Option<(u32, u32, Vec<u8>)>, DecodeError> {
    let mut still = None;
    decode_frames(
        source,
        track,
        stream,
        index..index + 1,
        threads,
        &mut |frame, _| {
            if still.is_none() {
                still = Some(rgb(source, frame, index)?);
            }
            Ok(())
        },
    )?;
    Ok(still)
}

/// `frame` as packed RGB, row after row with no padding.
fn rgb(
    source: &Mp4Source<'_>,
    frame: &ff::frame::Video,
    index: usize,
) -> Result<(u32, u32, Vec<u8>), DecodeError> {
    let (width, height) = (frame.width(), frame.height());
    let fail = |e: ff::Error| DecodeError::VideoDecode {
        file: source.name().to_owned(),
        codec: "libswscale",
        index,
        reason: format!("cannot turn the picture into RGB: {e}"),
    };
    let mut scaler = ff::software::scaling::Context::get(
        frame.format(),
        width,
        height,
        Pixel::RGB24,
        width,
        height,
        ff::software::scaling::Flags::BILINEAR,
    )
    .map_err(|_| unsupported_format(source, frame))?;
    let mut out = ff::frame::Video::empty();
    scaler.run(frame, &mut out).map_err(fail)?;
    let (data, stride) = (out.data(0), out.stride(0));
    let row = width as usize * 3;
    let mut packed = Vec::with_capacity(row * height as usize);
    for line in data.chunks(stride).take(height as usize) {
        packed.extend_from_slice(line.get(..row).unwrap_or(line));
    }
    Ok((width, height, packed))
}

fn unsupported_format(source: &Mp4Source<'_>, frame: &ff::frame::Video) -> DecodeError {
    let format = frame.format();
    let name = format.descriptor().map_or("unknown", |d| d.name());
    source.unsupported("picture format", name.to_owned())
}

/// Decodes samples `range` and hands on each picture with whether it is
/// shown.
fn decode_frames(
    source: &Mp4Source<'_>,
    track: &Track,
    stream: &VideoStream,
    range: Range<usize>,
    threads: usize,
    emit: &mut dyn FnMut(&ff::frame::Video, bool) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    init();
    let name = stream.name();
    let fail = |index: usize, e: ff::Error| DecodeError::VideoDecode {
        file: source.name().to_owned(),
        codec: name,
        index,
        reason: e.to_string(),
    };
    let codec = stream.decoder().ok_or_else(|| {
        source.unsupported(
            "video codec",
            format!("{name}: libavcodec has no decoder for it"),
        )
    })?;
    let mut context = Context::new_with_codec(codec);
    context.set_threading(threading::Config {
        kind: threading::Type::Frame,
        count: threads.max(1),
        ..threading::Config::default()
    });
    let mut decoder = context.decoder();
    decoder.set_packet_time_base(time_base(track));
    let mut decoder = decoder
        .open_as(codec)
        .and_then(ff::decoder::Opened::video)
        .map_err(|e| fail(range.start, e))?;

    // Pictures come out in presentation order, each with its sample's
    // presentation time; by time is how we know which were shown.
    let samples = &track.samples;
    let by_time: HashMap<i64, usize> = range
        .clone()
        .filter_map(|i| samples.get(i).map(|s| (s.presentation_time, i)))
        .collect();
    let mut order: Vec<usize> = range.clone().filter(|&i| i < samples.len()).collect();
    order.sort_by_key(|&i| (samples[i].presentation_time, i));
    let mut out = Pictures {
        frame: ff::frame::Video::empty(),
        by_time,
        order,
        delivered: 0,
    };
    for index in range.clone() {
        let sample = samples
            .get(index)
            .ok_or_else(|| DecodeError::SampleOutOfFile {
                file: source.name().to_owned(),
                track: track.id,
                index,
            })?;
        let bytes = source.sample_bytes(track, index)?;
        let payload = stream
            .packet_bytes(bytes, index == range.start)
            .map_err(|reason| DecodeError::BadStream {
                file: source.name().to_owned(),
                codec: name,
                reason: format!("sample {index}: {reason}"),
            })?;
        let mut packet = ff::Packet::copy(&payload);
        packet.set_pts(Some(sample.presentation_time));
        packet.set_dts(Some(sample.decode_time));
        if sample.is_keyframe {
            packet.set_flags(ff::packet::Flags::KEY);
        }
        loop {
            match decoder.send_packet(&packet) {
                Ok(()) => break,
                // Its output is full: take some and offer the packet again
                // (a decoder that gives none would refuse it forever).
                Err(ff::Error::Other { errno: EAGAIN }) => {
                    let before = out.delivered;
                    out.drain(&mut decoder, samples, emit)
                        .map_err(|e| e.into_decode(&fail, index))?;
                    if out.delivered == before {
                        return Err(fail(index, ff::Error::Other { errno: EAGAIN }));
                    }
                }
                Err(e) => return Err(fail(index, e)),
            }
        }
        out.drain(&mut decoder, samples, emit)
            .map_err(|e| e.into_decode(&fail, index))?;
    }
    let last = range.end.saturating_sub(1);
    decoder.send_eof().map_err(|e| fail(last, e))?;
    out.drain(&mut decoder, samples, emit)
        .map_err(|e| e.into_decode(&fail, last))
}

/// What the picture loop keeps between packets.
struct Pictures {
    frame: ff::frame::Video,
    by_time: HashMap<i64, usize>,
    /// The range's samples in presentation order, for a picture that comes
    /// out without a time.
    order: Vec<usize>,
    delivered: usize,
}

/// A failure inside the drain: the decoder's (its sample is the caller's
/// to name) or ours.
enum Drained {
    Codec(ff::Error),
    Ours(DecodeError),
}

impl Drained {
    fn into_decode(
        self,
        fail: &impl Fn(usize, ff::Error) -> DecodeError,
        index: usize,
    ) -> DecodeError {
        match self {
            Drained::Codec(e) => fail(index, e),
            Drained::Ours(e) => e,
        }
    }
}

impl Pictures {
    /// Hands on every picture the decoder has ready.
    fn drain(
        &mut self,
        decoder: &mut ff::decoder::Video,
        samples: &[chorus_media::Sample],
        emit: &mut dyn FnMut(&ff::frame::Video, bool) -> Result<(), DecodeError>,
    ) -> Result<(), Drained> {
        loop {
            match decoder.receive_frame(&mut self.frame) {
                Ok(()) => {}
                Err(ff::Error::Eof | ff::Error::Other { errno: EAGAIN }) => return Ok(()),
                Err(e) => return Err(Drained::Codec(e)),
            }
            let sample = self
                .frame
                .pts()
                .and_then(|t| self.by_time.get(&t))
                .or_else(|| self.order.get(self.delivered))
                .and_then(|&i| samples.get(i));
            let shown = sample.is_some_and(|s| s.is_shown);
            self.delivered += 1;
            emit(&self.frame, shown).map_err(Drained::Ours)?;
        }
    }
}

/// The Y plane of a decoded picture, at 8 bits (deeper samples narrowed
/// into `wide`); `None` for a pixel format without a plain luma plane.
fn luma<'a>(frame: &'a ff::frame::Video, wide: &'a mut Vec<u8>) -> Option<LumaFrame<'a>> {
    // Right shift that brings a 16-bit little-endian sample to 8 bits.
    let shift = match frame.format() {
        Pixel::YUV420P
        | Pixel::YUVJ420P
        | Pixel::YUV422P
        | Pixel::YUVJ422P
        | Pixel::YUV444P
        | Pixel::YUVJ444P
        | Pixel::YUV440P
        | Pixel::YUVJ440P
        | Pixel::YUV411P
        | Pixel::YUV410P
        | Pixel::NV12
        | Pixel::NV21
        | Pixel::GRAY8 => None,
        Pixel::YUV420P10LE | Pixel::YUV422P10LE | Pixel::YUV444P10LE | Pixel::GRAY10LE => Some(2),
        Pixel::YUV420P12LE | Pixel::YUV422P12LE | Pixel::YUV444P12LE | Pixel::GRAY12LE => Some(4),
        Pixel::P010LE | Pixel::P016LE => Some(8),
        _ => return None,
    };
    let (width, height) = (frame.width(), frame.height());
    let (data, stride) = (frame.data(0), frame.stride(0));
    let Some(shift) = shift else {
        return Some(LumaFrame {
            data,
            width,
            height,
            stride,
        });
    };
    let w = width as usize;
    wide.clear();
    for row in data.chunks(stride).take(height as usize) {
        let row = row.get(..2 * w)?;
        wide.extend(
            row.chunks_exact(2)
                .map(|b| (u16::from_le_bytes([b[0], b[1]]) >> shift).min(255) as u8),
        );
    }
    Some(LumaFrame {
        data: wide,
        width,
        height,
        stride: w,
    })
}

fn time_base(track: &Track) -> ff::Rational {
    ff::Rational::new(1, i32::try_from(track.timescale.max(1)).unwrap_or(i32::MAX))
}

/// Decodes the first `count` Opus packets of `track`, calling
/// `place(ticks, rate, channels, pcm)` with each decoded block of
/// interleaved PCM and its presentation time in track ticks.
pub(crate) fn decode_opus(
    source: &Mp4Source<'_>,
    track: &Track,
    count: usize,
    place: &mut PcmSink<'_>,
) -> Result<(), DecodeError> {
    init();
    let fail = |index: usize, reason: String| DecodeError::AudioDecode {
        file: source.name().to_owned(),
        codec: "Opus",
        index,
        reason,
    };
    let codec = ff::decoder::find_by_name("opus")
        .or_else(|| ff::decoder::find(Id::OPUS))
        .ok_or_else(|| {
            source.unsupported("audio codec", "Opus: libavcodec has no decoder for it")
        })?;
    let mut decoder = Context::new_with_codec(codec).decoder();
    decoder.set_packet_time_base(time_base(track));
    let mut decoder = decoder
        .open_as(codec)
        .and_then(ff::decoder::Opened::audio)
        .map_err(|e| fail(0, e.to_string()))?;
    let mut frame = ff::frame::Audio::empty();
    let mut pcm = Vec::new();
    let end = count.min(track.samples.len());
    for (index, sample) in track.samples.iter().enumerate().take(end) {
        let bytes = source.sample_bytes(track, index)?;
        let mut packet = ff::Packet::copy(bytes);
        packet.set_pts(Some(sample.presentation_time));
        packet.set_dts(Some(sample.decode_time));
        decoder
            .send_packet(&packet)
            .map_err(|e| fail(index, e.to_string()))?;
        if index + 1 == end {
            decoder.send_eof().map_err(|e| fail(index, e.to_string()))?;
        }
        loop {
            match decoder.receive_frame(&mut frame) {
                Ok(()) => {}
                Err(ff::Error::Eof | ff::Error::Other { errno: EAGAIN }) => break,
                Err(e) => return Err(fail(index, e.to_string())),
            }
            interleave(&frame, &mut pcm).ok_or_else(|| {
                fail(
                    index,
                    format!("unexpected sample format {}", frame.format().name()),
                )
            })?;
            let at = frame.pts().unwrap_or(sample.presentation_time);
            place(at, frame.rate(), usize::from(frame.channels()), &pcm);
        }
    }
    Ok(())
}

/// A decoded block of sound as interleaved `f32`, whatever libavcodec's
/// sample format; `None` for one we do not read.
fn interleave(frame: &ff::frame::Audio, out: &mut Vec<f32>) -> Option<()> {
    let channels = usize::from(frame.channels());
    let count = frame.samples();
    out.clear();
    let (width, layout, read): (usize, SampleLayout, ReadSample) = match frame.format() {
        SampleFormat::F32(layout) => (4, layout, |b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
        SampleFormat::I16(layout) => (2, layout, |b| {
            f32::from(i16::from_ne_bytes([b[0], b[1]])) / 32_768.0
        }),
        SampleFormat::I32(layout) => (4, layout, |b| {
            i32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0
        }),
        SampleFormat::F64(layout) => (8, layout, |b| {
            f64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
        }),
        _ => return None,
    };
    if channels == 0 || count == 0 {
        return Some(());
    }
    match layout {
        SampleLayout::Packed => {
            let bytes = frame.data(0).get(..count * channels * width)?;
            out.extend(bytes.chunks_exact(width).map(read));
        }
        SampleLayout::Planar => {
            if frame.planes() < channels {
                return None;
            }
            let planes = (0..channels)
                .map(|c| frame.data(c).get(..count * width))
                .collect::<Option<Vec<&[u8]>>>()?;
            out.reserve(count * channels);
            for i in 0..count {
                for plane in &planes {
                    out.push(read(&plane[i * width..(i + 1) * width]));
                }
            }
        }
    }
    Some(())
}
