//! Pixels: an RGBA canvas for artwork drawn once (scenes, the presenter), and
//! the YUV 4:2:0 frame the encoder eats, which also takes the few shapes that
//! change every frame (mouth, eyelids, captions) straight into its planes.
//!
//! Shapes are signed distance functions, so every edge is anti-aliased with
//! one rule: coverage = clamp(0.5 − distance, 0, 1).

#![expect(
    clippy::many_single_char_names,
    reason = "pixel code reads best with the usual short names (x, y, w, h, u, v)"
)]

/// A colour in sRGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// BT.709 limited-range Y'CbCr, what the encoder signals in its VUI.
    pub fn yuv(self) -> [f32; 3] {
        let (r, g, b) = (f32::from(self.0), f32::from(self.1), f32::from(self.2));
        let y = 16.0 + (0.2126 * r + 0.7152 * g + 0.0722 * b) * 219.0 / 255.0;
        let u = 128.0 + (-0.1146 * r - 0.3854 * g + 0.5 * b) * 224.0 / 255.0;
        let v = 128.0 + (0.5 * r - 0.4542 * g - 0.0458 * b) * 224.0 / 255.0;
        [y, u, v]
    }

    pub fn mix(self, other: Rgb, t: f32) -> Rgb {
        let m = |a: u8, b: u8| {
            (f32::from(a) + (f32::from(b) - f32::from(a)) * t)
                .round()
                .clamp(0.0, 255.0) as u8
        };
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }

    fn linear(self) -> [f32; 3] {
        [f32::from(self.0), f32::from(self.1), f32::from(self.2)]
    }
}

/// Coverage of a pixel by a shape at signed distance `d` (pixels).
#[inline]
pub fn coverage(d: f32) -> f32 {
    (0.5 - d).clamp(0.0, 1.0)
}

/// Signed distance to a rounded rectangle centred at (cx, cy).
#[inline]
pub fn rounded_rect(x: f32, y: f32, cx: f32, cy: f32, hw: f32, hh: f32, r: f32) -> f32 {
    let qx = (x - cx).abs() - hw + r;
    let qy = (y - cy).abs() - hh + r;
    let outside = (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt();
    outside + qx.max(qy).min(0.0) - r
}

/// Approximate signed distance to an axis-aligned ellipse; exact enough for
/// anti-aliasing edges.
#[inline]
pub fn ellipse(x: f32, y: f32, cx: f32, cy: f32, rx: f32, ry: f32) -> f32 {
    let (dx, dy) = ((x - cx) / rx.max(0.01), (y - cy) / ry.max(0.01));
    let k = (dx * dx + dy * dy).sqrt();
    let grad = ((dx / rx.max(0.01)).powi(2) + (dy / ry.max(0.01)).powi(2))
        .sqrt()
        .max(1e-4);
    (k - 1.0) * k / grad.max(1e-4) / k.max(1e-4)
}

/// Pixel bounds (x0, y0, x1, y1), exclusive end.
pub type Bounds = (usize, usize, usize, usize);

fn clip(b: (f32, f32, f32, f32), w: usize, h: usize) -> Bounds {
    let x0 = b.0.floor().max(0.0) as usize;
    let y0 = b.1.floor().max(0.0) as usize;
    let x1 = (b.2.ceil().max(0.0) as usize).min(w);
    let y1 = (b.3.ceil().max(0.0) as usize).min(h);
    (x0.min(x1), y0.min(y1), x1, y1)
}

/// Premultiplied RGBA in floats (0–255 scale); for artwork drawn once.
#[derive(Clone)]
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pub px: Vec<[f32; 4]>,
}

impl Canvas {
    pub fn new(width: usize, height: usize) -> Self {
        Canvas {
            width,
            height,
            px: vec![[0.0; 4]; width * height],
        }
    }

    /// Fills the whole canvas from a colour function (opaque).
    pub fn paint(&mut self, f: impl Fn(f32, f32) -> Rgb) {
        for y in 0..self.height {
            for x in 0..self.width {
                let c = f(x as f32 + 0.5, y as f32 + 0.5).linear();
                self.px[y * self.width + x] = [c[0], c[1], c[2], 255.0];
            }
        }
    }

    /// Draws `color` at `alpha` wherever `sdf` is inside, within `bounds`.
    pub fn fill(
        &mut self,
        bounds: (f32, f32, f32, f32),
        color: Rgb,
        alpha: f32,
        sdf: impl Fn(f32, f32) -> f32,
    ) {
        let (x0, y0, x1, y1) = clip(bounds, self.width, self.height);
        let c = color.linear();
        for y in y0..y1 {
            let row = y * self.width;
            for x in x0..x1 {
                let a = coverage(sdf(x as f32 + 0.5, y as f32 + 0.5)) * alpha;
                if a <= 0.0 {
                    continue;
                }
                let p = &mut self.px[row + x];
                for i in 0..3 {
                    p[i] = c[i] * a + p[i] * (1.0 - a);
                }
                p[3] = 255.0 * a + p[3] * (1.0 - a);
            }
        }
    }

