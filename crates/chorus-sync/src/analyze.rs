//! The analysis as a whole: find the mouth, measure the offset over the whole
//! clip and per window, flag disagreement spans, and judge the result.
//!
//! Offset search: the mouth's motion at frame `k` (change from frame `k − 1`)
//! is correlated with the change of speech level over the same frame period,
//! the sound slid by whole envelope steps (1/8 frame) over ±`max_lag_frames`,
//! as SyncNet searches ±15 frames. The curve's best step is refined by a
//! parabola. Motion against level *change* (not level) matters: a mouth moves
//! most while opening and closing, which is when loudness changes most, so
//! both signals peak at the same moments and the curve peaks at the true lag.
//! Confidence is peak correlation minus the curve's median, SyncNet's idea
//! carried from distances to correlations: 0 means no preferred lag.

use serde::{Deserialize, Serialize};

use crate::audio::{STEPS_PER_FRAME, SpeechEnvelope, check_fps};
use crate::correlate::{find_peak, lag_curve, median};
use crate::face::FaceBox;
use crate::lipsync::CantTell;
use crate::motion::{LumaFrame, MotionAnalyzer, MotionGrid, MotionSeries};
use crate::mouth::{MouthRegion, find_mouth};
use crate::spans::{Span, disagreements};
use crate::{SyncError, SyncVerdict};

/// How far a real mouth moves ahead of the sound it makes, in ms, and so
/// what real-footage analysis subtracts from the measured offset.
///
/// 25 ms: Schwartz & Savariaux (PLoS Comput. Biol. 2014) measured chained
/// syllables, the bulk of running speech, between 20 ms audio lead and 70 ms
/// audio lag; 25 ms is the middle of that range. The often quoted 150 ms lead
/// holds only for isolated syllables and utterance onsets, which a whole-clip
/// correlation barely weighs. Clips from our draft engine draw each mouth
/// shape exactly at its phoneme's audio position: analyse those with
/// [`AnalysisConfig::rendered`] (lead 0).
pub const NATURAL_MOUTH_LEAD_MS: f64 = 25.0;

/// Settings of one analysis. `Default` suits real footage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisConfig {
    /// Offsets searched: ±this many frames (SyncNet uses 15).
    pub max_lag_frames: u32,
    /// Subtracted from the measured offset; see [`NATURAL_MOUTH_LEAD_MS`].
    pub natural_lead_ms: f64,
    /// Length of the windows that track drift, in seconds.
    pub window_seconds: f64,
    /// Step between window starts, in seconds.
    pub hop_seconds: f64,
    /// Most blocks the mouth region may grow to (within 3x3).
    pub max_region_blocks: usize,
    /// Shortest silent-mouth or still-mouth span reported, in seconds.
    pub min_span_seconds: f64,
    /// The mouth may be drawn (our draft engine's presenter), which the face
    /// detector does not see: when it finds no face, measure by block motion
    /// instead of saying "can't tell".
    pub drawn: bool,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            max_lag_frames: 15,
            natural_lead_ms: NATURAL_MOUTH_LEAD_MS,
            window_seconds: 3.0,
            hop_seconds: 1.0,
            max_region_blocks: 4,
            min_span_seconds: 0.5,
            drawn: false,
        }
    }
}

impl AnalysisConfig {
    /// For clips whose mouths are drawn exactly at the sound (our draft
    /// engine): no natural lead.
    pub fn rendered() -> Self {
        Self {
            natural_lead_ms: 0.0,
            drawn: true,
            ..Self::default()
        }
    }

    pub(crate) fn check(&self) -> Result<(), SyncError> {
        if !(1..=120).contains(&self.max_lag_frames) {
            return Err(SyncError::InvalidConfig("max_lag_frames must be 1..=120"));
        }
        if !self.natural_lead_ms.is_finite() {
            return Err(SyncError::InvalidConfig("natural_lead_ms must be finite"));
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.window_seconds) || !positive(self.hop_seconds) {
            return Err(SyncError::InvalidConfig(
                "window_seconds and hop_seconds must be positive",
            ));
        }
        if !(self.min_span_seconds.is_finite() && self.min_span_seconds >= 0.0) {
            return Err(SyncError::InvalidConfig(
                "min_span_seconds must be 0 or more",
            ));
        }
        if self.max_region_blocks == 0 {
            return Err(SyncError::InvalidConfig(
                "max_region_blocks must be at least 1",
            ));
        }
        Ok(())
    }
}

/// PCM audio as decoded: interleaved `channels`, any rate.
#[derive(Clone, Copy, Debug)]
pub struct AudioClip<'a> {
    pub samples: &'a [f32],
    pub sample_rate: u32,
    pub channels: u16,
}

/// The offset measured over one window of frames `[start_frame, end_frame)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowOffset {
    pub start_frame: usize,
    pub end_frame: usize,
    pub offset_frames: f64,
    pub offset_ms: f64,
    pub confidence: f64,
    pub peak_correlation: f64,
    pub at_search_edge: bool,
}

