//! Video to luma frames, streamed in presentation order: H.264, HEVC and AV1
//! through libavcodec (`libav.rs`), by the track's sample entry; H.264
//! through OpenH264 when libavcodec has no decoder for it. (Conforming H.264
//! decoders give the same pixels, so either reads the same; libavcodec is
//! several times faster on B-frames and CABAC.)
//!
//! OpenH264 decodes one stream on one core, so a long H.264 clip is cut at
//! IDR frames that start closed groups of pictures: each such segment
//! decodes on its own with a fresh decoder, and segments run on worker
//! threads while the caller consumes frames in order. libavcodec threads
//! inside one stream, so HEVC and AV1 are one run. Only the Y plane is
//! kept.

use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use chorus_media::{CodecConfig, Track};
use chorus_sync::LumaFrame;
use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;

use crate::annexb::NalConfig;
use crate::libav::{self, VideoStream};
use crate::{DecodeError, Mp4Source};

/// Most decoding threads; past two the clip analysis is no longer
/// decode-bound on the machines we target.
const MAX_THREADS: usize = 4;
/// Frames a worker may decode ahead of the consumer (full-size luma each).
const QUEUE_FRAMES: usize = 6;

/// What was decoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoInfo {
    pub width: u32,
    pub height: u32,
    /// Frames per second from the track's timing (average if variable).
    pub fps: f64,
    /// Frames delivered to the callback: the shown samples that decoded.
    pub frames: usize,
    /// Presentation time of the first shown frame, in seconds.
    pub start_seconds: f64,
}

/// How a picture track is decoded.
pub(crate) enum Picture {
    H264(NalConfig),
    Libav(VideoStream),
}

/// The decoder for `track`'s codec, or why there is none.
pub(crate) fn picture(source: &Mp4Source<'_>, track: &Track) -> Result<Picture, DecodeError> {
    if let Some(stream) = VideoStream::of(source, track)? {
        return Ok(Picture::Libav(stream));
    }
    avc_config(source, track).map(Picture::H264)
}

/// Threads for decoding: up to `MAX_THREADS`.
pub(crate) fn thread_count() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_THREADS)
}

/// Decodes the first video track (H.264, HEVC or AV1) and calls
/// `on_frame(n, luma)` for each shown frame `n = 0, 1, …` in presentation
/// order. Frames are not kept: the callback sees each one once. Uses up to
/// `MAX_THREADS` threads.
pub fn decode_luma_frames<F>(
    source: &Mp4Source<'_>,
    mut on_frame: F,
) -> Result<VideoInfo, DecodeError>
where
    F: FnMut(usize, &LumaFrame<'_>) -> Result<(), DecodeError>,
{
    let track = source.video_track()?;
    let picture = picture(source, track)?;
    let fps = track
        .frame_rate
        .map(|r| r.rate().as_f64())
        .filter(|f| f.is_finite() && *f > 0.0)
        .ok_or_else(|| DecodeError::NoFrameRate {
            file: source.name().to_owned(),
        })?;
    let start_seconds = track
        .frames
        .first()
        .and_then(|&i| track.samples.get(i))
        .map_or(0.0, |s| {
            s.presentation_time as f64 / f64::from(track.timescale)
        });
    let mut info = VideoInfo {
        width: 0,
        height: 0,
        fps,
        frames: 0,
        start_seconds,
    };
    let mut deliver = |frame: &LumaFrame<'_>| {
        info.width = frame.width;
        info.height = frame.height;
        on_frame(info.frames, frame)?;
        info.frames += 1;
        Ok(())
    };
    match picture {
        Picture::Libav(stream) => {
            libav::decode_video(
                source,
                track,
                &stream,
                0..track.samples.len(),
                thread_count(),
                &mut |frame, shown| if shown { deliver(frame) } else { Ok(()) },
            )?;
        }
        Picture::H264(config) => decode_h264(source, track, &config, &mut deliver)?,
    }
    if info.frames == 0 {
        return Err(DecodeError::NoFrames {
            file: source.name().to_owned(),
        });
    }
    Ok(info)
}

