//! Lip-sync on faces: the offset between a speaking face and its sound,
//! from what the mouth looks like rather than how much the picture changes.
//!
//! [`FaceAnalyzer`] takes frames as they are decoded (each with its
//! presentation time, so variable frame rates are measured right), keeps a
//! small copy of each, and at [`FaceAnalyzer::finish`]:
//!
//! 1. finds the one speaking face with the embedded detector and follows it
//!    ([`track`]), cutting a mouth patch from every frame;
//! 2. reduces the patches to the mouth's main shapes and scores every lag
//!    from −700 to +700 ms by how well those shapes predict the sound's
//!    seven bands on held-out stretches ([`fit`], [`bands`]);
//! 3. takes the best lag (refined by a parabola) as the offset, and the
//!    peak's height above the curve's median as the confidence.
//!
//! When there is nothing to stand on it says so, with the reason, instead
//! of a verdict: no face, several faces, a cut, a mouth that never moves,
//! no speech, or a sound the mouth matches at no lag (music, a voice off
//! screen).

mod bands;
mod fit;
mod track;

use serde::{Deserialize, Serialize};

use crate::analyze::{Method, SyncReport, WindowOffset};
use crate::spans::disagreements;
use crate::{AnalysisConfig, AudioClip, LumaFrame, MouthRegion, SyncError, SyncVerdict};
use bands::BandEnvelope;
use fit::{LagCurve, SHAPES, lag_curve, principal_scores};
use track::{Footage, Mouth, PATCH_H, PATCH_W, PictureProblem};

/// Lags searched, ms either side.
const SEARCH_MS: f64 = 600.0;
const LAG_STEP_MS: f64 = 10.0;
/// A lag needs this much sound overlapping the picture, seconds.
const MIN_OVERLAP_S: f64 = 2.0;
/// Shortest clip analysed, seconds.
const MIN_SECONDS: f64 = 2.0;
/// Below this held-out correlation at the best lag, the mouth does not
/// follow this sound at all.
pub const MIN_PEAK: f64 = 0.12;
/// Confidence (peak above the curve's median) from which a reading is
/// trusted enough to offer a correction. Calibrated on the real footage
/// (five clips × eight shifts, `cargo xtask bench sync`): from 0.30 every
/// reading was right (within 40 ms of the known shift), from 0.25 30 of 31,
/// over all 38 of 40. Drawn presenters read 0.54 and up.
pub const CONFIDENT: f64 = 0.3;
/// Frame-to-frame change of the mouth patch (90th percentile), in luma
/// levels, below which the mouth never moves (a still photo, a frozen
/// frame).
const STILL_MOUTH: f64 = 0.5;
/// Sound whose loudest 25 ms is below this RMS is silence (−50 dBFS).
const SILENT_RMS: f64 = 0.003;
/// Speech stands this far (RMS ratio, 12 dB) above the quiet between words.
const SPEECH_RANGE: f64 = 4.0;

/// Why a clip gets no verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CantTellReason {
    NoFace,
    SeveralFaces,
    Cut,
    StillMouth,
    NoSpeech,
    NoMatch,
}

/// "Can't tell", with the reason in a user's words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CantTell {
    pub reason: CantTellReason,
    pub message: String,
}

impl CantTell {
    fn new(reason: CantTellReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }

    fn for_picture(problem: &PictureProblem) -> Self {
        match *problem {
            PictureProblem::NoFace { seen, looked } => Self::new(
                CantTellReason::NoFace,
                format!(
                    "no face found: a frontal face was seen in {seen} of {looked} frames checked"
                ),
            ),
            PictureProblem::SeveralFaces { frames, looked } => Self::new(
                CantTellReason::SeveralFaces,
                format!(
                    "several faces of similar size in {frames} of {looked} frames checked: can't tell which one speaks"
                ),
            ),
            PictureProblem::Cut { at_seconds } => Self::new(
                CantTellReason::Cut,
                format!(
                    "the picture cuts to another shot at {at_seconds:.2} s: measure each shot on its own"
                ),
            ),
        }
    }
}

/// Frames in, a [`SyncReport`] out; see the module doc.
#[derive(Default)]
pub struct FaceAnalyzer {
    footage: Footage,
    /// The sound, when analysed ahead of `finish` ([`FaceAnalyzer::hear`]).
    heard: Option<Result<BandEnvelope, SyncError>>,
}

impl FaceAnalyzer {
    pub fn new() -> Self {
        Self::default()
    }

    /// An analyzer told how many frames will be pushed, so the face detector
    /// looks at its frames as they arrive rather than at `finish`. The
    /// result is the same either way (a different count is still measured
    /// right, with the detector run again at the end).
    pub fn expecting(frames: usize) -> Self {
        let mut analyzer = Self::default();
        analyzer.footage.expect(frames);
        analyzer
    }

