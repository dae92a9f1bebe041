//! Where the scratch voice runs. espeak-ng keeps synthesis state from one
//! utterance to the next in globals that no API call resets, so a line spoken
//! after other lines comes out a few samples different from the same line
//! spoken first. A long-running server would then render different bytes for
//! the same request depending on what it said before. Speaking every line in a
//! short-lived child process (a fresh espeak-ng each time) makes a take depend
//! only on its request.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError, mpsc};
use std::time::Duration;

use crate::DraftError;
use crate::espeak::{self, PhonemeMark, Utterance};

/// How lines get spoken.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Speaker {
    /// espeak-ng inside this process. Repeatable for the first line a process
    /// speaks and for lines it has spoken before (they are remembered), not
    /// for a new line after others. For tools and examples only.
    #[default]
    InProcess,
    /// Every line is spoken by a fresh `program args…`, which must run
    /// [`serve_voice`] on its standard input and output and then exit. The
    /// `chorus` binary re-executes itself this way.
    ChildProcess {
        program: PathBuf,
        args: Vec<OsString>,
    },
}

/// The speaker for the whole process, and what it has said so far.
struct Voice {
    speaker: Speaker,
    spoken: Vec<((String, String), Utterance)>,
    spoken_samples: usize,
}

static VOICE: Mutex<Voice> = Mutex::new(Voice {
    speaker: Speaker::InProcess,
    spoken: Vec::new(),
    spoken_samples: 0,
});

/// Most samples remembered (about 8 MB, three minutes of speech): enough
/// for a job's speech-fit check and its renders to share one utterance.
const REMEMBERED_SAMPLES: usize = 4 << 20;
/// A helper that has not answered by then is stuck; espeak-ng speaks a
/// 15 s line in well under a second.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

fn voice() -> std::sync::MutexGuard<'static, Voice> {
    // Nothing here is left half-updated by a panic, so a poisoned lock is
    // taken over.
    VOICE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Chooses how lines are spoken from now on, forgetting what was spoken
/// before (it may have come from the other speaker).
pub fn set_speaker(speaker: Speaker) {
    let mut v = voice();
    v.speaker = speaker;
    v.spoken.clear();
    v.spoken_samples = 0;
}

/// The speaker in use.
pub fn speaker() -> Speaker {
    voice().speaker.clone()
}

fn check_text(text: &str) -> Result<(), DraftError> {
    if text.contains('\0') {
        return Err(DraftError::Invalid(
            "the line contains a NUL character".into(),
        ));
    }
    Ok(())
}

/// Speaks `text` with `voice`: the remembered utterance if this process has
/// asked before, otherwise from the current [`Speaker`].
pub(crate) fn speak(voice_name: &str, text: &str) -> Result<Utterance, DraftError> {
    check_text(text)?;
    let key = (voice_name.to_owned(), text.to_owned());
    let speaker = {
        let v = voice();
        if let Some((_, u)) = v.spoken.iter().find(|(k, _)| *k == key) {
            return Ok(u.clone());
        }
        v.speaker.clone()
    };
    // The lock is not held while a child speaks, so lines for different
    // takes are spoken in parallel.
    let spoken = match &speaker {
        Speaker::InProcess => espeak::synthesize(voice_name, text)?,
        Speaker::ChildProcess { program, args } => {
            let reply = run_helper(program, args, &encode_request(SPEAK, voice_name, &[text]))?;
            decode_speech(&reply)?
        }
    };
    let mut v = voice();
    if v.speaker == speaker && !v.spoken.iter().any(|(k, _)| *k == key) {
        v.spoken_samples += spoken.samples.len();
        v.spoken.push((key, spoken.clone()));
        while v.spoken_samples > REMEMBERED_SAMPLES && v.spoken.len() > 1 {
            let (_, old) = v.spoken.remove(0);
            v.spoken_samples -= old.samples.len();
        }
    }
    Ok(spoken)
}

/// espeak-ng's phoneme transcription of each text, in order.
pub(crate) fn transcribe(voice_name: &str, texts: &[&str]) -> Result<Vec<String>, DraftError> {
    for t in texts {
        check_text(t)?;
    }
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    match speaker() {
        Speaker::InProcess => texts
            .iter()
            .map(|t| espeak::phonemes(voice_name, t))
            .collect(),
        Speaker::ChildProcess { program, args } => {
            let reply = run_helper(
                &program,
                &args,
                &encode_request(TRANSCRIBE, voice_name, texts),
            )?;
            decode_transcriptions(&reply, texts.len())
        }
    }
}