    /// Draws a coverage mask (text) with its top-left at (x, y).
    pub fn fill_mask(&mut self, mask: &Mask, x: i32, y: i32, color: Rgb, alpha: f32) {
        let c = color.linear();
        for my in 0..mask.height {
            let cy = y + my as i32;
            if cy < 0 || cy >= self.height as i32 {
                continue;
            }
            for mx in 0..mask.width {
                let cx = x + mx as i32;
                if cx < 0 || cx >= self.width as i32 {
                    continue;
                }
                let a = mask.data[my * mask.width + mx] * alpha;
                if a <= 0.0 {
                    continue;
                }
                let p = &mut self.px[cy as usize * self.width + cx as usize];
                for i in 0..3 {
                    p[i] = c[i] * a + p[i] * (1.0 - a);
                }
                p[3] = 255.0 * a + p[3] * (1.0 - a);
            }
        }
    }

    /// Converts to a YUV frame; transparent areas become black.
    pub fn to_frame(&self) -> Frame {
        let mut frame = Frame::new(self.width, self.height);
        let w = self.width;
        for y in 0..self.height {
            for x in 0..w {
                let p = self.px[y * w + x];
                let rgb = Rgb(p[0].round() as u8, p[1].round() as u8, p[2].round() as u8);
                frame.y[y * w + x] = rgb.yuv()[0].round() as u8;
            }
        }
        let cw = w / 2;
        for cy in 0..self.height / 2 {
            for cx in 0..cw {
                let mut acc = [0.0f32; 3];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let p = self.px[(cy * 2 + dy) * w + cx * 2 + dx];
                    for i in 0..3 {
                        acc[i] += p[i] / 4.0;
                    }
                }
                let yuv = Rgb(
                    acc[0].round() as u8,
                    acc[1].round() as u8,
                    acc[2].round() as u8,
                )
                .yuv();
                frame.u[cy * cw + cx] = yuv[1].round() as u8;
                frame.v[cy * cw + cx] = yuv[2].round() as u8;
            }
        }
        frame
    }
}

/// A grey coverage mask (0–1), e.g. rasterised text.
#[derive(Debug, Clone, Default)]
pub struct Mask {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

/// One YUV 4:2:0 picture, the encoder's input.
#[derive(Clone)]
pub struct Frame {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

impl Frame {
    pub fn new(width: usize, height: usize) -> Self {
        Frame {
            width,
            height,
            y: vec![16; width * height],
            u: vec![128; width * height / 4],
            v: vec![128; width * height / 4],
        }
    }

    /// Copies another frame of the same size into this one without allocating.
    pub fn copy_from(&mut self, other: &Frame) {
        self.y.copy_from_slice(&other.y);
        self.u.copy_from_slice(&other.u);
        self.v.copy_from_slice(&other.v);
    }

    /// Blends `color` wherever `sdf` (in luma pixels) is inside.
    pub fn fill(
        &mut self,
        bounds: (f32, f32, f32, f32),
        color: Rgb,
        alpha: f32,
        sdf: impl Fn(f32, f32) -> f32,
    ) {
        let [cy_, cu, cv] = color.yuv();
        let (x0, y0, x1, y1) = clip(bounds, self.width, self.height);
        for y in y0..y1 {
            let row = y * self.width;
            for x in x0..x1 {
                let a = coverage(sdf(x as f32 + 0.5, y as f32 + 0.5)) * alpha;
                if a > 0.0 {
                    let p = &mut self.y[row + x];
                    *p = (f32::from(*p) + (cy_ - f32::from(*p)) * a).round() as u8;
                }
            }
        }
        // Chroma samples sit at the centre of each 2×2 block; a chroma pixel is
        // two luma pixels wide, so distances halve.
        let cw = self.width / 2;
        let (cx0, cy0, cx1, cy1) = (
            x0 / 2,
            y0 / 2,
            x1.div_ceil(2).min(cw),
            y1.div_ceil(2).min(self.height / 2),
        );
        for y in cy0..cy1 {
            for x in cx0..cx1 {
                let d = sdf(x as f32 * 2.0 + 1.0, y as f32 * 2.0 + 1.0);
                let a = (0.5 - d / 2.0).clamp(0.0, 1.0) * alpha;
                if a > 0.0 {
                    let i = y * cw + x;
                    self.u[i] =
                        (f32::from(self.u[i]) + (cu - f32::from(self.u[i])) * a).round() as u8;
                    self.v[i] =
                        (f32::from(self.v[i]) + (cv - f32::from(self.v[i])) * a).round() as u8;
                }
            }
        }
    }

