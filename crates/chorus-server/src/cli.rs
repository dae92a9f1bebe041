//! The command-line tools beside the server: `chorus draft` renders a clip
//! without the server (also how lip-sync fixtures with a known offset are
//! made), `chorus sync` measures one, and the hidden `chorus __voice` is the
//! draft engine's voice helper.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use chorus_core::{
    AspectRatio, DialogueLine, GenerationRequest, Language, Mode, Resolution, check_request, model,
};
use chorus_draft::{RenderInput, RenderOptions};

/// The hidden subcommand the draft engine's voice helper runs as.
pub const VOICE_SUBCOMMAND: &str = "__voice";

/// Makes the draft engine speak every line in a fresh child process (this
/// very binary, as `chorus __voice`), so a take's bytes never depend on
/// what this process spoke before.
pub fn speak_in_child_processes() -> anyhow::Result<()> {
    let program = std::env::current_exe()
        .context("cannot find this program's own file to start the draft voice helper")?;
    chorus_draft::set_speaker(chorus_draft::Speaker::ChildProcess {
        program,
        args: vec![VOICE_SUBCOMMAND.into()],
    });
    Ok(())
}

/// Runs `chorus __voice`: answers one request of the draft engine's voice.
pub fn voice_helper() -> anyhow::Result<()> {
    chorus_draft::serve_voice(&mut std::io::stdin().lock(), &mut std::io::stdout().lock())?;
    Ok(())
}

