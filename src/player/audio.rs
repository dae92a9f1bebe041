//! The single player's sound through Web Audio: the file is decoded once
//! with `decodeAudioData` (it reads MP4/AAC whole), giving the waveform for
//! the timeline and a buffer for the transport's mix.

use gloo_net::http::Request;
use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use web_sys::{AudioBuffer, AudioContext};

/// Peaks per timeline: enough for a crisp waveform at any card width.
const PEAKS: usize = 400;

/// Fetches and decodes the whole file on `context`; `None` when it has no
/// audio or the browser cannot decode it (the player then stays silent).
pub async fn load(url: &str, context: &AudioContext) -> Option<(AudioBuffer, Vec<f32>)> {
    let bytes = Request::get(url).send().await.ok()?.binary().await.ok()?;
    let data: ArrayBuffer = Uint8Array::from(bytes.as_slice()).buffer();
    let buffer: AudioBuffer = context
        .decode_audio_data(&data)
        .ok()?
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let peaks = peaks(&buffer);
    Some((buffer, peaks))
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
