//! Picture motion energy per block of a downscaled luma frame.
//!
//! The browser computes these numbers in a wgpu compute shader from the frames
//! its player decoded, so the definition is fixed here exactly, in integers;
//! [`block_motion`] is the reference implementation of one frame pair.
//!
//! Input: the decoded luma plane `Y` as the decoder hands it over (8 bits, no
//! range expansion, no colour conversion, no chroma), `W × H` pixels, rows
//! `stride` bytes apart.
//!
//! 1. Downscale by box *sum* with integer factor `f` ([`MotionGrid::for_frame`]
//!    picks `f = max(1, ceil(max(W, H) / 128))`): the small picture is
//!    `w = W / f` by `h = H / f` (integer division; the last `W mod f` columns
//!    and `H mod f` rows are not used), and small pixel `(x, y)` is
//!    `S[x, y] = Σ Y[(y·f + j) · stride + x·f + i]` over `i, j < f`, a `u32`
//!    ([`downscale_luma`]). No division, so no rounding.
//! 2. Blocks of `b × b` small pixels (default 4): `cols = w / b`,
//!    `rows = h / b`, leftover small pixels unused; block `(bx, by)` is index
//!    `by · cols + bx`.
//! 3. Frame `k ≥ 1`: `D = Σ |S_k[x, y] − S_{k−1}[x, y]|` over the block's
//!    `b²` small pixels: the difference of the *downscaled* frames, not of
//!    source pixels. `D` is an exact `u32`, and below 2²⁴ because
//!    [`MotionGrid::new`] requires `f · b ≤ 256`. Energy `= D / (f² · b²)` as
//!    `f32` (here divided in `f64` and rounded once): the mean absolute luma
//!    change per source pixel, 0..=255. Frame 0 has energy 0 in every block.
//!
//! Tolerance: steps 1–3 are exact integers on both sides and `D` converts to
//! `f32` exactly, so only the division can differ (WGSL allows 2.5 ULP): from
//! the same luma a shader matches within 1e-6 relative, and exact zeros stay
//! zero. H.264 decoding is bit-exact, so the same file gives the same luma in
//! WebCodecs (`VideoFrame.copyTo` as I420) and OpenH264; a path through RGB
//! would not, and is outside that promise.

use serde::{Deserialize, Serialize};

use crate::SyncError;
use crate::audio::check_fps;

/// A borrowed luma (Y) plane, 8 bits per pixel, rows `stride` bytes apart.
#[derive(Clone, Copy, Debug)]
pub struct LumaFrame<'a> {
    pub data: &'a [u8],
    pub width: u32,
    pub height: u32,
    pub stride: usize,
}

impl LumaFrame<'_> {
    pub(crate) fn check(&self) -> Result<(), SyncError> {
        let needed = if self.height == 0 {
            0
        } else {
            (self.height as usize - 1) * self.stride + self.width as usize
        };
        if self.stride < self.width as usize || self.data.len() < needed {
            return Err(SyncError::FrameTooSmall {
                width: self.width,
                height: self.height,
                stride: self.stride,
                needed,
                got: self.data.len(),
            });
        }
        Ok(())
    }
}

/// How a frame is cut into motion blocks; see the module doc for the
/// arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MotionGrid {
    pub frame_width: u32,
    pub frame_height: u32,
    /// Box-filter downscale factor `f`.
    pub factor: u32,
    /// Block side `b`, in downscaled pixels.
    pub block: u32,
    pub cols: u32,
    pub rows: u32,
}

impl MotionGrid {
    /// Longer side of the downscaled picture we aim for.
    pub const TARGET_LONG_SIDE: u32 = 128;
    /// Default block side in downscaled pixels: 32×18 blocks for 16:9.
    pub const DEFAULT_BLOCK: u32 = 4;

    /// The default grid for a `width × height` picture.
    pub fn for_frame(width: u32, height: u32) -> Result<Self, SyncError> {
        let factor = width.max(height).div_ceil(Self::TARGET_LONG_SIDE).max(1);
        Self::new(width, height, factor, Self::DEFAULT_BLOCK)
    }

