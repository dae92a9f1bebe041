//! Picture arithmetic of the face detector, all in integers: the area-average
//! downscale to the working width, the bilinear pyramid resize (OpenCV's
//! bit-exact `INTER_LINEAR_EXACT` for 8-bit pictures, so each pyramid level
//! has the same pixels OpenCV's cascade sees) and the integral image.

use crate::LumaFrame;

/// A contiguous 8-bit picture, rows `width` bytes apart.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gray {
    pub data: Vec<u8>,
    pub width: usize,
    pub height: usize,
}

/// `frame` at `width × height` (at most its own size) by area averaging:
/// each small pixel is the mean of the source area it covers, partly
/// covered source pixels weighted by the covered fraction, rounded to
/// nearest (halves up). Exact integer arithmetic: source pixel `i` spans
/// `[i·w, (i+1)·w)` and small pixel `d` spans `[d·W, (d+1)·W)` on a common
/// axis, so every weight is a whole number.
pub(super) fn downscale_area(frame: &LumaFrame<'_>, width: usize, height: usize) -> Gray {
    let (src_w, src_h) = (frame.width as usize, frame.height as usize);
    let columns = weights(src_w, width);
    // Which small rows each source row feeds, and with what weight.
    let mut feeds: Vec<Vec<(usize, u64)>> = vec![Vec::new(); src_h];
    for (d, (first, ws)) in weights(src_h, height).into_iter().enumerate() {
        for (j, wy) in ws.into_iter().enumerate() {
            feeds[first + j].push((d, wy));
        }
    }
    // Weighted sums, each at most 255 · src_w · src_h.
    let mut acc = vec![0u64; width * height];
    let mut line = vec![0u64; width];
    for (y, feed) in feeds.iter().enumerate() {
        let src = &frame.data[y * frame.stride..][..src_w];
        for (out, (first, ws)) in line.iter_mut().zip(&columns) {
            *out = src[*first..first + ws.len()]
                .iter()
                .zip(ws)
                .map(|(&p, &wx)| u64::from(p) * wx)
                .sum();
        }
        for &(d, wy) in feed {
            for (a, &l) in acc[d * width..][..width].iter_mut().zip(&line) {
                *a += l * wy;
            }
        }
    }
    let total = (src_w * src_h) as u64;
    Gray {
        data: acc
            .iter()
            .map(|&a| ((2 * a + total) / (2 * total)) as u8)
            .collect(),
        width,
        height,
    }
}

/// For each of `dst` output cells over `src` input cells: the first input
/// cell it touches and the whole-number weight of each input cell from
/// there (they add up to `src`).
fn weights(src: usize, dst: usize) -> Vec<(usize, Vec<u64>)> {
    (0..dst)
        .map(|d| {
            let (lo, hi) = (d * src, (d + 1) * src);
            let first = lo / dst;
            let last = (hi - 1) / dst;
            let w = (first..=last)
                .map(|i| (hi.min((i + 1) * dst) - lo.max(i * dst)) as u64)
                .collect();
            (first, w)
        })
        .collect()
}

/// One output position of the bilinear resize along one axis.
#[derive(Clone, Copy)]
enum Tap {
    /// Before the first input centre: the first input value.
    Left,
    /// Between input centres `i` and `i + 1`, with 8-bit weights adding up
    /// to 256.
    Between(usize, [u32; 2]),
    /// Past the last input centre: the last input value.
    Right,
}

/// The taps of OpenCV's bit-exact bilinear resize (`INTER_LINEAR_EXACT`)
/// from `src` to `dst` positions: centre `c = (d + 0.5) · src / dst − 0.5`
/// in `f64` (the scale being `1 / (dst / src)`), weight of the right-hand
/// neighbour `round(256 · (c − ⌊c⌋))`, halves to even.
fn taps(src: usize, dst: usize) -> Vec<Tap> {
    let scale = 1.0 / (dst as f64 / src as f64);
    (0..dst)
        .map(|d| {
            let centre = scale * (d as f64 + 0.5) - 0.5;
            let floor = centre.floor();
            if floor < 0.0 || src < 2 {
                Tap::Left
            } else if floor >= (src - 1) as f64 {
                Tap::Right
            } else {
                let right = ((centre - floor) * 256.0).round_ties_even() as u32;
                Tap::Between(floor as usize, [256 - right, right])
            }
        })
        .collect()
}

