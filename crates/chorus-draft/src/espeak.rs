//! The scratch voice: a thin, safe wrapper over the espeak-ng C library.
//!
//! This is the crate's only FFI. espeak-ng keeps all of its state in globals
//! (current voice, output buffers, the synth callback, and synthesis state
//! that carries over between utterances), so every call goes through one
//! process-wide mutex; the wrapper hands back plain Rust data.
//! We use the library rather than the CLI because only the library reports
//! phoneme events with their exact sample position.

#![expect(
    unsafe_code,
    reason = "the workspace denies unsafe code, but espeak-ng is a C library with no \
              safe Rust binding that avoids bindgen: the few calls it needs live here, \
              each justified where it happens"
)]

use std::ffi::{CStr, CString, c_char, c_int, c_short, c_uint, c_void};
use std::sync::Mutex;

use crate::DraftError;

/// Mirrors `espeak_EVENT` from speak_lib.h (1.51); field order and sizes must
/// match the C struct exactly.
#[repr(C)]
struct EspeakEvent {
    kind: c_int,
    unique_identifier: c_uint,
    text_position: c_int,
    length: c_int,
    audio_position: c_int,
    sample: c_int,
    user_data: *mut c_void,
    /// The C union `{ int number; const char *name; char string[8]; }`:
    /// eight bytes on every 64-bit target, read as the phoneme name.
    id: [u8; 8],
}

type SynthCallback = extern "C" fn(*mut c_short, c_int, *mut EspeakEvent) -> c_int;

#[link(name = "espeak-ng")]
unsafe extern "C" {
    fn espeak_Initialize(
        output: c_int,
        buflength: c_int,
        path: *const c_char,
        options: c_int,
    ) -> c_int;
    fn espeak_SetSynthCallback(cb: SynthCallback);
    fn espeak_SetVoiceByName(name: *const c_char) -> c_int;
    fn espeak_Synth(
        text: *const c_void,
        size: usize,
        position: c_uint,
        position_type: c_int,
        end_position: c_uint,
        flags: c_uint,
        unique_identifier: *mut c_uint,
        user_data: *mut c_void,
    ) -> c_int;
    fn espeak_TextToPhonemes(
        textptr: *mut *const c_void,
        textmode: c_int,
        phonememode: c_int,
    ) -> *const c_char;
}

const AUDIO_OUTPUT_SYNCHRONOUS: c_int = 2;
const INITIALIZE_PHONEME_EVENTS: c_int = 0x0001;
const INITIALIZE_DONT_EXIT: c_int = 0x8000;
const EVENT_LIST_TERMINATED: c_int = 0;
const EVENT_PHONEME: c_int = 7;
const POS_CHARACTER: c_int = 1;
const CHARS_UTF8: c_uint = 1;
const EE_OK: c_int = 0;

/// `Some(sample_rate)` once espeak-ng is initialised. Holding the lock is
/// what makes every other call here sound.
static ENGINE: Mutex<Option<u32>> = Mutex::new(None);

/// One phoneme as espeak-ng reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhonemeMark {
    /// espeak-ng mnemonic, e.g. `a:`, `tS`, `_:`.
    pub name: String,
    /// Sample index in the voice's own sample rate where it starts.
    pub sample: u64,
}

/// A synthesised utterance.
#[derive(Debug, Clone)]
pub struct Utterance {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
    pub phonemes: Vec<PhonemeMark>,
}

/// What the callback collects; passed through espeak's `user_data`.
struct Collector {
    samples: Vec<i16>,
    phonemes: Vec<PhonemeMark>,
}

extern "C" fn on_synth(wav: *mut c_short, count: c_int, events: *mut EspeakEvent) -> c_int {
    if events.is_null() {
        return 0;
    }
    // SAFETY: espeak passes an array terminated by EVENT_LIST_TERMINATED; every
    // event carries the user_data pointer we gave espeak_Synth, which points at
    // a Collector that outlives the (synchronous) call.
    unsafe {
        let collector = (*events).user_data.cast::<Collector>();
        if collector.is_null() {
            return 0;
        }
        let collector = &mut *collector;
        let mut ev = events;
        while (*ev).kind != EVENT_LIST_TERMINATED {
            if (*ev).kind == EVENT_PHONEME {
                let raw = &(*ev).id;
                let len = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
                let name = String::from_utf8_lossy(&raw[..len]).into_owned();
                collector.phonemes.push(PhonemeMark {
                    name,
                    sample: u64::try_from((*ev).sample).unwrap_or(0),
                });
            }
            ev = ev.add(1);
        }
        if !wav.is_null() && count > 0 {
            let chunk = std::slice::from_raw_parts(wav, count as usize);
            collector.samples.extend_from_slice(chunk);
        }
    }
    0
}

