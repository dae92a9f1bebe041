//! Chorus Draft, the embedded draft engine: turns a composition into a real
//! MP4 talking animatic with a scratch voice, offline, in seconds.
//!
//! # API
//!
//! - [`render`]`(&RenderInput, &mut dyn FnMut(f32)) -> Result<Rendered, DraftError>`
//!   renders one take (one language's line, or none) into an MP4 (H.264
//!   yuv420p with a keyframe every second, AAC-LC 48 kHz mono, index first)
//!   plus a [`Sidecar`] with the phoneme and viseme timeline. Blocking and
//!   CPU-bound: call it from `tokio::task::spawn_blocking`. Same input and
//!   seed give byte-identical files, whatever the process rendered before,
//!   once [`set_speaker`] has chosen [`Speaker::ChildProcess`].
//! - [`speech_fit`]`(Language, &str, duration_s) -> Result<SpeechFitLine, DraftError>`
//!   says how long a line takes to say, whether it fits, and which
//!   characters the voice cannot pronounce.
//! - [`set_speaker`]`(Speaker)` chooses where lines are spoken, and
//!   [`serve_voice`] is the child process's side: espeak-ng carries state
//!   from one utterance to the next, so a long-running program speaks every
//!   line in a fresh child (the `chorus` binary re-runs itself as
//!   `chorus __voice`; this crate's own `chorus-draft-voice` binary does the
//!   same for its tests).
//!
//! The voice is espeak-ng (`libespeak-ng1` and `espeak-ng-data` at run time).
//! In-process espeak use is serialised behind one process-wide mutex;
//! everything else is per call, so renders may run on several threads at once.

mod audio;
mod canvas;
mod encode;
mod error;
pub mod espeak;
mod font;
mod mp4;
mod presenter;
mod render;
mod scene;
mod speech;
pub mod viseme;
mod voice;

pub use error::DraftError;
pub use render::{
    DEFAULT_FPS, FRAME_RATES, MAX_AV_OFFSET_MS, RenderInput, RenderOptions, Rendered, Sidecar,
    render,
};
pub use speech::{LEAD_IN_MS, PhonemeSpan, SpeechSpan, VisemeSpan, speech_fit};
pub use viseme::Viseme;
pub use voice::{Speaker, serve_voice, set_speaker, speaker};
