//! A take's sound as plain samples on the picture's clock. The AAC samples
//! are demuxed by chorus-media and decoded with WebCodecs' `AudioDecoder`,
//! then placed at their presentation times, edit lists included (by
//! `placement`, which does not trust the decoder's clock before the
//! picture's). That is
//! what makes a corrected version (whose sound is moved by an edit list,
//! not re-encoded) sound and measure different from its original: we do not
//! rely on how a browser's `decodeAudioData` treats edit lists.

use std::cell::RefCell;
use std::rc::Rc;

use chorus_media::{CodecConfig, Track};
use gloo_net::http::Request;
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{
    AudioData, AudioDataCopyToOptions, AudioDecoder, AudioDecoderConfig, AudioDecoderInit,
    AudioSampleFormat, EncodedAudioChunk, EncodedAudioChunkInit, EncodedAudioChunkType,
};

use super::placement::{Block, Start, place};

/// Mono samples from picture time 0 (silence where the track starts late).
pub struct Pcm {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
}

impl Pcm {
    /// Loudest sample per bucket, 0..=1, `buckets` across the clip.
    pub fn peaks(&self, buckets: usize) -> Vec<f32> {
        let per = (self.samples.len() / buckets.max(1)).max(1);
        self.samples
            .chunks(per)
            .map(|c| c.iter().fold(0.0_f32, |m, s| m.max(s.abs())).min(1.0))
            .collect()
    }
}

/// What the decoder's output callback collects.
#[derive(Default)]
struct Decoded {
    /// In output order, with the decoder's timestamps.
    blocks: Vec<Block>,
    error: Option<String>,
}

/// Fetches the file whole and decodes its sound; `Ok(None)` when it has no
/// audio track.
pub async fn load(url: &str, duration_s: f64) -> Result<Option<Pcm>, String> {
    let bytes = Request::get(url)
        .send()
        .await
        .map_err(|e| format!("could not fetch the take ({e})"))?
        .binary()
        .await
        .map_err(|e| format!("could not read the take ({e})"))?;
    let movie = chorus_media::parse_file(&bytes).map_err(|e| format!("unreadable MP4: {e}"))?;
    let Some(track) = movie.audio_track() else {
        return Ok(None);
    };
    decode(&bytes, track, duration_s).await.map(Some)
}

async fn decode(file: &[u8], track: &Track, duration_s: f64) -> Result<Pcm, String> {
    let CodecConfig::Audio(codec) = &track.codec else {
        return Err("the audio track has no audio codec".into());
    };
    let collected = Rc::new(RefCell::new(Decoded::default()));
    let sink = Rc::clone(&collected);
    let on_output = Closure::<dyn FnMut(AudioData)>::new(move |data: AudioData| {
        let timestamp = data.timestamp() as i64;
        let block = mono(&data);
        data.close();
        match block {
            Ok(samples) => sink.borrow_mut().blocks.push(Block {
                timestamp_us: timestamp,
                samples,
            }),
            Err(why) => sink.borrow_mut().error = Some(why),
        }
    });
    let sink = Rc::clone(&collected);
    let on_error = Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(move |e| {
        sink.borrow_mut().error = Some(format!("the audio decoder failed: {e:?}"));
    });
    let init = AudioDecoderInit::new(
        on_error.as_ref().unchecked_ref(),
        on_output.as_ref().unchecked_ref(),
    );
    let decoder = AudioDecoder::new(&init).map_err(|e| format!("no audio decoder: {e:?}"))?;
    let config = AudioDecoderConfig::new(
        &codec.codec,
        u32::from(codec.channels.max(1)),
        codec.sample_rate,
    );
    if let Some(description) = &codec.description {
        config.set_description_u8_array(&Uint8Array::from(description.as_slice()));
    }
    decoder
        .configure(&config)
        .map_err(|e| format!("this browser cannot decode {}: {e:?}", codec.codec))?;

    let timescale = i64::from(track.timescale.max(1));
    for sample in &track.samples {
        let Some(bytes) =
            file.get(sample.offset as usize..(sample.offset + u64::from(sample.size)) as usize)
        else {
            return Err("the file is shorter than its index says".into());
        };
        let us = sample.presentation_time * 1_000_000 / timescale;
        let chunk = EncodedAudioChunkInit::new_with_u8_array(
            &Uint8Array::from(bytes),
            us as i32,
            EncodedAudioChunkType::Key,
        );
        let chunk =
            EncodedAudioChunk::new(&chunk).map_err(|e| format!("bad audio sample: {e:?}"))?;
        decoder
            .decode(&chunk)
            .map_err(|e| format!("the audio decoder refused a sample: {e:?}"))?;
    }
    wasm_bindgen_futures::JsFuture::from(decoder.flush())
        .await
        .map_err(|e| format!("the audio decoder failed: {e:?}"))?;
    let _ = decoder.close();
    drop((on_output, on_error));

    let collected = collected.take();
    if let Some(why) = collected.error {
        return Err(why);
    }
    let rate = codec.sample_rate.max(1);
    // chorus-media starts a track at its first whole sample inside the
    // edit, as a picture must; sound starts at the edit's exact media time,
    // which may fall inside a packet (Opus pre-skip: 312 of 960 samples),
    // so every block goes that much later (chorus-decode does the same).
    let within_first = track
        .edit
        .shift
        .saturating_sub(track.edit.media_start)
        .max(0);
    let length = (duration_s * f64::from(rate)).round() as usize;
    let start = Start {
        first_tick: track.samples.first().map_or(0, |s| s.presentation_time),
        timescale,
        within_first,
    };
    let samples = place(collected.blocks, start, rate, length);
    Ok(Pcm {
        samples,
        sample_rate: rate,
    })
}

/// The block's channels averaged into one.
fn mono(data: &AudioData) -> Result<Vec<f32>, String> {
    let frames = data.number_of_frames() as usize;
    let channels = data.number_of_channels().max(1);
    let mut sum = vec![0.0_f32; frames];
    let mut plane = vec![0_u8; frames * 4];
    for channel in 0..channels {
        let options = AudioDataCopyToOptions::new(channel);
        options.set_format(AudioSampleFormat::F32Planar);
        data.copy_to_with_u8_slice(&mut plane, &options)
            .map_err(|e| format!("could not read decoded audio: {e:?}"))?;
        for (s, b) in sum.iter_mut().zip(plane.chunks_exact(4)) {
            *s += f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
    }
    let scale = 1.0 / channels as f32;
    Ok(sum.into_iter().map(|s| s * scale).collect())
}
