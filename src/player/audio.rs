//! The take's sound through Web Audio: the file is decoded once with
//! `decodeAudioData` (it reads MP4/AAC whole), giving the waveform for the
//! timeline and a buffer to play. While it plays, the audio clock is the
//! master and video frames follow it, so picture and sound cannot drift.

use gloo_net::http::Request;
use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use web_sys::{AudioBuffer, AudioBufferSourceNode, AudioContext};

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

    /// Where playback is, in seconds of the take, while sound plays.
    pub fn media_time(&self) -> Option<f64> {
        self.playing
            .as_ref()
            .map(|(_, origin)| self.context.current_time() - origin)
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
