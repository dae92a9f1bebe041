//! Captions for each clip, as SRT and WebVTT. The words of the line are laid
//! on the stretches where the clip speaks: the draft engine's sidecar says
//! exactly where (from its phoneme timing); for any other clip the caller
//! finds them in its sound (`chorus_decode::speech_spans_file`, chorus-sync's
//! speech test). Cues hold at most two lines of [`MAX_LINE_CHARS`], broken
//! between words.

use std::fmt::Write as _;

use serde::Deserialize;

use crate::PackageError;

/// Longest caption line, in characters (the common broadcast and
/// streaming guideline).
pub const MAX_LINE_CHARS: usize = 42;
/// Lines per cue.
pub const MAX_LINES: usize = 2;
/// Shortest time a cue stays up, if the next one leaves room.
const MIN_CUE_MS: u64 = 800;
/// A silence this long between words starts a new cue.
const NEW_CUE_GAP_MS: f64 = 1000.0;

/// One caption: up to [`MAX_LINES`] lines joined by `\n`, shown from
/// `start_ms` to `end_ms` on the clip's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

fn timestamp(ms: u64, separator: char) -> String {
    let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{h:02}:{m:02}:{s:02}{separator}{f:03}")
}

/// A cue's lines with no blank line inside (a blank line ends a cue in
/// both formats).
fn cue_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// SubRip: numbered cues, `00:00:01,200 --> 00:00:03,000`, a blank line
/// after each. No cues gives an empty file.
pub fn srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, cue) in cues.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}\n{} --> {}",
            i + 1,
            timestamp(cue.start_ms, ','),
            timestamp(cue.end_ms, ',')
        );
        for line in cue_lines(&cue.text) {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
    out
}

/// WebVTT: the `WEBVTT` header, then `00:00:01.200 --> 00:00:03.000` cues
/// separated by blank lines, with `&`, `<` and `>` escaped as the format
/// asks.
pub fn vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for cue in cues {
        let _ = write!(
            out,
            "\n{} --> {}\n",
            timestamp(cue.start_ms, '.'),
            timestamp(cue.end_ms, '.')
        );
        for line in cue_lines(&cue.text) {
            let escaped = line
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            let _ = writeln!(out, "{escaped}");
        }
    }
    out
}

/// The part of the draft engine's sidecar (`chorus_draft::Sidecar`) that
/// captions need; read here rather than by depending on the engine, a crate
/// of the same layer. The tests read real sidecars with it.
#[derive(Deserialize)]
struct DraftSidecar {
    text: Option<String>,
    #[serde(default)]
    av_offset_ms: i32,
    speech_spans: Vec<DraftSpan>,
}

#[derive(Deserialize)]
struct DraftSpan {
    start_ms: f64,
    end_ms: f64,
}

/// Cues for a draft take from its sidecar (the JSON the draft engine
/// writes beside the MP4): its line laid on its speech spans, which come
/// from espeak-ng's phoneme timing, moved by the take's A/V offset so the
/// words show while they are heard. A take without a line has no cues.
pub fn cues_from_draft_sidecar(json: &str) -> Result<Vec<Cue>, PackageError> {
    let sidecar: DraftSidecar = serde_json::from_str(json).map_err(PackageError::Sidecar)?;
    let Some(text) = sidecar.text.as_deref() else {
        return Ok(Vec::new());
    };
    let shift = f64::from(sidecar.av_offset_ms);
    let spans: Vec<(f64, f64)> = sidecar
        .speech_spans
        .iter()
        .map(|s| ((s.start_ms + shift).max(0.0), (s.end_ms + shift).max(0.0)))
        .collect();
    Ok(cues_from_words(&place_words(&spans, text)))
}

/// Cues for a clip with no timing of its own (a hosted model's take, an
/// import): the line's words spread over the speech spans in proportion to
/// their length, each sentence part on its own span when the pauses and
/// the punctuation agree. No spans or no words give no cues.
pub fn cues_from_speech(spans: &[(u64, u64)], text: &str) -> Vec<Cue> {
    let spans: Vec<(f64, f64)> = spans.iter().map(|&(a, b)| (a as f64, b as f64)).collect();
    cues_from_words(&place_words(&spans, text))
}

/// A word and when it is said.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    text: String,
    start_ms: f64,
    end_ms: f64,
}

/// Whether a word ends a sentence part (where a speaker pauses).
fn ends_phrase(word: &str) -> bool {
    word.ends_with([
        '.', ',', ';', ':', '!', '?', '…', '。', '，', '、', '！', '？', '；', '：',
    ])
}

fn ends_sentence(word: &str) -> bool {
    word.ends_with(['.', '!', '?', '…', '。', '！', '？'])
}

