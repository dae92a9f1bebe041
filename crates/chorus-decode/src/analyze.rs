//! The native lip-sync path: decode a file's picture once, frame by frame
//! with presentation times, into chorus-sync's `FaceAnalyzer`, decode its
//! sound, line the two up on the movie timeline and run the analysis.
//! (`motion_series` still gives the block motion the browser's shader is
//! held to.)

use std::path::Path;

use chorus_sync::{
    AnalysisConfig, AudioClip, FaceAnalyzer, MotionAnalyzer, MotionGrid, MotionSeries, SyncError,
    SyncReport,
};

use crate::{DecodeError, Mp4Source, VideoInfo, decode_audio, decode_luma_frames};

/// Block motion of every frame, plus what the decode found.
#[derive(Debug, Clone)]
pub struct VideoMotion {
    pub series: MotionSeries,
    pub info: VideoInfo,
}

/// Decodes the video and computes chorus-sync's per-block motion values
/// frame by frame; no frame is kept after its motion is taken.
pub fn motion_series(source: &Mp4Source<'_>) -> Result<VideoMotion, DecodeError> {
    let sync_error = |source_error: SyncError| DecodeError::Analysis {
        file: source.name().to_owned(),
        source: source_error,
    };
    let track = source.video_track()?;
    let expected = track.frames.len();
    let mut analyzer: Option<MotionAnalyzer> = None;
    let info = decode_luma_frames(source, |_, frame| {
        if analyzer.is_none() {
            // The grid needs the decoded size, known from the first frame.
            let fps = track.frame_rate.map_or(0.0, |r| r.rate().as_f64());
            let grid = MotionGrid::for_frame(frame.width, frame.height).map_err(sync_error)?;
            analyzer = Some(MotionAnalyzer::new(grid, fps, expected).map_err(sync_error)?);
        }
        let Some(analyzer) = analyzer.as_mut() else {
            return Ok(());
        };
        analyzer.push(frame).map_err(sync_error)
    })?;
    let analyzer = analyzer.ok_or_else(|| DecodeError::NoFrames {
        file: source.name().to_owned(),
    })?;
    Ok(VideoMotion {
        series: analyzer.finish(),
        info,
    })
}

/// Reads, decodes and analyses an MP4 file.
pub fn analyze_file(path: &Path, config: &AnalysisConfig) -> Result<SyncReport, DecodeError> {
    let bytes = std::fs::read(path).map_err(|source| DecodeError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let source = Mp4Source::parse(path.display().to_string(), &bytes)?;
    analyze_source(&source, config)
}

/// Every frame of the picture, with its presentation time, in the face
/// analysis (which also measures drawn presenters when `config.drawn`).
fn decode_pictures(source: &Mp4Source<'_>) -> Result<Pictures, DecodeError> {
    let sync_error = |source_error: SyncError| DecodeError::Analysis {
        file: source.name().to_owned(),
        source: source_error,
    };
    let track = source.video_track()?;
    let timescale = f64::from(track.timescale.max(1));
    // Presentation times, in presentation order, from the first frame.
    let times: Vec<f64> = track
        .frames
        .iter()
        .filter_map(|&i| track.samples.get(i))
        .map(|s| s.presentation_time as f64 / timescale)
        .collect();
    let first = times.first().copied().unwrap_or(0.0);
    let fps = track.frame_rate.map_or(0.0, |r| r.rate().as_f64());
    let mut face = FaceAnalyzer::new();
    let info = decode_luma_frames(source, |index, frame| {
        let time = times
            .get(index)
            .map_or(index as f64 / fps.max(1.0), |t| t - first);
        face.push(frame, time).map_err(sync_error)
    })?;
    Ok(Pictures { face, info })
}

struct Pictures {
    face: FaceAnalyzer,
    info: VideoInfo,
}

/// Analyses an MP4 already in memory.
pub fn analyze_source(
    source: &Mp4Source<'_>,
    config: &AnalysisConfig,
) -> Result<SyncReport, DecodeError> {
    // Check for both tracks before spending time decoding either.
    source.video_track()?;
    source.audio_track()?;
    let (audio, pictures) = std::thread::scope(|scope| {
        // AAC decodes in a fraction of the video's time; overlap the two.
        let audio = scope.spawn(|| decode_audio(source));
        let pictures = decode_pictures(source);
        let audio = audio.join().map_err(|_| DecodeError::WorkerPanicked {
            file: source.name().to_owned(),
        });
        (audio, pictures)
    });
    let (audio, pictures) = (audio??, pictures?);
    // The analysis takes audio sample 0 to play with frame 0; the audio is
    // on the movie timeline, so cut it at the first frame's time.
    let channels = usize::from(audio.channels.max(1));
    let skip_frames = (pictures.info.start_seconds * f64::from(audio.sample_rate)).round() as usize;
    let samples = audio
        .samples
        .get(skip_frames * channels..)
        .unwrap_or_default();
    let clip = AudioClip {
        samples,
        sample_rate: audio.sample_rate,
        channels: audio.channels,
    };
    let analysis_error = |source_error| DecodeError::Analysis {
        file: source.name().to_owned(),
        source: source_error,
    };
    pictures.face.finish(&clip, config).map_err(analysis_error)
}