/// Everything the analysis found. Offsets are positive when the sound comes
/// later than the picture, after subtracting `natural_lead_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncReport {
    pub av_offset_ms: f64,
    pub av_offset_frames: f64,
    /// The offset as measured, before subtracting the natural lead.
    pub raw_offset_ms: f64,
    pub natural_lead_ms: f64,
    /// Peak correlation minus the median of the lag curve; below about 0.1
    /// the offset is a guess.
    pub confidence: f64,
    pub peak_correlation: f64,
    /// The best lag was the edge of the search: the offset may be larger.
    pub at_search_edge: bool,
    pub verdict: SyncVerdict,
    pub fps: f64,
    pub frames: usize,
    pub mouth_region: MouthRegion,
    pub windows: Vec<WindowOffset>,
    /// Slope of the window offsets (confidence-weighted), when at least
    /// three windows are confident.
    pub drift_ms_per_minute: Option<f64>,
    pub silent_mouth_spans: Vec<Span>,
    pub still_mouth_spans: Vec<Span>,
    /// The mouth region's motion per frame (median block motion removed).
    pub mouth_motion: Vec<f32>,
    /// Band-limited speech level per frame, on the audio's own clock.
    pub speech_level: Vec<f32>,
    /// How the mouth was found and the offset measured.
    #[serde(default)]
    pub method: Method,
    /// The reading is sure enough to act on (offer a correction): its
    /// confidence reaches the calibrated threshold and it is not at the
    /// edge of the search.
    #[serde(default)]
    pub confident: bool,
    /// Set when the clip gives the analysis no footing; the verdict is then
    /// [`SyncVerdict::CantTell`] and the offset means nothing.
    #[serde(default)]
    pub cant_tell: Option<CantTell>,
    /// The speaking face, in frame pixels, when one was found.
    #[serde(default)]
    pub face: Option<FaceBox>,
    /// The whole-clip match score at every lag searched, `[lag_ms, score]`
    /// (face path): what the offset and confidence were read from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lag_curve: Vec<[f64; 2]>,
}

/// How a report was measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A detected face, followed, its mouth's shapes against the sound's
    /// bands ([`crate::lipsync`]).
    #[default]
    Face,
    /// No face detected, the analysis was told the mouth may be drawn: of
    /// the places that move most, the one whose shapes predict the voice
    /// best, then as for a face.
    Drawn,
    /// Block motion, the mouth found by audio-visual correlation: for
    /// drawn presenters, which the face detector does not see.
    Motion,
}

impl Method {
    /// How far from zero a reading by this method may be and still be
    /// called in sync: what the method can tell apart, measured on real
    /// footage. A face reading is trusted to ±80 ms (the bar recordings
    /// made in sync meet, see `FACE_TOLERANCE_MS`); a drawn mouth is drawn
    /// exactly at its sound, so its readings are judged as they are.
    pub fn tolerance_ms(self) -> f64 {
        match self {
            Method::Face => crate::verdict::FACE_TOLERANCE_MS,
            Method::Drawn | Method::Motion => 0.0,
        }
    }
}

/// Analyses decoded luma frames (presentation order) against PCM audio.
pub fn analyze<'f, I>(
    audio: &AudioClip<'_>,
    frames: I,
    fps: f64,
    config: &AnalysisConfig,
) -> Result<SyncReport, SyncError>
where
    I: IntoIterator<Item = LumaFrame<'f>>,
{
    let mut frames = frames.into_iter().peekable();
    let Some(first) = frames.peek() else {
        return Err(SyncError::TooShort {
            frames: 0,
            min: min_frames(fps, config),
        });
    };
    let grid = MotionGrid::for_frame(first.width, first.height)?;
    let mut motion = MotionAnalyzer::new(grid, fps, frames.size_hint().0)?;
    for frame in frames {
        motion.push(&frame)?;
    }
    analyze_motion(audio, &motion.finish(), config)
}

/// Analyses precomputed block motion (e.g. from the browser's shader).
pub fn analyze_motion(
    audio: &AudioClip<'_>,
    motion: &MotionSeries,
    config: &AnalysisConfig,
) -> Result<SyncReport, SyncError> {
    let envelope =
        SpeechEnvelope::from_samples(audio.samples, audio.sample_rate, audio.channels, motion.fps)?;
    analyze_envelope(&envelope, motion, config)
}

fn min_frames(fps: f64, config: &AnalysisConfig) -> usize {
    ((2.0 * fps).ceil() as usize).max(2 * config.max_lag_frames as usize + 2)
}