    /// A grid with an explicit downscale factor and block side.
    pub fn new(width: u32, height: u32, factor: u32, block: u32) -> Result<Self, SyncError> {
        // u16 column accumulators hold up to 257 rows of 255, and f · b ≤ 256
        // keeps a block's difference sum below 2^24: exact in u32 and f32.
        if !(1..=256).contains(&factor) || !(1..=64).contains(&block) || factor * block > 256 {
            return Err(SyncError::InvalidGrid { factor, block });
        }
        let cols = width / factor / block;
        let rows = height / factor / block;
        if cols == 0 || rows == 0 {
            return Err(SyncError::FrameTooTiny {
                width,
                height,
                factor,
                block,
            });
        }
        Ok(Self {
            frame_width: width,
            frame_height: height,
            factor,
            block,
            cols,
            rows,
        })
    }

    /// Blocks per frame.
    pub fn blocks(&self) -> usize {
        self.cols as usize * self.rows as usize
    }

    /// Width `w` of the downscaled picture.
    pub fn small_width(&self) -> usize {
        (self.frame_width / self.factor) as usize
    }

    /// Height `h` of the downscaled picture.
    pub fn small_height(&self) -> usize {
        (self.frame_height / self.factor) as usize
    }

    /// Source-pixel side of one block.
    pub fn block_pixels(&self) -> u32 {
        self.factor * self.block
    }
}

/// Motion of every block in every frame, frame-major:
/// `values[k · blocks + by · cols + bx]`. Either built by [`MotionAnalyzer`]
/// or handed in by the GPU path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MotionSeries {
    pub fps: f64,
    pub grid: MotionGrid,
    values: Vec<f32>,
}

impl MotionSeries {
    /// Wraps precomputed motion values (e.g. from the browser's shader).
    pub fn from_values(fps: f64, grid: MotionGrid, values: Vec<f32>) -> Result<Self, SyncError> {
        check_fps(fps)?;
        let blocks = grid.blocks();
        if !values.len().is_multiple_of(blocks) {
            return Err(SyncError::MotionShape {
                blocks,
                got: values.len(),
            });
        }
        Ok(Self { fps, grid, values })
    }

    pub fn frames(&self) -> usize {
        self.values.len() / self.grid.blocks()
    }

    /// The block motions of frame `k`.
    pub fn frame(&self, k: usize) -> &[f32] {
        let n = self.grid.blocks();
        &self.values[k * n..(k + 1) * n]
    }

    pub fn values(&self) -> &[f32] {
        &self.values
    }
}

/// Step 1 of the module doc: the box-summed small picture of `frame`,
/// `grid.small_width() × grid.small_height()` values, row-major.
pub fn downscale_luma(grid: &MotionGrid, frame: &LumaFrame<'_>) -> Result<Vec<u32>, SyncError> {
    let mut analyzer = MotionAnalyzer::new(*grid, 1.0, 1)?;
    analyzer.check_frame(frame)?;
    analyzer.downscale(frame);
    Ok(analyzer.current)
}

/// Steps 1–3 of the module doc: the motion energy of every block from
/// `previous` to `current`, `grid.blocks()` values, row-major. This is the
/// reference a GPU port checks itself against; [`MotionAnalyzer`] computes
/// the same numbers for a whole clip without allocating per frame.
pub fn block_motion(
    grid: &MotionGrid,
    previous: &LumaFrame<'_>,
    current: &LumaFrame<'_>,
) -> Result<Vec<f32>, SyncError> {
    let mut analyzer = MotionAnalyzer::new(*grid, 1.0, 2)?;
    analyzer.push(previous)?;
    analyzer.push(current)?;
    Ok(analyzer.finish().frame(1).to_vec())
}

/// Streaming block-motion computation: push decoded frames one at a time;
/// buffers are allocated once, in `new`.
#[derive(Clone, Debug)]
pub struct MotionAnalyzer {
    grid: MotionGrid,
    fps: f64,
    column_sums: Vec<u16>,
    previous: Vec<u32>,
    current: Vec<u32>,
    block_sums: Vec<u32>,
    frames: usize,
    values: Vec<f32>,
}

impl MotionAnalyzer {
    /// `expected_frames` only sizes the output up front; it is not a limit.
    pub fn new(grid: MotionGrid, fps: f64, expected_frames: usize) -> Result<Self, SyncError> {
        check_fps(fps)?;
        let small = grid.small_width() * grid.small_height();
        Ok(Self {
            grid,
            fps,
            column_sums: vec![0; grid.small_width() * grid.factor as usize],
            previous: vec![0; small],
            current: vec![0; small],
            block_sums: vec![0; grid.blocks()],
            frames: 0,
            values: Vec::with_capacity(expected_frames * grid.blocks()),
        })
    }

