//! Every frame of a take once, in order: for measuring it (the lip-sync
//! meter), and for filling a player's cache with the whole take. The
//! player's `frames` answers random seeks, a GOP at a time with a decoder
//! reset per GOP; reading straight through that way costs more than the
//! decode itself. Here:
//!
//! - the file is fetched in a few requests of bounded size
//!   ([`SPAN_BYTES`], `Track::read_spans`), the next while the current one
//!   decodes;
//! - one `VideoDecoder` is configured once and fed every sample in decode
//!   order, never more than [`MAX_QUEUED`] chunks ahead of its output;
//! - each frame that comes out is copied once, straight into wasm memory,
//!   into a buffer reused for every frame, handed over (the analysis reads
//!   only its luma) and closed before the next one is taken.

use std::collections::HashMap;

use chorus_media::{CodecConfig, Track};
use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use gloo_timers::future::TimeoutFuture;
use js_sys::Uint8Array;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CodecState, EncodedVideoChunk, EncodedVideoChunkInit, EncodedVideoChunkType, VideoDecoder,
    VideoDecoderInit, VideoFrame,
};

use super::decoder::decoder_config;
use super::frame::{OwnedFrame, Packed, copy_planes};
use super::frames::{fps, frame_of_timestamp, timestamp_us};
use super::source::{Fetched, fetch_range, load_video_track};

/// Largest request: a 15 s 1080p take is a few of these, a 2 GB import a
/// few hundred, and at most two are held at once.
const SPAN_BYTES: u64 = 8 * 1024 * 1024;
/// Chunks the decoder may hold before we wait for a frame to come out.
const MAX_QUEUED: u32 = 32;

/// One decoded frame's planes, as [`copy_planes`] packs them.
pub struct Decoded<'a> {
    /// Every plane, luma first.
    pub planes: &'a [u8],
    pub layout: Packed,
    pub width: u32,
    pub height: u32,
}

impl Decoded<'_> {
    /// The luma plane, packed (stride = width).
    pub fn luma(&self) -> &[u8] {
        &self.planes[..(self.width * self.height) as usize]
    }
}

/// What the decoder's callbacks send: a frame, or why it stopped.
type Output = Result<OwnedFrame, String>;

pub struct Sequence {
    url: String,
    track: Track,
    /// Asked, with the next frame to come out, before each sample is fed;
    /// the read waits while it answers true.
    hold: Option<Box<dyn Fn(usize) -> bool>>,
}

/// How often a held read looks again.
const HOLD_MS: u32 = 20;

/// The decoder, closed however the read ends.
struct Open(VideoDecoder);

impl Drop for Open {
    fn drop(&mut self) {
        if self.0.state() != CodecState::Closed {
            let _ = self.0.close();
        }
    }
}

impl Sequence {
    pub async fn open(url: &str) -> Result<Self, String> {
        let track = load_video_track(url).await?;
        Ok(Self::of_track(url, track))
    }

    /// The take at `url` whose video index is `track`, already loaded.
    pub fn of_track(url: &str, track: Track) -> Self {
        Self {
            url: url.to_string(),
            track,
            hold: None,
        }
    }

    /// The same read, paused before each sample while `hold(next frame)`
    /// is true (the frames already decoding still come out).
    pub fn held_while(mut self, hold: impl Fn(usize) -> bool + 'static) -> Self {
        self.hold = Some(Box::new(hold));
        self
    }

    pub fn frame_count(&self) -> usize {
        self.track.frame_count()
    }

    /// Frames per second (the average for variable-rate files).
    pub fn fps(&self) -> f64 {
        fps(&self.track)
    }

    /// When `frame` is shown, seconds after the first frame.
    pub fn frame_seconds(&self, frame: usize) -> f64 {
        self.track
            .frame_seconds(frame)
            .unwrap_or_else(|| frame as f64 / self.fps())
    }

