//! The picture side of face-based lip-sync: keep a small copy of every
//! frame, find the one face that speaks, follow it, and cut the same
//! mouth-sized patch out of every frame.
//!
//! - **Small copies.** Each frame is shrunk by the smallest whole factor
//!   that brings it to at most [`WORK_WIDTH`] wide as it arrives (the face
//!   detector's working size), so a 15 s 1080p clip holds about 20 MB, not
//!   3 GB.
//! - **The face.** The detector runs on [`FACE_SAMPLES`] frames spread over
//!   the clip. The speaking face is the largest in each; its box is the
//!   median of those. Too few frames with a face, two faces of similar size,
//!   or the face jumping between samples are reasons to say "can't tell".
//! - **Following it.** Heads move: by a fifth of a face width within five
//!   seconds in our test footage, which would slide the mouth half out of a
//!   fixed box. The upper face (eyes and nose, which speech does not move)
//!   is template-matched in every frame at a scale where the face is
//!   [`FACE_PX`] pixels wide, ±12 pixels, by the sum of absolute
//!   differences: a step-2 search, then ±1 around the best.
//! - **The mouth patch** is the lower face (20–80 % across, 68–110 % down
//!   the detector's box, which ends above the chin), sampled to
//!   [`PATCH_W`] × [`PATCH_H`] at the followed position.

use crate::face::image::Gray;
use crate::face::{DetectParams, FaceBox, detect_faces};
use crate::{LumaFrame, SyncError};

/// Widest small copy kept per frame.
pub(crate) const WORK_WIDTH: u32 = 320;
/// Frames the face detector looks at.
const FACE_SAMPLES: usize = 12;
/// Face width in pixels at which the face is followed.
const FACE_PX: f64 = 64.0;
/// Largest move followed between a frame and the reference, in those
/// pixels.
const SEARCH: i32 = 12;
pub(crate) const PATCH_W: usize = 32;
pub(crate) const PATCH_H: usize = 16;

/// One small frame and when it is shown, seconds.
struct Small {
    picture: Gray,
    time: f64,
}

/// The frames as they arrive, and what is measured of them one by one
/// (so that little is left for the end: in the browser, frames arrive while
/// the decoder works on another thread).
#[derive(Default)]
pub(crate) struct Footage {
    frames: Vec<Small>,
    source: (u32, u32),
    /// Mean change from each frame to the next (`mean_change`).
    changes: Vec<f64>,
    /// Summed change per cell over the clip (`moving_places`).
    energy: Motion,
    /// The face detector's frames (`face_samples`) for the frame count
    /// announced up front, looked at as they arrive; empty when none was.
    detect_at: Vec<usize>,
    /// Faces found in frame `index` (largest first), for the detector's
    /// frames seen so far.
    faces: Vec<(usize, Vec<FaceBox>)>,
}

/// Frame-to-frame change summed per cell of `cell` small pixels.
#[derive(Default)]
struct Motion {
    cell: usize,
    cols: usize,
    cells: Vec<u64>,
}

impl Motion {
    fn new(width: usize, height: usize) -> Self {
        let cell = (width.min(height) / 24).max(2);
        let (cols, rows) = (width.div_ceil(cell), height.div_ceil(cell));
        Self {
            cell,
            cols,
            cells: vec![0; cols * rows],
        }
    }

    /// Adds the change from `before` to `after`, row by row, a cell's run of
    /// pixels at a time (no division per pixel, and runs the compiler
    /// vectorises).
    fn add(&mut self, before: &Gray, after: &Gray) {
        let width = before.width;
        for y in 0..before.height.min(after.height) {
            let line = y * width..(y + 1) * width;
            let (b, a) = (&before.data[line.clone()], &after.data[line]);
            let cells = &mut self.cells[(y / self.cell) * self.cols..][..self.cols];
            for (total, (b, a)) in cells
                .iter_mut()
                .zip(b.chunks(self.cell).zip(a.chunks(self.cell)))
            {
                let run: u32 = b
                    .iter()
                    .zip(a)
                    .map(|(p, q)| u32::from(p.abs_diff(*q)))
                    .sum();
                *total += u64::from(run);
            }
        }
    }
}

/// Why the picture gives no footing.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PictureProblem {
    NoFace { seen: usize, looked: usize },
    SeveralFaces { frames: usize, looked: usize },
    Cut { at_seconds: f64 },
}

