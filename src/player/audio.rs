//! The take's sound through Web Audio: the file is decoded once with
//! `decodeAudioData` (it reads MP4/AAC whole), giving the waveform for the
//! timeline and a buffer to play. While it plays, the audio clock is the
//! master and video frames follow it, so picture and sound cannot drift.
//! The clock is what is audible now (`getOutputTimestamp`), not what was
//! last handed to the sound card, so output latency does not show as an
//! offset either.

use gloo_net::http::Request;
use js_sys::{ArrayBuffer, Function, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AudioBuffer, AudioBufferSourceNode, AudioContext, AudioContextState};

use super::clock::now_ms;

/// Peaks per timeline: enough for a crisp waveform at any card width.
const PEAKS: usize = 400;

pub struct Sound {
    context: AudioContext,
    buffer: AudioBuffer,
    /// The node playing now, and the context time at which media time 0
    /// would have played (so media time = now - origin).
    playing: Option<(AudioBufferSourceNode, f64)>,
}

impl Sound {
    /// Fetches and decodes the whole file; `None` when it has no audio or
    /// the browser cannot decode it (the player then stays silent).
    pub async fn load(url: &str) -> Option<(Self, Vec<f32>)> {
        let bytes = Request::get(url).send().await.ok()?.binary().await.ok()?;
        let context = AudioContext::new().ok()?;
        let data: ArrayBuffer = Uint8Array::from(bytes.as_slice()).buffer();
        let buffer: AudioBuffer = context
            .decode_audio_data(&data)
            .ok()?
            .await
            .ok()?
            .dyn_into()
            .ok()?;
        let peaks = peaks(&buffer);
        Some((
            Self {
                context,
                buffer,
                playing: None,
            },
            peaks,
        ))
    }

    /// Starts playing at `media_s` seconds into the take.
    pub fn play_from(&mut self, media_s: f64) {
        self.stop();
        let _ = self.context.resume();
        let Ok(node) = self.context.create_buffer_source() else {
            return;
        };
        node.set_buffer(Some(&self.buffer));
        if node
            .connect_with_audio_node(&self.context.destination())
            .is_err()
        {
            return;
        }
        let now = self.context.current_time();
        if node
            .start_with_when_and_grain_offset(now, media_s.max(0.0))
            .is_ok()
        {
            self.playing = Some((node, now - media_s));
        }
    }

    pub fn stop(&mut self) {
        if let Some((node, _)) = self.playing.take() {
            #[allow(deprecated)]
            let _ = node.stop();
            let _ = node.disconnect();
        }
    }

    /// Where playback is, in seconds of the take, while sound plays. `None`
    /// while the browser holds the context suspended (no user gesture yet):
    /// the caller then keeps time by the wall clock.
    pub fn media_time(&self) -> Option<f64> {
        let (_, origin) = self.playing.as_ref()?;
        if self.context.state() != AudioContextState::Running {
            return None;
        }
        Some(self.audible_context_time() - origin)
    }

    /// The context time being heard now: the last output timestamp moved on
    /// by the wall-clock time since it was taken. Falls back to
    /// `currentTime` where the browser gives no timestamp yet.
    fn audible_context_time(&self) -> f64 {
        let stamp = Reflect::get(&self.context, &"getOutputTimestamp".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .and_then(|f| f.call0(&self.context).ok());
        let field = |name: &str| {
            stamp
                .as_ref()
                .and_then(|s| Reflect::get(s, &JsValue::from_str(name)).ok())
                .and_then(|v| v.as_f64())
        };
        match (field("contextTime"), field("performanceTime")) {
            (Some(context_s), Some(at_ms)) if at_ms > 0.0 => {
                context_s + (now_ms() - at_ms).max(0.0) / 1000.0
            }
            _ => self.context.current_time(),
        }
    }
}

impl Drop for Sound {
    fn drop(&mut self) {
        self.stop();
        let _ = self.context.close();
    }
}

/// Loudest sample per bucket of the first channel, 0.0–1.0.
fn peaks(buffer: &AudioBuffer) -> Vec<f32> {
    let Ok(samples) = buffer.get_channel_data(0) else {
        return Vec::new();
    };
    let per = (samples.len() / PEAKS).max(1);
    samples
        .chunks(per)
        .map(|chunk| chunk.iter().fold(0.0_f32, |m, s| m.max(s.abs())).min(1.0))
        .collect()
}