/// One row through the horizontal taps: values with 8 fractional bits.
fn filter_row(line: &[u8], columns: &[Tap], into: &mut Vec<u32>) {
    let last = line.len() - 1;
    into.clear();
    into.extend(columns.iter().map(|tap| match *tap {
        Tap::Left => u32::from(line[0]) << 8,
        Tap::Right => u32::from(line[last]) << 8,
        Tap::Between(x, [w0, w1]) => u32::from(line[x]) * w0 + u32::from(line[x + 1]) * w1,
    }));
}

/// `src` resized to `width × height` into `out`, bit for bit what OpenCV's
/// `cv::resize(src, dst, Size(width, height), 0, 0, INTER_LINEAR_EXACT)`
/// gives for an 8-bit picture (what its cascade classifier builds each
/// pyramid level with): a copy at the same size, the rounded 2×2 mean at
/// exactly half size, else separable fixed-point bilinear with 8-bit
/// weights, rows first (sums with 8 fractional bits), then columns, rounded
/// to nearest with halves up.
pub(super) fn resize_linear(src: &Gray, width: usize, height: usize, out: &mut Gray) {
    out.width = width;
    out.height = height;
    out.data.clear();
    if width == src.width && height == src.height {
        out.data.extend_from_slice(&src.data);
        return;
    }
    if src.width == 2 * width && src.height == 2 * height {
        for y in 0..height {
            let top = &src.data[2 * y * src.width..][..src.width];
            let bottom = &src.data[(2 * y + 1) * src.width..][..src.width];
            out.data.extend(
                top.chunks_exact(2)
                    .zip(bottom.chunks_exact(2))
                    .map(|(t, b)| {
                        ((u32::from(t[0])
                            + u32::from(t[1])
                            + u32::from(b[0])
                            + u32::from(b[1])
                            + 2)
                            >> 2) as u8
                    }),
            );
        }
        return;
    }
    let columns = taps(src.width, width);
    let row = |y: usize| &src.data[y * src.width..][..src.width];
    // The two filtered source rows in use and which rows they are; row
    // indices only grow, so each source row is filtered at most once.
    let (mut r0, mut r1) = (Vec::with_capacity(width), Vec::with_capacity(width));
    let (mut have0, mut have1) = (usize::MAX, usize::MAX);
    for tap in taps(src.height, height) {
        let (y0, y1, [b0, b1]) = match tap {
            Tap::Left => (0, 0, [256, 0]),
            Tap::Right => (src.height - 1, src.height - 1, [256, 0]),
            Tap::Between(y, weights) => (y, y + 1, weights),
        };
        if have0 != y0 {
            if have1 == y0 {
                std::mem::swap(&mut r0, &mut r1);
                have1 = usize::MAX;
            } else {
                filter_row(row(y0), &columns, &mut r0);
            }
            have0 = y0;
        }
        if b1 == 0 {
            // One row (borders, or an exact hit): round its 8 fractional bits.
            out.data.extend(
                r0.iter()
                    .map(|&v| ((v * b0 + (1 << 15)) >> 16).min(255) as u8),
            );
            continue;
        }
        if have1 != y1 {
            filter_row(row(y1), &columns, &mut r1);
            have1 = y1;
        }
        out.data.extend(
            r0.iter()
                .zip(&r1)
                .map(|(&s0, &s1)| ((s0 * b0 + s1 * b1 + (1 << 15)) >> 16).min(255) as u8),
        );
    }
}

