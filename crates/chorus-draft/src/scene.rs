//! The set behind the presenter: a titled scene built from the prompt
//! (text-to-video), the start image with a slow pan and zoom
//! (image-to-video), or the reference images laid out as cards
//! (reference-to-video). Colours and layout choices come from the seed.

#![expect(
    clippy::many_single_char_names,
    reason = "layout and sampling code reads best with the usual short names (x, y, w, h)"
)]

use image::RgbaImage;
use image::imageops::FilterType;

use crate::canvas::{Canvas, Frame, Rgb, rounded_rect};
use crate::font::fonts;

/// Small deterministic generator (SplitMix64): same seed, same clip.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A hand-picked colour set; random hues rarely look designed.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub sky: Rgb,
    pub ground: Rgb,
    pub accent: Rgb,
    pub accent2: Rgb,
    pub ink: Rgb,
    pub shirt: Rgb,
}

const PALETTES: [Palette; 6] = [
    Palette {
        sky: Rgb(255, 236, 214),
        ground: Rgb(255, 196, 170),
        accent: Rgb(255, 122, 89),
        accent2: Rgb(255, 214, 102),
        ink: Rgb(52, 36, 64),
        shirt: Rgb(63, 81, 181),
    },
    Palette {
        sky: Rgb(214, 238, 255),
        ground: Rgb(168, 214, 240),
        accent: Rgb(52, 120, 246),
        accent2: Rgb(120, 220, 200),
        ink: Rgb(20, 40, 80),
        shirt: Rgb(255, 112, 67),
    },
    Palette {
        sky: Rgb(232, 245, 225),
        ground: Rgb(190, 228, 190),
        accent: Rgb(46, 160, 110),
        accent2: Rgb(250, 200, 90),
        ink: Rgb(30, 60, 45),
        shirt: Rgb(233, 84, 100),
    },
    Palette {
        sky: Rgb(245, 232, 255),
        ground: Rgb(214, 196, 250),
        accent: Rgb(138, 92, 246),
        accent2: Rgb(255, 150, 200),
        ink: Rgb(45, 30, 80),
        shirt: Rgb(20, 184, 166),
    },
    Palette {
        sky: Rgb(36, 40, 66),
        ground: Rgb(58, 52, 96),
        accent: Rgb(255, 180, 84),
        accent2: Rgb(98, 216, 255),
        ink: Rgb(250, 246, 240),
        shirt: Rgb(239, 83, 80),
    },
    Palette {
        sky: Rgb(255, 246, 224),
        ground: Rgb(246, 222, 180),
        accent: Rgb(230, 90, 60),
        accent2: Rgb(70, 170, 190),
        ink: Rgb(60, 40, 30),
        shirt: Rgb(56, 142, 60),
    },
];

pub fn palette(rng: &mut Rng) -> Palette {
    PALETTES[rng.below(PALETTES.len() as u64) as usize]
}

/// Where things go in a frame of this shape.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub width: f32,
    pub height: f32,
    /// Length unit: a thousandth of the short side.
    pub unit: f32,
    /// Presenter head centre.
    pub head: (f32, f32),
    /// Area for titles or cards: (x0, y0, x1, y1).
    pub panel: (f32, f32, f32, f32),
}

impl Layout {
    pub fn new(width: u32, height: u32, flip: bool) -> Self {
        let (w, h) = (width as f32, height as f32);
        let unit = w.min(h) / 1000.0;
        if w / h > 1.1 {
            let (hx, px0, px1) = if flip {
                (w * 0.27, w * 0.47, w * 0.94)
            } else {
                (w * 0.73, w * 0.06, w * 0.53)
            };
            Layout {
                width: w,
                height: h,
                unit,
                head: (hx, h - 560.0 * unit),
                panel: (px0, h * 0.12, px1, h * 0.8),
            }
        } else {
            Layout {
                width: w,
                height: h,
                unit,
                head: (w * 0.5, h - 560.0 * unit),
                panel: (w * 0.08, h * 0.07, w * 0.92, h - 900.0 * unit),
            }
        }
    }
}

const STOPWORDS: [&str; 40] = [
    "a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "with", "for", "from", "by", "is",
    "are", "was", "be", "as", "it", "its", "that", "this", "into", "over", "under", "while", "who",
    "which", "their", "his", "her", "very", "some", "then", "than", "shot", "video", "scene",
    "camera",
];

