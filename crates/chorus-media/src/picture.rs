//! Decoded pictures as the preview player keeps them: packed 8-bit I420
//! (Y, then U, then V, each plane tightly packed), and box downscaling to a
//! preview size. A screen a few hundred pixels wide does not need 1080p:
//! pictures kept at the size they are shown take a fraction of the memory,
//! so a whole take fits in the frame cache, and draw in a fraction of the
//! time.

/// One decoded picture: packed I420 planes in one buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    data: Vec<u8>,
}

impl Picture {
    /// Bytes of a packed I420 picture of this size.
    pub fn size_of(width: u32, height: u32) -> usize {
        let chroma = width.div_ceil(2) as usize * height.div_ceil(2) as usize;
        width as usize * height as usize + 2 * chroma
    }

    /// The picture in `data` (packed I420 of `width` × `height`), or `None`
    /// when its length is not that.
    pub fn packed(width: u32, height: u32, data: Vec<u8>) -> Option<Self> {
        (data.len() == Self::size_of(width, height)).then_some(Self {
            width,
            height,
            data,
        })
    }

    pub fn chroma_size(&self) -> (u32, u32) {
        (self.width.div_ceil(2), self.height.div_ceil(2))
    }

    fn luma_len(&self) -> usize {
        self.width as usize * self.height as usize
    }

    fn chroma_len(&self) -> usize {
        let (cw, ch) = self.chroma_size();
        cw as usize * ch as usize
    }

    pub fn y(&self) -> &[u8] {
        &self.data[..self.luma_len()]
    }

    pub fn u(&self) -> &[u8] {
        &self.data[self.luma_len()..][..self.chroma_len()]
    }

    pub fn v(&self) -> &[u8] {
        &self.data[self.luma_len() + self.chroma_len()..]
    }

    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// This picture made `factor` times smaller each way: every pixel the
    /// mean of a `factor` × `factor` block (a box filter, which keeps fine
    /// detail from aliasing). The size is rounded down, and never below
    /// 1 × 1. A factor of 1 (or 0) is a copy; above [`MAX_FACTOR`], that.
    #[must_use]
    pub fn shrunk(&self, factor: u32) -> Self {
        let mut data = Vec::new();
        let (width, height) = shrink_into(self, factor, &mut data);
        Self {
            width,
            height,
            data,
        }
    }

    /// The packed I420 picture in `planes` (`width` × `height`, borrowed,
    /// e.g. a decoder's reused buffer; anything after the three planes is
    /// ignored), shrunk by `factor` like [`Picture::shrunk`]. `None` when
    /// `planes` is too short for that size.
    pub fn from_planes(width: u32, height: u32, planes: &[u8], factor: u32) -> Option<Self> {
        let view = View {
            size: (width, height),
            planes: planes.get(..Self::size_of(width, height))?,
        };
        let mut data = Vec::new();
        let (width, height) = shrink_into(&view, factor, &mut data);
        Some(Self {
            width,
            height,
            data,
        })
    }
}

/// Where [`shrink_into`] reads a picture's three planes from.
trait Planes {
    fn size(&self) -> (u32, u32);
    fn plane(&self, which: usize) -> &[u8];
}

impl Planes for Picture {
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn plane(&self, which: usize) -> &[u8] {
        [Self::y, Self::u, Self::v][which](self)
    }
}

/// A borrowed packed I420 buffer of exactly `size`.
struct View<'a> {
    size: (u32, u32),
    planes: &'a [u8],
}

impl Planes for View<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn plane(&self, which: usize) -> &[u8] {
        let (w, h) = self.size;
        let luma = w as usize * h as usize;
        let chroma = w.div_ceil(2) as usize * h.div_ceil(2) as usize;
        match which {
            0 => &self.planes[..luma],
            1 => &self.planes[luma..luma + chroma],
            _ => &self.planes[luma + chroma..luma + 2 * chroma],
        }
    }
}

/// Writes `source` shrunk by `factor` into `out` (packed I420); returns
/// the new size.
fn shrink_into(source: &impl Planes, factor: u32, out: &mut Vec<u8>) -> (u32, u32) {
    let k = factor.clamp(1, MAX_FACTOR);
    let (w, h) = source.size();
    let (width, height) = shrunk_size(w, h, k);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (ocw, och) = (width.div_ceil(2), height.div_ceil(2));
    out.clear();
    out.reserve(Picture::size_of(width, height));
    shrink_plane(source.plane(0), (w, h), k, (width, height), out);
    shrink_plane(source.plane(1), (cw, ch), k, (ocw, och), out);
    shrink_plane(source.plane(2), (cw, ch), k, (ocw, och), out);
    (width, height)
}