/// The helper's side: reads one request from `input`, answers it on
/// `output` with espeak-ng in this process. Call it in a process that has
/// spoken nothing else, and exit afterwards.
pub fn serve_voice(input: &mut dyn Read, output: &mut dyn Write) -> Result<(), DraftError> {
    let mut request = Vec::new();
    input
        .read_to_end(&mut request)
        .map_err(|e| DraftError::Voice(format!("the voice helper cannot read its request: {e}")))?;
    let reply = match answer(&request) {
        Ok(reply) => reply,
        Err(e) => {
            let mut w = Writer::reply(FAILED);
            w.str(&e.to_string());
            w.0
        }
    };
    output
        .write_all(&reply)
        .and_then(|()| output.flush())
        .map_err(|e| DraftError::Voice(format!("the voice helper cannot answer: {e}")))
}

fn answer(request: &[u8]) -> Result<Vec<u8>, DraftError> {
    let mut r = Reader::new(request)?;
    let kind = r.u8()?;
    let voice_name = r.str()?;
    let count = r.u32()? as usize;
    let texts = (0..count).map(|_| r.str()).collect::<Result<Vec<_>, _>>()?;
    r.end()?;
    let mut w = Writer::reply(OK);
    match (kind, texts.as_slice()) {
        (SPEAK, [text]) => {
            let u = espeak::synthesize(&voice_name, text)?;
            w.u32(u.sample_rate);
            w.u32(u.samples.len() as u32);
            for s in &u.samples {
                w.0.extend_from_slice(&s.to_le_bytes());
            }
            w.u32(u.phonemes.len() as u32);
            for p in &u.phonemes {
                w.str(&p.name);
                w.0.extend_from_slice(&p.sample.to_le_bytes());
            }
        }
        (TRANSCRIBE, texts) => {
            w.u32(texts.len() as u32);
            for t in texts {
                w.str(&espeak::phonemes(&voice_name, t)?);
            }
        }
        _ => return Err(malformed()),
    }
    Ok(w.0)
}

/// Runs the helper once: request in, reply out, within [`HELPER_TIMEOUT`].
fn run_helper(
    program: &std::path::Path,
    args: &[OsString],
    request: &[u8],
) -> Result<Vec<u8>, DraftError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // espeak-ng's own warnings belong in the caller's log.
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            DraftError::Voice(format!(
                "cannot start the voice helper {}: {e}",
                program.display()
            ))
        })?;
    let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(DraftError::Voice("the voice helper has no pipes".into()));
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = tx.send(stdout.read_to_end(&mut out).map(|_| out));
    });
    // The helper reads its whole request before it writes, so writing all of
    // it first cannot deadlock. A helper that died early shows in its status.
    let _ = stdin.write_all(request);
    drop(stdin);
    let reply = rx.recv_timeout(HELPER_TIMEOUT);
    if reply.is_err() {
        let _ = child.kill();
    }
    let status = child
        .wait()
        .map_err(|e| DraftError::Voice(format!("the voice helper vanished: {e}")))?;
    match reply {
        Ok(Ok(out)) if status.success() => Ok(out),
        Ok(_) => Err(DraftError::Voice(format!(
            "the voice helper {} failed ({status})",
            program.display()
        ))),
        Err(_) => Err(DraftError::Voice(format!(
            "the voice helper {} did not answer within {} s",
            program.display(),
            HELPER_TIMEOUT.as_secs()
        ))),
    }
}

// The wire format, little-endian: `MAGIC`, then
// - request: kind `u8`, voice `str`, text count `u32`, texts `str`…;
// - reply: status `u8`; on `OK` for speaking: sample rate `u32`, sample
//   count `u32`, samples `i16`…, phoneme count `u32`, (name `str`, sample
//   `u64`)…; for transcribing: count `u32`, transcriptions `str`…; on
//   `FAILED`: the message `str`.
// A `str` is its byte length `u32` and UTF-8.
const MAGIC: &[u8; 4] = b"CHV1";
const SPEAK: u8 = 1;
const TRANSCRIBE: u8 = 2;
const OK: u8 = 0;
const FAILED: u8 = 1;
/// Bounds on what a reply may claim, so a garbled one cannot ask for
/// gigabytes: an hour of 48 kHz speech, strings of 1 MiB.
const MAX_SAMPLES: usize = 3600 * 48_000;
const MAX_STR: usize = 1 << 20;

fn malformed() -> DraftError {
    DraftError::Voice("the voice helper's message is garbled".into())
}

struct Writer(Vec<u8>);

impl Writer {
    fn reply(status: u8) -> Self {
        let mut w = Writer(MAGIC.to_vec());
        w.0.push(status);
        w
    }

    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
}

