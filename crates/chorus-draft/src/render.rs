//! One take, start to finish: check the request, speak the line, draw and
//! encode the picture while the soundtrack is mixed and encoded beside it,
//! then write the MP4 and its sidecar.

#![expect(
    clippy::many_single_char_names,
    reason = "caption layout reads best with the usual short names (x, y, w, h)"
)]

use std::sync::mpsc;

use chorus_core::{GenerationRequest, Language, Mode};
use serde::{Deserialize, Serialize};

use crate::canvas::{Canvas, Frame, Mask, Overlay, Rgb, rounded_rect};
use crate::encode::{VideoEncoder, encode_aac};
use crate::font::fonts;
use crate::presenter::{Presenter, blink_at};
use crate::scene::{self, Layout, PanZoom, Rng};
use crate::speech::{self, LEAD_IN_MS, PhonemeSpan, SpeechSpan, TAIL_MS, VisemeSpan};
use crate::viseme::{MouthShape, Viseme};
use crate::{DraftError, audio, mp4};

/// Frame rates the draft engine renders.
pub const FRAME_RATES: [u32; 3] = [24, 25, 30];
/// The frame rate when the request names none.
pub const DEFAULT_FPS: u32 = 24;
/// Largest audio/picture shift a test fixture may ask for.
pub const MAX_AV_OFFSET_MS: i32 = 1000;

/// Knobs that are not part of a composition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderOptions {
    /// Shifts the sound against the picture; positive means sound later.
    pub av_offset_ms: i32,
}

/// Everything one take needs.
#[derive(Debug, Clone)]
pub struct RenderInput {
    pub request: GenerationRequest,
    /// The language and line this take speaks, if any.
    pub line: Option<(Language, String)>,
    /// Encoded images (PNG, JPEG or WebP) in the request's reference order.
    pub references: Vec<Vec<u8>>,
    pub options: RenderOptions,
}

/// The phoneme and viseme timeline written beside the MP4. Times and frame
/// numbers are on the picture's clock; the speech in the audio track sits
/// `av_offset_ms` later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    pub language: Option<Language>,
    pub text: Option<String>,
    pub fps: u32,
    pub frames: u32,
    pub width: u32,
    pub height: u32,
    pub duration_ms: u32,
    pub av_offset_ms: i32,
    pub seed: u64,
    pub speech_spans: Vec<SpeechSpan>,
    pub phonemes: Vec<PhonemeSpan>,
    pub visemes: Vec<VisemeSpan>,
}

/// A finished take.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub mp4: Vec<u8>,
    pub sidecar: Sidecar,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub duration_ms: u32,
    pub has_audio: bool,
}