/// The prompt's key words, in order, without filler.
pub fn key_words(prompt: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in prompt.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-') {
        let w = raw.trim_matches(|c: char| c == '\'' || c == '-');
        let lower = w.to_lowercase();
        if w.chars().count() < 3
            || STOPWORDS.contains(&lower.as_str())
            || lower.starts_with("character")
        {
            continue;
        }
        if !out.iter().any(|o| o.to_lowercase() == lower) {
            let mut cs = w.chars();
            let title: String = cs
                .next()
                .map(|c| c.to_uppercase().chain(cs).collect())
                .unwrap_or_default();
            out.push(title);
        }
        if out.len() == max {
            break;
        }
    }
    out
}

/// Sky gradient, soft shapes and a floor: the common backdrop.
pub fn backdrop(canvas: &mut Canvas, layout: &Layout, pal: &Palette, rng: &mut Rng) {
    let h = layout.height;
    canvas.paint(|_, y| pal.sky.mix(pal.ground, (y / h).powf(1.4) * 0.55));
    let u = layout.unit;
    for i in 0..5 {
        let (cx, cy) = (rng.unit() * layout.width, rng.unit() * h * 0.7);
        let r = (120.0 + rng.unit() * 260.0) * u;
        let color = if i % 2 == 0 { pal.accent } else { pal.accent2 };
        let feather = r * 0.35;
        canvas.fill(
            (
                cx - r - feather,
                cy - r - feather,
                cx + r + feather,
                cy + r + feather,
            ),
            color,
            0.16,
            |x, y| (((x - cx).powi(2) + (y - cy).powi(2)).sqrt() - r) / feather,
        );
    }
    // The floor the presenter stands behind.
    let top = h - 250.0 * u;
    let (w, hw) = (layout.width, layout.width * 0.9);
    canvas.fill((0.0, top - 10.0, w, h), pal.ground, 0.9, |x, y| {
        let dx = (x - w / 2.0) / hw;
        (top + dx * dx * 120.0 * u) - y
    });
}

/// Text-to-video: the prompt's key words as a title, the rest as tags.
pub fn title_card(canvas: &mut Canvas, layout: &Layout, pal: &Palette, prompt: &str) {
    let f = fonts();
    if !f.available() {
        return;
    }
    let words = key_words(prompt, 7);
    let (x0, y0, x1, y1) = layout.panel;
    let u = layout.unit;
    let title: Vec<String> = words.iter().take(4).cloned().collect();
    let mut px = 120.0 * u;
    let mut lines = f.wrap(&title.join(" "), px, x1 - x0);
    while px > 50.0 * u && (lines.len() as f32 * px * 1.15 > (y1 - y0) * 0.7 || lines.len() > 3) {
        px *= 0.88;
        lines = f.wrap(&title.join(" "), px, x1 - x0);
    }
    let block = lines.len() as f32 * px * 1.15;
    let mut y = y0 + ((y1 - y0) - block - 140.0 * u).max(0.0) / 2.0;
    // Accent bar above the title.
    canvas.fill(
        (x0, y - 40.0 * u, x0 + 140.0 * u, y),
        pal.accent,
        1.0,
        |x, yy| {
            rounded_rect(
                x,
                yy,
                x0 + 60.0 * u,
                y - 25.0 * u,
                60.0 * u,
                9.0 * u,
                9.0 * u,
            )
        },
    );
    for line in &lines {
        let mask = f.render(line, px);
        canvas.fill_mask(&mask, x0 as i32, y as i32, pal.ink, 1.0);
        y += px * 1.15;
    }
    y += 30.0 * u;
    let mut x = x0;
    let tag_px = 38.0 * u;
    for tag in words.iter().skip(4) {
        let mask = f.render(tag, tag_px);
        let (tw, th) = (mask.width as f32 + 44.0 * u, tag_px * 1.6);
        if x + tw > x1 {
            break;
        }
        let (cx, cy) = (x + tw / 2.0, y + th / 2.0);
        canvas.fill((x, y, x + tw, y + th), pal.accent2, 0.85, |px_, py| {
            rounded_rect(px_, py, cx, cy, tw / 2.0, th / 2.0, th / 2.0)
        });
        canvas.fill_mask(
            &mask,
            (x + 22.0 * u) as i32,
            (y + th * 0.5 - tag_px * 0.62) as i32,
            pal.ink,
            1.0,
        );
        x += tw + 18.0 * u;
    }
}