    /// Analyses the sound now, e.g. while frames are still being decoded;
    /// [`FaceAnalyzer::finish_heard`] then measures against it.
    pub fn hear(&mut self, audio: &AudioClip<'_>) {
        self.heard = Some(BandEnvelope::new(audio));
    }

    /// Adds the next frame in presentation order, shown at `seconds` from
    /// the first frame (whose sound is audio sample 0).
    pub fn push(&mut self, frame: &LumaFrame<'_>, seconds: f64) -> Result<(), SyncError> {
        if !seconds.is_finite() {
            return Err(SyncError::InvalidConfig("frame times must be finite"));
        }
        self.footage.push(frame, seconds)
    }

    pub fn frames(&self) -> usize {
        self.footage.len()
    }

    /// Measures the frames pushed against `audio`.
    pub fn finish(
        mut self,
        audio: &AudioClip<'_>,
        config: &AnalysisConfig,
    ) -> Result<SyncReport, SyncError> {
        config.check()?;
        self.heard = None;
        self.measure(|| BandEnvelope::new(audio), config)
    }

    /// Measures the frames pushed against the sound given to
    /// [`FaceAnalyzer::hear`].
    pub fn finish_heard(mut self, config: &AnalysisConfig) -> Result<SyncReport, SyncError> {
        config.check()?;
        let heard = self.heard.take().ok_or(SyncError::InvalidConfig(
            "finish_heard needs the sound: call hear first",
        ))?;
        self.measure(|| heard, config)
    }

    fn measure(
        self,
        sound: impl FnOnce() -> Result<BandEnvelope, SyncError>,
        config: &AnalysisConfig,
    ) -> Result<SyncReport, SyncError> {
        let times = self.footage.times();
        let n = times.len();
        let span = times.last().copied().unwrap_or(0.0) - times.first().copied().unwrap_or(0.0);
        // The mean rate, to a millionth (24 fps reads 24, not 24.000000004).
        let fps = if n > 1 && span > 0.0 {
            ((n - 1) as f64 / span * 1e6).round() / 1e6
        } else {
            0.0
        };
        if n < 2 || span < MIN_SECONDS {
            return Err(SyncError::TooShort {
                frames: n,
                min: (MIN_SECONDS * fps.max(1.0)).ceil() as usize,
            });
        }
        let sound = sound()?;
        if sound.seconds() < MIN_SECONDS {
            return Err(SyncError::AudioTooShort {
                frames: (sound.seconds() * fps) as usize,
                min: (MIN_SECONDS * fps).ceil() as usize,
            });
        }
        let mut report = empty_report(fps, n, config);
        if sound.peak_rms < SILENT_RMS || sound.peak_rms < SPEECH_RANGE * sound.quiet_rms {
            report.cant_tell = Some(CantTell::new(
                CantTellReason::NoSpeech,
                "no speech in the sound: it is silent or one steady level throughout",
            ));
            return Ok(report);
        }
        let mouth = match self.footage.mouth() {
            Ok(mouth) => mouth,
            Err(PictureProblem::NoFace { .. }) if config.drawn => {
                let Some(mouth) = drawn_mouth(&self.footage, &sound) else {
                    report.cant_tell = Some(CantTell::new(
                        CantTellReason::NoFace,
                        "no face found, and no place in the picture moves with the voice",
                    ));
                    return Ok(report);
                };
                report.method = Method::Drawn;
                mouth
            }
            Err(problem) => {
                report.cant_tell = Some(CantTell::for_picture(&problem));
                return Ok(report);
            }
        };
        report.face = Some(mouth.face.clone());
        report.mouth_region = region(&mouth);
        if mouth.busy_change < STILL_MOUTH {
            report.cant_tell = Some(CantTell::new(
                CantTellReason::StillMouth,
                "the mouth never moves (a still picture or a frozen frame): nothing to match the voice against",
            ));
            return Ok(report);
        }
        let scores = principal_scores(&mouth.patches, PATCH_W * PATCH_H);
        let steps = (SEARCH_MS / LAG_STEP_MS) as i32;
        let lags: Vec<f64> = (-steps..=steps)
            .map(|s| f64::from(s) * LAG_STEP_MS)
            .collect();
        let curve = lag_curve(&scores, &mouth.times, &sound, &lags, MIN_OVERLAP_S);
        let Some(peak) = peak(&curve) else {
            return Err(SyncError::AudioTooShort {
                frames: (sound.seconds() * fps) as usize,
                min: (MIN_OVERLAP_S * fps).ceil() as usize,
            });
        };
        report.lag_curve = curve
            .lags_ms
            .iter()
            .zip(&curve.values)
            .filter(|(_, v)| v.is_finite())
            .map(|(&l, &v)| [l, v])
            .collect();
        let raw_offset_ms = peak.lag_ms;
        let av_offset_ms = raw_offset_ms - config.natural_lead_ms;
        report.raw_offset_ms = raw_offset_ms;
        report.av_offset_ms = av_offset_ms;
        report.av_offset_frames = av_offset_ms * fps / 1000.0;
        report.peak_correlation = peak.value;
        report.confidence = peak.confidence;
        report.at_search_edge = peak.at_edge;
        report.mouth_region.correlation = peak.value;
        report.mouth_motion = mouth_activity(&scores, n);
        report.speech_level = mouth
            .times
            .iter()
            .map(|&t| sound.level(t).map_or(0.0, |l| l.exp() as f32))
            .collect();
        let aligned: Vec<Option<f32>> = mouth
            .times
            .iter()
            .map(|&t| {
                sound
                    .level(t + raw_offset_ms / 1000.0)
                    .map(|l| l.exp() as f32)
            })
            .collect();
        let min_span = (config.min_span_seconds * fps).round() as usize;
        let spans = disagreements(&aligned, &report.mouth_motion, fps, min_span);
        report.silent_mouth_spans = spans.silent_mouth;
        report.still_mouth_spans = spans.still_mouth;
        report.windows = windows(&scores, &mouth.times, &sound, raw_offset_ms, config);
        report.drift_ms_per_minute = crate::analyze::drift(&report.windows, fps);
        if peak.value < MIN_PEAK {
            report.cant_tell = Some(CantTell::new(
                CantTellReason::NoMatch,
                format!(
                    "the mouth matches the sound at no offset (best {:.2}): music, a voice off screen or another language's dub?",
                    peak.value
                ),
            ));
            return Ok(report);
        }
        report.confident = peak.confidence >= CONFIDENT && !peak.at_edge;
        report.verdict = SyncVerdict::judge(av_offset_ms, report.method.tolerance_ms());
        Ok(report)
    }
}