/// Analyses a prebuilt speech envelope against block motion.
pub fn analyze_envelope(
    envelope: &SpeechEnvelope,
    motion: &MotionSeries,
    config: &AnalysisConfig,
) -> Result<SyncReport, SyncError> {
    config.check()?;
    let fps = motion.fps;
    check_fps(fps)?;
    if (envelope.fps() - fps).abs() > 1e-9 * fps {
        return Err(SyncError::FrameRateMismatch {
            audio: envelope.fps(),
            picture: fps,
        });
    }
    let frames = motion.frames();
    let min = min_frames(fps, config);
    if frames < min {
        return Err(SyncError::TooShort { frames, min });
    }
    if envelope.frames() < min {
        return Err(SyncError::AudioTooShort {
            frames: envelope.frames(),
            min,
        });
    }

    let max_lag = i64::from(config.max_lag_frames);
    let mouth = find_mouth(motion, envelope, max_lag, config.max_region_blocks)?;
    let step = STEPS_PER_FRAME as f64;
    let max_steps = max_lag * STEPS_PER_FRAME as i64;
    let to_ms = 1000.0 / fps;

    let measure = |range: std::ops::Range<usize>| {
        let curve = lag_curve(&mouth.signal, &range, envelope, max_steps);
        let peak = find_peak(&curve)?;
        let offset_frames = (peak.position - max_steps as f64) / step;
        Some((offset_frames, peak, peak.value - median(&curve)))
    };
    let (raw_frames, peak, confidence) = measure(0..frames).ok_or(SyncError::NoSpeech)?;
    let raw_offset_ms = raw_frames * to_ms;
    let av_offset_ms = raw_offset_ms - config.natural_lead_ms;

    let windows: Vec<WindowOffset> = window_ranges(frames, fps, config)
        .into_iter()
        .filter_map(|range| {
            let (offset_frames, peak, confidence) = measure(range.clone())?;
            let offset_ms = offset_frames * to_ms - config.natural_lead_ms;
            Some(WindowOffset {
                start_frame: range.start,
                end_frame: range.end,
                offset_frames: offset_ms / to_ms,
                offset_ms,
                confidence,
                peak_correlation: peak.value,
                at_search_edge: peak.at_edge,
            })
        })
        .collect();

    // Spans compare the mouth with the sound it made, so undo the measured
    // offset (natural lead included) before comparing.
    let shift = (raw_frames * step).round() as i64;
    let aligned: Vec<Option<f32>> = (0..frames)
        .map(|k| envelope.level((k * STEPS_PER_FRAME) as i64 + shift))
        .collect();
    let min_span = (config.min_span_seconds * fps).round() as usize;
    let spans = disagreements(&aligned, &mouth.signal, fps, min_span);

    Ok(SyncReport {
        av_offset_ms,
        av_offset_frames: av_offset_ms / to_ms,
        raw_offset_ms,
        natural_lead_ms: config.natural_lead_ms,
        confidence,
        peak_correlation: peak.value,
        at_search_edge: peak.at_edge,
        verdict: SyncVerdict::for_offset_ms(av_offset_ms),
        fps,
        frames,
        mouth_region: mouth.region,
        drift_ms_per_minute: drift(&windows, fps),
        windows,
        silent_mouth_spans: spans.silent_mouth,
        still_mouth_spans: spans.still_mouth,
        mouth_motion: mouth.signal,
        speech_level: (0..frames)
            .map(|k| envelope.level((k * STEPS_PER_FRAME) as i64).unwrap_or(0.0))
            .collect(),
        method: Method::Motion,
        confident: confidence >= MOTION_CONFIDENT && !peak.at_edge,
        cant_tell: None,
        face: None,
        lag_curve: Vec::new(),
    })
}

/// Window ranges covering the clip; the last one is aligned to the end so
/// the tail is measured too.
fn window_ranges(frames: usize, fps: f64, config: &AnalysisConfig) -> Vec<std::ops::Range<usize>> {
    let len = ((config.window_seconds * fps).round() as usize).max(2);
    if frames <= len {
        return std::iter::once(0..frames).collect();
    }
    let hop = ((config.hop_seconds * fps).round() as usize).max(1);
    let mut out: Vec<_> = (0..=frames - len)
        .step_by(hop)
        .map(|s| s..s + len)
        .collect();
    if out.last().is_some_and(|r| r.end < frames) {
        out.push(frames - len..frames);
    }
    out
}

/// The block-motion path's confidence from which a reading is acted on.
const MOTION_CONFIDENT: f64 = 0.1;

/// Windows below this confidence do not count towards drift.
const DRIFT_MIN_CONFIDENCE: f64 = 0.1;

/// Confidence-weighted least-squares slope of window offset over time.
pub(crate) fn drift(windows: &[WindowOffset], fps: f64) -> Option<f64> {
    let points: Vec<(f64, f64, f64)> = windows
        .iter()
        .filter(|w| w.confidence >= DRIFT_MIN_CONFIDENCE && !w.at_search_edge)
        .map(|w| {
            let centre_s = (w.start_frame + w.end_frame) as f64 / 2.0 / fps;
            (centre_s, w.offset_ms, w.confidence)
        })
        .collect();
    if points.len() < 3 {
        return None;
    }
    let weight: f64 = points.iter().map(|p| p.2).sum();
    let mean_t = points.iter().map(|p| p.0 * p.2).sum::<f64>() / weight;
    let mean_o = points.iter().map(|p| p.1 * p.2).sum::<f64>() / weight;
    let sxx: f64 = points.iter().map(|p| p.2 * (p.0 - mean_t).powi(2)).sum();
    let sxy: f64 = points
        .iter()
        .map(|p| p.2 * (p.0 - mean_t) * (p.1 - mean_o))
        .sum();
    (sxx > 0.0).then(|| sxy / sxx * 60.0)
}