/// The speaking face, in source pixels, and the mouth patches.
pub(crate) struct Mouth {
    pub face: FaceBox,
    /// n × (PATCH_W · PATCH_H) luma values.
    pub patches: Vec<f64>,
    pub times: Vec<f64>,
    /// The patch's box in the reference frame, 0..1 of the frame.
    pub region: [f64; 4],
    /// The patch's mean-absolute change from frame to frame, in luma
    /// levels, at the 90th percentile of frames: about 0 when the mouth
    /// never moves (a talking mouth, even a drawn one holding each shape for
    /// a few frames, changes in far more than a tenth of them).
    pub busy_change: f64,
}

impl Footage {
    pub(crate) fn push(&mut self, frame: &LumaFrame<'_>, time: f64) -> Result<(), SyncError> {
        frame.check()?;
        if frame.width == 0 || frame.height == 0 {
            return Err(SyncError::FrameTooTiny {
                width: frame.width,
                height: frame.height,
                factor: 1,
                block: 1,
            });
        }
        if self.frames.is_empty() {
            self.source = (frame.width, frame.height);
        } else if self.source != (frame.width, frame.height) {
            return Err(SyncError::FrameSizeChanged {
                index: self.frames.len(),
                width: frame.width,
                height: frame.height,
                expected_width: self.source.0,
                expected_height: self.source.1,
            });
        }
        let picture = shrink(frame);
        match self.frames.last() {
            Some(last) => {
                self.changes.push(mean_change(&last.picture, &picture));
                self.energy.add(&last.picture, &picture);
            }
            None => self.energy = Motion::new(picture.width, picture.height),
        }
        let index = self.frames.len();
        if self.detect_at.contains(&index) {
            self.faces.push((index, faces_in(&picture)));
        }
        self.frames.push(Small { picture, time });
        Ok(())
    }

    /// Says how many frames will be pushed, before the first.
    pub(crate) fn expect(&mut self, frames: usize) {
        self.detect_at = face_samples(frames);
    }

    pub(crate) fn len(&self) -> usize {
        self.frames.len()
    }

    pub(crate) fn times(&self) -> Vec<f64> {
        self.frames.iter().map(|f| f.time).collect()
    }

    /// Source pixels per small pixel.
    fn scale(&self) -> f64 {
        self.frames
            .first()
            .map_or(1.0, |f| f64::from(self.source.0) / f.picture.width as f64)
    }

    /// A hard cut: one frame-to-frame change far above the clip's usual.
    fn cut(&self) -> Option<f64> {
        let mut sorted = self.changes.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted.get(sorted.len() / 2).copied()?;
        self.changes
            .iter()
            .position(|&c| c > 20.0 && c > 6.0 * median.max(0.5))
            .map(|i| self.frames[i + 1].time)
    }

    /// The speaking face in small pixels, or why there is none to follow.
    fn face(&self) -> Result<FaceBox, PictureProblem> {
        if let Some(at_seconds) = self.cut() {
            return Err(PictureProblem::Cut { at_seconds });
        }
        let samples = face_samples(self.frames.len());
        let looked = samples.len();
        let mut largest: Vec<(f64, FaceBox)> = Vec::new();
        let mut several = 0;
        for index in samples {
            let small = &self.frames[index];
            let seen = self.faces.iter().find(|(i, _)| *i == index);
            let faces = match seen {
                Some((_, faces)) => faces.clone(),
                None => faces_in(&small.picture),
            };
            if let Some(first) = faces.first() {
                if faces.get(1).is_some_and(|second| second.w >= 0.6 * first.w) {
                    several += 1;
                }
                largest.push((small.time, first.clone()));
            }
        }
        if largest.len() * 2 < looked || largest.is_empty() {
            return Err(PictureProblem::NoFace {
                seen: largest.len(),
                looked,
            });
        }
        if several * 2 >= largest.len() {
            return Err(PictureProblem::SeveralFaces {
                frames: several,
                looked,
            });
        }
        // A different face (or the same one after a cut we missed): the
        // box jumps by more than half its width or changes size by half.
        for pair in largest.windows(2) {
            let (a, b) = (&pair[0].1, &pair[1].1);
            let jump = ((a.x + a.w / 2.0 - b.x - b.w / 2.0).powi(2)
                + (a.y + a.h / 2.0 - b.y - b.h / 2.0).powi(2))
            .sqrt();
            let ratio = f64::from(a.w.max(b.w) / a.w.min(b.w).max(1.0));
            if f64::from(jump) > 0.5 * f64::from(a.w.min(b.w)) || ratio > 1.5 {
                return Err(PictureProblem::Cut {
                    at_seconds: pair[1].0,
                });
            }
        }
        let median = |f: fn(&FaceBox) -> f32| {
            let mut v: Vec<f32> = largest.iter().map(|(_, b)| f(b)).collect();
            v.sort_by(f32::total_cmp);
            v[v.len() / 2]
        };
        Ok(FaceBox {
            x: median(|b| b.x),
            y: median(|b| b.y),
            w: median(|b| b.w),
            h: median(|b| b.h),
            neighbors: largest.iter().map(|(_, b)| b.neighbors).min().unwrap_or(0),
        })
    }

