//! Measuring one variant's lip-sync in the browser: every frame decoded in
//! order by a reader of its own (`player::sequence`) and handed to chorus-sync's
//! face analysis, the same code `chorus sync` runs natively (drawn
//! presenters included). With `cross_check` the frames also go through
//! block motion on the GPU (`gpu_motion`, WebGPU) and on the CPU, and their
//! largest difference is reported: how the browser tests hold the shader
//! to chorus-sync's definition.

use chorus_sync::{
    AnalysisConfig, AudioClip, FaceAnalyzer, LumaFrame, Method, MotionAnalyzer, MotionGrid,
    SyncReport,
};

use super::gpu_motion::GpuMotion;
use super::pcm::Pcm;
use crate::dom::now_ms;
use crate::player::sequence::Sequence;

/// The frame after which the sound is analysed: by then the decoder is
/// busy on its own thread and this one would otherwise wait for it.
const HEAR_AT: usize = 8;

/// What one measurement found and how it was made.
pub struct Measured {
    pub report: SyncReport,
    /// "face (CPU)" or "drawn mouth (CPU)", plus the motion check's GPU
    /// when cross-checking.
    pub path: String,
    /// Wall time from opening the file to the report, decode included.
    pub millis: f64,
    /// Of which reading the frames (fetch, decode, copy and the per-frame
    /// work of the analysis).
    pub frames_millis: f64,
    /// With `cross_check`: the largest |GPU − CPU| over every block of
    /// every frame, absolute and relative (to values above 0.01).
    pub gpu_cpu_difference: Option<(f64, f64)>,
}

/// Measures the take at `url` whose sound is `pcm`. `rendered`: the clip's
/// mouths are drawn exactly at the sound (our draft engine), so no natural
/// mouth lead is subtracted.
pub async fn measure(
    url: &str,
    pcm: &Pcm,
    rendered: bool,
    gpu: Option<&GpuMotion>,
    cross_check: bool,
) -> Result<Measured, String> {
    let started = now_ms();
    let source = Sequence::open(url).await?;
    let (frames, fps) = (source.frame_count(), source.fps());
    let audio = AudioClip {
        samples: &pcm.samples,
        sample_rate: pcm.sample_rate,
        channels: 1,
    };
    // The detector's frames and the sound are analysed while frames are
    // still decoding (on the browser's own thread), not at the end.
    let mut face = FaceAnalyzer::expecting(frames);
    let mut heard = false;
    // Block motion is only the shader's check now: run when asked for. Its
    // grid is set by the first frame.
    let mut gpu_run = None;
    let mut cpu = None;
    let mut size = None;
    source
        .each_frame(|frame, picture| {
            let (width, height) = (picture.width, picture.height);
            let expected = *size.get_or_insert((width, height));
            if (width, height) != expected {
                return Err(format!(
                    "frame {frame} is {width}×{height}, not {}×{} like the first",
                    expected.0, expected.1
                ));
            }
            if cross_check && cpu.is_none() {
                let grid = MotionGrid::for_frame(width, height).map_err(|e| e.to_string())?;
                gpu_run = gpu.map(|g| g.start(grid, frames));
                cpu = Some(MotionAnalyzer::new(grid, fps, frames).map_err(|e| e.to_string())?);
            }
            let luma = LumaFrame {
                data: picture.luma(),
                width,
                height,
                stride: width as usize,
            };
            face.push(&luma, source.frame_seconds(frame))
                .map_err(|e| e.to_string())?;
            if frame == HEAR_AT {
                face.hear(&audio);
                heard = true;
            }
            if let Some(run) = gpu_run.as_mut() {
                run.push(picture.luma())?;
            }
            if let Some(cpu) = cpu.as_mut() {
                cpu.push(&luma).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .await?;
    let frames_millis = now_ms() - started;
    let config = if rendered {
        AnalysisConfig::rendered()
    } else {
        AnalysisConfig::default()
    };
    let report = if heard {
        face.finish_heard(&config)
    } else {
        face.finish(&audio, &config)
    }
    .map_err(|e| e.to_string())?;
    let method = match report.method {
        Method::Face => "face",
        Method::Drawn => "drawn mouth",
        Method::Motion => "motion",
    };
    let cpu_series = cpu.map(MotionAnalyzer::finish);
    let (path, difference) = match (gpu_run, gpu) {
        (Some(run), Some(gpu)) => {
            let values = run.finish().await?;
            let difference = cpu_series.as_ref().map(|c| difference(c.values(), &values));
            (
                format!("{method} (CPU) · motion check on GPU ({})", gpu.adapter),
                difference,
            )
        }
        _ => (format!("{method} (CPU)"), None),
    };
    Ok(Measured {
        report,
        path,
        millis: now_ms() - started,
        frames_millis,
        gpu_cpu_difference: difference,
    })
}

/// Largest absolute and relative difference between two motion series.
fn difference(cpu: &[f32], gpu: &[f32]) -> (f64, f64) {
    if cpu.len() != gpu.len() {
        return (f64::INFINITY, f64::INFINITY);
    }
    cpu.iter()
        .zip(gpu)
        .fold((0.0, 0.0), |(abs, rel), (&c, &g)| {
            let d = f64::from((c - g).abs());
            let r = if c.abs() > 0.01 {
                d / f64::from(c.abs())
            } else {
                0.0
            };
            (f64::max(abs, d), f64::max(rel, r))
        })
}