    fn check_frame(&self, frame: &LumaFrame<'_>) -> Result<(), SyncError> {
        frame.check()?;
        if frame.width != self.grid.frame_width || frame.height != self.grid.frame_height {
            return Err(SyncError::FrameSizeChanged {
                index: self.frames,
                width: frame.width,
                height: frame.height,
                expected_width: self.grid.frame_width,
                expected_height: self.grid.frame_height,
            });
        }
        Ok(())
    }

    /// Adds the next frame in presentation order.
    pub fn push(&mut self, frame: &LumaFrame<'_>) -> Result<(), SyncError> {
        self.check_frame(frame)?;
        self.downscale(frame);
        if self.frames == 0 {
            self.values
                .extend(std::iter::repeat_n(0.0, self.grid.blocks()));
        } else {
            self.block_differences();
        }
        std::mem::swap(&mut self.previous, &mut self.current);
        self.frames += 1;
        Ok(())
    }

    fn downscale(&mut self, frame: &LumaFrame<'_>) {
        let f = self.grid.factor as usize;
        let sw = self.grid.small_width();
        let used = sw * f;
        for (sy, out) in self.current.chunks_exact_mut(sw).enumerate() {
            // Sum f rows column-wise first: a plain u8→u16 add over a whole
            // row vectorises well; the horizontal f-sum then runs on 1/f rows.
            self.column_sums.fill(0);
            for j in 0..f {
                let start = (sy * f + j) * frame.stride;
                let row = &frame.data[start..start + used];
                for (acc, &p) in self.column_sums.iter_mut().zip(row) {
                    *acc += u16::from(p);
                }
            }
            for (o, group) in out.iter_mut().zip(self.column_sums.chunks_exact(f)) {
                *o = group.iter().map(|&v| u32::from(v)).sum();
            }
        }
    }

    fn block_differences(&mut self) {
        let b = self.grid.block as usize;
        let cols = self.grid.cols as usize;
        let sw = self.grid.small_width();
        self.block_sums.fill(0);
        for y in 0..self.grid.rows as usize * b {
            let row = y * sw;
            let sums = &mut self.block_sums[(y / b) * cols..(y / b + 1) * cols];
            let cur = &self.current[row..row + cols * b];
            let prev = &self.previous[row..row + cols * b];
            for (sum, (c, p)) in sums
                .iter_mut()
                .zip(cur.chunks_exact(b).zip(prev.chunks_exact(b)))
            {
                *sum += c.iter().zip(p).map(|(&c, &p)| c.abs_diff(p)).sum::<u32>();
            }
        }
        let pixels = f64::from(self.grid.block_pixels()).powi(2);
        self.values.extend(
            self.block_sums
                .iter()
                .map(|&d| (f64::from(d) / pixels) as f32),
        );
    }

    pub fn frames(&self) -> usize {
        self.frames
    }

