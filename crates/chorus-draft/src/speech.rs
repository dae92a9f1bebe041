//! Speech: speaking a line with the scratch voice, timing every phoneme on the
//! picture's clock, and judging whether a line fits a clip.

use chorus_core::Language;
use chorus_core::api::SpeechFitLine;
use serde::{Deserialize, Serialize};

use crate::DraftError;
use crate::viseme::{Viseme, viseme_for};
use crate::voice;

/// Silence before the first word, so the presenter settles before speaking.
pub const LEAD_IN_MS: u32 = 400;
/// Silence kept after the last word.
pub const TAIL_MS: u32 = 200;

/// One phoneme on the picture's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhonemeSpan {
    /// espeak-ng mnemonic.
    pub phoneme: String,
    pub viseme: Viseme,
    pub start_ms: f64,
    pub end_ms: f64,
    /// First frame showing it.
    pub start_frame: u32,
    /// Frame after the last one showing it.
    pub end_frame: u32,
}

/// A run of consecutive phonemes with the same mouth shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisemeSpan {
    pub viseme: Viseme,
    pub start_ms: f64,
    pub end_ms: f64,
    pub start_frame: u32,
    pub end_frame: u32,
}

/// A stretch of continuous speech (no pause longer than a breath).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeechSpan {
    pub start_ms: f64,
    pub end_ms: f64,
    pub start_frame: u32,
    pub end_frame: u32,
}

/// The line as spoken: voice audio and its timing on the picture clock.
#[derive(Debug, Clone)]
pub struct SpokenLine {
    /// 48 kHz mono voice, to be placed at `LEAD_IN_MS` (plus any A/V offset).
    pub voice: Vec<f32>,
    pub phonemes: Vec<PhonemeSpan>,
    /// Spoken length in seconds, without lead-in.
    pub seconds: f32,
}

/// Shortest pause that splits speech into separate spans.
const PAUSE_SPLIT_MS: f64 = 150.0;

fn frame_at(ms: f64, fps: u32) -> u32 {
    (ms * f64::from(fps) / 1000.0).round().max(0.0) as u32
}

/// Speaks `text` and places every phoneme on the picture timeline at `fps`.
pub fn speak(language: Language, text: &str, fps: u32) -> Result<SpokenLine, DraftError> {
    let utterance = voice::speak(language.espeak_voice(), text)?;
    let rate = f64::from(utterance.sample_rate.max(1));
    // espeak ends with a stretch of near silence; the clip should not pay for it.
    let end = utterance
        .samples
        .iter()
        .rposition(|s| s.unsigned_abs() > 300)
        .map_or(0, |i| i + 1);
    let end = (end + (utterance.sample_rate as usize * 30 / 1000)).min(utterance.samples.len());
    let voiced = &utterance.samples[..end];
    let seconds = (voiced.len() as f64 / rate) as f32;

    let mut phonemes = Vec::with_capacity(utterance.phonemes.len());
    let marks = &utterance.phonemes;
    for (i, mark) in marks.iter().enumerate() {
        let start = (mark.sample as usize).min(end);
        let stop = marks
            .get(i + 1)
            .map_or(end, |m| (m.sample as usize).min(end));
        if stop <= start {
            continue;
        }
        let start_ms = f64::from(LEAD_IN_MS) + start as f64 * 1000.0 / rate;
        let end_ms = f64::from(LEAD_IN_MS) + stop as f64 * 1000.0 / rate;
        phonemes.push(PhonemeSpan {
            phoneme: mark.name.clone(),
            viseme: viseme_for(&mark.name),
            start_ms,
            end_ms,
            start_frame: frame_at(start_ms, fps),
            end_frame: frame_at(end_ms, fps),
        });
    }
    Ok(SpokenLine {
        voice: resample_to_48k(voiced, utterance.sample_rate),
        phonemes,
        seconds,
    })
}

/// Linear resampling to 48 kHz; espeak's voices are band-limited well below
/// the old Nyquist, so linear interpolation adds no audible aliasing.
fn resample_to_48k(input: &[i16], rate: u32) -> Vec<f32> {
    if input.is_empty() || rate == 0 {
        return Vec::new();
    }
    let out_len = (input.len() as u64 * 48_000 / u64::from(rate)) as usize;
    let step = f64::from(rate) / 48_000.0;
    (0..out_len)
        .map(|i| {
            let pos = i as f64 * step;
            let j = pos as usize;
            let t = (pos - j as f64) as f32;
            let a = f32::from(input[j.min(input.len() - 1)]);
            let b = f32::from(input[(j + 1).min(input.len() - 1)]);
            (a + (b - a) * t) / 32768.0
        })
        .collect()
}