/// Draws `img` cover-fitted into a rounded rectangle.
pub fn draw_image(canvas: &mut Canvas, img: &RgbaImage, rect: (f32, f32, f32, f32), radius: f32) {
    let (x0, y0, x1, y1) = rect;
    let (w, h) = (
        (x1 - x0).round().max(1.0) as u32,
        (y1 - y0).round().max(1.0) as u32,
    );
    let scale = (w as f32 / img.width() as f32).max(h as f32 / img.height() as f32);
    let (sw, sh) = (
        ((img.width() as f32 * scale).ceil() as u32).max(w),
        ((img.height() as f32 * scale).ceil() as u32).max(h),
    );
    let resized = image::imageops::resize(img, sw, sh, FilterType::Triangle);
    let (ox, oy) = ((sw - w) / 2, (sh - h) / 2);
    let (cx, cy, hw, hh) = (
        f32::midpoint(x0, x1),
        f32::midpoint(y0, y1),
        (x1 - x0) / 2.0,
        (y1 - y0) / 2.0,
    );
    for py in 0..h {
        for px in 0..w {
            let (gx, gy) = (
                x0.round() as i64 + i64::from(px),
                y0.round() as i64 + i64::from(py),
            );
            if gx < 0 || gy < 0 || gx >= canvas.width as i64 || gy >= canvas.height as i64 {
                continue;
            }
            let a = crate::canvas::coverage(rounded_rect(
                gx as f32 + 0.5,
                gy as f32 + 0.5,
                cx,
                cy,
                hw,
                hh,
                radius,
            ));
            let s = resized.get_pixel(px + ox, py + oy).0;
            let a = a * f32::from(s[3]) / 255.0;
            let p = &mut canvas.px[gy as usize * canvas.width + gx as usize];
            for i in 0..3 {
                p[i] = f32::from(s[i]) * a + p[i] * (1.0 - a);
            }
            p[3] = 255.0 * a + p[3] * (1.0 - a);
        }
    }
}

/// Reference-to-video: each reference as a card with its `characterN` label.
pub fn reference_cards(canvas: &mut Canvas, layout: &Layout, pal: &Palette, images: &[RgbaImage]) {
    if images.is_empty() {
        return;
    }
    let (x0, y0, x1, y1) = layout.panel;
    let u = layout.unit;
    let n = images.len();
    let cols = (n as f32).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let gap = 36.0 * u;
    let label = 50.0 * u;
    let cw = ((x1 - x0) - gap * (cols as f32 - 1.0)) / cols as f32;
    let ch = (((y1 - y0) - gap * (rows as f32 - 1.0)) / rows as f32 - label).min(cw * 1.25);
    let cw = cw.min(ch * 1.0);
    let total_w = cw * cols as f32 + gap * (cols as f32 - 1.0);
    let total_h = (ch + label) * rows as f32 + gap * (rows as f32 - 1.0);
    let (sx, sy) = (
        x0 + ((x1 - x0) - total_w) / 2.0,
        y0 + ((y1 - y0) - total_h) / 2.0,
    );
    let f = fonts();
    for (i, img) in images.iter().enumerate() {
        let (c, r) = (i % cols, i / cols);
        let (cx0, cy0) = (
            sx + c as f32 * (cw + gap),
            sy + r as f32 * (ch + label + gap),
        );
        let (mx, my, hw, hh) = (cx0 + cw / 2.0, cy0 + ch / 2.0, cw / 2.0, ch / 2.0);
        let rad = 28.0 * u;
        // Shadow, white frame, picture.
        canvas.fill(
            (
                cx0 - 40.0 * u,
                cy0 - 20.0 * u,
                cx0 + cw + 40.0 * u,
                cy0 + ch + 60.0 * u,
            ),
            pal.ink,
            0.18,
            |x, y| rounded_rect(x, y, mx, my + 14.0 * u, hw, hh, rad) / (18.0 * u),
        );
        canvas.fill(
            (
                cx0 - 12.0 * u,
                cy0 - 12.0 * u,
                cx0 + cw + 12.0 * u,
                cy0 + ch + 12.0 * u,
            ),
            Rgb(255, 255, 255),
            1.0,
            |x, y| rounded_rect(x, y, mx, my, hw + 10.0 * u, hh + 10.0 * u, rad + 10.0 * u),
        );
        draw_image(canvas, img, (cx0, cy0, cx0 + cw, cy0 + ch), rad);
        if f.available() {
            let mask = f.render(&chorus_core::request::character_token(i), 30.0 * u);
            canvas.fill_mask(
                &mask,
                (mx - mask.width as f32 / 2.0) as i32,
                (cy0 + ch + 16.0 * u) as i32,
                pal.ink,
                0.9,
            );
        }
    }
}