/// The line's words, a word longer than a caption line cut into pieces
/// that fit (scripts written without spaces).
fn words_of(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let chars: Vec<char> = word.chars().collect();
        for piece in chars.chunks(MAX_LINE_CHARS) {
            out.push(piece.iter().collect());
        }
    }
    out
}

/// Lays `text`'s words on `spans` (start, end in ms). When the line has as
/// many sentence parts as there are spans, each part fills its span;
/// otherwise all words share the spans' total time by length.
fn place_words(spans: &[(f64, f64)], text: &str) -> Vec<Word> {
    let spans: Vec<(f64, f64)> = spans.iter().copied().filter(|s| s.1 > s.0).collect();
    let words = words_of(text);
    if spans.is_empty() || words.is_empty() {
        return Vec::new();
    }
    let mut phrases: Vec<Vec<String>> = vec![Vec::new()];
    for w in words {
        let ends = ends_phrase(&w);
        if let Some(phrase) = phrases.last_mut() {
            phrase.push(w);
        }
        if ends {
            phrases.push(Vec::new());
        }
    }
    phrases.retain(|p| !p.is_empty());
    if phrases.len() == spans.len() {
        phrases
            .iter()
            .zip(&spans)
            .flat_map(|(p, s)| spread(p, std::slice::from_ref(s)))
            .collect()
    } else {
        spread(&phrases.concat(), &spans)
    }
}

/// Spreads `words` over `spans` by their length in characters (plus one
/// for the gap after each), skipping the time between spans.
fn spread(words: &[String], spans: &[(f64, f64)]) -> Vec<Word> {
    // A word weighs its characters and the gap after it; the last word
    // has no gap after it and ends with the speech.
    let weight = |w: &String| (w.chars().count() + 1) as f64;
    let total_weight: f64 = words.iter().map(weight).sum::<f64>() - 1.0;
    let voiced: f64 = spans.iter().map(|s| s.1 - s.0).sum();
    // Speaking time `t` from the first span's start, skipping gaps, as a
    // time on the clip. A start on a span's end belongs to the next span;
    // an end there, to that span.
    let at = |t: f64, is_start: bool| {
        let mut left = t;
        for &(a, b) in spans {
            if left < b - a || (!is_start && left <= b - a) {
                return a + left;
            }
            left -= b - a;
        }
        spans.last().map_or(0.0, |s| s.1)
    };
    let mut done = 0.0;
    words
        .iter()
        .map(|w| {
            let start = at(done / total_weight * voiced, true);
            done += weight(w);
            // The gap's share after a word is not part of it.
            let end = at((done - 1.0) / total_weight * voiced, false);
            Word {
                text: w.clone(),
                start_ms: start,
                end_ms: end.max(start),
            }
        })
        .collect()
}

