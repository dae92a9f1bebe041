//! Frontal face detection in a luma frame: OpenCV's LBP cascade
//! (`lbpcascade_frontalface_improved.xml`, compiled in by `build.rs`; see
//! `FACE_MODEL.md`) evaluated the way OpenCV's
//! `CascadeClassifier::detectMultiScale` evaluates it. Pure computation, no
//! I/O; integers throughout except the stage scores and a few coordinate
//! roundings, all in IEEE `f32`/`f64` without fused operations, so native
//! and wasm32 give the same boxes.
//!
//! 1. If the frame is wider than [`DetectParams::max_width`], it is first
//!    area-averaged down to that width (height in proportion), in exact
//!    integer arithmetic. Boxes are reported in the input's pixels.
//! 2. A pyramid: scale `s` runs over `1, f, f², …` (`f` the scale factor,
//!    in `f64`, each stored as `f32`) while the 45×45 window scaled by `s`
//!    fits the picture; scales whose window is narrower or lower than
//!    [`DetectParams::min_size`] are skipped (if that skips all, the one
//!    whose window is nearest `min_size` is kept, as OpenCV does). At each
//!    scale the picture is resized to `round(W / s) × round(H / s)` with
//!    OpenCV's bit-exact bilinear `resize` (`INTER_LINEAR_EXACT`, 8-bit
//!    fixed-point weights) and summed into an integral image.
//! 3. The window slides in steps of 2 pixels (1 from `s ≥ 2` on) in both
//!    directions, skipping the next position when the first stage already
//!    fails, over the rows OpenCV's stripes cover. Each stage adds the
//!    leaves its stumps pick: a stump's 8-bit LBP code compares the eight
//!    outer cells of a 3×3 grid with the centre cell, and the code's bit in
//!    the stump's 256-bit set picks the first leaf, else the second. A
//!    window passing all stages is a hit at `(round(x·s), round(y·s))`,
//!    `round(45·s)` square.
//! 4. Hits are grouped as OpenCV's `groupRectangles` does (eps 0.2): hits
//!    whose edges are all within 0.2 × their mean side of each other are
//!    linked, linked hits form a group, a group of more than
//!    `min_neighbors` hits becomes its mean box, and a weak group inside a
//!    stronger one is dropped. Boxes are cut to the picture.
//!
//! On real footage (frames of the project's talking-head clips, 320 pixels
//! wide) this gives OpenCV 4.14's `detectMultiScale2(img, 1.1, 3,
//! minSize=(24, 24))` boxes and hit counts exactly, raw hits included.

mod cascade;
mod group;
pub(crate) mod image;

use serde::{Deserialize, Serialize};

use crate::{LumaFrame, SyncError};
use cascade::{Placed, WINDOW_HEIGHT, WINDOW_WIDTH};
use group::Rect;
use image::Gray;

/// A detected face, in pixels of the frame given to [`detect_faces`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    /// How many raw cascade hits were merged into this box (OpenCV's
    /// `numDetections`): more is surer.
    pub neighbors: u32,
}

/// Settings of [`detect_faces`]. The defaults are OpenCV's usual
/// `detectMultiScale(img, 1.1, 3, minSize=(24, 24))` on a picture at most
/// 320 pixels wide.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetectParams {
    /// Growth of the window from one pyramid scale to the next, above 1
    /// (`f64` so that 1.1 is the very number OpenCV callers pass).
    pub scale_factor: f64,
    /// A face needs more than this many overlapping hits; 0 returns every
    /// raw hit ungrouped.
    pub min_neighbors: u32,
    /// Smallest face side searched, in pixels of the detection picture
    /// (after the `max_width` downscale). The model's window is 45 pixels,
    /// so values up to 45 change nothing.
    pub min_size: u32,
    /// Frames wider than this are downscaled to this width before detecting.
    pub max_width: u32,
}

