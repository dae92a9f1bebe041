//! Whether a line fits its clip. The seconds are measured elsewhere (the
//! server's draft voice); the campaign only asks for them and words the
//! answer the way the server's speech-fit check does.

use std::collections::BTreeMap;

use crate::Language;

/// How long a line takes to say.
pub trait SpeechFit {
    /// Seconds `text` takes to say in `language`, lead-in and tail included;
    /// `None` when it has not been measured yet.
    fn seconds(&self, language: Language, text: &str) -> Option<f32>;
}

/// Nothing measured yet: every line's fit is pending.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFit;

impl SpeechFit for NoFit {
    fn seconds(&self, _language: Language, _text: &str) -> Option<f32> {
        None
    }
}

/// Seconds already measured, by language and exact line text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeasuredFit(pub BTreeMap<(Language, String), f32>);

impl MeasuredFit {
    pub fn new() -> Self {
        MeasuredFit::default()
    }

    /// Records that `text` takes `seconds` to say in `language`.
    pub fn insert(&mut self, language: Language, text: impl Into<String>, seconds: f32) {
        self.0.insert((language, text.into()), seconds);
    }
}

impl SpeechFit for MeasuredFit {
    fn seconds(&self, language: Language, text: &str) -> Option<f32> {
        self.0.get(&(language, text.to_string())).copied()
    }
}

/// "German needs 7.9 s; the clip is 5 s": the speech-fit message, worded as
/// the draft engine's `SpeechTooLong` error words it.
pub fn speech_too_long(language: Language, needed_s: f32, clip_s: u32) -> String {
    format!("{language} needs {needed_s:.1} s; the clip is {clip_s} s")
}

/// True when `needed_s` seconds of speech fit a clip of `clip_s` seconds
/// (the draft engine's rule).
pub(crate) fn fits(needed_s: f32, clip_s: u32) -> bool {
    needed_s <= clip_s as f32
}