/// Groups timed words into cues of up to [`MAX_LINES`] lines of
/// [`MAX_LINE_CHARS`], a new cue after each sentence and after a long
/// silence.
fn cues_from_words(words: &[Word]) -> Vec<Cue> {
    let mut groups: Vec<(Vec<String>, f64, f64)> = Vec::new();
    let mut open = false;
    for w in words {
        let fits = |lines: &Vec<String>| {
            let last = lines.last().map_or(0, |l| l.chars().count());
            last + 1 + w.text.chars().count() <= MAX_LINE_CHARS || lines.len() < MAX_LINES
        };
        match groups.last_mut() {
            Some((lines, _, end)) if open && w.start_ms - *end < NEW_CUE_GAP_MS && fits(lines) => {
                let last = lines
                    .last_mut()
                    .filter(|l| l.chars().count() + 1 + w.text.chars().count() <= MAX_LINE_CHARS);
                match last {
                    Some(line) => {
                        line.push(' ');
                        line.push_str(&w.text);
                    }
                    None => lines.push(w.text.clone()),
                }
                *end = w.end_ms;
            }
            _ => groups.push((vec![w.text.clone()], w.start_ms, w.end_ms)),
        }
        open = !ends_sentence(&w.text);
    }
    let starts: Vec<f64> = groups.iter().map(|g| g.1).collect();
    groups
        .iter()
        .enumerate()
        .map(|(i, (lines, start, end))| {
            let start_ms = start.round() as u64;
            let mut end_ms = (end.round() as u64).max(start_ms + MIN_CUE_MS);
            if let Some(&next) = starts.get(i + 1) {
                end_ms = end_ms.min(next.round() as u64).max(start_ms + 1);
            }
            Cue {
                start_ms,
                end_ms,
                text: lines.join("\n"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(start_ms: u64, end_ms: u64, text: &str) -> Cue {
        Cue {
            start_ms,
            end_ms,
            text: text.into(),
        }
    }

    #[test]
    fn srt_and_vtt_are_written_to_their_formats() {
        let cues = [
            cue(1200, 3000, "Hello there.\nSecond line"),
            cue(3_723_004, 3_725_000, "Tom & <Jerry>"),
        ];
        assert_eq!(
            srt(&cues),
            "1\n00:00:01,200 --> 00:00:03,000\nHello there.\nSecond line\n\n\
             2\n01:02:03,004 --> 01:02:05,000\nTom & <Jerry>\n\n"
        );
        assert_eq!(
            vtt(&cues),
            "WEBVTT\n\n00:00:01.200 --> 00:00:03.000\nHello there.\nSecond line\n\n\
             01:02:03.004 --> 01:02:05.000\nTom &amp; &lt;Jerry&gt;\n"
        );
    }

    #[test]
    fn blank_lines_inside_a_cue_are_dropped() {
        let cues = [cue(0, 1000, "one\n\n  \ntwo")];
        assert_eq!(srt(&cues), "1\n00:00:00,000 --> 00:00:01,000\none\ntwo\n\n");
    }

    #[test]
    fn empty_lines_give_no_cues() {
        assert!(cues_from_speech(&[(400, 2000)], "").is_empty());
        assert!(cues_from_speech(&[(400, 2000)], "   \n ").is_empty());
        assert!(cues_from_speech(&[], "Words but no speech").is_empty());
        assert_eq!(srt(&[]), "");
        assert_eq!(vtt(&[]), "WEBVTT\n");
    }

    #[test]
    fn words_follow_the_spans_in_proportion() {
        // Two equal words over one second: four letters, a gap, four letters.
        let words = place_words(&[(1000.0, 2000.0)], "abcd efgh");
        assert_eq!(words.len(), 2);
        let ninth = 1000.0 / 9.0;
        assert!((words[0].start_ms - 1000.0).abs() < 1e-9);
        assert!((words[0].end_ms - (1000.0 + 4.0 * ninth)).abs() < 1e-9);
        assert!((words[1].start_ms - (1000.0 + 5.0 * ninth)).abs() < 1e-9);
        assert!((words[1].end_ms - 2000.0).abs() < 1e-9, "{words:?}");
        // Spread over two spans, the gap between them holds no word.
        let words = place_words(&[(0.0, 1000.0), (3000.0, 4000.0)], "aaa bbb ccc ddd");
        assert!(words[1].end_ms <= 1000.0, "{words:?}");
        assert!(words[2].start_ms >= 3000.0, "{words:?}");
    }

    #[test]
    fn sentence_parts_take_their_own_spans() {
        // Punctuation and pauses agree: the short part still fills the first span.
        let spans = [(500.0, 900.0), (1500.0, 4000.0)];
        let words = place_words(&spans, "Hi, this is a rather longer second part");
        assert_eq!(words[0].text, "Hi,");
        assert!((words[0].start_ms - 500.0).abs() < 1e-9);
        assert!(words[0].end_ms <= 900.0);
        assert!((words[1].start_ms - 1500.0).abs() < 1e-9, "{words:?}");
    }

    #[test]
    fn cues_hold_two_lines_of_42_and_break_at_sentences() {
        let text = "The quick brown fox jumps over the lazy dog and keeps running \
                    through the quiet evening fields until the moon comes up. Then it sleeps.";
        let cues = cues_from_speech(&[(0, 8000)], text);
        assert!(cues.len() >= 3, "{cues:?}");
        for c in &cues {
            let lines: Vec<&str> = c.text.lines().collect();
            assert!(lines.len() <= MAX_LINES, "{c:?}");
            assert!(
                lines.iter().all(|l| l.chars().count() <= MAX_LINE_CHARS),
                "{c:?}"
            );
            assert!(c.end_ms > c.start_ms);
        }
        for pair in cues.windows(2) {
            assert!(pair[0].end_ms <= pair[1].start_ms, "{cues:?}");
        }
        assert_eq!(
            cues.last().map(|c| c.text.as_str()),
            Some("Then it sleeps.")
        );
        let joined: Vec<String> = cues.iter().map(|c| c.text.replace('\n', " ")).collect();
        assert_eq!(
            joined.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn scripts_without_spaces_are_cut_to_fit() {
        let line = "你".repeat(100);
        let cues = cues_from_speech(&[(0, 6000)], &line);
        let total: usize = cues
            .iter()
            .map(|c| c.text.replace('\n', "").chars().count())
            .sum();
        assert_eq!(total, 100);
        assert!(
            cues.iter()
                .all(|c| c.text.lines().all(|l| l.chars().count() <= MAX_LINE_CHARS))
        );
    }
}