/// Image-to-video: the start image, slightly larger than the frame, in YUV;
/// `pan_zoom` cuts each frame's view out of it.
pub struct PanZoom {
    src: Frame,
    /// Pan direction: -1 or 1.
    dir: f32,
}

/// How much larger than the frame the source is, and so how far it zooms.
const OVERSCAN: f32 = 1.12;

impl PanZoom {
    pub fn new(img: &RgbaImage, width: u32, height: u32, rng: &mut Rng) -> Self {
        let (tw, th) = (
            (width as f32 * OVERSCAN) as u32 & !1,
            (height as f32 * OVERSCAN) as u32 & !1,
        );
        let mut canvas = Canvas::new(tw as usize, th as usize);
        canvas.paint(|_, _| Rgb(0, 0, 0));
        draw_image(&mut canvas, img, (0.0, 0.0, tw as f32, th as f32), 0.0);
        PanZoom {
            src: canvas.to_frame(),
            dir: if rng.below(2) == 0 { -1.0 } else { 1.0 },
        }
    }

    /// Writes the view at `t` (0–1 through the clip) into `out`.
    pub fn draw(&self, t: f32, out: &mut Frame) {
        let ease = t * t * (3.0 - 2.0 * t);
        // Zoom in from the whole source to the frame's own size, drifting sideways.
        let view = OVERSCAN - (OVERSCAN - 1.0) * ease;
        let (sw, sh) = (self.src.width as f32, self.src.height as f32);
        let (vw, vh) = (sw * view / OVERSCAN, sh * view / OVERSCAN);
        let cx = sw / 2.0 + self.dir * (sw - vw) / 2.0 * (ease * 2.0 - 1.0) * 0.8;
        let (x0, y0) = ((cx - vw / 2.0).clamp(0.0, sw - vw), (sh - vh) / 2.0);
        let scale = vw / out.width as f32;
        sample(
            &self.src.y,
            self.src.width,
            self.src.height,
            &mut out.y,
            out.width,
            out.height,
            x0,
            y0,
            scale,
        );
        let (cw, ch, scw, sch) = (
            out.width / 2,
            out.height / 2,
            self.src.width / 2,
            self.src.height / 2,
        );
        sample(
            &self.src.u,
            scw,
            sch,
            &mut out.u,
            cw,
            ch,
            x0 / 2.0,
            y0 / 2.0,
            scale,
        );
        sample(
            &self.src.v,
            scw,
            sch,
            &mut out.v,
            cw,
            ch,
            x0 / 2.0,
            y0 / 2.0,
            scale,
        );
    }
}

/// Bilinear resampling of one plane in 8-bit fixed point; the column
/// weights are computed once per call, not per pixel.
#[expect(
    clippy::too_many_arguments,
    reason = "two planes with their sizes and the scale; a struct would only rename them"
)]
fn sample(
    src: &[u8],
    sw: usize,
    sh: usize,
    dst: &mut [u8],
    dw: usize,
    dh: usize,
    x0: f32,
    y0: f32,
    scale: f32,
) {
    let cols: Vec<(usize, u32)> = (0..dw)
        .map(|x| {
            let sx = (x0 + (x as f32 + 0.5) * scale - 0.5).clamp(0.0, (sw - 2) as f32);
            (sx as usize, ((sx.fract()) * 256.0) as u32)
        })
        .collect();
    for y in 0..dh {
        let sy = (y0 + (y as f32 + 0.5) * scale - 0.5).clamp(0.0, (sh - 2) as f32);
        let (row, fy) = (sy as usize, (sy.fract() * 256.0) as u32);
        let (r0, r1) = (
            &src[row * sw..(row + 1) * sw],
            &src[(row + 1) * sw..(row + 2) * sw],
        );
        let out = &mut dst[y * dw..(y + 1) * dw];
        for (o, &(sx, fx)) in out.iter_mut().zip(&cols) {
            let top = u32::from(r0[sx]) * (256 - fx) + u32::from(r0[sx + 1]) * fx;
            let bottom = u32::from(r1[sx]) * (256 - fx) + u32::from(r1[sx + 1]) * fx;
            *o = ((top * (256 - fy) + bottom * fy + 32768) >> 16) as u8;
        }
    }
}