/// H.264 in closed segments, on worker threads when there are several.
fn decode_h264(
    source: &Mp4Source<'_>,
    track: &Track,
    config: &NalConfig,
    deliver: &mut dyn FnMut(&LumaFrame<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let segments = segments(source, track, config);
    let threads = thread_count().min(segments.len());
    if threads <= 1 {
        for range in segments {
            decode_segment(source, track, config, range, &mut |frame, shown| {
                if shown { deliver(frame) } else { Ok(()) }
            })?;
        }
    } else {
        decode_parallel(source, track, config, &segments, threads, deliver)?;
    }
    Ok(())
}

/// Decodes the first `count` samples of the first video track (from its
/// first keyframe) and returns how many pictures came out: proof that the
/// picture decodes, without decoding all of it.
pub(crate) fn decode_first_pictures(
    source: &Mp4Source<'_>,
    count: usize,
) -> Result<usize, DecodeError> {
    let track = source.video_track()?;
    let end = track.samples.len().min(count);
    let mut pictures = 0;
    let mut count_one = |_: &LumaFrame<'_>, _| {
        pictures += 1;
        Ok(())
    };
    match picture(source, track)? {
        Picture::H264(config) => decode_segment(source, track, &config, 0..end, &mut count_one)?,
        Picture::Libav(stream) => {
            libav::decode_video(
                source,
                track,
                &stream,
                0..end,
                thread_count(),
                &mut count_one,
            )?;
        }
    }
    Ok(pictures)
}

fn avc_config(source: &Mp4Source<'_>, track: &Track) -> Result<NalConfig, DecodeError> {
    let CodecConfig::Video(codec) = &track.codec else {
        let name = match &track.codec {
            CodecConfig::Unknown { fourcc } => fourcc.to_string(),
            _ => "audio".to_owned(),
        };
        return Err(source.unsupported("video codec", name));
    };
    if !matches!(&codec.fourcc.0, b"avc1" | b"avc3") {
        return Err(source.unsupported("video codec", codec.codec.clone()));
    }
    NalConfig::parse(&codec.config_record).map_err(|reason| DecodeError::BadStream {
        file: source.name().to_owned(),
        codec: "H.264",
        reason,
    })
}

/// Cuts the samples (decode order) into independently decodable ranges: a
/// new range starts at a keyframe that is an IDR picture and that no later
/// sample is presented before (no leading pictures reaching back).
fn segments(source: &Mp4Source<'_>, track: &Track, config: &NalConfig) -> Vec<Range<usize>> {
    let samples = &track.samples;
    // Earliest presentation time from each index to the end.
    let mut earliest_after = vec![i64::MAX; samples.len() + 1];
    for i in (0..samples.len()).rev() {
        earliest_after[i] = earliest_after[i + 1].min(samples[i].presentation_time);
    }
    let mut starts = vec![0];
    for &k in &track.keyframes {
        let closed = samples[k].presentation_time <= earliest_after[k];
        let idr = source
            .sample_bytes(track, k)
            .is_ok_and(|bytes| config.starts_with_idr(bytes));
        if k > 0 && closed && idr {
            starts.push(k);
        }
    }
    starts.push(samples.len());
    starts
        .windows(2)
        .map(|w| w[0]..w[1])
        .filter(|r| !r.is_empty())
        .collect()
}

/// Decodes one segment with a fresh decoder, calling `emit(frame, shown)`
/// for every picture in presentation order.
fn decode_segment(
    source: &Mp4Source<'_>,
    track: &Track,
    config: &NalConfig,
    range: Range<usize>,
    emit: &mut dyn FnMut(&LumaFrame<'_>, bool) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let decode_error = |index: usize, e: openh264::Error| DecodeError::VideoDecode {
        file: source.name().to_owned(),
        codec: "H.264",
        index,
        reason: e.to_string(),
    };
    // Without NoFlush the wrapper forces a picture out after every packet,
    // which breaks B-frame reordering.
    let decoder_config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), decoder_config)
        .map_err(|e| decode_error(range.start, e))?;
    // The decoder returns pictures in presentation order; the n-th one out
    // is the n-th of this segment's samples sorted by presentation time.
    let mut order: Vec<usize> = range.clone().collect();
    order.sort_by_key(|&i| (track.samples[i].presentation_time, i));
    let mut out = order.iter().map(|&i| track.samples[i].is_shown);
    let mut packet = config.parameter_sets.clone();
    for index in range.clone() {
        let bytes = source.sample_bytes(track, index)?;
        config
            .sample_to_annex_b(bytes, &mut packet)
            .map_err(|reason| DecodeError::BadStream {
                file: source.name().to_owned(),
                codec: "H.264",
                reason: format!("sample {index}: {reason}"),
            })?;
        let picture = decoder
            .decode(&packet)
            .map_err(|e| decode_error(index, e))?;
        packet.clear();
        if let Some(picture) = picture {
            emit_picture(&picture, out.next().unwrap_or(false), emit)?;
        }
    }
    let rest = decoder
        .flush_remaining()
        .map_err(|e| decode_error(range.end.saturating_sub(1), e))?;
    for picture in &rest {
        emit_picture(picture, out.next().unwrap_or(false), emit)?;
    }
    Ok(())
}