    pub fn finish(self) -> MotionSeries {
        MotionSeries {
            fps: self.fps,
            grid: self.grid,
            values: self.values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_grid_for_common_sizes() {
        let g = MotionGrid::for_frame(1920, 1080).unwrap();
        assert_eq!((g.factor, g.cols, g.rows), (15, 32, 18));
        let g = MotionGrid::for_frame(720, 1280).unwrap();
        assert_eq!((g.factor, g.cols, g.rows), (10, 18, 32));
        assert!(matches!(
            MotionGrid::for_frame(3, 3),
            Err(SyncError::FrameTooTiny { .. })
        ));
        assert!(matches!(
            MotionGrid::new(64, 64, 0, 4),
            Err(SyncError::InvalidGrid { .. })
        ));
        // f · b = 260 could overflow f32's exact integers in a block sum.
        assert!(matches!(
            MotionGrid::new(8_000, 8_000, 65, 4),
            Err(SyncError::InvalidGrid { .. })
        ));
        assert!(MotionGrid::new(8_000, 8_000, 64, 4).is_ok());
    }

    #[test]
    fn block_motion_is_the_exact_mean_absolute_difference() {
        // 9x5 frame, stride 12, factor 2, block 2: small 4x2, one row of 2 blocks.
        let grid = MotionGrid::new(9, 5, 2, 2).unwrap();
        assert_eq!((grid.cols, grid.rows), (2, 1));
        let mut a = vec![7u8; 12 * 5];
        let mut b = a.clone();
        // Change one source pixel in block 0 by 40 and two in block 1 by 255
        // and 3; pixels outside the used 8x4 area must not count.
        b[12 + 1] = 47;
        b[2 * 12 + 6] = 255;
        a[3 * 12 + 5] = 10;
        b[8] = 200;
        b[4 * 12] = 99;
        let mut m = MotionAnalyzer::new(grid, 25.0, 2).unwrap();
        for data in [&a, &b] {
            m.push(&LumaFrame {
                data,
                width: 9,
                height: 5,
                stride: 12,
            })
            .unwrap();
        }
        let s = m.finish();
        assert_eq!(s.frames(), 2);
        assert_eq!(s.frame(0), &[0.0, 0.0]);
        assert_eq!(s.frame(1), &[40.0 / 16.0, (248.0 + 3.0) / 16.0]);
    }

    #[test]
    fn rejects_short_buffers_and_size_changes() {
        let grid = MotionGrid::new(8, 8, 1, 4).unwrap();
        let mut m = MotionAnalyzer::new(grid, 25.0, 0).unwrap();
        let small = [0u8; 60];
        let err = m
            .push(&LumaFrame {
                data: &small,
                width: 8,
                height: 8,
                stride: 8,
            })
            .unwrap_err();
        assert!(matches!(err, SyncError::FrameTooSmall { needed: 64, .. }));
        let big = [0u8; 100];
        let err = m
            .push(&LumaFrame {
                data: &big,
                width: 10,
                height: 10,
                stride: 10,
            })
            .unwrap_err();
        assert!(matches!(err, SyncError::FrameSizeChanged { index: 0, .. }));
        assert!(matches!(
            MotionSeries::from_values(25.0, grid, vec![0.0; 5]),
            Err(SyncError::MotionShape { blocks: 4, got: 5 })
        ));
    }

    /// A frame whose luma is a fixed function of position and time.
    fn pattern(height: u32, stride: usize, t: u32) -> Vec<u8> {
        (0..stride * height as usize)
            .map(|i| {
                let (x, y) = ((i % stride) as u32, (i / stride) as u32);
                ((x * 7 + y * 13 + t * 29 + (x * y) % 11) % 256) as u8
            })
            .collect()
    }

    #[test]
    fn the_public_reference_functions_follow_the_definition() {
        let (w, h, stride) = (101, 67, 104);
        let grid = MotionGrid::new(w, h, 3, 4).unwrap();
        assert_eq!((grid.small_width(), grid.small_height()), (33, 22));
        assert_eq!((grid.cols, grid.rows), (8, 5));
        let frames: Vec<Vec<u8>> = (0..3).map(|t| pattern(h, stride, t)).collect();
        let luma = |k: usize| LumaFrame {
            data: &frames[k],
            width: w,
            height: h,
            stride,
        };
        // Step 1 by the formula, pixel by pixel.
        let small = downscale_luma(&grid, &luma(1)).unwrap();
        for (sy, row) in small.chunks(33).enumerate() {
            for (sx, &v) in row.iter().enumerate() {
                let sum: u32 = (0..3)
                    .flat_map(|j| (0..3).map(move |i| (i, j)))
                    .map(|(i, j)| u32::from(frames[1][(sy * 3 + j) * stride + sx * 3 + i]))
                    .sum();
                assert_eq!(v, sum, "small pixel ({sx}, {sy})");
            }
        }
        // Steps 2–3 from the small pictures, block by block.
        let before = downscale_luma(&grid, &luma(0)).unwrap();
        let energy = block_motion(&grid, &luma(0), &luma(1)).unwrap();
        for (i, &e) in energy.iter().enumerate() {
            let (bx, by) = (i % 8, i / 8);
            let d: u32 = (0..4)
                .flat_map(|y| (0..4).map(move |x| (x, y)))
                .map(|(x, y)| {
                    let at = (by * 4 + y) * 33 + bx * 4 + x;
                    small[at].abs_diff(before[at])
                })
                .sum();
            // Bit for bit: the definition leaves no room for rounding.
            let expected = (f64::from(d) / 144.0) as f32;
            assert_eq!(e.to_bits(), expected.to_bits(), "block {i}");
        }
        // The streaming analyzer gives the same numbers for every pair.
        let mut m = MotionAnalyzer::new(grid, 25.0, 3).unwrap();
        for k in 0..3 {
            m.push(&luma(k)).unwrap();
        }
        let series = m.finish();
        assert_eq!(series.frame(1), energy.as_slice());
        assert_eq!(
            series.frame(2),
            block_motion(&grid, &luma(1), &luma(2)).unwrap().as_slice()
        );
    }
}