/// Locks the engine, initialising it on first use, and returns its sample rate.
fn lock_engine() -> Result<(std::sync::MutexGuard<'static, Option<u32>>, u32), DraftError> {
    // A panic while holding the lock leaves espeak usable (each call sets its
    // voice afresh), so a poisoned lock is taken over.
    let mut guard = ENGINE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(rate) = *guard {
        return Ok((guard, rate));
    }
    // SAFETY: called once, under the lock; a null path means the default
    // espeak-ng-data location.
    let rate = unsafe {
        espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS,
            0,
            std::ptr::null(),
            INITIALIZE_PHONEME_EVENTS | INITIALIZE_DONT_EXIT,
        )
    };
    if rate <= 0 {
        return Err(DraftError::Voice(
            "espeak-ng could not start; install espeak-ng-data (apt-get install espeak-ng)".into(),
        ));
    }
    // SAFETY: registers a plain extern "C" fn; still under the lock.
    unsafe { espeak_SetSynthCallback(on_synth) };
    let rate = rate as u32;
    *guard = Some(rate);
    Ok((guard, rate))
}

fn set_voice(voice: &str) -> Result<(), DraftError> {
    let name = CString::new(voice).map_err(|_| DraftError::Voice(format!("bad voice {voice}")))?;
    // SAFETY: caller holds the engine lock; `name` is a valid C string.
    let rc = unsafe { espeak_SetVoiceByName(name.as_ptr()) };
    if rc == EE_OK {
        Ok(())
    } else {
        Err(DraftError::Voice(format!(
            "espeak-ng has no voice `{voice}`; install espeak-ng-data"
        )))
    }
}

fn c_text(text: &str) -> Result<CString, DraftError> {
    CString::new(text).map_err(|_| DraftError::Invalid("the line contains a NUL character".into()))
}

/// Speaks `text` with `voice` in this process, returning the audio and its
/// phoneme marks. espeak-ng carries state from one utterance to the next, so
/// only the first line a process speaks is repeatable bit for bit; the draft
/// engine speaks through [`crate::voice`], which runs this in a fresh child
/// process per line.
pub fn synthesize(voice: &str, text: &str) -> Result<Utterance, DraftError> {
    let (_guard, sample_rate) = lock_engine()?;
    set_voice(voice)?;
    let text = c_text(text)?;
    let mut collector = Collector {
        samples: Vec::new(),
        phonemes: Vec::new(),
    };
    let bytes = text.as_bytes_with_nul().len();
    // SAFETY: called once, under the lock; synchronous mode means the callback runs (and
    // stops using `collector`) before espeak_Synth returns.
    let rc = unsafe {
        espeak_Synth(
            text.as_ptr().cast(),
            bytes,
            0,
            POS_CHARACTER,
            0,
            CHARS_UTF8,
            std::ptr::null_mut(),
            (&raw mut collector).cast(),
        )
    };
    if rc != EE_OK {
        return Err(DraftError::Voice(format!(
            "espeak-ng failed to speak (code {rc})"
        )));
    }
    Ok(Utterance {
        sample_rate,
        samples: collector.samples,
        phonemes: collector.phonemes,
    })
}

/// The phoneme transcription espeak-ng would speak for `text` (its `-x`
/// output), clause by clause. Language switches show as `(en)` markers.
pub fn phonemes(voice: &str, text: &str) -> Result<String, DraftError> {
    let (_guard, _) = lock_engine()?;
    set_voice(voice)?;
    let text = c_text(text)?;
    let mut ptr: *const c_void = text.as_ptr().cast();
    let mut out = String::new();
    // A clause per call; bounded so a misbehaving library cannot spin forever.
    for _ in 0..10_000 {
        if ptr.is_null() {
            break;
        }
        // SAFETY: called once, under the lock; `ptr` points into `text`, which espeak
        // advances and finally sets to null. The returned string is owned by
        // espeak and copied before the next call.
        let clause = unsafe { espeak_TextToPhonemes(&raw mut ptr, CHARS_UTF8 as c_int, 0) };
        if clause.is_null() {
            break;
        }
        // SAFETY: espeak returns a NUL-terminated string.
        let clause = unsafe { CStr::from_ptr(clause) };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&clause.to_string_lossy());
    }
    Ok(out)
}