/// Places a drawn mouth may be, tried when the detector sees no face.
const DRAWN_CANDIDATES: usize = 6;

/// A drawn presenter's mouth: of the places that move most, the one whose
/// shapes predict the voice best on held-out stretches. Blinking eyes move
/// as much as a mouth but predict nothing they were not trained on, which
/// is why held-out prediction, not motion or in-sample correlation, picks.
fn drawn_mouth(footage: &Footage, sound: &BandEnvelope) -> Option<Mouth> {
    let steps = (SEARCH_MS / (2.0 * LAG_STEP_MS)) as i32;
    let lags: Vec<f64> = (-steps..=steps)
        .map(|s| f64::from(s) * 2.0 * LAG_STEP_MS)
        .collect();
    footage
        .moving_places(DRAWN_CANDIDATES)
        .into_iter()
        .filter_map(|place| {
            let mouth = footage.still_box(place);
            if mouth.busy_change < STILL_MOUTH {
                return None;
            }
            let scores = principal_scores(&mouth.patches, PATCH_W * PATCH_H);
            let curve = lag_curve(&scores, &mouth.times, sound, &lags, MIN_OVERLAP_S);
            let best = peak(&curve)?.value;
            (best >= MIN_PEAK).then_some((best, mouth))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, mouth)| mouth)
}

/// A report with nothing measured yet: "can't tell" until proven otherwise.
fn empty_report(fps: f64, frames: usize, config: &AnalysisConfig) -> SyncReport {
    SyncReport {
        av_offset_ms: 0.0,
        av_offset_frames: 0.0,
        raw_offset_ms: 0.0,
        natural_lead_ms: config.natural_lead_ms,
        confidence: 0.0,
        peak_correlation: 0.0,
        at_search_edge: false,
        verdict: SyncVerdict::CantTell,
        fps,
        frames,
        mouth_region: MouthRegion::default(),
        windows: Vec::new(),
        drift_ms_per_minute: None,
        silent_mouth_spans: Vec::new(),
        still_mouth_spans: Vec::new(),
        mouth_motion: Vec::new(),
        speech_level: Vec::new(),
        method: Method::Face,
        confident: false,
        cant_tell: None,
        face: None,
        lag_curve: Vec::new(),
    }
}

fn region(mouth: &Mouth) -> MouthRegion {
    let [x, y, w, h] = mouth.region;
    MouthRegion {
        x,
        y,
        w,
        h,
        ..MouthRegion::default()
    }
}

/// How much the mouth's shape changes at each frame (the first eight
/// shapes' step), 0 at the first frame.
fn mouth_activity(scores: &[f64], n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            if i == 0 {
                return 0.0;
            }
            let a = &scores[(i - 1) * SHAPES..i * SHAPES];
            let b = &scores[i * SHAPES..(i + 1) * SHAPES];
            a.iter()
                .zip(b)
                .take(8)
                .map(|(x, y)| (x - y).powi(2))
                .sum::<f64>()
                .sqrt() as f32
        })
        .collect()
}