    /// Finds, follows and cuts out the mouth.
    pub(crate) fn mouth(&self) -> Result<Mouth, PictureProblem> {
        let face = self.face()?;
        let to_face = FACE_PX / f64::from(face.w);
        let face_h = f64::from(face.h) * to_face;
        // Template: the upper face in the middle frame, at face scale.
        let (tx, ty) = (8.0, 8.0);
        let (tw, th) = (48usize, (0.6 * face_h).round().max(8.0) as usize);
        let sample_face = |picture: &Gray, fx: f64, fy: f64| {
            bilinear(
                picture,
                f64::from(face.x) + fx / to_face,
                f64::from(face.y) + fy / to_face,
            )
        };
        let reference = &self.frames[self.frames.len() / 2].picture;
        let template: Vec<f64> = (0..th)
            .flat_map(|y| (0..tw).map(move |x| (x, y)))
            .map(|(x, y)| sample_face(reference, tx + x as f64, ty + y as f64))
            .collect();
        let margin = SEARCH + 1;
        let (cw, ch) = (tw + 2 * margin as usize, th + 2 * margin as usize);
        let mut crop = vec![0.0; cw * ch];
        let pw = 0.6 * FACE_PX;
        let ph = 0.42 * face_h;
        let (px, py) = (0.2 * FACE_PX, 0.68 * face_h);
        let mut patches = Vec::with_capacity(self.frames.len() * PATCH_W * PATCH_H);
        for small in &self.frames {
            let picture = &small.picture;
            for y in 0..ch {
                for x in 0..cw {
                    crop[y * cw + x] = sample_face(
                        picture,
                        tx + x as f64 - f64::from(margin),
                        ty + y as f64 - f64::from(margin),
                    );
                }
            }
            let sad = |dx: i32, dy: i32| -> f64 {
                let (ox, oy) = ((margin + dx) as usize, (margin + dy) as usize);
                let mut total = 0.0;
                for y in 0..th {
                    let row = &crop[(oy + y) * cw + ox..][..tw];
                    let t = &template[y * tw..][..tw];
                    total += row.iter().zip(t).map(|(a, b)| (a - b).abs()).sum::<f64>();
                }
                total
            };
            let mut best = (f64::INFINITY, 0, 0);
            for dy in (-SEARCH..=SEARCH).step_by(2) {
                for dx in (-SEARCH..=SEARCH).step_by(2) {
                    let s = sad(dx, dy);
                    if s < best.0 {
                        best = (s, dx, dy);
                    }
                }
            }
            let (cx, cy) = (best.1, best.2);
            for dy in (cy - 1).max(-SEARCH)..=(cy + 1).min(SEARCH) {
                for dx in (cx - 1).max(-SEARCH)..=(cx + 1).min(SEARCH) {
                    let s = sad(dx, dy);
                    if s < best.0 {
                        best = (s, dx, dy);
                    }
                }
            }
            let (dx, dy) = (f64::from(best.1), f64::from(best.2));
            for v in 0..PATCH_H {
                for u in 0..PATCH_W {
                    // Mean of 2 × 2 samples inside the patch pixel.
                    let mut sum = 0.0;
                    for (su, sv) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                        let fx = px + dx + (u as f64 + su) * pw / PATCH_W as f64;
                        let fy = py + dy + (v as f64 + sv) * ph / PATCH_H as f64;
                        sum += sample_face(picture, fx, fy);
                    }
                    patches.push(sum / 4.0);
                }
            }
        }
        let busy_change = busy_change(&patches);
        let scale = self.scale();
        let small = &self.frames[0].picture;
        let (fw, fh) = (small.width as f64, small.height as f64);
        let region = [
            (f64::from(face.x) + px / to_face) / fw,
            (f64::from(face.y) + py / to_face) / fh,
            pw / to_face / fw,
            ph / to_face / fh,
        ];
        Ok(Mouth {
            face: FaceBox {
                x: (f64::from(face.x) * scale) as f32,
                y: (f64::from(face.y) * scale) as f32,
                w: (f64::from(face.w) * scale) as f32,
                h: (f64::from(face.h) * scale) as f32,
                neighbors: face.neighbors,
            },
            patches,
            times: self.times(),
            region,
            busy_change,
        })
    }
}