/// Merges phonemes into viseme runs.
pub fn viseme_spans(phonemes: &[PhonemeSpan]) -> Vec<VisemeSpan> {
    let mut spans: Vec<VisemeSpan> = Vec::new();
    for p in phonemes {
        match spans.last_mut() {
            Some(last) if last.viseme == p.viseme && (last.end_ms - p.start_ms).abs() < 0.5 => {
                last.end_ms = p.end_ms;
                last.end_frame = p.end_frame;
            }
            _ => spans.push(VisemeSpan {
                viseme: p.viseme,
                start_ms: p.start_ms,
                end_ms: p.end_ms,
                start_frame: p.start_frame,
                end_frame: p.end_frame,
            }),
        }
    }
    spans
}

/// Stretches of speech, split at pauses of at least `PAUSE_SPLIT_MS`.
pub fn speech_spans(phonemes: &[PhonemeSpan], fps: u32) -> Vec<SpeechSpan> {
    let mut spans: Vec<SpeechSpan> = Vec::new();
    for p in phonemes {
        if p.viseme.is_silence() && p.end_ms - p.start_ms >= PAUSE_SPLIT_MS {
            continue;
        }
        if p.viseme.is_silence() && spans.last().is_none_or(|s| p.start_ms > s.end_ms + 1.0) {
            continue;
        }
        match spans.last_mut() {
            Some(last) if p.start_ms - last.end_ms < PAUSE_SPLIT_MS => last.end_ms = p.end_ms,
            _ => spans.push(SpeechSpan {
                start_ms: p.start_ms,
                end_ms: p.end_ms,
                start_frame: 0,
                end_frame: 0,
            }),
        }
    }
    // A trailing short pause is not speech.
    for s in &mut spans {
        if let Some(last_voiced) = phonemes
            .iter()
            .filter(|p| {
                !p.viseme.is_silence() && p.start_ms >= s.start_ms && p.end_ms <= s.end_ms + 0.5
            })
            .map(|p| p.end_ms)
            .reduce(f64::max)
        {
            s.end_ms = last_voiced;
        }
        s.start_frame = frame_at(s.start_ms, fps);
        s.end_frame = frame_at(s.end_ms, fps);
    }
    spans
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Characters the voice for `language` cannot say, in order of first use.
pub fn unpronounceable(language: Language, text: &str) -> Result<Vec<String>, DraftError> {
    let mut out: Vec<String> = Vec::new();
    let push = |c: char, out: &mut Vec<String>| {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    };
    match language {
        // The ja voice reads kana only; kanji come out as "Chinese letter".
        Language::Japanese => text
            .chars()
            .filter(|&c| is_han(c))
            .for_each(|c| push(c, &mut out)),
        // Hanzi missing from the dictionary are read in English, which the
        // phoneme transcription shows as a switch to `(en)`.
        Language::Mandarin | Language::Cantonese => {
            let mut hanzi: Vec<String> = Vec::new();
            for c in text.chars().filter(|&c| is_han(c)) {
                push(c, &mut hanzi);
            }
            let texts: Vec<&str> = hanzi.iter().map(String::as_str).collect();
            let spoken = voice::transcribe(language.espeak_voice(), &texts)?;
            for (c, ph) in hanzi.iter().zip(spoken) {
                if ph.contains("(en)") {
                    out.push(c.clone());
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// How long `text` takes to say in `language`, and whether it fits a clip of
/// `duration_s` seconds (with the engine's lead-in and tail).
pub fn speech_fit(
    language: Language,
    text: &str,
    duration_s: u32,
) -> Result<SpeechFitLine, DraftError> {
    let spoken = speak(language, text, 25)?;
    let needed = spoken.seconds + (LEAD_IN_MS + TAIL_MS) as f32 / 1000.0;
    let fits = needed <= duration_s as f32;
    let bad = unpronounceable(language, text)?;
    let mut messages = Vec::new();
    if !fits {
        messages.push(
            DraftError::SpeechTooLong {
                language,
                needed_s: needed,
                clip_s: duration_s,
            }
            .to_string(),
        );
    }
    if !bad.is_empty() {
        let what = if language == Language::Japanese {
            "the draft voice reads kana only; write these in kana"
        } else {
            "the draft voice reads these in English"
        };
        messages.push(format!("{what}: {}", bad.join(" ")));
    }
    Ok(SpeechFitLine {
        language,
        seconds: (needed * 10.0).round() / 10.0,
        fits,
        unpronounceable: bad,
        message: if messages.is_empty() {
            None
        } else {
            Some(messages.join("; "))
        },
    })
}