/// How much a peak's score is discounted per second of lag when peaks are
/// compared. Talking-1's in-sync copies have a second peak about 400 ms
/// off (a syllable) that is up to 0.02 higher; at 0.05 it still wins, at
/// 0.2 true +200 and +320 ms shifts lose to near-zero peaks, and 0.1 reads
/// all 35 shifted copies of the five real clips within 4 ms of their
/// shift (9 ms for talking-5's −200). Only the choice among peaks is
/// weighed: the offset and the confidence are the curve's own.
const LAG_PRIOR_PER_S: f64 = 0.1;

struct Peak {
    lag_ms: f64,
    value: f64,
    confidence: f64,
    at_edge: bool,
}

/// The curve's best lag, refined by a parabola through its neighbours.
fn peak(curve: &LagCurve) -> Option<Peak> {
    let values = &curve.values;
    let finite = |i: usize| values.get(i).copied().filter(|v| v.is_finite());
    // A true match is a peak: higher than the lags either side. The edge of
    // the search, where the curve may still be rising, only counts when the
    // curve has no peak inside.
    // Of several peaks, one far from zero must beat a near one by more than
    // the prior: speech repeats every syllable, so a mouth also matches the
    // sound a syllable off, and small offsets are the likely ones.
    let weighed = |i: usize, v: f64| v - LAG_PRIOR_PER_S * curve.lags_ms[i].abs() / 1000.0;
    let interior = (1..values.len().saturating_sub(1))
        .filter_map(|i| {
            let v = finite(i)?;
            (v >= finite(i - 1)? && v >= finite(i + 1)?).then_some((i, v))
        })
        .max_by(|a, b| weighed(a.0, a.1).total_cmp(&weighed(b.0, b.1)));
    let (best, value) = match interior {
        Some(found) => found,
        None => values
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1))?,
    };
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let neighbour = |i: Option<usize>| {
        i.and_then(|i| values.get(i))
            .copied()
            .filter(|v| v.is_finite())
    };
    let (left, right) = (neighbour(best.checked_sub(1)), neighbour(Some(best + 1)));
    let step = curve
        .lags_ms
        .get(1)
        .map_or(LAG_STEP_MS, |l| l - curve.lags_ms[0]);
    let mut lag_ms = curve.lags_ms[best];
    if let (Some(l), Some(r)) = (left, right) {
        let denominator = l - 2.0 * value + r;
        if denominator < 0.0 {
            lag_ms += (0.5 * (l - r) / denominator).clamp(-0.5, 0.5) * step;
        }
    }
    Some(Peak {
        lag_ms,
        value,
        confidence: value - median,
        at_edge: left.is_none() || right.is_none(),
    })
}

/// Offsets over 3 s windows a second apart (the last one ending at the
/// clip's end), searched ±200 ms around the whole clip's offset.
fn windows(
    scores: &[f64],
    times: &[f64],
    sound: &BandEnvelope,
    raw_offset_ms: f64,
    config: &AnalysisConfig,
) -> Vec<WindowOffset> {
    let n = times.len();
    let Some(&first) = times.first() else {
        return Vec::new();
    };
    let last = times[n - 1];
    let centre = (raw_offset_ms / LAG_STEP_MS).round() * LAG_STEP_MS;
    let lags: Vec<f64> = (-20..=20)
        .map(|s| centre + f64::from(s) * LAG_STEP_MS)
        .collect();
    let mut out = Vec::new();
    let mut start_s = first;
    loop {
        let end_s = (start_s + config.window_seconds).min(last);
        let a = times.partition_point(|&t| t < start_s);
        let b = times.partition_point(|&t| t < end_s);
        if b > a + 8 {
            let curve = lag_curve(
                &scores[a * SHAPES..b * SHAPES],
                &times[a..b],
                sound,
                &lags,
                0.6 * config.window_seconds,
            );
            if let Some(p) = peak(&curve) {
                let fps = (b - a - 1) as f64 / (times[b - 1] - times[a]).max(1e-9);
                let offset_ms = p.lag_ms - config.natural_lead_ms;
                out.push(WindowOffset {
                    start_frame: a,
                    end_frame: b,
                    offset_frames: offset_ms * fps / 1000.0,
                    offset_ms,
                    confidence: p.confidence,
                    peak_correlation: p.value,
                    at_search_edge: p.at_edge,
                });
            }
        }
        if end_s >= last {
            break;
        }
        start_s += config.hop_seconds;
        if start_s + config.window_seconds > last {
            start_s = last - config.window_seconds;
        }
    }
    out
}