/// Arguments of `chorus draft`.
#[derive(Debug, clap::Args)]
pub struct DraftArgs {
    /// Language code of the spoken line: en, cmn, yue, ja, ko, de, fr.
    #[arg(long)]
    pub lang: Option<String>,
    /// The line to speak (needs --lang).
    #[arg(long)]
    pub text: Option<String>,
    /// Scene description.
    #[arg(long, default_value = "A presenter in a bright studio")]
    pub prompt: String,
    /// Length in seconds (3–15).
    #[arg(long, default_value_t = 5)]
    pub duration: u32,
    /// 16:9, 9:16, 1:1, 4:3, 3:4, 21:9, 9:21, 5:4 or 4:5.
    #[arg(long, default_value = "16:9")]
    pub aspect: String,
    /// 720p or 1080p.
    #[arg(long, default_value = "720p")]
    pub resolution: String,
    /// 24, 25 or 30.
    #[arg(long)]
    pub fps: Option<u32>,
    #[arg(long)]
    pub seed: Option<i64>,
    /// A start image (image to video).
    #[arg(long, conflicts_with = "reference")]
    pub image: Option<PathBuf>,
    /// Reference images, in order (reference to video); repeat the flag.
    #[arg(long)]
    pub reference: Vec<PathBuf>,
    /// Burn the line in as captions.
    #[arg(long)]
    pub captions: bool,
    /// Shift the sound against the picture; positive means the sound comes later.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub av_offset_ms: i32,
    /// Where to write the MP4; the sidecar goes beside it as .json.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `chorus draft`.
pub fn draft(args: &DraftArgs) -> anyhow::Result<()> {
    let mut request = GenerationRequest::new(model::DRAFT_MODEL_ID);
    request.prompt.clone_from(&args.prompt);
    request.duration_s = args.duration;
    request.aspect_ratio = AspectRatio::parse(&args.aspect)
        .with_context(|| format!("--aspect {} is not a ratio we know; use 16:9, 9:16, 1:1, 4:3, 3:4, 21:9, 9:21, 5:4 or 4:5", args.aspect))?;
    request.resolution = Resolution::parse(&args.resolution)
        .with_context(|| format!("--resolution {} is not 720p or 1080p", args.resolution))?;
    request.fps = args.fps;
    request.seed = args.seed;
    request.captions = args.captions;
    let line = match (&args.lang, &args.text) {
        (Some(code), Some(text)) => {
            let language = Language::from_code(code).with_context(|| {
                format!("--lang {code} is not one of en, cmn, yue, ja, ko, de, fr")
            })?;
            request.dialogue = vec![DialogueLine::new(language, text.clone())];
            Some((language, text.clone()))
        }
        (None, None) => None,
        _ => bail!("--lang and --text go together"),
    };
    let paths: Vec<PathBuf> = args.image.iter().chain(&args.reference).cloned().collect();
    request.mode = if args.image.is_some() {
        Mode::ImageToVideo
    } else if args.reference.is_empty() {
        Mode::TextToVideo
    } else {
        Mode::ReferenceToVideo
    };
    request.references = paths.iter().map(|p| p.display().to_string()).collect();
    let models = model::registry();
    let spec =
        model::find(&models, model::DRAFT_MODEL_ID).context("the draft model is registered")?;
    let errors: Vec<String> = check_request(&request, spec)
        .into_iter()
        .filter(chorus_core::Problem::is_error)
        .map(|p| format!("  {}: {}", p.field, p.message))
        .collect();
    if !errors.is_empty() {
        bail!("the request has problems:\n{}", errors.join("\n"));
    }
    let references = paths
        .iter()
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let input = RenderInput {
        request,
        line,
        references,
        options: RenderOptions {
            av_offset_ms: args.av_offset_ms,
        },
    };

    let started = std::time::Instant::now();
    let mut bar = ProgressBar::new();
    let rendered = chorus_draft::render(&input, &mut |p| bar.set(p))?;
    bar.finish();
    std::fs::write(&args.out, &rendered.mp4)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let sidecar_path = args.out.with_extension("json");
    std::fs::write(&sidecar_path, serde_json::to_vec_pretty(&rendered.sidecar)?)
        .with_context(|| format!("cannot write {}", sidecar_path.display()))?;
    eprintln!(
        "Wrote {} ({}×{}, {} fps, {:.2} s, {} KB) and {} in {:.2} s",
        args.out.display(),
        rendered.width,
        rendered.height,
        rendered.fps,
        f64::from(rendered.duration_ms) / 1000.0,
        rendered.mp4.len() / 1024,
        sidecar_path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A one-line progress bar, drawn only when stderr is a terminal.
struct ProgressBar {
    tty: bool,
    shown: i32,
}

impl ProgressBar {
    fn new() -> Self {
        ProgressBar {
            tty: std::io::stderr().is_terminal(),
            shown: -1,
        }
    }

    fn set(&mut self, fraction: f32) {
        let percent = (fraction.clamp(0.0, 1.0) * 100.0).round() as i32;
        if !self.tty || percent == self.shown {
            return;
        }
        self.shown = percent;
        let mut err = std::io::stderr();
        let _ = write!(err, "\r{}", bar_line(percent));
        let _ = err.flush();
    }

    fn finish(&mut self) {
        if self.tty {
            eprintln!();
        }
    }
}

/// The bar at `percent` (0–100): 25 cells, one per 4 %.
fn bar_line(percent: i32) -> String {
    let filled = (percent.clamp(0, 100) / 4) as usize;
    format!(
        "Rendering [{}{}] {percent:>3}%",
        "█".repeat(filled),
        "·".repeat(25 - filled)
    )
}

/// Arguments of `chorus sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// An MP4 with H.264 video and AAC audio.
    pub file: PathBuf,
    /// Print the whole report as JSON.
    #[arg(long)]
    pub json: bool,
    /// The clip was rendered (a drawn mouth, like Chorus Draft's), so its
    /// mouths have no natural lead over the sound: measure against 0 ms.
    #[arg(long, conflicts_with = "lead_ms")]
    pub rendered: bool,
    /// How far real mouths move ahead of their sound, subtracted from the
    /// measured offset (default: chorus-sync's natural lead).
    #[arg(long, allow_hyphen_values = true)]
    pub lead_ms: Option<f64>,
}

/// Runs `chorus sync`: measures the clip's audio-visual offset.
pub fn sync(args: &SyncArgs) -> anyhow::Result<()> {
    let mut config = if args.rendered {
        chorus_sync::AnalysisConfig::rendered()
    } else {
        chorus_sync::AnalysisConfig::default()
    };
    if let Some(lead) = args.lead_ms {
        config.natural_lead_ms = lead;
    }
    let started = std::time::Instant::now();
    let report = chorus_decode::analyze_file(&args.file, &config)?;
    let elapsed = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("{}", args.file.display());
    if let Some(cant) = &report.cant_tell {
        println!("  can't tell: {}", cant.message);
        println!("  {} frames analysed in {elapsed:.2} s", report.frames);
        return Ok(());
    }
    let offset = report.av_offset_ms;
    let direction = if offset >= 0.0 { "late" } else { "early" };
    let verdict = match report.verdict {
        chorus_sync::SyncVerdict::CantTell => "can't tell",
        chorus_sync::SyncVerdict::InSync => "in sync",
        chorus_sync::SyncVerdict::Detectable(_) => "noticeable (ITU-R BT.1359)",
        chorus_sync::SyncVerdict::Unacceptable(_) => "unacceptable (ITU-R BT.1359)",
    };
    let region = &report.mouth_region;
    println!(
        "  sound is {:.0} ms {direction} ({:+.2} frames at {:.3} fps): {verdict}",
        offset.abs(),
        report.av_offset_frames,
        report.fps
    );
    println!(
        "  confidence {:.2}{}",
        report.confidence,
        if report.confident {
            ""
        } else {
            " (low: treat the offset as a guess)"
        }
    );
    println!(
        "  mouth found at x {:.0}%, y {:.0}%, {:.0}% × {:.0}% of the frame ({})",
        region.x * 100.0,
        region.y * 100.0,
        region.w * 100.0,
        region.h * 100.0,
        match report.method {
            chorus_sync::Method::Face => "face detected and followed",
            chorus_sync::Method::Drawn =>
                "no face detected: the drawn mouth that best predicts the voice",
            chorus_sync::Method::Motion =>
                "by motion: no face detected, measured as a drawn presenter",
        }
    );
    if let Some(drift) = report.drift_ms_per_minute {
        println!(
            "  drift {drift:+.0} ms per minute over {} windows",
            report.windows.len()
        );
    }
    for span in &report.silent_mouth_spans {
        println!("  mouth moves in silence: {span:?}");
    }
    for span in &report.still_mouth_spans {
        println!("  speech over a still mouth: {span:?}");
    }
    println!("  {} frames analysed in {elapsed:.2} s", report.frames);
    Ok(())
}

/// Arguments of `chorus shift-audio`.
#[derive(Debug, clap::Args)]
pub struct ShiftArgs {
    /// The MP4 to read.
    pub input: PathBuf,
    /// Where to write the shifted copy.
    pub output: PathBuf,
    /// How far to move the sound, in ms: positive plays it later.
    #[arg(long, allow_hyphen_values = true)]
    pub ms: i32,
}

/// Runs `chorus shift-audio`: a stream copy with the sound moved.
pub fn shift_audio(args: &ShiftArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let shifted = chorus_media::shift_audio(&bytes, args.ms)
        .with_context(|| format!("cannot shift the sound of {}", args.input.display()))?;
    std::fs::write(&args.output, shifted)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "Wrote {} (sound {} ms {})",
        args.output.display(),
        args.ms.unsigned_abs(),
        if args.ms >= 0 { "later" } else { "earlier" }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bar_line;

    #[test]
    fn the_progress_bar_fills_a_cell_per_four_percent() {
        assert_eq!(bar_line(0), format!("Rendering [{}]   0%", "·".repeat(25)));
        assert_eq!(
            bar_line(50),
            format!("Rendering [{}{}]  50%", "█".repeat(12), "·".repeat(13))
        );
        assert_eq!(
            bar_line(100),
            format!("Rendering [{}] 100%", "█".repeat(25))
        );
    }
}
