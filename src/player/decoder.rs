//! A WebCodecs `VideoDecoder` fed one GOP at a time. Chunks go in decode
//! order; the decoder hands frames back in presentation order, each copied
//! out and closed at once so the decoder's own frame pool never runs dry.

use std::cell::RefCell;
use std::rc::Rc;

use chorus_media::VideoCodec;
use gloo_timers::future::TimeoutFuture;
use js_sys::Uint8Array;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CodecState, EncodedVideoChunk, EncodedVideoChunkInit, EncodedVideoChunkType, VideoDecoder,
    VideoDecoderConfig, VideoDecoderInit, VideoFrame,
};

use super::frame::{OwnedFrame, copy_out};
use super::picture::Picture;

/// One access unit to decode.
pub struct Chunk<'a> {
    pub data: &'a [u8],
    /// Presentation time in microseconds; comes back on the decoded frame.
    pub timestamp_us: i32,
    pub is_keyframe: bool,
}

/// What the decoder's callbacks share with the caller.
#[derive(Default)]
struct Outputs {
    pictures: Vec<(i64, Picture)>,
    /// Frames output but still being copied out.
    pending: usize,
    error: Option<String>,
}

pub struct Decoder {
    codec: VideoDecoder,
    config: VideoDecoderConfig,
    outputs: Rc<RefCell<Outputs>>,
    // Kept alive as long as the decoder can call them.
    _on_output: Closure<dyn FnMut(VideoFrame)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl Decoder {
    pub fn new(codec: &VideoCodec) -> Result<Self, String> {
        let outputs = Rc::new(RefCell::new(Outputs::default()));
        let sink = Rc::clone(&outputs);
        let on_output = Closure::<dyn FnMut(VideoFrame)>::new(move |frame: VideoFrame| {
            let owned = OwnedFrame(frame);
            let timestamp = owned.0.timestamp() as i64;
            let sink = Rc::clone(&sink);
            sink.borrow_mut().pending += 1;
            spawn_local(async move {
                let copied = copy_out(owned).await;
                let mut out = sink.borrow_mut();
                out.pending -= 1;
                match copied {
                    Ok(picture) => out.pictures.push((timestamp, picture)),
                    Err(why) => out.error = Some(why),
                }
            });
        });
        let sink = Rc::clone(&outputs);
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |err: JsValue| {
            sink.borrow_mut().error = Some(format!("the decoder failed: {err:?}"));
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
        if let Some(description) = codec.description() {
            config.set_description(&Uint8Array::from(description));
        }
        Ok(Self {
            codec: decoder,
            config,
            outputs,
            _on_output: on_output,
            _on_error: on_error,
        })
    }

    /// Decodes `chunks` (one GOP, decode order, keyframe first) and returns
    /// every picture it produced with its timestamp in microseconds.
    pub async fn decode_gop(&self, chunks: &[Chunk<'_>]) -> Result<Vec<(i64, Picture)>, String> {
        // A reset decoder needs configuring again; doing it per GOP also
        // recovers from an earlier error, which closes the decoder's state.
        if self.codec.state() == CodecState::Closed {
            return Err("the decoder was closed".into());
        }
        self.codec
            .reset()
            .map_err(|e| format!("decoder reset failed: {e:?}"))?;
        *self.outputs.borrow_mut() = Outputs::default();
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
        self.codec
            .flush()
            .await
            .map_err(|e| format!("decoding failed: {e:?}"))?;
        // Outputs arrive before flush resolves; their copies may still run.
        while self.outputs.borrow().pending > 0 {
            TimeoutFuture::new(0).await;
        }
        let mut out = self.outputs.borrow_mut();
        if let Some(why) = out.error.take() {
            return Err(why);
        }
        Ok(std::mem::take(&mut out.pictures))
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        if self.codec.state() != CodecState::Closed {
            let _ = self.codec.close();
        }
    }
}
