//! What the picture shows, read back by decoding the MP4 (OpenH264 through
//! chorus-decode): a still presenter who only blinks when no line is spoken,
//! a start image that pans, reference cards, and captions only when asked.

mod support;

use chorus_core::{AspectRatio, Language, Mode, Resolution};
use chorus_decode::{Mp4Source, decode_luma_frames, motion_series};
use chorus_draft::{RenderInput, RenderOptions, Rendered, render};
use support::{child_voice, png, request};

/// Luma planes of every frame, tightly packed.
fn luma_frames(r: &Rendered) -> Vec<Vec<u8>> {
    let source = Mp4Source::parse("take.mp4", &r.mp4).expect("parses");
    let mut frames = Vec::new();
    decode_luma_frames(&source, |_, f| {
        let w = f.width as usize;
        frames.push(
            (0..f.height as usize)
                .flat_map(|y| &f.data[y * f.stride..y * f.stride + w])
                .copied()
                .collect(),
        );
        Ok(())
    })
    .expect("decodes");
    frames
}

/// Mean absolute luma difference over rows `rows` of two packed frames.
fn difference(a: &[u8], b: &[u8], width: usize, rows: std::ops::Range<usize>) -> f64 {
    let (a, b) = (
        &a[rows.start * width..rows.end * width],
        &b[rows.start * width..rows.end * width],
    );
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x.abs_diff(y)))
        .sum::<f64>()
        / a.len() as f64
}

fn render_with(
    mode: Mode,
    references: Vec<Vec<u8>>,
    line: Option<&str>,
    captions: bool,
) -> Rendered {
    child_voice();
    let mut req = request(AspectRatio::Landscape16x9, Resolution::P720, 4, 25);
    req.mode = mode;
    req.captions = captions;
    render(
        &RenderInput {
            request: req,
            line: line.map(|t| (Language::English, t.to_owned())),
            references,
            options: RenderOptions::default(),
        },
        &mut |_| {},
    )
    .expect("renders")
}

#[test]
fn without_a_line_the_presenter_only_blinks() {
    let mut req = request(AspectRatio::Landscape16x9, Resolution::P720, 5, 25);
    req.seed = Some(3);
    let r = support::take(req, None, 0);
    let source = Mp4Source::parse("take.mp4", &r.mp4).expect("parses");
    let motion = motion_series(&source).expect("motion").series;
    let loudest: Vec<f32> = (0..motion.frames())
        .map(|k| motion.frame(k).iter().copied().fold(0.0, f32::max))
        .collect();
    // Runs of frames where something moved.
    let moving: Vec<bool> = loudest.iter().map(|&m| m > 4.0).collect();
    let mut runs = Vec::new();
    let mut k = 0;
    while k < moving.len() {
        if moving[k] {
            let start = k;
            while k < moving.len() && moving[k] {
                k += 1;
            }
            runs.push(start..k);
        }
        k += 1;
    }
    assert!(!runs.is_empty(), "the presenter never blinked in 5 s");
    // A blink lasts 160 ms: four frames at 25 fps, five with the edges.
    for run in &runs {
        assert!(
            run.len() <= 5,
            "something other than a blink moved: {runs:?}"
        );
    }
    assert!(
        moving.iter().filter(|&&m| m).count() * 5 < moving.len(),
        "{runs:?}"
    );
}

#[test]
fn each_mode_draws_its_own_scene_and_the_start_image_moves() {
    let t2v = luma_frames(&render_with(Mode::TextToVideo, Vec::new(), None, false));
    let i2v = luma_frames(&render_with(
        Mode::ImageToVideo,
        vec![png(900, 600, [120, 0, 0])],
        None,
        false,
    ));
    let r2v = luma_frames(&render_with(
        Mode::ReferenceToVideo,
        vec![png(400, 400, [200, 0, 0]), png(300, 500, [30, 0, 0])],
        None,
        false,
    ));
    let (w, h) = (1280, 720);
    let whole = 0..h;
    let last = t2v.len() - 1;
    // Three different pictures.
    let t_i = difference(&t2v[0], &i2v[0], w, whole.clone());
    let t_r = difference(&t2v[0], &r2v[0], w, whole.clone());
    let i_r = difference(&i2v[0], &r2v[0], w, whole.clone());
    eprintln!("scenes differ: t2v/i2v {t_i:.1}, t2v/r2v {t_r:.1}, i2v/r2v {i_r:.1}");
    assert!(t_i > 5.0 && t_r > 5.0 && i_r > 5.0);
    // Pan and zoom: the start image moves over the clip, the title card and
    // the reference cards stay put (only eyes and mouth change there).
    let pan = difference(&i2v[0], &i2v[last], w, whole.clone());
    let still_t = difference(&t2v[0], &t2v[last], w, whole.clone());
    let still_r = difference(&r2v[0], &r2v[last], w, whole);
    eprintln!("first vs last frame: i2v {pan:.2}, t2v {still_t:.2}, r2v {still_r:.2}");
    // The still scenes differ by coding noise at keyframes only.
    assert!(still_t < 1.0 && still_r < 1.0, "{still_t} {still_r}");
    assert!(
        pan > 2.0 && pan > 3.0 * still_t.max(still_r),
        "the start image did not move ({pan})"
    );
}

#[test]
fn captions_appear_low_in_the_frame_while_the_line_is_spoken() {
    let line = "Fresh bread every morning, from our oven to your table.";
    let with = render_with(Mode::TextToVideo, Vec::new(), Some(line), true);
    let without = render_with(Mode::TextToVideo, Vec::new(), Some(line), false);
    let (a, b) = (luma_frames(&with), luma_frames(&without));
    let (w, h) = (1280, 720);
    let spans = &with.sidecar.speech_spans;
    let speaking = (spans[0].start_frame + spans[spans.len() - 1].end_frame) as usize / 2;
    let low = difference(&a[speaking], &b[speaking], w, h * 3 / 4..h);
    let high = difference(&a[speaking], &b[speaking], w, 0..h / 2);
    let before = difference(&a[0], &b[0], w, 0..h);
    eprintln!("captions: low band {low:.2}, upper half {high:.2}, frame 0 {before:.2}");
    assert!(low > 3.0, "no caption in the lower quarter ({low})");
    assert!(high < 0.2 * low, "captions leaked upwards ({high})");
    assert!(
        before < 0.2 * low,
        "a caption before the line starts ({before})"
    );
}