impl Footage {
    /// Where a drawn mouth may be, for pictures with no face the detector
    /// sees: the `count` places that change most over the clip (cells of
    /// 1/24 of the shorter side, each a local maximum at least three cells
    /// from a stronger one), as mouth-sized boxes in small pixels.
    pub(crate) fn moving_places(&self, count: usize) -> Vec<[f64; 4]> {
        let Some(first) = self.frames.first() else {
            return Vec::new();
        };
        let (width, height) = (first.picture.width, first.picture.height);
        let Motion {
            cell,
            cols,
            cells: ref energy,
            ..
        } = self.energy;
        let mut order: Vec<usize> = (0..energy.len()).filter(|&i| energy[i] > 0).collect();
        order.sort_by(|&i, &j| energy[j].cmp(&energy[i]).then(i.cmp(&j)));
        let mut chosen: Vec<usize> = Vec::new();
        for i in order {
            let (cx, cy) = (i % cols, i / cols);
            let near = chosen
                .iter()
                .any(|&j| (j % cols).abs_diff(cx) < 3 && (j / cols).abs_diff(cy) < 3);
            if !near {
                chosen.push(i);
                if chosen.len() == count {
                    break;
                }
            }
        }
        let side = width.min(height) as f64;
        let (bw, bh) = (0.14 * side, 0.09 * side);
        chosen
            .into_iter()
            .map(|i| {
                let cx = ((i % cols) as f64 + 0.5) * cell as f64;
                let cy = ((i / cols) as f64 + 0.5) * cell as f64;
                [cx - bw / 2.0, cy - bh / 2.0, bw, bh]
            })
            .collect()
    }

    /// The patches of a still box (small pixels): a drawn presenter does
    /// not move, so nothing is followed.
    pub(crate) fn still_box(&self, place: [f64; 4]) -> Mouth {
        let [x, y, w, h] = place;
        let mut patches = Vec::with_capacity(self.frames.len() * PATCH_W * PATCH_H);
        for small in &self.frames {
            for v in 0..PATCH_H {
                for u in 0..PATCH_W {
                    let fx = x + (u as f64 + 0.5) * w / PATCH_W as f64;
                    let fy = y + (v as f64 + 0.5) * h / PATCH_H as f64;
                    patches.push(bilinear(&small.picture, fx, fy));
                }
            }
        }
        let scale = self.scale();
        let small = &self.frames[0].picture;
        let (fw, fh) = (small.width as f64, small.height as f64);
        Mouth {
            face: FaceBox {
                x: (x * scale) as f32,
                y: (y * scale) as f32,
                w: (w * scale) as f32,
                h: (h * scale) as f32,
                neighbors: 0,
            },
            busy_change: busy_change(&patches),
            patches,
            times: self.times(),
            region: [x / fw, y / fh, w / fw, h / fh],
        }
    }
}

/// The 90th-percentile mean-absolute change of consecutive patches.
fn busy_change(patches: &[f64]) -> f64 {
    let size = PATCH_W * PATCH_H;
    let mut changes: Vec<f64> = patches
        .chunks_exact(size)
        .collect::<Vec<_>>()
        .windows(2)
        .map(|p| {
            p[0].iter()
                .zip(p[1])
                .map(|(a, b)| (a - b).abs())
                .sum::<f64>()
                / size as f64
        })
        .collect();
    changes.sort_by(f64::total_cmp);
    changes.get(changes.len() * 9 / 10).copied().unwrap_or(0.0)
}

/// `frame` shrunk by the smallest whole factor that brings it to at most
/// [`WORK_WIDTH`] wide: each small pixel the rounded mean of a factor ×
/// factor block (integer sums, about one add per source pixel, so 1080p
/// costs a millisecond and wasm and native agree exactly).
fn shrink(frame: &LumaFrame<'_>) -> Gray {
    let factor = frame.width.div_ceil(WORK_WIDTH).max(1) as usize;
    // Column sums of up to 257 rows fit 16 bits, which vectorise twice as
    // wide as 32 (every frame of every take goes through here).
    if factor <= 257 {
        shrink_by::<u16>(frame, factor)
    } else {
        shrink_by::<u32>(frame, factor)
    }
}