    /// Blends a coverage mask with its top-left at (x, y).
    pub fn fill_mask(&mut self, mask: &Mask, x: i32, y: i32, color: Rgb, alpha: f32) {
        let [ly, lu, lv] = color.yuv();
        let (w, h) = (self.width as i32, self.height as i32);
        for my in 0..mask.height as i32 {
            let py = y + my;
            if py < 0 || py >= h {
                continue;
            }
            for mx in 0..mask.width as i32 {
                let px = x + mx;
                if px < 0 || px >= w {
                    continue;
                }
                let a = mask.data[(my as usize) * mask.width + mx as usize] * alpha;
                if a <= 0.0 {
                    continue;
                }
                let i = (py * w + px) as usize;
                self.y[i] = (f32::from(self.y[i]) + (ly - f32::from(self.y[i])) * a).round() as u8;
                if px % 2 == 0 && py % 2 == 0 {
                    let ci = (py as usize / 2) * (self.width / 2) + px as usize / 2;
                    self.u[ci] =
                        (f32::from(self.u[ci]) + (lu - f32::from(self.u[ci])) * a).round() as u8;
                    self.v[ci] =
                        (f32::from(self.v[ci]) + (lv - f32::from(self.v[ci])) * a).round() as u8;
                }
            }
        }
    }
}

/// Artwork with transparency, pre-converted to YUV so it can be laid over a
/// moving background every frame at the cost of one blend per pixel.
pub struct Overlay {
    bounds: Bounds,
    width: usize,
    y: Vec<[u8; 2]>,
    uv: Vec<[u8; 3]>,
}

impl Overlay {
    pub fn from_canvas(canvas: &Canvas) -> Self {
        let w = canvas.width;
        let (mut x0, mut y0, mut x1, mut y1) = (w, canvas.height, 0, 0);
        for y in 0..canvas.height {
            for x in 0..w {
                if canvas.px[y * w + x][3] > 0.5 {
                    x0 = x0.min(x & !1);
                    y0 = y0.min(y & !1);
                    x1 = x1.max((x + 2) & !1);
                    y1 = y1.max((y + 2) & !1);
                }
            }
        }
        if x1 <= x0 || y1 <= y0 {
            return Overlay {
                bounds: (0, 0, 0, 0),
                width: w,
                y: Vec::new(),
                uv: Vec::new(),
            };
        }
        let (x1, y1) = (x1.min(w), y1.min(canvas.height));
        let bw = x1 - x0;
        let unpremul = |p: [f32; 4]| {
            let a = p[3].max(1e-3) / 255.0;
            Rgb(
                (p[0] / a).round().clamp(0.0, 255.0) as u8,
                (p[1] / a).round().clamp(0.0, 255.0) as u8,
                (p[2] / a).round().clamp(0.0, 255.0) as u8,
            )
        };
        let mut ys = Vec::with_capacity(bw * (y1 - y0));
        for y in y0..y1 {
            for x in x0..x1 {
                let p = canvas.px[y * w + x];
                ys.push([unpremul(p).yuv()[0].round() as u8, p[3].round() as u8]);
            }
        }
        let mut uv = Vec::with_capacity(bw * (y1 - y0) / 4);
        for y in (y0..y1).step_by(2) {
            for x in (x0..x1).step_by(2) {
                let mut acc = [0.0f32; 4];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let p = canvas.px[(y + dy) * w + x + dx];
                    for i in 0..4 {
                        acc[i] += p[i] / 4.0;
                    }
                }
                let c = unpremul(acc).yuv();
                uv.push([c[1].round() as u8, c[2].round() as u8, acc[3].round() as u8]);
            }
        }
        Overlay {
            bounds: (x0, y0, x1, y1),
            width: bw,
            y: ys,
            uv,
        }
    }

    /// Lays the overlay over `frame`.
    pub fn draw(&self, frame: &mut Frame) {
        let (x0, y0, x1, y1) = self.bounds;
        let blend = |dst: &mut u8, src: u8, a: u8| {
            let a = u32::from(a);
            *dst = ((u32::from(*dst) * (255 - a) + u32::from(src) * a + 127) / 255) as u8;
        };
        for y in y0..y1 {
            let src = &self.y[(y - y0) * self.width..(y - y0 + 1) * self.width];
            let dst = &mut frame.y[y * frame.width + x0..y * frame.width + x1];
            for (d, s) in dst.iter_mut().zip(src) {
                if s[1] > 0 {
                    blend(d, s[0], s[1]);
                }
            }
        }
        let (cw, bcw) = (frame.width / 2, self.width / 2);
        for cy in y0 / 2..y1 / 2 {
            for cx in x0 / 2..x1 / 2 {
                let s = self.uv[(cy - y0 / 2) * bcw + cx - x0 / 2];
                if s[2] > 0 {
                    blend(&mut frame.u[cy * cw + cx], s[0], s[2]);
                    blend(&mut frame.v[cy * cw + cx], s[1], s[2]);
                }
            }
        }
    }
}