fn encode_request(kind: u8, voice_name: &str, texts: &[&str]) -> Vec<u8> {
    let mut w = Writer(MAGIC.to_vec());
    w.0.push(kind);
    w.str(voice_name);
    w.u32(texts.len() as u32);
    for t in texts {
        w.str(t);
    }
    w.0
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(message: &'a [u8]) -> Result<Self, DraftError> {
        let rest = message.strip_prefix(MAGIC).ok_or_else(malformed)?;
        Ok(Reader { rest })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DraftError> {
        if self.rest.len() < n {
            return Err(malformed());
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, DraftError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, DraftError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, DraftError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    fn str(&mut self) -> Result<String, DraftError> {
        let n = self.u32()? as usize;
        if n > MAX_STR {
            return Err(malformed());
        }
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| malformed())
    }

    fn end(&self) -> Result<(), DraftError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(malformed())
        }
    }

    /// The status byte of a reply; a failure's message becomes the error.
    fn status(&mut self) -> Result<(), DraftError> {
        match self.u8()? {
            OK => Ok(()),
            FAILED => Err(DraftError::Voice(self.str()?)),
            _ => Err(malformed()),
        }
    }
}

fn decode_speech(reply: &[u8]) -> Result<Utterance, DraftError> {
    let mut r = Reader::new(reply)?;
    r.status()?;
    let sample_rate = r.u32()?;
    let n = r.u32()? as usize;
    if n > MAX_SAMPLES {
        return Err(malformed());
    }
    let samples = r
        .take(n * 2)?
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let count = r.u32()? as usize;
    let mut phonemes = Vec::with_capacity(count.min(n));
    for _ in 0..count {
        let name = r.str()?;
        phonemes.push(PhonemeMark {
            name,
            sample: r.u64()?,
        });
    }
    r.end()?;
    Ok(Utterance {
        sample_rate,
        samples,
        phonemes,
    })
}

fn decode_transcriptions(reply: &[u8], expected: usize) -> Result<Vec<String>, DraftError> {
    let mut r = Reader::new(reply)?;
    r.status()?;
    let count = r.u32()? as usize;
    if count != expected {
        return Err(malformed());
    }
    let out = (0..count).map(|_| r.str()).collect::<Result<Vec<_>, _>>()?;
    r.end()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_speech_reply_round_trips() {
        let u = Utterance {
            sample_rate: 22_050,
            samples: vec![0, -1, 32_767, -32_768, 12],
            phonemes: vec![
                PhonemeMark {
                    name: "tS".into(),
                    sample: 3,
                },
                PhonemeMark {
                    name: "a:".into(),
                    sample: 1 << 40,
                },
            ],
        };
        let mut w = Writer::reply(OK);
        w.u32(u.sample_rate);
        w.u32(u.samples.len() as u32);
        for s in &u.samples {
            w.0.extend_from_slice(&s.to_le_bytes());
        }
        w.u32(2);
        for p in &u.phonemes {
            w.str(&p.name);
            w.0.extend_from_slice(&p.sample.to_le_bytes());
        }
        let back = decode_speech(&w.0).unwrap();
        assert_eq!(
            (back.sample_rate, &back.samples, &back.phonemes),
            (u.sample_rate, &u.samples, &u.phonemes)
        );
        // Cut short anywhere, the reply is refused rather than misread.
        for cut in 0..w.0.len() {
            assert!(decode_speech(&w.0[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_failure_reply_carries_its_message() {
        let mut w = Writer::reply(FAILED);
        w.str("espeak-ng has no voice `xx`");
        let err = decode_speech(&w.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "scratch voice: espeak-ng has no voice `xx`"
        );
        assert!(decode_transcriptions(&w.0, 1).is_err());
    }

    #[test]
    fn garbled_requests_get_a_failure_reply() {
        let mut out = Vec::new();
        serve_voice(&mut &b"CHV1\x07"[..], &mut out).unwrap();
        let err = decode_speech(&out).unwrap_err();
        assert!(err.to_string().contains("garbled"), "{err}");
        // A speak request must carry exactly one line.
        let mut out = Vec::new();
        serve_voice(&mut &encode_request(SPEAK, "en", &["a", "b"])[..], &mut out).unwrap();
        assert!(decode_speech(&out).is_err());
    }

    #[test]
    fn a_missing_helper_is_named_in_the_error() {
        let err = run_helper(
            std::path::Path::new("/nonexistent/chorus-voice"),
            &[],
            &encode_request(SPEAK, "en", &["hi"]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/chorus-voice"),
            "{err}"
        );
    }
}