fn emit_picture(
    picture: &impl YUVSource,
    shown: bool,
    emit: &mut dyn FnMut(&LumaFrame<'_>, bool) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let (width, height) = picture.dimensions();
    let frame = LumaFrame {
        data: picture.y(),
        width: width as u32,
        height: height as u32,
        stride: picture.strides().0,
    };
    emit(&frame, shown)
}

/// A decoded picture sent from a worker to the consumer.
enum Message {
    Frame {
        width: u32,
        height: u32,
        luma: Vec<u8>,
    },
    SegmentDone,
    Failed(DecodeError),
}

/// Worker `w` decodes segments `w, w + threads, …` in order into its own
/// bounded queue; the consumer reads the queues round-robin, one segment
/// at a time, so frames arrive in order and at most `QUEUE_FRAMES` per
/// worker wait in memory.
fn decode_parallel(
    source: &Mp4Source<'_>,
    track: &Track,
    config: &NalConfig,
    segments: &[Range<usize>],
    threads: usize,
    deliver: &mut dyn FnMut(&LumaFrame<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    std::thread::scope(|scope| {
        let mut queues: Vec<Receiver<Message>> = Vec::with_capacity(threads);
        let mut workers = Vec::with_capacity(threads);
        for worker in 0..threads {
            let (tx, rx) = sync_channel(QUEUE_FRAMES);
            queues.push(rx);
            let mine: Vec<Range<usize>> = segments
                .iter()
                .skip(worker)
                .step_by(threads)
                .cloned()
                .collect();
            workers.push(scope.spawn(move || run_worker(source, track, config, &mine, &tx)));
        }
        let result = consume(source, segments.len(), &queues, deliver);
        // Closing the queues makes blocked workers' sends fail, so they stop;
        // joining each one here turns a panic into an error instead of
        // letting the scope re-raise it.
        drop(queues);
        // Every handle must be joined (no short-circuit): an unjoined
        // panicked thread would make the scope panic.
        let mut panicked = false;
        for worker in workers {
            panicked |= worker.join().is_err();
        }
        if panicked {
            return Err(DecodeError::WorkerPanicked {
                file: source.name().to_owned(),
            });
        }
        result
    })
}

/// Reads segment `s` from queue `s % threads`, in segment order.
fn consume(
    source: &Mp4Source<'_>,
    segments: usize,
    queues: &[Receiver<Message>],
    deliver: &mut dyn FnMut(&LumaFrame<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    for s in 0..segments {
        let queue = &queues[s % queues.len()];
        loop {
            match queue.recv() {
                Ok(Message::Frame {
                    width,
                    height,
                    luma,
                }) => deliver(&LumaFrame {
                    data: &luma,
                    width,
                    height,
                    stride: width as usize,
                })?,
                Ok(Message::SegmentDone) => break,
                Ok(Message::Failed(e)) => return Err(e),
                Err(_) => {
                    return Err(DecodeError::WorkerPanicked {
                        file: source.name().to_owned(),
                    });
                }
            }
        }
    }
    Ok(())
}

fn run_worker(
    source: &Mp4Source<'_>,
    track: &Track,
    config: &NalConfig,
    segments: &[Range<usize>],
    tx: &SyncSender<Message>,
) {
    for range in segments {
        let result = decode_segment(source, track, config, range.clone(), &mut |frame, shown| {
            if !shown {
                return Ok(());
            }
            let width = frame.width as usize;
            let mut luma = Vec::with_capacity(width * frame.height as usize);
            for row in frame.data.chunks(frame.stride).take(frame.height as usize) {
                luma.extend_from_slice(&row[..width]);
            }
            let message = Message::Frame {
                width: frame.width,
                height: frame.height,
                luma,
            };
            // A closed queue means the consumer gave up; the error only
            // stops this worker and is never shown.
            tx.send(message).map_err(|_| DecodeError::WorkerPanicked {
                file: source.name().to_owned(),
            })
        });
        let done = match result {
            Ok(()) => tx.send(Message::SegmentDone),
            Err(e) => tx.send(Message::Failed(e)),
        };
        if done.is_err() {
            return;
        }
    }
}
