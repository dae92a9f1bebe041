//! A WebCodecs `VideoDecoder` fed one GOP at a time. Chunks go in decode
//! order; the decoder hands frames back in presentation order, each copied
//! out and closed at once so the decoder's own frame pool never runs dry,
//! and handed to the owner's sink as soon as it is copied (so a seek can
//! show its frame while the rest of the GOP is still decoding).

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
use chorus_media::Picture;

/// One access unit to decode.
pub struct Chunk<'a> {
    pub data: &'a [u8],
    /// Presentation time in microseconds; comes back on the decoded frame.
    pub timestamp_us: i32,
    pub is_keyframe: bool,
}

/// Where every decoded picture goes, with its timestamp in microseconds.
pub type Sink = Rc<dyn Fn(i64, Picture)>;

/// What the decoder's callbacks share with the caller, for the GOP being
/// decoded (`generation`); copies still running from an abandoned GOP
/// still reach the sink but count for nothing here.
#[derive(Default)]
struct Outputs {
    generation: u64,
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
    /// A decoder for `codec` whose pictures are shrunk by `factor` (see
    /// `chorus_media::preview_factor`) on their way to `deliver`.
    pub fn new(codec: &VideoCodec, factor: u32, deliver: Sink) -> Result<Self, String> {
        let outputs = Rc::new(RefCell::new(Outputs::default()));
        let sink = Rc::clone(&outputs);
        let on_output = Closure::<dyn FnMut(VideoFrame)>::new(move |frame: VideoFrame| {
            let owned = OwnedFrame(frame);
            let timestamp = owned.0.timestamp() as i64;
            let sink = Rc::clone(&sink);
            let deliver = Rc::clone(&deliver);
            let generation = {
                let mut out = sink.borrow_mut();
                out.pending += 1;
                out.generation
            };
            spawn_local(async move {
                let copied = copy_out(owned, factor).await;
                {
                    // An abandoned GOP's copies count for nothing here.
                    let mut out = sink.borrow_mut();
                    if out.generation == generation {
                        out.pending -= 1;
                        if let Err(why) = &copied {
                            out.error = Some(why.clone());
                        }
                    }
                }
                // A picture is the right picture of its timestamp whichever
                // GOP asked for it.
                if let Ok(picture) = copied {
                    deliver(timestamp, picture);
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
        Ok(Self {
            codec: decoder,
            config: decoder_config(codec),
            outputs,
            _on_output: on_output,
            _on_error: on_error,
        })
    }

    /// Decodes `chunks` (one GOP, decode order, keyframe first); every
    /// picture goes to the sink as it comes. Returns once all have, or
    /// fails (also when another GOP's decode started meanwhile: a reset
    /// abandons this one).
    pub async fn decode_gop(&self, chunks: &[Chunk<'_>]) -> Result<(), String> {
        // A reset decoder needs configuring again; doing it per GOP also
        // recovers from an earlier error, which closes the decoder's state.
        if self.codec.state() == CodecState::Closed {
            return Err("the decoder was closed".into());
        }
        self.codec
            .reset()
            .map_err(|e| format!("decoder reset failed: {e:?}"))?;
        let generation = {
            let mut out = self.outputs.borrow_mut();
            out.generation += 1;
            out.pending = 0;
            out.error = None;
            out.generation
        };
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
        loop {
            let (now, pending) = {
                let out = self.outputs.borrow();
                (out.generation, out.pending)
            };
            if now != generation {
                return Err("another GOP's decode took the decoder".into());
            }
            if pending == 0 {
                break;
            }
            TimeoutFuture::new(0).await;
        }
        match self.outputs.borrow_mut().error.take() {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }
}

/// How to configure a `VideoDecoder` for `codec`.
pub(super) fn decoder_config(codec: &VideoCodec) -> VideoDecoderConfig {
    let config = VideoDecoderConfig::new(&codec.codec);
    config.set_coded_width(u32::from(codec.coded_width));
    config.set_coded_height(u32::from(codec.coded_height));
    if let Some(description) = codec.description() {
        config.set_description(&Uint8Array::from(description));
    }
    config
}

impl Drop for Decoder {
    fn drop(&mut self) {
        if self.codec.state() != CodecState::Closed {
            let _ = self.codec.close();
        }
    }
}