/// The integral image of `src` into `sum`: `(width + 1) × (height + 1)`
/// values, `sum[y · (width + 1) + x]` = the sum of the pixels above and to
/// the left of `(x, y)`. Wrapping `u32`: every rectangle's sum, taken as a
/// difference of four corners, is exact below 2³², which a rectangle of
/// 255s stays under up to 16.8 million pixels.
pub(super) fn integral(src: &Gray, sum: &mut Vec<u32>) {
    let stride = src.width + 1;
    sum.clear();
    sum.resize(stride * (src.height + 1), 0);
    for y in 0..src.height {
        let line = &src.data[y * src.width..][..src.width];
        let (above, below) = sum.split_at_mut((y + 1) * stride);
        let above = &above[y * stride..];
        let below = &mut below[..stride];
        let mut run = 0u32;
        for x in 0..src.width {
            run = run.wrapping_add(u32::from(line[x]));
            below[x + 1] = above[x + 1].wrapping_add(run);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray(width: usize, height: usize, f: impl Fn(usize, usize) -> u8) -> Gray {
        let data = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        Gray {
            data,
            width,
            height,
        }
    }

    #[test]
    fn area_weights_cover_each_source_cell_once() {
        for (src, dst) in [(700, 320), (844, 320), (5, 3), (7, 7)] {
            let w = weights(src, dst);
            let mut per_cell = vec![0u64; src];
            for (first, ws) in &w {
                assert_eq!(ws.iter().sum::<u64>(), src as u64);
                for (i, &x) in ws.iter().enumerate() {
                    per_cell[first + i] += x;
                }
            }
            assert!(per_cell.iter().all(|&c| c == dst as u64));
        }
    }

    #[test]
    fn area_downscale_averages_and_rounds() {
        let data: Vec<u8> = vec![10, 20, 30, 40, 0, 0, 0, 0];
        let frame = LumaFrame {
            data: &data,
            width: 4,
            height: 2,
            stride: 4,
        };
        let small = downscale_area(&frame, 2, 1);
        // (10 + 20 + 0 + 0) / 4 = 7.5 → 8; (30 + 40) / 4 = 17.5 → 18.
        assert_eq!(small.data, vec![8, 18]);
        let flat = vec![77u8; 13 * 9];
        let frame = LumaFrame {
            data: &flat,
            width: 13,
            height: 9,
            stride: 13,
        };
        assert!(downscale_area(&frame, 5, 4).data.iter().all(|&p| p == 77));
    }

    #[test]
    fn linear_resize_keeps_flat_pictures_flat_and_halves_exactly() {
        let flat = gray(100, 80, |_, _| 200);
        let mut out = Gray::default();
        resize_linear(&flat, 73, 58, &mut out);
        assert_eq!(out.data.len(), 73 * 58);
        assert!(out.data.iter().all(|&p| p == 200));
        let ramp = gray(4, 2, |x, y| (x * 10 + y * 100) as u8);
        resize_linear(&ramp, 2, 1, &mut out);
        // (0 + 10 + 100 + 110 + 2) / 4 = 55; (20 + 30 + 120 + 130 + 2) / 4 = 75.
        assert_eq!(out.data, vec![55, 75]);
    }

    #[test]
    fn linear_resize_matches_opencv_bit_for_bit() {
        // cv2.resize(src, (w, h), interpolation=cv2.INTER_LINEAR_EXACT),
        // OpenCV 4.14.
        let src = gray(9, 7, |x, y| ((x * 37 + y * 91 + x * y * 13) % 256) as u8);
        let mut out = Gray::default();
        resize_linear(&src, 5, 4, &mut out);
        assert_eq!(
            out.data,
            [
                51, 126, 106, 181, 96, 187, 79, 164, 101, 141, 131, 65, 190, 123, 114, 102, 82,
                184, 146, 165
            ]
        );
        resize_linear(&src, 7, 6, &mut out);
        assert_eq!(
            out.data,
            [
                13, 62, 111, 139, 188, 103, 50, 121, 162, 194, 71, 121, 144, 212, 123, 147, 150,
                131, 176, 97, 139, 82, 125, 148, 148, 107, 153, 87, 163, 98, 188, 123, 131, 121,
                193, 61, 88, 101, 226, 132, 129, 175
            ]
        );
    }

    #[test]
    fn integral_sums_rectangles() {
        let img = gray(5, 4, |x, y| (x + 3 * y) as u8);
        let mut sum = Vec::new();
        integral(&img, &mut sum);
        let at = |x: usize, y: usize| sum[y * 6 + x];
        // Rectangle x 1..4, y 1..3.
        let direct: u32 = (1..3)
            .flat_map(|y| (1..4).map(move |x| (x + 3 * y) as u32))
            .sum();
        assert_eq!(
            at(4, 3)
                .wrapping_sub(at(1, 3))
                .wrapping_sub(at(4, 1))
                .wrapping_add(at(1, 1)),
            direct
        );
    }
}