impl Default for DetectParams {
    fn default() -> Self {
        Self {
            scale_factor: 1.1,
            min_neighbors: 3,
            min_size: 24,
            max_width: 320,
        }
    }
}

impl DetectParams {
    fn check(&self) -> Result<(), SyncError> {
        if !(self.scale_factor > 1.0 && self.scale_factor.is_finite()) {
            return Err(SyncError::InvalidConfig(
                "face detection scale_factor must be a finite number above 1",
            ));
        }
        if self.max_width == 0 {
            return Err(SyncError::InvalidConfig(
                "face detection max_width must be at least 1",
            ));
        }
        Ok(())
    }
}

/// The frontal faces in `frame`, largest first. A frame smaller than the
/// model's 45×45 window (after the downscale) has none.
pub fn detect_faces(
    frame: &LumaFrame<'_>,
    params: &DetectParams,
) -> Result<Vec<FaceBox>, SyncError> {
    frame.check()?;
    params.check()?;
    if frame.width == 0 || frame.height == 0 {
        return Ok(Vec::new());
    }
    let picture = working_picture(frame, params.max_width);
    let hits = scan(&picture, params);
    let (pw, ph) = (picture.width as i32, picture.height as i32);
    let sx = f64::from(frame.width) / f64::from(pw);
    let sy = f64::from(frame.height) / f64::from(ph);
    let mut faces: Vec<FaceBox> = group::group(&hits, params.min_neighbors)
        .into_iter()
        .filter_map(|(r, n)| group::clip(r, pw, ph).map(|r| (r, n)))
        .map(|(r, neighbors)| FaceBox {
            x: (f64::from(r.x) * sx) as f32,
            y: (f64::from(r.y) * sy) as f32,
            w: (f64::from(r.w) * sx) as f32,
            h: (f64::from(r.h) * sy) as f32,
            neighbors,
        })
        .collect();
    faces.sort_by(|a, b| {
        (b.w * b.h)
            .total_cmp(&(a.w * a.h))
            .then(a.y.total_cmp(&b.y))
            .then(a.x.total_cmp(&b.x))
            .then(b.neighbors.cmp(&a.neighbors))
    });
    Ok(faces)
}

/// The frame as a contiguous picture at most `max_width` wide.
fn working_picture(frame: &LumaFrame<'_>, max_width: u32) -> Gray {
    let (w, h) = (frame.width as usize, frame.height as usize);
    if frame.width <= max_width {
        let mut data = Vec::with_capacity(w * h);
        for row in frame.data.chunks(frame.stride).take(h) {
            data.extend_from_slice(&row[..w]);
        }
        return Gray {
            data,
            width: w,
            height: h,
        };
    }
    let width = max_width as usize;
    // Height in proportion, rounded, at least one row.
    let height = ((2 * h * width + w) / (2 * w)).max(1);
    image::downscale_area(frame, width, height)
}

/// `f32` to `i32`, rounding halves to even (OpenCV's `cvRound`).
fn round_f32(v: f32) -> i32 {
    v.round_ties_even() as i32
}

/// The pyramid scales OpenCV's `detectMultiScale` visits for a
/// `width × height` picture.
fn scales(width: usize, height: usize, params: &DetectParams) -> Vec<f32> {
    let (ww, wh) = (WINDOW_WIDTH as f64, WINDOW_HEIGHT as f64);
    if width < WINDOW_WIDTH || height < WINDOW_HEIGHT {
        return Vec::new();
    }
    let mut all = Vec::new();
    let mut factor = 1.0f64;
    loop {
        let (w, h) = (
            (ww * factor).round_ties_even(),
            (wh * factor).round_ties_even(),
        );
        if w > width as f64 || h > height as f64 {
            break;
        }
        all.push(factor as f32);
        factor *= params.scale_factor;
    }
    let window = |s: f32| {
        (
            round_f32(WINDOW_WIDTH as f32 * s),
            round_f32(WINDOW_HEIGHT as f32 * s),
        )
    };
    let min = i32::try_from(params.min_size).unwrap_or(i32::MAX);
    let mut kept = Vec::new();
    for &s in &all {
        let (w, h) = window(s);
        if w > width as i32 || h > height as i32 {
            break;
        }
        if w < min || h < min {
            continue;
        }
        kept.push(s);
    }
    if kept.is_empty() {
        // OpenCV then keeps the scale whose window is nearest `min_size`.
        let distance = |s: f32| {
            let (w, h) = window(s);
            let (dw, dh) = (f64::from(min - w), f64::from(min - h));
            dw * dw + dh * dh
        };
        if let Some(&first) = all.first() {
            let nearest = all.iter().fold(first, |best, &s| {
                if distance(best) > distance(s) {
                    s
                } else {
                    best
                }
            });
            kept.push(nearest);
        }
    }
    kept
}