/// `shrink` summing columns in `S`, which must hold `factor` × 255.
fn shrink_by<S>(frame: &LumaFrame<'_>, factor: usize) -> Gray
where
    S: Copy + Default + From<u8> + Into<u32> + std::ops::AddAssign,
{
    let (width, height) = (
        (frame.width as usize / factor).max(1),
        (frame.height as usize / factor).max(1),
    );
    let used = (width * factor).min(frame.width as usize);
    let mut columns = vec![S::default(); used];
    let mut data = Vec::with_capacity(width * height);
    let area = (factor * factor) as u32;
    for y in 0..height {
        columns.fill(S::default());
        for row in 0..factor.min(frame.height as usize - y * factor) {
            let line = &frame.data[(y * factor + row) * frame.stride..][..used];
            for (c, &p) in columns.iter_mut().zip(line) {
                *c += S::from(p);
            }
        }
        data.extend(columns.chunks_exact(factor).map(|block| {
            let sum: u32 = block.iter().map(|&c| c.into()).sum();
            ((sum + area / 2) / area) as u8
        }));
    }
    Gray {
        data,
        width,
        height,
    }
}

/// The frames the face detector looks at, of `n`: [`FACE_SAMPLES`] spread
/// evenly from the first to the last.
fn face_samples(n: usize) -> Vec<usize> {
    let looked = FACE_SAMPLES.min(n);
    (0..looked)
        .map(|s| {
            if looked <= 1 {
                0
            } else {
                (s * (n - 1)) / (looked - 1)
            }
        })
        .collect()
}

/// The faces the detector finds in a small picture, largest first.
fn faces_in(picture: &Gray) -> Vec<FaceBox> {
    let params = DetectParams {
        max_width: WORK_WIDTH,
        ..DetectParams::default()
    };
    let luma = LumaFrame {
        data: &picture.data,
        width: picture.width as u32,
        height: picture.height as u32,
        stride: picture.width,
    };
    detect_faces(&luma, &params).unwrap_or_default()
}

/// Mean absolute difference of two same-size pictures over every 4th pixel
/// of every 4th row.
fn mean_change(a: &Gray, b: &Gray) -> f64 {
    let mut total = 0u64;
    let mut count = 0u64;
    for y in (0..a.height.min(b.height)).step_by(4) {
        for x in (0..a.width.min(b.width)).step_by(4) {
            total += u64::from(a.data[y * a.width + x].abs_diff(b.data[y * b.width + x]));
            count += 1;
        }
    }
    if count == 0 {
        0.0
    } else {
        total as f64 / count as f64
    }
}

/// Bilinear sample at (x, y) in pixel-centre coordinates (pixel `i` covers
/// `[i, i + 1)`), clamped to the picture.
#[expect(
    clippy::many_single_char_names,
    reason = "sampling maths reads best with the usual short names (x, y, w, h)"
)]
fn bilinear(picture: &Gray, x: f64, y: f64) -> f64 {
    let (w, h) = (picture.width, picture.height);
    let fx = (x - 0.5).clamp(0.0, (w - 1) as f64);
    let fy = (y - 0.5).clamp(0.0, (h - 1) as f64);
    let (x0, y0) = (fx as usize, fy as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (ax, ay) = (fx - x0 as f64, fy - y0 as f64);
    let p = |x: usize, y: usize| f64::from(picture.data[y * w + x]);
    let top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * ax;
    let bottom = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * ax;
    top + (bottom - top) * ay
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `height` rows of pseudo-random luma, `stride` bytes each.
    fn noise(height: u32, stride: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_u32;
        (0..stride * height as usize)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn shrink_is_the_rounded_mean_of_each_block_in_either_width() {
        for (width, height) in [(1920, 1080), (1080, 1920), (641, 363), (7, 5)] {
            let stride = width as usize + 13;
            let data = noise(height, stride);
            let frame = LumaFrame {
                data: &data,
                width,
                height,
                stride,
            };
            let factor = width.div_ceil(WORK_WIDTH).max(1) as usize;
            let narrow = shrink_by::<u16>(&frame, factor);
            let wide = shrink_by::<u32>(&frame, factor);
            assert_eq!(narrow.data, wide.data, "{width}×{height}");
            assert_eq!(shrink(&frame).data, wide.data);
            let (x, y) = (narrow.width - 1, narrow.height - 1);
            let mut sum = 0u32;
            for row in y * factor..(y + 1) * factor {
                for col in x * factor..(x + 1) * factor {
                    sum += u32::from(data[row * stride + col]);
                }
            }
            let area = (factor * factor) as u32;
            assert_eq!(
                u32::from(narrow.data[y * narrow.width + x]),
                (sum + area / 2) / area,
                "{width}×{height}"
            );
        }
    }
}
