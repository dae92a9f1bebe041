//! A WebCodecs `VideoDecoder` fed one GOP at a time, in decode order. Frames
//! come back in presentation order through the sink as soon as they are
//! decoded (not at the end of the GOP), so a seek can show its frame while
//! the rest of the GOP is still decoding.

use std::rc::Rc;

use chorus_media::{Track, VideoCodec};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CodecState, EncodedVideoChunk, EncodedVideoChunkInit, EncodedVideoChunkType, VideoDecoder,
    VideoDecoderConfig, VideoDecoderInit, VideoFrame,
};

use super::frame::HeldFrame;

/// One access unit to decode.
pub struct Chunk<'a> {
    pub data: &'a [u8],
    /// Presentation time in microseconds; comes back on the decoded frame.
    pub timestamp_us: i32,
    pub is_keyframe: bool,
}

/// Where decoded frames and failures go.
pub trait Sink {
    fn frame(&self, frame: HeldFrame);
    fn failed(&self, why: String);
}

pub struct Decoder {
    codec: VideoDecoder,
    config: VideoDecoderConfig,
    // Kept alive as long as the decoder can call them.
    _on_output: Closure<dyn FnMut(VideoFrame)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl Decoder {
    pub fn new(codec: &VideoCodec, sink: Rc<dyn Sink>) -> Result<Self, String> {
        let to_sink = Rc::clone(&sink);
        // Wrapped at once, so the frame is closed even if the sink drops it.
        let on_output = Closure::<dyn FnMut(VideoFrame)>::new(move |frame: VideoFrame| {
            to_sink.frame(HeldFrame::new(frame));
        });
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |err: JsValue| {
            sink.failed(format!("the decoder failed: {err:?}"));
        });
        let init = VideoDecoderInit::new(
            on_error.as_ref().unchecked_ref(),
            on_output.as_ref().unchecked_ref(),
        );
        let decoder =
            VideoDecoder::new(&init).map_err(|e| format!("WebCodecs is unavailable: {e:?}"))?;
        let config = VideoDecoderConfig::new(&codec.codec);
        config.set_coded_width(u32::from(codec.coded_width));
        config.set_coded_height(u32::from(codec.coded_height));
        // Output each frame as soon as it can be, rather than after a few
        // more have been queued: a seek waits for exactly one frame.
        config.set_optimize_for_latency(true);
        if let Some(description) = codec.description() {
            config.set_description(&Uint8Array::from(description));
        }
        Ok(Self {
            codec: decoder,
            config,
            _on_output: on_output,
            _on_error: on_error,
        })
    }

    /// False once the decoder has failed (WebCodecs then closes it for good).
    pub fn is_usable(&self) -> bool {
        self.codec.state() != CodecState::Closed
    }

    /// Drops whatever is queued or decoding; frames already output stay
    /// with the sink.
    pub fn abandon(&self) {
        if self.is_usable() {
            let _ = self.codec.reset();
        }
    }

    /// Starts decoding `chunks` (one GOP, decode order, keyframe first) from
    /// a clean state. Returns without waiting; `finish` waits.
    pub fn start(&self, chunks: &[Chunk<'_>]) -> Result<(), String> {
        if !self.is_usable() {
            return Err("the decoder was closed".into());
        }
        // Reset drops the configuration too; configuring per GOP keeps every
        // GOP independent of whatever happened before it.
        self.codec
            .reset()
            .map_err(|e| format!("decoder reset failed: {e:?}"))?;
        self.codec.configure(&self.config).map_err(|e| {
            format!(
                "this browser cannot decode {}: {e:?}",
                self.config.get_codec()
            )
        })?;
        for chunk in chunks {
            let kind = if chunk.is_keyframe {
                EncodedVideoChunkType::Key
            } else {
                EncodedVideoChunkType::Delta
            };
            let init =
                EncodedVideoChunkInit::new(&Uint8Array::from(chunk.data), chunk.timestamp_us, kind);
            let encoded =
                EncodedVideoChunk::new(&init).map_err(|e| format!("bad video sample: {e:?}"))?;
            self.codec
                .decode(&encoded)
                .map_err(|e| format!("decode refused a sample: {e:?}"))?;
        }
        Ok(())
    }

    /// Resolves when every chunk given to `start` has been output (or the
    /// decoder was reset meanwhile, which rejects: `Err`).
    pub fn finish(&self) -> js_sys::Promise {
        self.codec.flush().unchecked_into()
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        if self.is_usable() {
            let _ = self.codec.close();
        }
    }
}

/// A sample's presentation time in microseconds, the unit WebCodecs uses;
/// decoded frames carry it back, which is how they are matched to frame
/// numbers. i32 covers 35 minutes, far beyond our clips.
pub fn timestamp_us(track: &Track, sample: usize) -> i32 {
    let ticks = track.samples.get(sample).map_or(0, |s| s.presentation_time);
    let scale = i64::from(track.timescale.max(1));
    (ticks * 1_000_000 / scale) as i32
}