/// The most a picture is shrunk by, each way.
pub const MAX_FACTOR: u32 = 64;

/// The size of a `width` × `height` picture shrunk by `factor`.
pub fn shrunk_size(width: u32, height: u32, factor: u32) -> (u32, u32) {
    let k = factor.clamp(1, MAX_FACTOR);
    ((width / k).max(1), (height / k).max(1))
}

/// The largest whole factor that keeps a `width` × `height` picture, fitted
/// into a screen of `shown` (width, height in device pixels) keeping its
/// shape, at least as large as it is shown: pictures are only ever shrunk
/// to a size the GPU then enlarges a little. 1 when the screen is as large
/// as the picture, or its size is unknown (zero).
pub fn preview_factor(width: u32, height: u32, shown: (u32, u32)) -> u32 {
    if shown.0 == 0 || shown.1 == 0 {
        return 1;
    }
    (width / shown.0).max(height / shown.1).clamp(1, MAX_FACTOR)
}

/// Appends `plane` (`from` = width × height, packed) shrunk by `k` to
/// `to` = width × height onto `out`. Blocks reaching past the plane's
/// edge (the chroma of odd sizes) repeat its last row and column.
fn shrink_plane(plane: &[u8], from: (u32, u32), k: u32, to: (u32, u32), out: &mut Vec<u8>) {
    let (sw, sh) = (from.0 as usize, from.1 as usize);
    let (ow, oh) = (to.0 as usize, to.1 as usize);
    let k = k as usize;
    if sw == 0 || sh == 0 || plane.len() < sw * sh {
        out.resize(out.len() + ow * oh, 0);
        return;
    }
    if k == 1 && (sw, sh) == (ow, oh) {
        out.extend_from_slice(&plane[..sw * sh]);
        return;
    }
    // Sums of each source column over a band of k rows (255 × 64 fits
    // u16, so the adds run eight to a SIMD lane group), then of k columns.
    let span = ow * k;
    let within = span.min(sw);
    let mut columns = vec![0u16; span];
    // Division by k² as a multiply: rounding to nearest, off by at most one
    // level against the exact mean.
    let area = (k * k) as u64;
    let reciprocal = ((1u64 << 32) + area / 2) / area;
    for oy in 0..oh {
        columns.fill(0);
        for r in 0..k {
            let y = (oy * k + r).min(sh - 1);
            let row = &plane[y * sw..y * sw + sw];
            for (sum, &p) in columns[..within].iter_mut().zip(row) {
                *sum += u16::from(p);
            }
            let last = u16::from(row[sw - 1]);
            for sum in &mut columns[within..] {
                *sum += last;
            }
        }
        out.extend(columns.chunks_exact(k).map(|block| {
            let total: u32 = block.iter().map(|&c| u32::from(c)).sum();
            ((u64::from(total) * reciprocal + (1 << 31)) >> 32) as u8
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_split_a_packed_buffer_odd_sizes_included() {
        // 5 × 3: luma 15, chroma 3 × 2 = 6 each.
        let data: Vec<u8> = (0..27).collect();
        let picture = Picture::packed(5, 3, data).expect("27 bytes is 5 × 3 I420");
        assert_eq!(picture.y(), (0..15).collect::<Vec<u8>>());
        assert_eq!(picture.u(), (15..21).collect::<Vec<u8>>());
        assert_eq!(picture.v(), (21..27).collect::<Vec<u8>>());
        assert_eq!(picture.bytes(), 27);
        assert!(Picture::packed(5, 3, vec![0; 26]).is_none());
    }

    /// A picture whose every plane is `f(x, y)` of its own coordinates.
    fn picture(width: u32, height: u32, f: impl Fn(u32, u32, u8) -> u8) -> Picture {
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        let mut data = Vec::new();
        for (plane, (w, h)) in [(0u8, (width, height)), (1, (cw, ch)), (2, (cw, ch))] {
            for y in 0..h {
                for x in 0..w {
                    data.push(f(x, y, plane));
                }
            }
        }
        Picture::packed(width, height, data).expect("built to size")
    }

    /// The exact mean of a block, rounded, with the edge repeated.
    fn block_mean(plane: &[u8], size: (u32, u32), factor: u32, at: (u32, u32)) -> u8 {
        let (width, height) = size;
        let mut total = 0u32;
        for dy in 0..factor {
            for dx in 0..factor {
                let col = (at.0 * factor + dx).min(width - 1);
                let row = (at.1 * factor + dy).min(height - 1);
                total += u32::from(plane[(row * width + col) as usize]);
            }
        }
        ((f64::from(total) / f64::from(factor * factor)).round()) as u8
    }

    #[test]
    fn shrinking_averages_blocks_on_every_plane() {
        // Noise-like content, so every block is different.
        let source = picture(1000, 563, |x, y, p| {
            (x.wrapping_mul(31) ^ y.wrapping_mul(17) ^ (u32::from(p) * 89)) as u8
        });
        for k in [2, 3, 4, 7] {
            let small = source.shrunk(k);
            assert_eq!((small.width, small.height), (1000 / k, 563 / k));
            assert_eq!(small.bytes(), Picture::size_of(small.width, small.height));
            let (cw, ch) = source.chroma_size();
            let (ocw, och) = small.chroma_size();
            let planes = [
                (
                    source.y(),
                    small.y(),
                    (source.width, source.height),
                    (small.width, small.height),
                ),
                (source.u(), small.u(), (cw, ch), (ocw, och)),
                (source.v(), small.v(), (cw, ch), (ocw, och)),
            ];
            for (from, to, (w, h), (ow, oh)) in planes {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let want = block_mean(from, (w, h), k, (ox, oy));
                        let got = to[(oy * ow + ox) as usize];
                        assert!(
                            want.abs_diff(got) <= 1,
                            "k={k} at ({ox}, {oy}): {got}, the block's mean is {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn flat_areas_stay_exactly_flat_and_factor_one_is_a_copy() {
        let flat = picture(64, 36, |_, _, p| [16, 128, 240][p as usize]);
        let small = flat.shrunk(3);
        assert!(small.y().iter().all(|&v| v == 16));
        assert!(small.u().iter().all(|&v| v == 128));
        assert!(small.v().iter().all(|&v| v == 240));
        let odd = picture(7, 5, |x, y, p| (x * 10 + y + u32::from(p) * 100) as u8);
        assert_eq!(odd.shrunk(1), odd);
        assert_eq!(odd.shrunk(0), odd);
        // A borrowed buffer (with a trailing alpha plane) shrinks the same.
        let mut planes = flat.y().to_vec();
        planes.extend_from_slice(flat.u());
        planes.extend_from_slice(flat.v());
        planes.extend_from_slice(&[0; 64 * 36]);
        assert_eq!(Picture::from_planes(64, 36, &planes, 3), Some(small));
        assert_eq!(Picture::from_planes(64, 36, &planes[..100], 3), None);
        // Never smaller than a pixel, nor shrunk past the largest factor.
        let tiny = odd.shrunk(16);
        assert_eq!((tiny.width, tiny.height), (1, 1));
        assert_eq!(tiny.bytes(), 3);
        let wide = picture(4000, 8, |x, _, _| (x % 251) as u8);
        let least = wide.shrunk(10_000);
        assert_eq!((least.width, least.height), (4000 / MAX_FACTOR, 1));
        assert_eq!(least.bytes(), Picture::size_of(least.width, least.height));
    }

    #[test]
    fn the_preview_factor_never_shrinks_below_the_screen() {
        // 1080p in a 747 × 420 screen: halved (960 × 540), not thirded.
        assert_eq!(preview_factor(1920, 1080, (747, 420)), 2);
        // Compare view's quarter screens.
        assert_eq!(preview_factor(1920, 1080, (470, 264)), 4);
        // A screen as large as the picture, or larger: untouched.
        assert_eq!(preview_factor(1920, 1080, (1920, 1080)), 1);
        assert_eq!(preview_factor(1280, 720, (2560, 1440)), 1);
        // Portrait in a landscape box: the height decides.
        assert_eq!(preview_factor(1080, 1920, (747, 420)), 4);
        // An unknown (zero) screen size keeps the picture whole.
        assert_eq!(preview_factor(1920, 1080, (0, 0)), 1);
        assert_eq!(preview_factor(1920, 1080, (747, 0)), 1);
        for k in 1..=6 {
            let (w, h) = shrunk_size(1920, 1080, preview_factor(1920, 1080, (1920 / k, 1080 / k)));
            assert!(w >= 1920 / k && h >= 1080 / k);
        }
    }
}