    /// Calls `each` with every shown frame's number and planes, in
    /// presentation order, then checks that every frame came. An error from
    /// `each` stops the read.
    pub async fn each_frame(
        &self,
        mut each: impl FnMut(usize, Decoded<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        let CodecConfig::Video(codec) = &self.track.codec else {
            return Err("the video track has no video codec".into());
        };
        let frame_of_timestamp = frame_of_timestamp(&self.track);
        let (sender, mut outputs) = mpsc::unbounded::<Output>();
        let on_output = {
            let sender = sender.clone();
            Closure::<dyn FnMut(VideoFrame)>::new(move |frame: VideoFrame| {
                // A closed receiver drops (so closes) the frame.
                let _ = sender.unbounded_send(Ok(OwnedFrame(frame)));
            })
        };
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |err: JsValue| {
            let _ = sender.unbounded_send(Err(format!("the decoder failed: {err:?}")));
        });
        let init = VideoDecoderInit::new(
            on_error.as_ref().unchecked_ref(),
            on_output.as_ref().unchecked_ref(),
        );
        let decoder = Open(
            VideoDecoder::new(&init).map_err(|e| format!("WebCodecs is unavailable: {e:?}"))?,
        );
        let config = decoder_config(codec);
        decoder
            .0
            .configure(&config)
            .map_err(|e| format!("this browser cannot decode {}: {e:?}", codec.codec))?;

        let mut reader = Reader {
            frame_of_timestamp,
            planes: Vec::new(),
            next: 0,
            delivered: 0,
        };
        let spans = self.track.read_spans(SPAN_BYTES);
        let mut coming = spans.first().map(|span| self.prefetch(span.clone()));
        for (k, span) in spans.iter().enumerate() {
            let fetched = match coming.take() {
                Some(wait) => wait
                    .await
                    .map_err(|_| "the video request was dropped".to_string())??,
                None => break,
            };
            coming = spans.get(k + 1).map(|next| self.prefetch(next.clone()));
            for i in span.clone() {
                while self.hold.as_ref().is_some_and(|hold| hold(reader.next)) {
                    while let Ok(output) = outputs.try_recv() {
                        reader.take(output, &mut each).await?;
                    }
                    TimeoutFuture::new(HOLD_MS).await;
                }
                while decoder.0.decode_queue_size() >= MAX_QUEUED {
                    let output = outputs
                        .next()
                        .await
                        .ok_or("the decoder stopped answering")?;
                    reader.take(output, &mut each).await?;
                }
                while let Ok(output) = outputs.try_recv() {
                    reader.take(output, &mut each).await?;
                }
                self.decode(&decoder.0, &fetched, i)?;
            }
        }
        // Every output comes before flush's promise settles; take them as
        // they come (the decoder waits for frames to be closed).
        let mut flushed = wasm_bindgen_futures::JsFuture::from(decoder.0.flush());
        loop {
            match select(outputs.next(), &mut flushed).await {
                Either::Left((Some(output), _)) => reader.take(output, &mut each).await?,
                Either::Left((None, _)) => return Err("the decoder stopped answering".into()),
                Either::Right((result, _)) => {
                    result.map_err(|e| format!("decoding failed: {e:?}"))?;
                    break;
                }
            }
        }
        while let Ok(output) = outputs.try_recv() {
            reader.take(output, &mut each).await?;
        }
        let expected = self.track.frame_count();
        if reader.delivered != expected {
            return Err(format!(
                "the decoder gave {} of the video's {expected} frames",
                reader.delivered
            ));
        }
        Ok(())
    }

    /// Starts fetching the bytes of samples `span` now; the answer waits in
    /// the receiver.
    fn prefetch(
        &self,
        span: std::ops::Range<usize>,
    ) -> oneshot::Receiver<Result<Fetched, String>> {
        let range = self.track.byte_range(span);
        let (answer, wait) = oneshot::channel();
        let url = self.url.clone();
        spawn_local(async move {
            let fetched = match range {
                Some(range) => fetch_range(&url, range).await,
                None => Err("the index is inconsistent".to_string()),
            };
            let _ = answer.send(fetched);
        });
        wait
    }

    /// Feeds sample `i`, whose bytes are in `fetched`, to the decoder.
    fn decode(&self, decoder: &VideoDecoder, fetched: &Fetched, i: usize) -> Result<(), String> {
        let sample = self.track.samples.get(i).ok_or("the index is inconsistent")?;
        let data = fetched.sample_bytes(sample)?;
        let kind = if sample.is_keyframe {
            EncodedVideoChunkType::Key
        } else {
            EncodedVideoChunkType::Delta
        };
        let init = EncodedVideoChunkInit::new(
            &Uint8Array::from(data),
            timestamp_us(&self.track, i),
            kind,
        );
        let chunk = EncodedVideoChunk::new(&init).map_err(|e| format!("bad video sample: {e:?}"))?;
        decoder
            .decode(&chunk)
            .map_err(|e| format!("decode refused sample {i}: {e:?}"))
    }
}

/// Turns decoder outputs into numbered frames' planes, in order.
struct Reader {
    frame_of_timestamp: HashMap<i64, usize>,
    /// Reused for every frame: one copy's worth of memory.
    planes: Vec<u8>,
    /// The frame number the next output must be at least.
    next: usize,
    delivered: usize,
}

impl Reader {
    async fn take(
        &mut self,
        output: Output,
        each: &mut impl FnMut(usize, Decoded<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        let frame = output?;
        // Frames the edit list hides decode but are never shown.
        let Some(&number) = self.frame_of_timestamp.get(&(frame.0.timestamp() as i64)) else {
            return Ok(());
        };
        if number < self.next {
            return Err(format!(
                "the decoder gave frame {number} after frame {}",
                self.next - 1
            ));
        }
        let (width, height, layout) = copy_planes(&frame.0, &mut self.planes).await?;
        drop(frame);
        self.next = number + 1;
        self.delivered += 1;
        each(
            number,
            Decoded {
                planes: &self.planes,
                layout,
                width,
                height,
            },
        )
    }
}