/// Every window of every pyramid scale that passes the whole cascade, in
/// detection-picture pixels (before grouping).
fn scan(picture: &Gray, params: &DetectParams) -> Vec<Rect> {
    let scales = scales(picture.width, picture.height, params);
    let size_at = |s: f32| {
        (
            round_f32(picture.width as f32 / s).max(0) as usize,
            round_f32(picture.height as f32 / s).max(0) as usize,
        )
    };
    // Working area of a scale: the window positions that fit.
    let working = |(w, h): (usize, usize)| {
        (
            (w + 1).saturating_sub(WINDOW_WIDTH),
            (h + 1).saturating_sub(WINDOW_HEIGHT),
        )
    };
    let Some(&first) = scales.first() else {
        return Vec::new();
    };
    // OpenCV cuts the rows into stripes sized from the first scale; with a
    // 2-pixel step the last row or so may fall outside every stripe.
    let stripes = working(size_at(first)).0.div_ceil(32);
    if stripes == 0 {
        return Vec::new();
    }
    let mut hits = Vec::new();
    let mut level = Gray::default();
    let mut sum = Vec::new();
    for s in scales {
        let size = size_at(s);
        let (work_w, work_h) = working(size);
        if work_w == 0 || work_h == 0 || size.0 == 0 || size.1 == 0 {
            continue;
        }
        let step = if s >= 2.0 { 1 } else { 2 };
        let stripe_rows = ((work_h / step).div_ceil(stripes)).max(1) * step;
        let rows = (stripes * stripe_rows).min(work_h);
        image::resize_linear(picture, size.0, size.1, &mut level);
        image::integral(&level, &mut sum);
        let stride = size.0 + 1;
        let placed = Placed::new(stride);
        let win_w = round_f32(WINDOW_WIDTH as f32 * s);
        let win_h = round_f32(WINDOW_HEIGHT as f32 * s);
        for y in (0..rows).step_by(step) {
            let mut x = 0;
            while x < work_w {
                let result = placed.run(&sum, y * stride + x);
                if result > 0 {
                    hits.push(Rect {
                        x: round_f32(x as f32 * s),
                        y: round_f32(y as f32 * s),
                        w: win_w,
                        h: win_h,
                    });
                } else if result == 0 {
                    x += step;
                }
                x += step;
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(data: &[u8], width: u32, height: u32) -> LumaFrame<'_> {
        LumaFrame {
            data,
            width,
            height,
            stride: width as usize,
        }
    }

    #[test]
    fn a_flat_picture_has_no_face() {
        for value in [0u8, 128, 255] {
            let data = vec![value; 320 * 240];
            let faces = detect_faces(&frame(&data, 320, 240), &DetectParams::default());
            assert_eq!(faces, Ok(Vec::new()));
        }
    }

    #[test]
    fn noise_has_no_face() {
        let mut seed = 0x9e37_79b9_u32;
        let data: Vec<u8> = (0..640 * 360)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed >> 24) as u8
            })
            .collect();
        let faces = detect_faces(&frame(&data, 640, 360), &DetectParams::default());
        assert_eq!(faces, Ok(Vec::new()));
    }

    #[test]
    fn too_small_pictures_have_no_face_and_do_not_panic() {
        for (w, h) in [
            (0, 0),
            (0, 10),
            (10, 0),
            (1, 1),
            (44, 200),
            (200, 44),
            (45, 45),
            (46, 47),
        ] {
            let data = vec![90u8; (w * h) as usize];
            assert_eq!(
                detect_faces(&frame(&data, w, h), &DetectParams::default()),
                Ok(Vec::new()),
                "{w}x{h}"
            );
        }
        // Wide and thin: the downscale leaves fewer than 45 rows.
        let data = vec![90u8; 2000 * 60];
        assert_eq!(
            detect_faces(&frame(&data, 2000, 60), &DetectParams::default()),
            Ok(Vec::new())
        );
    }

    #[test]
    fn bad_stride_or_short_data_is_an_error() {
        let data = vec![0u8; 100 * 100];
        let narrow = LumaFrame {
            data: &data,
            width: 100,
            height: 100,
            stride: 99,
        };
        assert!(matches!(
            detect_faces(&narrow, &DetectParams::default()),
            Err(SyncError::FrameTooSmall { stride: 99, .. })
        ));
        let short = LumaFrame {
            data: &data,
            width: 100,
            height: 100,
            stride: 120,
        };
        assert!(matches!(
            detect_faces(&short, &DetectParams::default()),
            Err(SyncError::FrameTooSmall {
                needed: 11_980,
                got: 10_000,
                ..
            })
        ));
    }

    #[test]
    fn bad_settings_are_an_error() {
        let data = vec![0u8; 64 * 64];
        for params in [
            DetectParams {
                scale_factor: 1.0,
                ..DetectParams::default()
            },
            DetectParams {
                scale_factor: f64::NAN,
                ..DetectParams::default()
            },
            DetectParams {
                max_width: 0,
                ..DetectParams::default()
            },
        ] {
            assert!(matches!(
                detect_faces(&frame(&data, 64, 64), &params),
                Err(SyncError::InvalidConfig(_))
            ));
        }
    }

    #[test]
    fn pyramid_scales_follow_opencv() {
        let params = DetectParams::default();
        // 45·1.1^k ≤ 100 for k ≤ 8 (45 · 1.1^8 = 96.5).
        let s = scales(100, 100, &params);
        assert_eq!(s.len(), 9);
        assert_eq!(s[0].to_bits(), 1.0f32.to_bits());
        let eighth = (0..8).fold(1.0f64, |f, _| f * 1.1);
        assert_eq!(s[8].to_bits(), (eighth as f32).to_bits());
        // A minimum size above every window keeps the nearest scale only.
        let big = DetectParams {
            min_size: 500,
            ..params
        };
        assert_eq!(scales(100, 100, &big), vec![s[8]]);
        let some = DetectParams {
            min_size: 60,
            ..params
        };
        // round(45 · 1.1^3) = 60.
        assert_eq!(scales(100, 100, &some), s[3..].to_vec());
    }

    #[test]
    fn the_cascade_is_the_improved_frontal_face_model() {
        assert_eq!((WINDOW_WIDTH, WINDOW_HEIGHT), (45, 45));
        assert_eq!(cascade::STAGES.len(), 19);
        let last = cascade::STAGES[18];
        assert_eq!(
            usize::from(last.first) + usize::from(last.count),
            cascade::WEAKS.len()
        );
        // 142 features × 4 B + 149 stumps × 44 B + 19 stages × 8 B, as
        // FACE_MODEL.md says.
        assert_eq!(cascade::FEATURES.len(), 142);
        assert_eq!(cascade::WEAKS.len(), 149);
        assert_eq!(cascade::table_bytes(), 7276);
    }

    /// A smooth drawn face: a light oval on a dark ground with darker eyes,
    /// brows, nose and mouth, centred at `(cx, cy)`, `r` pixels from centre
    /// to chin. Only `+ − × ÷` in `f64`, so it is the same picture
    /// everywhere (and was drawn pixel for pixel the same in Python to get
    /// OpenCV's answer).
    fn drawn_face(width: u32, height: u32, cx: f64, cy: f64, r: f64) -> Vec<u8> {
        let (ground, skin, feature, edge) = (60.0, 210.0, 40.0, 0.6);
        let bump = |x: f64, y: f64, ex: f64, ey: f64, a: f64, b: f64| {
            let (dx, dy) = ((x - ex) / a, (y - ey) / b);
            let d2 = dx * dx + dy * dy;
            if d2 < 1.0 {
                (1.0 - d2) * (1.0 - d2)
            } else {
                0.0
            }
        };
        let pixel = |x: f64, y: f64| {
            let (dx, dy) = ((x - cx) / (0.75 * r), (y - cy) / r);
            let t = ((1.0 - (dx * dx + dy * dy)) / edge).clamp(0.0, 1.0);
            let mut v = ground + (skin - ground) * (t * t * (3.0 - 2.0 * t));
            let d = feature - skin;
            v += d * bump(x, y, cx - 0.3 * r, cy - 0.15 * r, 0.2 * r, 0.12 * r);
            v += d * bump(x, y, cx + 0.3 * r, cy - 0.15 * r, 0.2 * r, 0.12 * r);
            v += d * 0.8 * bump(x, y, cx - 0.3 * r, cy - 0.33 * r, 0.24 * r, 0.07 * r);
            v += d * 0.8 * bump(x, y, cx + 0.3 * r, cy - 0.33 * r, 0.24 * r, 0.07 * r);
            v += d * 0.35 * bump(x, y, cx, cy + 0.17 * r, 0.1 * r, 0.16 * r);
            v += d * bump(x, y, cx, cy + 0.5 * r, 0.32 * r, 0.09 * r);
            (v.clamp(0.0, 255.0) + 0.5) as u8
        };
        (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| pixel(f64::from(x) + 0.5, f64::from(y) + 0.5))
            .collect()
    }

    #[test]
    fn a_drawn_face_is_found_where_opencv_finds_it() {
        // OpenCV 4.14, `detectMultiScale2(img, 1.1, 3, minSize=(24, 24))`
        // with this cascade on the same pixels: [135, 102, 50, 50], 39 hits.
        let data = drawn_face(320, 240, 160.0, 120.0, 45.0);
        let faces = detect_faces(&frame(&data, 320, 240), &DetectParams::default()).unwrap();
        let expected = FaceBox {
            x: 135.0,
            y: 102.0,
            w: 50.0,
            h: 50.0,
            neighbors: 39,
        };
        assert_eq!(faces, vec![expected]);
        // Twice the size: downscaled to 320 first, reported in input pixels.
        // (OpenCV on its own INTER_AREA downscale finds [135, 102, 50, 50]
        // with 38 hits in the 320-pixel picture.)
        let data = drawn_face(640, 480, 320.0, 240.0, 90.0);
        let faces = detect_faces(&frame(&data, 640, 480), &DetectParams::default()).unwrap();
        let expected = FaceBox {
            x: 270.0,
            y: 204.0,
            w: 100.0,
            h: 100.0,
            neighbors: 38,
        };
        assert_eq!(faces, vec![expected]);
        // The same frame with padded rows gives the same answer.
        let stride = 700;
        let mut padded = vec![0u8; stride * 480];
        for (row, line) in padded.chunks_mut(stride).zip(data.chunks(640)) {
            row[..640].copy_from_slice(line);
        }
        let framed = LumaFrame {
            data: &padded,
            width: 640,
            height: 480,
            stride,
        };
        assert_eq!(
            detect_faces(&framed, &DetectParams::default()).unwrap(),
            faces
        );
    }
}