fn seed_of(request: &GenerationRequest) -> u64 {
    if let Some(s) = request.seed {
        return s as u64;
    }
    // No seed: derive one from the prompt so the same composition looks the same.
    request
        .prompt
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

fn decode(bytes: &[u8], index: usize) -> Result<image::RgbaImage, DraftError> {
    image::load_from_memory(bytes)
        .map(|i| i.to_rgba8())
        .map_err(|e| DraftError::Image {
            index: index + 1,
            reason: e.to_string(),
        })
}

/// Renders one take. `progress` hears 0.0–1.0 as frames are encoded.
pub fn render(input: &RenderInput, progress: &mut dyn FnMut(f32)) -> Result<Rendered, DraftError> {
    let req = &input.request;
    if !(3..=15).contains(&req.duration_s) {
        return Err(DraftError::Invalid(format!(
            "the draft engine renders 3–15 s clips; {} s was asked",
            req.duration_s
        )));
    }
    let fps = req.fps.unwrap_or(DEFAULT_FPS);
    if !FRAME_RATES.contains(&fps) {
        return Err(DraftError::Invalid(format!(
            "the draft engine renders at 24, 25 or 30 fps, not {fps}"
        )));
    }
    let offset = input.options.av_offset_ms;
    if offset.abs() > MAX_AV_OFFSET_MS {
        return Err(DraftError::Invalid(format!(
            "av_offset_ms must be within ±{MAX_AV_OFFSET_MS} ms, not {offset}"
        )));
    }
    let (width, height) = req.aspect_ratio.dimensions(req.resolution);
    let frames = req.duration_s * fps;
    let duration_ms = req.duration_s * 1000;
    let seed = seed_of(req);
    progress(0.0);

    let images: Vec<image::RgbaImage> = input
        .references
        .iter()
        .enumerate()
        .map(|(i, b)| decode(b, i))
        .collect::<Result<_, _>>()?;
    if req.mode == Mode::ImageToVideo && images.is_empty() {
        return Err(DraftError::Invalid(
            "image-to-video needs a start image; add one to the composition".into(),
        ));
    }

    let spoken = match (&input.line, req.audio) {
        (Some((lang, text)), true) if !text.trim().is_empty() => {
            let s = speech::speak(*lang, text, fps)?;
            let needed = s.seconds + (LEAD_IN_MS + TAIL_MS) as f32 / 1000.0;
            if needed > req.duration_s as f32 {
                return Err(DraftError::SpeechTooLong {
                    language: *lang,
                    needed_s: needed,
                    clip_s: req.duration_s,
                });
            }
            Some(s)
        }
        _ => None,
    };
    let total_samples = (u64::from(duration_ms) * u64::from(audio::SAMPLE_RATE) / 1000) as usize;
    let voice_at = i64::from(LEAD_IN_MS as i32 + offset) * i64::from(audio::SAMPLE_RATE) / 1000;
    if let Some(s) = &spoken
        && (voice_at < 0 || voice_at as usize + s.voice.len() > total_samples)
    {
        return Err(DraftError::Invalid(format!(
            "av_offset_ms {offset} pushes the speech outside the clip; use a smaller offset or a longer clip"
        )));
    }
    progress(0.05);

    let phonemes = spoken
        .as_ref()
        .map(|s| s.phonemes.clone())
        .unwrap_or_default();
    let sidecar = Sidecar {
        language: input.line.as_ref().map(|l| l.0),
        text: input.line.as_ref().map(|l| l.1.clone()),
        fps,
        frames,
        width,
        height,
        duration_ms,
        av_offset_ms: offset,
        seed,
        speech_spans: speech::speech_spans(&phonemes, fps),
        visemes: speech::viseme_spans(&phonemes),
        phonemes,
    };

    let look = Look::build(req, &images, width, height, seed);
    let captions = if req.captions {
        input
            .line
            .as_ref()
            .map(|l| Captions::build(&l.1, &sidecar, &look.layout))
    } else {
        None
    };

    let (mp4, has_audio) = std::thread::scope(|scope| -> Result<(Vec<u8>, bool), DraftError> {
        let sound = req.audio.then(|| {
            let voice = spoken
                .as_ref()
                .map(|s| s.voice.as_slice())
                .unwrap_or_default();
            scope.spawn(move || {
                let pcm = audio::mix(total_samples, seed, voice, voice_at);
                encode_aac(&pcm, audio::SAMPLE_RATE).map(|aac| (aac, pcm.len()))
            })
        });
        let (tx, rx) = mpsc::sync_channel::<Frame>(3);
        let (back_tx, back_rx) = mpsc::channel::<Frame>();
        let sidecar_ref = &sidecar;
        let look_ref = &look;
        let captions_ref = captions.as_ref();
        scope.spawn(move || {
            for n in 0..frames {
                let mut frame = back_rx
                    .try_recv()
                    .unwrap_or_else(|_| Frame::new(width as usize, height as usize));
                look_ref.draw(&mut frame, n, sidecar_ref, captions_ref);
                if tx.send(frame).is_err() {
                    return;
                }
            }
        });
        let mut encoder = VideoEncoder::new(width, height, fps)?;
        for n in 0..frames {
            let frame = rx
                .recv()
                .map_err(|_| DraftError::Encode("the frame painter stopped".into()))?;
            encoder.push(&frame)?;
            let _ = back_tx.send(frame);
            progress(0.05 + 0.9 * (n + 1) as f32 / frames as f32);
        }
        let video = mp4::VideoTrack {
            width,
            height,
            fps,
            sps: encoder.sps,
            pps: encoder.pps,
            samples: encoder.samples,
        };
        let audio_track = match sound {
            Some(handle) => {
                let (aac, samples) = handle
                    .join()
                    .map_err(|_| DraftError::Encode("the audio mixer crashed".into()))??;
                Some(mp4::AudioTrack {
                    sample_rate: audio::SAMPLE_RATE,
                    channels: 1,
                    config: aac.config,
                    delay: aac.delay,
                    play_samples: samples as u64,
                    frames: aac.frames,
                    bitrate: aac.bitrate,
                })
            }
            None => None,
        };
        Ok((
            mp4::write(&video, audio_track.as_ref()),
            audio_track.is_some(),
        ))
    })?;
    progress(1.0);
    Ok(Rendered {
        mp4,
        sidecar,
        width,
        height,
        fps,
        duration_ms,
        has_audio,
    })
}

/// The take's picture: a cached still (or a moving image) plus the presenter.
struct Look {
    layout: Layout,
    presenter: Presenter,
    /// Scene and presenter together, when nothing behind the presenter moves.
    still: Option<Frame>,
    /// Image-to-video: the moving start image and the presenter laid over it.
    moving: Option<(PanZoom, Overlay)>,
    seed: u64,
    frames: u32,
}

impl Look {
    fn build(
        req: &GenerationRequest,
        images: &[image::RgbaImage],
        width: u32,
        height: u32,
        seed: u64,
    ) -> Self {
        let mut rng = Rng::new(seed);
        let pal = scene::palette(&mut rng);
        let layout = Layout::new(width, height, rng.below(2) == 0);
        let presenter = Presenter::new(&layout, &pal, &mut rng);
        let mut canvas = Canvas::new(width as usize, height as usize);
        let frames = req.duration_s * req.fps.unwrap_or(DEFAULT_FPS);
        if req.mode == Mode::ImageToVideo && !images.is_empty() {
            let pan = PanZoom::new(&images[0], width, height, &mut rng);
            presenter.draw_static(&mut canvas);
            return Look {
                layout,
                presenter,
                still: None,
                moving: Some((pan, Overlay::from_canvas(&canvas))),
                seed,
                frames,
            };
        }
        scene::backdrop(&mut canvas, &layout, &pal, &mut rng);
        if req.mode == Mode::ReferenceToVideo && !images.is_empty() {
            scene::reference_cards(&mut canvas, &layout, &pal, images);
        } else {
            scene::title_card(&mut canvas, &layout, &pal, &req.prompt);
        }
        presenter.draw_static(&mut canvas);
        Look {
            layout,
            presenter,
            still: Some(canvas.to_frame()),
            moving: None,
            seed,
            frames,
        }
    }

    fn draw(&self, frame: &mut Frame, n: u32, sidecar: &Sidecar, captions: Option<&Captions>) {
        if let Some(still) = &self.still {
            frame.copy_from(still);
        } else if let Some((pan, overlay)) = &self.moving {
            pan.draw(
                n as f32 / self.frames.max(2).saturating_sub(1) as f32,
                frame,
            );
            overlay.draw(frame);
        }
        let t_ms = f64::from(n) * 1000.0 / f64::from(sidecar.fps);
        self.presenter.draw_blink(frame, blink_at(self.seed, t_ms));
        self.presenter
            .draw_mouth(frame, mouth_at(&sidecar.phonemes, t_ms));
        if let Some(c) = captions {
            c.draw(frame, t_ms, &self.layout);
        }
    }
}

/// The mouth at `t_ms`: the current viseme, easing into the next one over
/// the last part of each phoneme so the lips move like speech, not a flipbook.
fn mouth_at(phonemes: &[PhonemeSpan], t_ms: f64) -> MouthShape {
    let Some(i) = phonemes
        .iter()
        .position(|p| p.start_ms <= t_ms && t_ms < p.end_ms)
    else {
        return Viseme::Sil.shape();
    };
    let p = &phonemes[i];
    let a = p.viseme.shape();
    let next = phonemes
        .get(i + 1)
        .map_or(Viseme::Sil, |q| q.viseme)
        .shape();
    let len = (p.end_ms - p.start_ms).max(1.0);
    let blend_from = len * 0.6;
    let t = (((t_ms - p.start_ms) - blend_from) / (len - blend_from).max(1.0)).clamp(0.0, 1.0)
        as f32
        * 0.5;
    MouthShape {
        open: a.open + (next.open - a.open) * t,
        wide: a.wide + (next.wide - a.wide) * t,
        teeth: if t < 0.25 { a.teeth } else { next.teeth },
    }
}

/// Burned-in captions: the line in pages of up to two lines, each shown for
/// its share of the speaking time.
struct Captions {
    pages: Vec<(f64, f64, Vec<Mask>)>,
    px: f32,
}

impl Captions {
    fn build(text: &str, sidecar: &Sidecar, layout: &Layout) -> Self {
        let f = fonts();
        let px = 44.0 * layout.unit;
        if !f.available() {
            return Captions {
                pages: Vec::new(),
                px,
            };
        }
        let lines = f.wrap(text, px, layout.width * 0.8);
        let (start, end) = match (sidecar.speech_spans.first(), sidecar.speech_spans.last()) {
            (Some(a), Some(b)) => (a.start_ms - 150.0, b.end_ms + 400.0),
            _ => (0.0, f64::from(sidecar.duration_ms)),
        };
        let chunks: Vec<&[String]> = lines.chunks(2).collect();
        let total: usize = lines
            .iter()
            .map(|l| l.chars().count())
            .sum::<usize>()
            .max(1);
        let mut t = start;
        let mut pages = Vec::new();
        for chunk in chunks {
            let share =
                chunk.iter().map(|l| l.chars().count()).sum::<usize>() as f64 / total as f64;
            let until = t + (end - start) * share;
            pages.push((t, until, chunk.iter().map(|l| f.render(l, px)).collect()));
            t = until;
        }
        Captions { pages, px }
    }

    fn draw(&self, frame: &mut Frame, t_ms: f64, layout: &Layout) {
        let Some((_, _, masks)) = self.pages.iter().find(|p| p.0 <= t_ms && t_ms < p.1) else {
            return;
        };
        let u = layout.unit;
        let line_h = self.px * 1.3;
        let w = masks.iter().map(|m| m.width).max().unwrap_or(0) as f32 + 60.0 * u;
        let h = line_h * masks.len() as f32 + 30.0 * u;
        let (cx, bottom) = (layout.width / 2.0, layout.height - 50.0 * u);
        let (cy, hw, hh) = (bottom - h / 2.0, w / 2.0, h / 2.0);
        frame.fill(
            (cx - hw - 2.0, cy - hh - 2.0, cx + hw + 2.0, cy + hh + 2.0),
            Rgb(16, 16, 24),
            0.72,
            |x, y| rounded_rect(x, y, cx, cy, hw, hh, 22.0 * u),
        );
        for (i, m) in masks.iter().enumerate() {
            let x = cx - m.width as f32 / 2.0;
            let y = cy - hh + 15.0 * u + i as f32 * line_h;
            frame.fill_mask(m, x as i32, y as i32, Rgb(255, 255, 255), 1.0);
        }
    }
}
