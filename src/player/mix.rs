//! A transport's sound: one voice per screen on one `AudioContext`, each
//! through its own gain (solo and mute set the gains), all started at the
//! same context instant so they stay sample-locked to one another. While it
//! plays, the context's clock is the transport's master clock. The single
//! player is a mix of one voice.

use web_sys::{
    AudioBuffer, AudioBufferSourceNode, AudioContext, AudioScheduledSourceNode, GainNode,
};

use super::transport::Sound;

/// Lead time before a start, so every source begins on the same instant.
const START_LEAD_S: f64 = 0.05;

struct Voice {
    buffer: Option<AudioBuffer>,
    gain: GainNode,
    source: Option<AudioBufferSourceNode>,
}

pub struct Mix {
    context: AudioContext,
    voices: Vec<Voice>,
    /// While playing: the context time at which media time 0 plays, and
    /// the common start instant.
    origin: Option<(f64, f64)>,
}

impl Mix {
    pub fn new(variants: usize) -> Option<Self> {
        let context = AudioContext::new().ok()?;
        let mut voices = Vec::with_capacity(variants);
        for _ in 0..variants {
            let gain = context.create_gain().ok()?;
            gain.connect_with_audio_node(&context.destination()).ok()?;
            voices.push(Voice {
                buffer: None,
                gain,
                source: None,
            });
        }
        Some(Self {
            context,
            voices,
            origin: None,
        })
    }

    /// The context sound is decoded on, so its buffers play here.
    pub fn context(&self) -> &AudioContext {
        &self.context
    }

    /// Gives voice `index` its sound (it stays silent until then).
    pub fn set_buffer(&mut self, index: usize, buffer: AudioBuffer) {
        if let Some(voice) = self.voices.get_mut(index) {
            voice.buffer = Some(buffer);
        }
    }

    /// Gives voice `index` mono `samples` at `sample_rate`.
    pub fn set_samples(&mut self, index: usize, samples: &[f32], sample_rate: u32) {
        let Ok(buffer) =
            self.context
                .create_buffer(1, samples.len().max(1) as u32, sample_rate as f32)
        else {
            return;
        };
        if buffer.copy_to_channel(samples, 0).is_ok() {
            self.set_buffer(index, buffer);
        }
    }

    /// Which variants are heard, one flag each.
    pub fn set_audible(&self, audible: &[bool]) {
        for (voice, on) in self.voices.iter().zip(audible) {
            voice.gain.gain().set_value(if *on { 1.0 } else { 0.0 });
        }
    }

}

impl Sound for Mix {
    /// Starts every voice at `media_s` seconds into the clip, together.
    fn play_from(&mut self, media_s: f64) {
        self.stop();
        let _ = self.context.resume();
        let when = self.context.current_time() + START_LEAD_S;
        let offset = media_s.max(0.0);
        for voice in &mut self.voices {
            let Some(buffer) = &voice.buffer else {
                continue;
            };
            let Ok(node) = self.context.create_buffer_source() else {
                continue;
            };
            node.set_buffer(Some(buffer));
            if node.connect_with_audio_node(&voice.gain).is_ok()
                && node.start_with_when_and_grain_offset(when, offset).is_ok()
            {
                voice.source = Some(node);
            }
        }
        self.origin = Some((when - offset, when));
    }

    fn stop(&mut self) {
        for voice in &mut self.voices {
            if let Some(node) = voice.source.take() {
                let _ = AudioScheduledSourceNode::stop(&node);
                let _ = node.disconnect();
            }
        }
        self.origin = None;
    }

    /// Where playback is, in seconds of the clip, while playing; before the
    /// common start instant it holds at the start position.
    fn media_time(&self) -> Option<f64> {
        let (origin, start) = self.origin?;
        Some(self.context.current_time().max(start) - origin)
    }
}

impl Drop for Mix {
    fn drop(&mut self) {
        self.stop();
        let _ = self.context.close();
    }
}
